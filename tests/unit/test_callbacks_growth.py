"""Growth callbacks as plain functions on tests/factories.py's small platform.

Writer 1, as of today: the last 7 days have 5 views, 4 readers, 1 follow and $16.98; the 7
days before 2 views, 2 readers, no follow and $3.00. Nothing happened earlier, so the
last 30 days hold both weeks and the 30 days before are empty.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from callbacks.common import Viewer
from callbacks.growth import build_growth, build_trend, trend_windows
from components.ids import kpi_value_id
from data.queries.filters import Period
from tests.factories import build_small_platform
from tests.unit.test_callbacks_overview import _find_text

TODAY = datetime.now(UTC).date()
WRITER = Viewer(user_id=1, role="writer", writer_id=1, display_name="Ada")
ADMIN = Viewer(user_id=3, role="admin", writer_id=None, display_name="Admin")


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def test_growth_cards_show_wow_and_mom(platform) -> None:
    view = build_growth(platform, WRITER, None, "28d", None, None, "previous", today=TODAY)
    assert view.subtitle == f"Ada Quill · as of {TODAY:%b %-d, %Y}"
    assert view.status is None
    assert _find_text(view.cards, kpi_value_id("views_week")) == "5"
    assert _find_text(view.cards, kpi_value_id("views_month")) == "7"
    assert _find_text(view.cards, kpi_value_id("unique_readers_week")) == "4"
    assert _find_text(view.cards, kpi_value_id("follows_week")) == "1"
    assert _find_text(view.cards, kpi_value_id("revenue_week")) == "$16.98"
    assert _find_text(view.cards, kpi_value_id("revenue_month")) == "$19.98"
    text = json.dumps(view.cards.to_plotly_json(), default=lambda o: o.to_plotly_json())
    assert "+150.0%" in text  # views 5 vs 2
    assert "week over week (vs $3.00)" in text
    changes = {trace.name: trace for trace in view.changes.data}
    assert list(changes["Week over week"].x) == ["Views", "Readers", "New followers", "Revenue"]
    assert list(changes["Week over week"].y) == [1.5, 1.0, 0.0, pytest.approx(4.66)]
    assert list(changes["Week over week"].text) == ["+150.0%", "+100.0%", "new", "+466.0%"]
    assert list(changes["Month over month"].text) == ["new"] * 4
    assert (
        "5 in the last 7 days<br>vs 2 in the 7 days before"
        in changes["Week over week"].hovertext[0]
    )


def test_growth_follows_the_scope_rules(platform) -> None:
    forged = build_growth(platform, WRITER, 2, "7d", None, None, "previous", today=TODAY)
    assert _find_text(forged.cards, kpi_value_id("views_week")) == "5"
    bram = build_growth(platform, ADMIN, 2, "7d", None, None, "previous", today=TODAY)
    assert _find_text(bram.cards, kpi_value_id("views_week")) == "2"
    assert _find_text(bram.cards, kpi_value_id("revenue_week")) == "$100.00"


def test_growth_as_of_a_custom_period_end(platform) -> None:
    end = TODAY - timedelta(days=7)
    view = build_growth(
        platform,
        WRITER,
        None,
        "custom",
        (end - timedelta(days=13)).isoformat(),
        end.isoformat(),
        "previous",
        today=TODAY,
    )
    # The 7 days ending a week ago hold ten days ago's 2 views.
    assert _find_text(view.cards, kpi_value_id("views_week")) == "2"
    quiet = build_growth(
        platform, WRITER, None, "custom", "2020-01-01", "2020-01-31", "previous", today=TODAY
    )
    assert "No activity to compare" in json.dumps(
        quiet.status.to_plotly_json(), default=lambda o: o.to_plotly_json()
    )


def test_weekly_trend_of_views_and_readers(platform) -> None:
    figure = build_trend(
        platform, WRITER, None, "7d", None, None, "previous", "views", "week", today=TODAY
    )
    bars, change = figure.data
    assert figure.layout.title.text == "Views over the last 4 weeks"
    assert list(bars.x) == [f"{TODAY - timedelta(days=7 * k):%b %-d}" for k in (3, 2, 1, 0)]
    assert list(bars.y) == [0, 0, 2, 5]
    assert list(change.y) == [None, None, None, 1.5]
    readers = build_trend(
        platform, WRITER, None, "7d", None, None, "previous", "unique_readers", "week", today=TODAY
    )
    assert list(readers.data[0].y) == [0, 0, 2, 4]  # distinct readers per week, not a sum
    revenue = build_trend(
        platform, WRITER, None, "7d", None, None, "previous", "revenue", "month", today=TODAY
    )
    assert revenue.layout.title.text == "Revenue over the last 3 30-day windows"
    assert list(revenue.data[0].y) == [0, 0, pytest.approx(19.98)]
    assert revenue.layout.yaxis.tickprefix == "$"
    assert revenue.layout.yaxis2.tickformat == "+.0%"


def test_trend_windows_cover_the_period_within_bounds() -> None:
    end = date(2026, 6, 30)
    windows = trend_windows(end, 28, "week")
    assert len(windows) == 5  # 4 shown + the one their first change compares with
    assert windows[-1] == Period(date(2026, 6, 24), end)
    assert windows[0] == Period(date(2026, 5, 27), date(2026, 6, 2))
    assert len(trend_windows(end, 90, "week")) == 14
    assert len(trend_windows(end, 3000, "week")) == 27
    assert len(trend_windows(end, 90, "month")) == 4
    assert all(window.days == 30 for window in trend_windows(end, 90, "month"))
