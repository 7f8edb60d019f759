"""Revenue callbacks as plain functions on tests/factories.py's small platform.

Writer 1, last 7 days: a $1.99 unlock (reader 1, three days ago), a $5.00 tip (reader 2,
three days ago) and a $9.99 subscription (reader 4, yesterday); the 7 days before: a
$3.00 tip (reader 1). Writer 2: a $100.00 tip.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from callbacks.common import Viewer
from callbacks.revenue import bucketed, build_revenue
from components.ids import kpi_value_id
from tests.factories import EXPECTED_WRITER_1, EXPECTED_WRITER_2_REVENUE, build_small_platform
from tests.unit.test_callbacks_overview import _find_text

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def test_writer_revenue_kpis(platform) -> None:
    view = build_revenue(platform, WRITER, None, "7d", None, None, "previous", today=TODAY)
    total, previous = EXPECTED_WRITER_1["revenue"]
    assert (total, previous) == (1698, 300)
    assert view.status is None
    assert _find_text(view.kpis, kpi_value_id("revenue")) == "$16.98"
    assert _find_text(view.kpis, kpi_value_id("revenue_unlocks")) == "$1.99"
    assert _find_text(view.kpis, kpi_value_id("revenue_tips")) == "$5.00"
    assert _find_text(view.kpis, kpi_value_id("revenue_subscriptions")) == "$9.99"
    assert _find_text(view.kpis, kpi_value_id("paying_readers")) == "3"
    assert _find_text(view.kpis, kpi_value_id("revenue_per_paying_reader")) == "$5.66"
    text = json.dumps(view.kpis.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "vs $3.00 in the previous 7 days" in text


def test_revenue_by_source_and_story_charts(platform) -> None:
    view = build_revenue(platform, WRITER, None, "7d", None, None, "previous", today=TODAY)
    sources = {trace.name: trace for trace in view.sources.data}
    assert list(sources) == ["Chapter unlocks", "Tips", "Subscriptions"]
    days = [pd.Timestamp(x).date() for x in sources["Tips"].x]
    assert days == [TODAY - timedelta(days=offset) for offset in range(6, -1, -1)]
    by_day = {
        name: dict(zip(days, (float(y) for y in trace.y), strict=True))
        for name, trace in sources.items()
    }
    assert by_day["Chapter unlocks"][TODAY - timedelta(days=3)] == 1.99
    assert by_day["Tips"][TODAY - timedelta(days=3)] == 5.0
    assert by_day["Subscriptions"][TODAY - timedelta(days=1)] == 9.99
    assert sum(sum(values.values()) for values in by_day.values()) == pytest.approx(16.98)
    assert view.sources.layout.yaxis.tickprefix == "$"
    assert view.sources.layout.title.text == "Daily revenue by source"
    mix = view.mix.data[0]
    assert list(mix.values) == [199, 500, 999]
    assert view.mix.layout.annotations[0].text == "$16.98"
    stories = {trace.name: trace for trace in view.stories.data}
    # Salt & Signal ($9.99 subscription) above The Glass Orchard ($1.99 + $5.00).
    assert list(stories["Subscriptions"].y) == ["Salt & Signal", "The Glass Orchard"]
    assert list(stories["Subscriptions"].x) == [9.99, 0.0]
    assert list(stories["Tips"].x) == [0.0, 5.0]


def test_scope_rules_on_revenue(platform) -> None:
    forged = build_revenue(platform, WRITER, 2, "7d", None, None, "previous", today=TODAY)
    assert _find_text(forged.kpis, kpi_value_id("revenue")) == "$16.98"
    bram = build_revenue(platform, ADMIN, 2, "7d", None, None, "previous", today=TODAY)
    assert _find_text(bram.kpis, kpi_value_id("revenue")) == "$100.00"
    assert EXPECTED_WRITER_2_REVENUE == 10_000
    everyone = build_revenue(platform, ADMIN, 0, "7d", None, None, "previous", today=TODAY)
    assert _find_text(everyone.kpis, kpi_value_id("revenue")) == "$116.98"


def test_no_revenue_explains_and_keeps_the_forecast_note_honest(platform) -> None:
    start = (TODAY + timedelta(days=30)).isoformat()
    end = (TODAY + timedelta(days=40)).isoformat()
    view = build_revenue(platform, WRITER, None, "custom", start, end, "previous", today=TODAY)
    status = json.dumps(view.status.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "No revenue in this period" in status
    assert view.sources.layout.annotations[0].text == "No revenue in this period"


def test_currency_and_year_comparison(platform) -> None:
    view = build_revenue(
        platform, WRITER, None, "7d", None, None, "year", today=TODAY, currency="EUR"
    )
    assert _find_text(view.kpis, kpi_value_id("revenue")) == "€16.98"
    text = json.dumps(view.kpis.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "same period last year" in text


def test_long_periods_are_drawn_per_week_or_month() -> None:
    days = pd.date_range(date(2026, 1, 1), periods=140, freq="D").date
    frame = pd.DataFrame({"day": days, "unlocks": 1, "tips": 2, "subscriptions": 0})
    daily, title = bucketed(frame, 60)
    assert (len(daily), title) == (140, "Date")
    weekly, title = bucketed(frame, 140)
    assert title == "Week (starting Monday)"
    assert weekly["bucket"].iloc[1] == pd.Timestamp(2026, 1, 5)  # Jan 1, 2026 is a Thursday
    assert weekly["unlocks"].sum() == 140
    assert weekly["unlocks"].iloc[1] == 7
    monthly, title = bucketed(frame, 400)
    assert title == "Month"
    assert list(monthly["tips"])[:2] == [62, 56]


def _store_forecast(session, writer_id: int, model: str = "seasonal_naive") -> None:
    from data.forecast_store import ForecastRecord, PointRow, replace_forecasts

    points = tuple(
        PointRow(TODAY + timedelta(days=k), 200.0, 150.0, 250.0, 100.0, 300.0) for k in range(1, 31)
    )
    replace_forecasts(
        session,
        [
            ForecastRecord(
                scope="writer",
                scope_id=writer_id,
                metric="revenue",
                model=model,
                horizon_days=30,
                history_days=28,
                history_start=TODAY - timedelta(days=27),
                history_end=TODAY,
                note="Same weekday last week: too little history for Prophet.",
                wape=0.25,
                month_end=TODAY + timedelta(days=10),
                month_to_date=90_000.0,
                month_p10=110_000.0,
                month_p50=123_400.0,
                month_p90=139_000.0,
                points=points if model != "none" else (),
            )
        ],
    )
    session.commit()


def test_stored_forecast_is_drawn_with_its_bands(platform) -> None:
    _store_forecast(platform, writer_id=1)
    view = build_revenue(platform, WRITER, None, "7d", None, None, "previous", today=TODAY)
    assert view.forecast is not None
    names = [trace.name for trace in view.forecast.data]
    assert names == [None, "95% band", None, "80% band", "Revenue", view.forecast.data[-1].name]
    forecast_line = view.forecast.data[-1]
    assert forecast_line.name.startswith("Seasonal naive")
    assert len(forecast_line.y) == 30
    assert forecast_line.y[0] == 2.0
    assert list(view.forecast.data[1].y[:1]) == [1.0]
    assert list(view.forecast.data[0].y[:1]) == [3.0]
    assert sum(view.forecast.data[4].y) == pytest.approx(16.98)  # the observed days
    note = json.dumps(view.forecast_note, default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    assert "too little history" in note
    assert "Typical error ±25%" in note
    month_end = f"{TODAY + timedelta(days=10):%b %-d}"
    assert (
        f"By {month_end} this month's revenue will most likely be $1,234.00 "
        "(80% range $1,100.00 – $1,390.00); $900.00 so far."
    ) in note
    # Another writer's forecast is never shown to writer 1; Bram has none.
    bram = build_revenue(platform, ADMIN, 2, "7d", None, None, "previous", today=TODAY)
    assert bram.forecast is None
    assert "once the forecasting job has run" in json.dumps(
        bram.forecast_note, default=lambda o: o.to_plotly_json()
    )


def test_forecast_without_points_shows_the_jobs_reason(platform) -> None:
    _store_forecast(platform, writer_id=1, model="none")
    view = build_revenue(platform, WRITER, None, "7d", None, None, "previous", today=TODAY)
    assert view.forecast is None
    assert "too little history" in json.dumps(
        view.forecast_note, default=lambda o: o.to_plotly_json()
    )
