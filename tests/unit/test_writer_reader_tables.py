"""``writer_reader_summary``, ``writer_reader_daily`` (data/progress.py, revision 0005) and
``writer_reader_first_active`` (revision 0010) on SQLite and PostgreSQL, against the
hand-built platform of tests/metrics_fixtures.py.

The stored tables always equal the direct computation from ``story_reader_summary`` and
``story_reader_daily`` (worked out here in Python): after the first build, after late and
backfilled events folded in by incremental rollups of only their own days, after days
rebuilt with fewer rows (their events gone), after a full rebuild, after the catalog
rebuild, and when the migrations fill them on upgrade. The read paths built on them
(first-read-week cohorts, the most-engaged ranking, new vs returning readers) agree with
the live computation for every writer, period and segment tried.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.migrate import alembic_config
from data.models import (
    Event,
    StoryReaderDaily,
    StoryReaderSummary,
    WriterReaderDaily,
    WriterReaderFirstActive,
    WriterReaderSummary,
)
from data.progress import (
    rebuild_story_reader_summaries,
    rebuild_writer_reader_tables,
    update_reader_progress,
)
from data.queries.audience import (
    audience_summary,
    live_cohort_counts,
    new_vs_returning,
    stored_cohort_counts,
    weekly_cohorts,
)
from data.queries.engagement import most_engaged_readers
from data.queries.filters import Period, Scope, Segment
from data.writes import insert_events, rebuild_rollups
from tests.metrics_fixtures import (
    STORY_OF_CHAPTER,
    WRITER_OF_STORY,
    at,
    build_metrics_platform,
    day,
)

W = WriterReaderSummary
WRD = WriterReaderDaily
F = WriterReaderFirstActive

#: (writer, reader) -> (first chapter open on the writer's stories, its Monday), from the
#: fixture's docstring (r3's d60 open of story 11 is later than its d3 open of story 10).
EXPECTED_FIRST = {
    (1, 1): (at(0, 1), day(0)),
    (1, 2): (at(22, 10), day(21)),
    (1, 3): (at(3, 0), day(0)),
    (1, 4): (at(0, 5), day(0)),
    (1, 5): (at(30, 0), day(28)),
    (1, 6): (at(50, 0), day(49)),
    (2, 1): (at(5, 8), day(0)),
}
#: (writer, reader) -> first active day with the writer: r5's d29 subscription comes
#: before their first open (d30); r3's and r4's d60 activity comes after their first day.
EXPECTED_FIRST_ACTIVE = {
    (1, 1): day(0),
    (1, 2): day(22),
    (1, 3): day(3),
    (1, 4): day(0),
    (1, 5): day(29),
    (1, 6): day(50),
    (2, 1): day(5),
}


@pytest.fixture
def platform(session: Session) -> Session:
    build_metrics_platform(session)
    return session


def _monday(value: date) -> date:
    return value - timedelta(days=value.weekday())


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _stored_first(session: Session) -> dict[tuple[int, int], tuple[datetime, date]]:
    session.expire_all()
    return {
        (r.writer_id, r.reader_id): (r.first_started_at, r.first_week)
        for r in session.scalars(select(W))
    }


def _direct_first(session: Session) -> dict[tuple[int, int], tuple[datetime, date]]:
    """min(first_started_at) of ``story_reader_summary`` per writer and reader."""
    first: dict[tuple[int, int], datetime] = {}
    for s in session.scalars(select(StoryReaderSummary)):
        key = (s.writer_id, s.reader_id)
        first[key] = min(first.get(key, s.first_started_at), s.first_started_at)
    return {key: (at_, _monday(at_.date())) for key, at_ in first.items()}


def _stored_daily(session: Session) -> dict[tuple[int, int, date], tuple[Any, ...]]:
    session.expire_all()
    return {
        (r.writer_id, r.reader_id, r.day): (
            r.week,
            r.first_day,
            r.first_week,
            r.chapter_views,
            r.completions,
            r.reading_seconds,
            r.revenue_minor,
        )
        for r in session.scalars(select(WRD))
    }


def _direct_daily(session: Session) -> dict[tuple[int, int, date], tuple[Any, ...]]:
    """``story_reader_daily`` summed per writer, reader and day, with the first open of
    :func:`_direct_first`."""
    sums: dict[tuple[int, int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in session.scalars(select(StoryReaderDaily)):
        if r.writer_id is None:
            continue
        row = sums[(r.writer_id, r.reader_id, r.day)]
        for i, value in enumerate(
            (r.chapter_views, r.completions, r.reading_seconds, r.revenue_minor)
        ):
            row[i] += value
    first = _direct_first(session)
    result = {}
    for (writer, reader, d), values in sums.items():
        opened = first.get((writer, reader))
        result[(writer, reader, d)] = (
            _monday(d),
            opened[0].date() if opened else None,
            opened[1] if opened else None,
            *values,
        )
    return result


def _stored_first_active(session: Session) -> dict[tuple[int, int], date]:
    session.expire_all()
    return {(r.writer_id, r.reader_id): _as_date(r.first_day) for r in session.scalars(select(F))}


def _direct_first_active(session: Session) -> dict[tuple[int, int], date]:
    """min(day) of ``story_reader_daily`` per writer and reader (rows without a writer
    left out)."""
    first: dict[tuple[int, int], date] = {}
    for r in session.scalars(select(StoryReaderDaily)):
        if r.writer_id is not None:
            key = (r.writer_id, r.reader_id)
            first[key] = min(first.get(key, r.day), r.day)
    return first


def _assert_stored_equals_direct(session: Session) -> None:
    assert _stored_first(session) == _direct_first(session)
    assert _stored_daily(session) == _direct_daily(session)
    assert _stored_first_active(session) == _direct_first_active(session)


def _direct_ranking(session: Session, writer: int, period: Period) -> list[tuple[Any, ...]]:
    """The most-engaged order and rows computed in Python from ``story_reader_daily``."""
    days: dict[int, set[date]] = defaultdict(set)
    stories: dict[int, set[int]] = defaultdict(set)
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in session.scalars(
        select(StoryReaderDaily).where(
            StoryReaderDaily.writer_id == writer,
            StoryReaderDaily.day.between(period.start, period.end),
        )
    ):
        days[r.reader_id].add(r.day)
        stories[r.reader_id].add(r.story_id)
        for i, value in enumerate(
            (r.chapter_views, r.completions, r.reading_seconds, r.revenue_minor)
        ):
            sums[r.reader_id][i] += value
    rows = [
        (reader, len(days[reader]), len(stories[reader]), *sums[reader], max(days[reader]))
        for reader in days
    ]
    return sorted(rows, key=lambda row: (-row[1], -row[5], -row[3], row[0]))


def _assert_read_paths_agree(session: Session) -> None:
    """Stored cohort counts equal the live ones, and the stored ranking equals the direct
    one, for every writer over a spread of periods (and a segment)."""
    mondays = [day(n) for n in range(-7, 70, 7)]
    segments = [None, Segment(country=("US",)), Segment(device=("unknown", "web"))]
    for writer in (1, 2, 3):
        for i, cohort_start in enumerate(mondays):
            for last_day in (cohort_start, cohort_start + timedelta(days=3), *mondays[i + 1 :]):
                for segment in segments:
                    assert stored_cohort_counts(
                        session, writer, cohort_start, last_day, segment
                    ) == live_cohort_counts(
                        session, Scope(writer), cohort_start, last_day, segment
                    ), (writer, cohort_start, last_day, segment)
        for period in (Period(day(0), day(59)), Period(day(20), day(41)), Period(day(5), day(5))):
            top = most_engaged_readers(session, Scope(writer), period, limit=1000)
            rows = [
                (*row[:-1], _as_date(row[-1]))
                for row in top[
                    [
                        "reader_id",
                        "active_days",
                        "stories",
                        "chapter_views",
                        "completions",
                        "reading_seconds",
                        "revenue",
                        "last_active",
                    ]
                ].itertuples(index=False)
            ]
            assert rows == _direct_ranking(session, writer, period), (writer, period)
    periods = [Period(day(n), day(n + 6)) for n in range(-7, 63, 3)]
    for writer in (1, 2, 3):
        for segment in segments:
            summary = audience_summary(session, Scope(writer), periods, segment=segment)
            for period, counted in zip(periods, summary, strict=True):
                assert counted.split == new_vs_returning(
                    session, Scope(writer), period, segment=segment
                ), (writer, period, segment)


def _event(kind: str, reader: int, when: datetime, n: int, **where: int) -> dict[str, Any]:
    chapter = where.get("chapter")
    story = where.get("story", STORY_OF_CHAPTER.get(chapter or 0))
    return {
        "source": "test", "message_id": f"late{n}", "event_type": kind, "event_name": kind,
        "user_id": f"r{reader}", "reader_id": reader, "writer_id": WRITER_OF_STORY[story],
        "story_id": story, "chapter_id": chapter, "occurred_at": when, "received_at": at(61),
    }  # fmt: skip


def _late_events() -> list[dict[str, Any]]:
    """Backfilled events, each on a day no other event of the fixture falls on:

    - r6 turns out to have opened story 10 chapter 1 on d10 (first open with writer 1 moves
      from d50, week d49, to d10, week d7; r6's d50 row is not rebuilt, so only the sync of
      first opens can fix it);
    - r4 opens story 20 chapter 1 on d12 (a new (writer 2, reader 4) pair);
    - r5 likes story 20 on d2 without ever opening a chapter of writer 2 (activity without
      a first open); r2 views story 10 on d1 and on d21, the Monday of their first-open week
      (activity before their first open, d22: on d21 they are not yet a member of a cohort
      that ends that day).
    """
    return [
        _event("chapter_start", 6, at(10, 9), 1, chapter=100),
        _event("chapter_start", 4, at(12, 9), 2, chapter=200),
        _event("like", 5, at(2, 9), 3, story=20),
        _event("story_view", 2, at(1, 9), 4, story=10),
        _event("story_view", 2, at(21, 9), 5, story=10),
    ]


def test_writer_tables_exact(platform: Session) -> None:
    assert _stored_first(platform) == EXPECTED_FIRST
    assert _stored_first_active(platform) == EXPECTED_FIRST_ACTIVE
    daily = _stored_daily(platform)
    assert len(daily) == len(_direct_daily(platform))
    # r1's chapter 1 day with writer 1: one open, one completion, 300 s, no revenue
    assert daily[(1, 1, day(0))] == (day(0), day(0), day(0), 1, 1, 300, 0)
    # r3 tips 500 on d3 next to reading chapter 1
    assert daily[(1, 3, day(3))] == (day(0), day(3), day(0), 1, 1, 300, 500)
    # r3 on d60: a tip (300) and a story 11 open, both writer 1; first open still d3
    assert daily[(1, 3, day(60))] == (day(56), day(3), day(0), 1, 0, 0, 300)
    _assert_stored_equals_direct(platform)
    _assert_read_paths_agree(platform)


def test_late_events_through_incremental_rollups(platform: Session) -> None:
    insert_events(platform, _late_events())
    platform.flush()
    rebuild_rollups(platform, [day(10), day(12)])  # the chapter opens' days first
    platform.commit()
    first = _stored_first(platform)
    assert first[(1, 6)] == (at(10, 9), day(7))
    assert first[(2, 4)] == (at(12, 9), day(7))
    assert _stored_daily(platform)[(1, 6, day(50))][1:3] == (day(10), day(7))
    _assert_stored_equals_direct(platform)
    assert _stored_first_active(platform)[(1, 6)] == day(10)  # moved earlier from d50
    rebuild_rollups(platform, [day(1), day(2), day(21)])  # then activity without an open
    platform.commit()
    first_active = _stored_first_active(platform)
    assert first_active[(1, 2)] == day(1)  # before their first open (d22)
    assert first_active[(2, 5)] == day(2)  # active with writer 2, never opened a chapter
    daily = _stored_daily(platform)
    assert daily[(2, 5, day(2))][1:3] == (None, None)
    assert daily[(1, 2, day(1))][1:3] == (day(22), day(21))
    assert daily[(1, 2, day(21))][1:3] == (day(22), day(21))
    _assert_stored_equals_direct(platform)
    _assert_read_paths_agree(platform)
    grid = weekly_cohorts(platform, Scope(1), Period(day(0), day(55)))
    sizes = dict(zip(grid["cohort_week"], grid["readers"], strict=False))
    assert sizes[day(7)] == 1  # r6 moved to the d7 cohort
    assert day(49) not in sizes
    incremental = (_stored_first(platform), _stored_daily(platform))
    rebuild_rollups(platform)  # a full rebuild agrees with the incremental one
    platform.commit()
    assert (_stored_first(platform), _stored_daily(platform)) == incremental


def test_days_rebuilt_with_fewer_rows(platform: Session) -> None:
    """A day rebuilt after its events went away: a first active day on it moves to the
    pair's next active day, or the pair's row goes when it has none left; pairs active
    only on other days keep theirs."""
    insert_events(platform, _late_events())
    platform.flush()
    rebuild_rollups(platform, [day(1), day(2), day(10), day(12), day(21)])
    platform.commit()
    before = _stored_first_active(platform)
    assert (before[(1, 2)], before[(2, 5)], before[(1, 6)]) == (day(1), day(2), day(10))
    gone = ("late3", "late4", "late1")  # r5's d2 like, r2's d1 view, r6's d10 open
    platform.execute(delete(Event).where(Event.message_id.in_(gone)))
    rebuild_rollups(platform, [day(1), day(2)])
    platform.commit()
    after = _stored_first_active(platform)
    assert after[(1, 2)] == day(21)  # their d21 view is next
    assert (2, 5) not in after  # no activity with writer 2 left
    assert after[(1, 6)] == day(10)  # d10 not rebuilt yet: the rollups still have it
    _assert_stored_equals_direct(platform)
    rebuild_rollups(platform, [day(10)])
    platform.commit()
    assert _stored_first_active(platform)[(1, 6)] == day(50)
    _assert_stored_equals_direct(platform)
    _assert_read_paths_agree(platform)
    rebuilt = (_stored_first(platform), _stored_daily(platform), _stored_first_active(platform))
    rebuild_rollups(platform)  # a full rebuild agrees with the incremental ones
    platform.commit()
    assert (
        _stored_first(platform),
        _stored_daily(platform),
        _stored_first_active(platform),
    ) == rebuilt


def test_maintenance_is_idempotent_and_order_independent(platform: Session) -> None:
    built = (_stored_first(platform), _stored_daily(platform), _stored_first_active(platform))
    update_reader_progress(platform, [day(50), day(3)])
    update_reader_progress(platform)
    update_reader_progress(platform, [])
    rebuild_rollups(platform, [day(22), day(0)])
    rebuild_story_reader_summaries(platform, [10])
    rebuild_story_reader_summaries(platform)
    rebuild_writer_reader_tables(platform)
    platform.commit()
    assert (
        _stored_first(platform),
        _stored_daily(platform),
        _stored_first_active(platform),
    ) == built
    _assert_stored_equals_direct(platform)


def test_catalog_rebuild_repairs_first_opens(platform: Session) -> None:
    # a stale first open (as if written by an older fold) is put right for the story's pairs
    platform.execute(WRD.__table__.update().values(first_day=day(1), first_week=day(0)))
    platform.execute(W.__table__.delete())
    platform.flush()
    rebuild_story_reader_summaries(platform, [10, 20])
    platform.commit()
    _assert_stored_equals_direct(platform)


def test_upgrade_fills_the_tables(platform: Session, db_url: str) -> None:
    insert_events(platform, _late_events())
    platform.flush()
    rebuild_rollups(platform)
    platform.commit()
    maintained = (
        _stored_first(platform),
        _stored_daily(platform),
        _stored_first_active(platform),
    )
    assert maintained[2][(1, 2)] == day(1)
    config = alembic_config(db_url)
    for revision in ("0009", "0004"):  # the first-active fill alone, then all three
        platform.close()  # no open transaction may hold the tables (PostgreSQL)
        platform.get_bind().dispose()
        command.downgrade(config, revision)
        command.upgrade(config, "head")
        assert (
            _stored_first(platform),
            _stored_daily(platform),
            _stored_first_active(platform),
        ) == maintained, revision
