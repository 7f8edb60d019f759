"""Overview KPIs and daily series against hand-built data, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from data.queries.filters import FilterError, Period, Scope
from data.queries.overview import (
    daily_series,
    overview_kpis,
    period_totals,
    writer_choices,
    writer_leaderboard,
)
from tests.factories import EXPECTED_WRITER_1, EXPECTED_WRITER_2_REVENUE, build_small_platform

TODAY = datetime.now(UTC).date()
LAST_7 = Period.last_days(7, TODAY)


@pytest.fixture
def platform(session):
    build_small_platform(session, TODAY)
    return session


def test_writer_kpis_match_known_answers(platform) -> None:
    kpis = {kpi.key: kpi for kpi in overview_kpis(platform, Scope(writer_id=1), LAST_7)}
    assert set(kpis) == set(EXPECTED_WRITER_1)
    for key, (current, previous) in EXPECTED_WRITER_1.items():
        assert kpis[key].value == pytest.approx(current), key
        assert kpis[key].previous == pytest.approx(previous), key
    assert kpis["views"].change == pytest.approx((5 - 2) / 2)
    assert kpis["follows"].change is None  # previous period was zero


def test_kpis_match_a_direct_count_of_raw_events(platform) -> None:
    totals = period_totals(platform, Scope(writer_id=1), LAST_7)
    start = datetime.combine(LAST_7.start, datetime.min.time())
    end = datetime.combine(LAST_7.end + timedelta(days=1), datetime.min.time())
    params = {"start": start, "end": end}
    views = platform.execute(
        text(
            "SELECT count(*) FROM events WHERE writer_id = 1 AND event_type = 'chapter_start' "
            "AND occurred_at >= :start AND occurred_at < :end"
        ),
        params,
    ).scalar()
    revenue = platform.execute(
        text(
            "SELECT sum(revenue_minor) FROM events WHERE writer_id = 1 "
            "AND occurred_at >= :start AND occurred_at < :end"
        ),
        params,
    ).scalar()
    readers = platform.execute(
        text(
            "SELECT count(DISTINCT reader_id) FROM events WHERE writer_id = 1 "
            "AND occurred_at >= :start AND occurred_at < :end"
        ),
        params,
    ).scalar()
    assert totals["views"] == views
    assert totals["revenue"] == revenue
    assert totals["unique_readers"] == readers


def test_writer_scope_excludes_other_writers(platform) -> None:
    writer_2 = period_totals(platform, Scope(writer_id=2), LAST_7)
    assert writer_2["revenue"] == EXPECTED_WRITER_2_REVENUE
    assert writer_2["views"] == 2
    platform_totals = period_totals(platform, Scope(), LAST_7)
    assert platform_totals["revenue"] == EXPECTED_WRITER_1["revenue"][0] + EXPECTED_WRITER_2_REVENUE
    assert platform_totals["unique_readers"] == 4  # readers are counted once platform-wide


def test_daily_series_fills_every_day(platform) -> None:
    frame = daily_series(platform, Scope(writer_id=1), LAST_7)
    assert list(frame.index) == LAST_7.day_list()
    yesterday = TODAY - timedelta(days=1)
    assert frame.loc[yesterday, "views"] == 3
    assert frame.loc[yesterday, "completion_rate"] == pytest.approx(2 / 3)
    assert frame.loc[yesterday, "revenue"] == 999
    assert frame.loc[TODAY, "views"] == 0
    assert frame["views"].sum() == EXPECTED_WRITER_1["views"][0]


def test_empty_scope_and_future_period_are_zero_not_errors(platform) -> None:
    future = Period(TODAY + timedelta(days=10), TODAY + timedelta(days=16))
    kpis = overview_kpis(platform, Scope(writer_id=1), future)
    assert all(kpi.value == 0 for kpi in kpis)
    unknown_writer = period_totals(platform, Scope(writer_id=999), LAST_7)
    assert all(value == 0 for value in unknown_writer.values())
    assert daily_series(platform, Scope(writer_id=999), LAST_7)["views"].sum() == 0


def test_writer_choices_and_leaderboard(platform) -> None:
    assert writer_choices(platform) == [(1, "Ada Quill"), (2, "Bram Stoker-Lite")]
    board = writer_leaderboard(platform, LAST_7)
    assert list(board["writer_id"]) == [2, 1]  # by revenue
    ada = board.set_index("writer_id").loc[1]
    assert ada["stories"] == 2
    assert ada["views"] == 5
    assert ada["unique_readers"] == 4


def test_period_validation() -> None:
    with pytest.raises(FilterError, match="after end"):
        Period(TODAY, TODAY - timedelta(days=1))
    with pytest.raises(FilterError, match="at most"):
        Period(TODAY - timedelta(days=5000), TODAY)
    assert LAST_7.previous() == Period(TODAY - timedelta(days=13), TODAY - timedelta(days=7))
    assert LAST_7.days == 7
