"""The Revenue page with a real stored forecast, in headless Chromium: the forecasts job
(real Prophet, backtested) runs on 140 days of seasonal revenue, then the writer signs in
and sees history, the forecast line, both uncertainty bands, the month-end range in words
and the backtest's typical error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app import create_app
from app.dash_app import EXTENSION_KEY
from app.database import get_database
from app.jobs.runner import run_job
from components import ids
from tests.factories import ACCOUNTS, WRITER_PASSWORD, add_accounts
from tests.forecast_fixtures import seed_platform

pytestmark = pytest.mark.browser
TIMEOUT = 30
TRACE_NAMES = """
const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');
return plot && plot.data ? plot.data.map(function (trace) { return trace.name || ''; }) : null;
"""


@pytest.fixture
def dash_app(sqlite_url: str, tmp_path):
    server = create_app(
        {
            "APP_ENV": "test",
            "DATABASE_URL": sqlite_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "browser-test-secret",
            "LOG_LEVEL": "WARNING",
        }
    )
    database = get_database(server)
    with database.session() as session:
        # Ada's story has 140 days of revenue up to yesterday: enough for the backtest.
        seed_platform(session, {10: 140, 20: 30}, end=datetime.now(UTC).date() - timedelta(1))
        add_accounts(session)
        session.commit()
    result = run_job(database.sessions, "forecasts")
    assert result.status == "succeeded", result.error
    return server.extensions[EXTENSION_KEY]


def test_revenue_page_shows_the_forecast_with_both_bands(dash_duo, dash_app) -> None:
    dash_duo.start_server(dash_app, navigate=False)
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(f"{base}/login")
    dash_duo.wait_for_element("#email").send_keys(ACCOUNTS.writer_email)
    dash_duo.find_element("#password").send_keys(WRITER_PASSWORD)
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_text_to_equal(f"#{ids.OVERVIEW_TITLE}", "Overview", timeout=TIMEOUT)

    dash_duo.driver.get(f"{base}/revenue")
    dash_duo.wait_for_text_to_equal(f"#{ids.REVENUE_TITLE}", "Revenue", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text(
        f"#{ids.REVENUE_FORECAST_CHART} .gtitle", "Revenue forecast, next 30 days", timeout=TIMEOUT
    )
    names = dash_duo.driver.execute_script(TRACE_NAMES, f"#{ids.REVENUE_FORECAST_CHART}")
    assert {"95% band", "80% band", "Revenue"} <= set(names)
    model_line = names[-1]
    assert model_line.startswith(("Prophet", "Seasonal naive")), names
    note = dash_duo.find_element(f"#{ids.REVENUE_FORECAST_NOTE}").text
    assert "Typical error ±" in note
    assert "80% range" in note
    assert "so far" in note
    assert dash_duo.find_element(f"#{ids.REVENUE_FORECAST_WRAPPER}").is_displayed()
