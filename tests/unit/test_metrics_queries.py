"""The metrics engine's queries against tests/metrics_fixtures.py, on SQLite and PostgreSQL.

Every expected number is worked out by hand in the fixture's docstring.
"""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from data.models import ReaderChapterProgress
from data.progress import update_reader_progress
from data.queries.annotations import experiment_annotations, release_annotations, release_history
from data.queries.audience import audience_breakdown, new_vs_returning, weekly_cohorts
from data.queries.content import chapter_performance, revenue_summary, story_performance
from data.queries.engagement import (
    activity_histogram,
    most_engaged_readers,
    reader_activity,
    reader_engagement,
)
from data.queries.export import export_table
from data.queries.filters import FilterError, Period, Scope
from data.queries.growth import growth_totals
from data.queries.rankings import comparison_frames, rank_stories
from data.queries.realtime import realtime_snapshot
from data.queries.retention import (
    chapter_retention,
    entry_chapter_cohorts,
    hook_rates,
    paywall_conversion,
    reader_type_mix,
    retention_by_reader_type,
    story_revenue_per_reader,
)
from tests.metrics_fixtures import ALL_DAYS, NOW, at, build_metrics_platform, day

ADA, BRAM, CLEO, PLATFORM = Scope(1), Scope(2), Scope(3), Scope()


@pytest.fixture
def platform(session):
    build_metrics_platform(session)
    return session


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    return [tuple(row) for row in frame[columns].itertuples(index=False)]


# --------------------------------------------------------------------------- progress table


def test_progress_rows_hold_the_first_times(platform) -> None:
    p = ReaderChapterProgress
    assert (
        platform.scalar(select(func.count()).select_from(p)) == 17
    )  # 15 on story 10, 1 on 11, 1 on 20
    row = platform.get(p, (10, 1, 4))
    assert (row.chapter_id, row.writer_id) == (103, 1)
    assert row.first_started_at == at(21, 3)
    assert row.first_completed_at == at(21, 3, 20)
    assert row.unlocked_at == at(21, 2, 59)
    r4 = platform.get(p, (10, 4, 1))  # opened again "today": the first open stays
    assert r4.first_started_at == at(0, 5)
    assert r4.first_completed_at is None


def test_progress_update_is_idempotent_and_order_independent(platform) -> None:
    p = ReaderChapterProgress
    before = platform.execute(select(p).order_by(p.story_id, p.reader_id, p.chapter_number))
    before = [(r.story_id, r.reader_id, r.chapter_number, r.first_started_at,
               r.first_completed_at, r.unlocked_at) for r in before.scalars()]  # fmt: skip
    update_reader_progress(platform, [day(60), day(22)])
    update_reader_progress(platform)
    update_reader_progress(platform, [])
    platform.expire_all()
    after = platform.execute(select(p).order_by(p.story_id, p.reader_id, p.chapter_number))
    after = [(r.story_id, r.reader_id, r.chapter_number, r.first_started_at,
              r.first_completed_at, r.unlocked_at) for r in after.scalars()]  # fmt: skip
    assert after == before


# --------------------------------------------------------------------------- content


def test_story_performance_exact(platform) -> None:
    stories = story_performance(platform, ADA, ALL_DAYS).set_index("story_id")
    assert list(stories.index) == [10, 11]
    s = stories.loc[10]
    assert (s.views, s.completions, s.reading_seconds, s.unique_readers) == (15, 12, 4500, 6)
    assert (s.likes, s.comments, s.shares, s.follows) == (2, 1, 1, 1)
    assert (s.unlocks, s.tips, s.subscriptions) == (3, 1, 1)
    assert (s.revenue_unlock, s.revenue_tip, s.revenue_subscription, s.revenue) == (
        300, 500, 999, 1799,
    )  # fmt: skip
    assert s.completion_rate == pytest.approx(0.8)
    assert s.revenue_per_reader == pytest.approx(1799 / 6)
    assert s.chapters == 4
    empty = stories.loc[11]
    assert (empty.views, empty.unique_readers, empty.completion_rate) == (0, 0, 0.0)


def test_story_performance_scope_and_filters(platform) -> None:
    assert story_performance(platform, ADA, ALL_DAYS, story_ids=[20]).empty
    assert list(story_performance(platform, PLATFORM, ALL_DAYS)["story_id"]) == [10, 11, 20]
    assert list(story_performance(platform, PLATFORM, ALL_DAYS, genre="fantasy")["story_id"]) == [
        10, 20,
    ]  # fmt: skip
    assert story_performance(platform, CLEO, ALL_DAYS).empty


def test_chapter_performance_exact(platform) -> None:
    chapters = chapter_performance(platform, ADA, 10, ALL_DAYS)
    assert _rows(chapters, ["number", "views", "completions", "new_readers", "unlocks"]) == [
        (1, 5, 4, 5, 0), (2, 5, 3, 5, 0), (3, 3, 3, 3, 2), (4, 2, 2, 2, 1),
    ]  # fmt: skip
    assert list(chapters["revenue_unlock"]) == [0, 0, 200, 100]
    assert list(chapters["is_paid"]) == [False, False, True, True]
    assert list(chapters["likes"]) == [1, 1, 0, 0]
    assert chapter_performance(platform, BRAM, 10, ALL_DAYS).empty  # another writer's story
    one = chapter_performance(platform, ADA, 11, ALL_DAYS)
    assert _rows(one, ["number", "views", "new_readers"]) == [(1, 0, 0)]


def test_revenue_summary_exact(platform) -> None:
    summary = revenue_summary(platform, ADA, ALL_DAYS)
    assert (summary.total, summary.unlocks, summary.tips, summary.subscriptions) == (
        1799, 300, 500, 999,
    )  # fmt: skip
    assert (summary.unique_readers, summary.paying_readers) == (6, 4)  # r1, r2, r3, r5
    assert summary.revenue_per_reader == pytest.approx(1799 / 6)
    assert summary.revenue_per_paying_reader == pytest.approx(1799 / 4)
    assert len(summary.by_day) == 60
    assert summary.by_day.set_index("day").loc[day(29), "subscriptions"] == 999
    assert _rows(summary.by_story, ["story_id", "total"]) == [(10, 1799)]
    empty = revenue_summary(platform, CLEO, ALL_DAYS)
    assert (empty.total, empty.revenue_per_reader, len(empty.by_story)) == (0, 0.0, 0)


# --------------------------------------------------------------------------- retention


def test_chapter_retention_exact(platform) -> None:
    curve = chapter_retention(platform, ADA, 10)
    assert _rows(curve, ["chapter_number", "readers", "reached"]) == [
        (1, 5, 5), (2, 5, 4), (3, 3, 3), (4, 2, 2),
    ]  # fmt: skip
    assert list(curve["retention"]) == pytest.approx([1.0, 0.8, 0.6, 0.4])
    assert pd.isna(curve["loss"].iloc[0])
    assert list(curve["loss"].iloc[1:]) == pytest.approx([0.2, 0.25, 1 / 3])
    cohort = chapter_retention(platform, ADA, 10, Period(day(0), day(6)))  # r1, r3, r4
    assert list(cohort["reached"]) == [3, 2, 1, 1]


def test_reader_types_exact(platform) -> None:
    mix = reader_type_mix(platform, ADA, 10)
    assert _rows(mix, ["reader_type", "readers"]) == [
        ("release_day", 2), ("binge", 1), ("catch_up", 3),
    ]  # fmt: skip
    assert list(mix["share"]) == pytest.approx([2 / 6, 1 / 6, 3 / 6])
    by_type = retention_by_reader_type(platform, ADA, 10).set_index(
        ["reader_type", "chapter_number"]
    )
    assert [by_type.loc[("release_day", n), "reached"] for n in (1, 2, 3, 4)] == [2, 1, 1, 1]
    assert [by_type.loc[("binge", n), "reached"] for n in (1, 2, 3, 4)] == [1, 1, 1, 0]
    assert [by_type.loc[("catch_up", n), "reached"] for n in (1, 2, 3, 4)] == [2, 2, 1, 1]
    assert by_type.loc[("catch_up", 3), "retention"] == pytest.approx(0.5)


def test_hook_rates_exact(platform) -> None:
    hooks = hook_rates(platform, ADA, 10)
    assert _rows(hooks, ["chapter_number", "completers", "next_24h", "next_7d"]) == [
        (1, 4, 3, 4), (2, 3, 3, 3), (3, 3, 1, 1),
    ]  # fmt: skip
    assert list(hooks["rate_24h"]) == pytest.approx([0.75, 1.0, 1 / 3])
    assert list(hooks["rate_7d"]) == pytest.approx([1.0, 1.0, 1 / 3])
    in_period = hook_rates(platform, ADA, 10, Period(day(22), day(59)))  # r2 and r5 only
    assert _rows(in_period, ["completers", "next_24h", "next_7d"]) == [
        (2, 2, 2), (2, 2, 2), (2, 0, 0),
    ]  # fmt: skip
    assert hook_rates(platform, ADA, 11).empty  # a one-chapter story has no next chapter


def test_paywall_conversion_exact(platform) -> None:
    paywall = paywall_conversion(platform, ADA, 10)
    assert _rows(
        paywall,
        ["chapter_number", "price_minor", "reached", "unlocked", "read_without_unlock",
         "unlock_revenue"],
    ) == [(3, 100, 3, 2, 1, 200), (4, 100, 3, 1, 1, 100)]  # fmt: skip
    assert list(paywall["conversion"]) == pytest.approx([2 / 3, 1 / 3])
    assert paywall_conversion(platform, ADA, 11).empty  # no paid chapters
    assert story_revenue_per_reader(platform, ADA, 10, ALL_DAYS) == pytest.approx(1799 / 6)


def test_entry_chapter_cohorts_exact(platform) -> None:
    grid = entry_chapter_cohorts(platform, ADA, 10)
    assert _rows(grid, ["entry_chapter", "readers", "offset", "reached"]) == [
        (1, 5, 0, 5), (1, 5, 1, 4), (1, 5, 2, 3), (1, 5, 3, 2),
        (2, 1, 0, 1), (2, 1, 1, 0), (2, 1, 2, 0),
    ]  # fmt: skip


def test_retention_queries_refuse_other_writers_stories(platform) -> None:
    for query in (chapter_retention, reader_type_mix, retention_by_reader_type, hook_rates,
                  paywall_conversion, entry_chapter_cohorts):  # fmt: skip
        assert query(platform, BRAM, 10).empty, query.__name__
        assert query(platform, ADA, 20).empty, query.__name__
        assert query(platform, ADA, 999).empty, query.__name__
    assert story_revenue_per_reader(platform, BRAM, 10, ALL_DAYS) == 0.0
    assert not chapter_retention(platform, PLATFORM, 20).empty


def test_one_chapter_story(platform) -> None:
    curve = chapter_retention(platform, ADA, 11)
    assert _rows(curve, ["chapter_number", "readers", "reached", "retention"]) == [(1, 1, 1, 1.0)]
    assert pd.isna(curve["loss"].iloc[0])


# --------------------------------------------------------------------------- audience


def test_audience_breakdown_exact(platform) -> None:
    countries = audience_breakdown(platform, ADA, ALL_DAYS, "country")
    assert _rows(countries, ["value", "readers"]) == [
        ("US", 3), ("DE", 1), ("GB", 1), ("unknown", 1),
    ]  # fmt: skip
    assert countries["share"].sum() == pytest.approx(1.0)
    devices = audience_breakdown(platform, ADA, ALL_DAYS, "device")
    assert _rows(devices, ["value", "readers"]) == [
        ("ios", 3), ("android", 1), ("unknown", 1), ("web", 1),
    ]  # fmt: skip
    assert audience_breakdown(platform, CLEO, ALL_DAYS, "age_band").empty
    with pytest.raises(FilterError, match="dimension"):
        audience_breakdown(platform, ADA, ALL_DAYS, "shoe_size")


def test_new_vs_returning_exact(platform) -> None:
    split = new_vs_returning(platform, ADA, Period(day(31), day(50)))
    assert (split.new, split.returning, split.total) == (1, 1, 2)  # r6 new, r5 returning
    assert new_vs_returning(platform, ADA, ALL_DAYS).returning == 0
    assert new_vs_returning(platform, CLEO, ALL_DAYS).total == 0


def test_weekly_cohorts_exact(platform) -> None:
    grid = weekly_cohorts(platform, ADA, Period(day(0), day(55)), weeks=8)
    cohorts = {
        (row.cohort_week, row.week_offset): (row.readers, row.active)
        for row in grid.itertuples(index=False)
    }
    assert [cohorts[(day(0), n)] for n in range(8)] == [
        (3, 3), (3, 2), (3, 1), (3, 1), (3, 0), (3, 0), (3, 0), (3, 0),
    ]  # fmt: skip
    assert [cohorts[(day(21), n)][1] for n in range(5)] == [1, 0, 0, 0, 0]
    assert [cohorts[(day(28), n)][1] for n in range(4)] == [1, 1, 0, 0]
    assert cohorts[(day(49), 0)] == (1, 1)
    assert len(grid) == 8 + 5 + 4 + 1


# --------------------------------------------------------------------------- engagement


def test_reader_engagement_exact(platform) -> None:
    readers = reader_engagement(platform, ADA, ALL_DAYS).set_index("reader_id")
    assert list(readers.index) == [1, 2, 3, 4, 5, 6]
    assert list(readers["active_days"]) == [4, 1, 2, 1, 5, 1]
    assert list(readers["reading_seconds"]) == [1200, 900, 600, 300, 1200, 300]
    assert list(readers["revenue"]) == [200, 100, 500, 0, 999, 0]
    assert readers.loc[5, "last_active"] == day(40)
    top = most_engaged_readers(platform, ADA, ALL_DAYS, limit=6)
    assert list(top["reader_id"]) == [5, 1, 3, 2, 4, 6]
    assert pd.isna(top["country"].iloc[-1])  # reader 6 has no traits
    histogram = activity_histogram(platform, ADA, ALL_DAYS)
    assert _rows(histogram, ["active_days", "readers"]) == [(1, 3), (2, 1), (4, 1), (5, 1)]
    with pytest.raises(FilterError, match="limit"):
        most_engaged_readers(platform, ADA, ALL_DAYS, limit=0)


def test_reader_activity_is_scoped(platform) -> None:
    activity = reader_activity(platform, ADA, 1, ALL_DAYS)
    assert (activity.active_days, activity.chapter_views, activity.revenue) == (4, 4, 200)
    assert list(activity.stories["story_id"]) == [10]
    bram = reader_activity(platform, BRAM, 1, ALL_DAYS)
    assert (bram.chapter_views, bram.revenue) == (1, 10_000)
    assert reader_activity(platform, BRAM, 5, ALL_DAYS) is None  # never read Bram
    assert reader_activity(platform, ADA, 999, ALL_DAYS) is None


# --------------------------------------------------------------------------- growth, rankings


def test_growth_totals_exact(platform) -> None:
    growth = growth_totals(platform, ADA, day(35)).set_index("metric")
    assert tuple(growth.loc["views"]) == (3, 3, 10, 3)
    assert tuple(growth.loc["unique_readers"]) == (1, 1, 4, 3)
    assert tuple(growth.loc["revenue"]) == (999, 100, 1299, 500)
    assert tuple(growth.loc["follows"]) == (0, 0, 1, 0)
    assert growth_totals(platform, CLEO, day(35))["week"].sum() == 0


def test_rank_stories(platform) -> None:
    ranked = rank_stories(platform, PLATFORM, ALL_DAYS, "revenue")
    assert _rows(ranked, ["rank", "story_id", "revenue"]) == [
        (1, 20, 10_000), (2, 10, 1799), (3, 11, 0),
    ]  # fmt: skip
    ascending = rank_stories(platform, ADA, ALL_DAYS, "views", descending=False, limit=1)
    assert _rows(ascending, ["rank", "story_id"]) == [(1, 11)]
    assert rank_stories(platform, CLEO, ALL_DAYS).empty
    with pytest.raises(FilterError, match="metric"):
        rank_stories(platform, ADA, ALL_DAYS, "title")


def test_comparison_frames(platform) -> None:
    frames = comparison_frames(platform, ADA, 10, ALL_DAYS)
    assert frames.story["revenue"] == 1799
    assert list(frames.writer_stories["story_id"]) == [10, 11]
    assert list(frames.genre_stories["story_id"]) == [10, 20]
    assert comparison_frames(platform, BRAM, 10, ALL_DAYS) is None
    # one performance frame for both sets gives each set's own numbers
    pd.testing.assert_frame_equal(frames.writer_stories, story_performance(platform, ADA, ALL_DAYS))
    pd.testing.assert_frame_equal(
        frames.genre_stories, story_performance(platform, Scope(), ALL_DAYS, genre="fantasy")
    )


# --------------------------------------------------------------------------- annotations


def test_annotations(platform) -> None:
    releases = release_annotations(platform, ADA, ALL_DAYS)
    assert _rows(releases, ["story_id", "chapter_id"]) == [
        (10, 100), (11, 110), (10, 101), (10, 102), (10, 103),
    ]  # fmt: skip
    assert releases["label"].iloc[0] == "Glass Orchard · Ch. 1"
    assert release_annotations(platform, ADA, Period(day(1), day(6))).empty
    assert release_history(platform, ADA, 10) == {10: [at(0), at(7), at(14), at(21)]}
    assert release_history(platform, BRAM, 10) == {}
    experiments = experiment_annotations(platform, PLATFORM, ALL_DAYS)
    assert _rows(experiments, ["at", "kind"]) == [
        (at(10), "experiment_start"), (at(40), "experiment_stop"),
    ]  # fmt: skip
    assert experiment_annotations(platform, ADA, ALL_DAYS).empty


# --------------------------------------------------------------------------- real-time


def test_realtime_snapshot_exact(platform) -> None:
    snap = realtime_snapshot(platform, NOW)
    assert (snap.active_readers, snap.reading_now) == (2, 1)
    assert (snap.revenue_today, snap.signups_today) == (300, 1)
    assert _rows(snap.top_stories, ["story_id", "views", "readers"]) == [(10, 1, 1), (11, 1, 1)]
    assert len(snap.per_minute) == 60
    assert snap.per_minute["events"].sum() == 5
    minute = snap.per_minute.set_index("minute")
    assert minute.loc[at(60, 11, 58), "events"] == 1
    assert minute.loc[at(60, 11, 40), "views"] == 1
    quiet = realtime_snapshot(platform, NOW + timedelta(days=30))
    assert (quiet.active_readers, quiet.revenue_today, len(quiet.top_stories)) == (0, 0, 0)
    assert quiet.per_minute["events"].sum() == 0


# --------------------------------------------------------------------------- edge cases


@pytest.mark.parametrize(
    "period",
    [Period(day(300), day(330)), Period(day(-100), day(-90))],
    ids=["future", "before-any-data"],
)
def test_empty_ranges_give_well_formed_results(platform, period) -> None:
    stories = story_performance(platform, ADA, period)
    assert list(stories["views"]) == [0, 0]
    assert chapter_performance(platform, ADA, 10, period)["views"].sum() == 0
    assert revenue_summary(platform, ADA, period).total == 0
    assert audience_breakdown(platform, ADA, period, "country").empty
    assert new_vs_returning(platform, ADA, period).total == 0
    assert weekly_cohorts(platform, ADA, period)["active"].sum() == 0
    assert reader_engagement(platform, ADA, period).empty
    assert most_engaged_readers(platform, ADA, period).empty
    assert rank_stories(platform, ADA, period)["views"].sum() == 0
    for table in ("daily", "stories", "revenue"):
        assert len(export_table(platform, ADA, period, table)) >= 2
    assert hook_rates(platform, ADA, 10, period)["completers"].sum() == 0
    assert chapter_retention(platform, ADA, 10, period)["reached"].sum() == 0


def test_new_writer_without_data(platform) -> None:
    assert story_performance(platform, CLEO, ALL_DAYS).empty
    assert revenue_summary(platform, CLEO, ALL_DAYS).by_day["total"].sum() == 0
    assert reader_engagement(platform, CLEO, ALL_DAYS).empty
    assert weekly_cohorts(platform, CLEO, ALL_DAYS).empty
    assert release_annotations(platform, CLEO, ALL_DAYS).empty
    assert list(growth_totals(platform, CLEO, day(10))["month"]) == [0, 0, 0, 0]
    with pytest.raises(FilterError, match="table"):
        export_table(platform, CLEO, ALL_DAYS, "secrets")
