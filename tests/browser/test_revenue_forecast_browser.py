"""The Revenue page with a real stored forecast, in headless Chromium: the forecasts job
(real Prophet, backtested) runs on 140 days of seasonal revenue, then the writer signs in
and sees history, the forecast line, both uncertainty bands, the month-end range in words
and the backtest's typical error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.dash_app import EXTENSION_KEY
from components import ids
from tests.browser.helpers import run_job_ok, signed_in
from tests.factories import ACCOUNTS, WRITER_PASSWORD, add_accounts
from tests.forecast_fixtures import seed_platform

pytestmark = pytest.mark.browser
TIMEOUT = 30
TRACE_NAMES = """
const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');
return plot && plot.data ? plot.data.map(function (trace) { return trace.name || ''; }) : null;
"""


@pytest.fixture
def dash_app(make_server):
    """Ada's story with 140 days of seasonal revenue up to yesterday (enough for the
    backtest), Bram's with 30, the accounts, and a run of the forecasts job (overrides
    conftest's ``dash_app``)."""

    def seed(session) -> None:
        seed_platform(session, {10: 140, 20: 30}, end=datetime.now(UTC).date() - timedelta(1))
        add_accounts(session)

    server = make_server(seed)
    run_job_ok(server, "forecasts")
    return server.extensions[EXTENSION_KEY]


def test_revenue_page_shows_the_forecast_with_both_bands(dash_duo, dash_app) -> None:
    base = signed_in(dash_duo, dash_app, ACCOUNTS.writer_email, WRITER_PASSWORD, timeout=TIMEOUT)

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
