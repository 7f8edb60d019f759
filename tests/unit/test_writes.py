"""data.writes: event insert-or-ignore and the daily rollups, with exact hand-built numbers.

Every database test runs on SQLite and PostgreSQL (the shared ``session`` fixture).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.models import (
    COUNTER_COLUMNS,
    ChapterDaily,
    Event,
    JobState,
    StoryDaily,
    StoryReaderDaily,
    WriterDaily,
)
from data.sql import utc_day
from data.writes import (
    ROLLUP_WATERMARK,
    affected_days_since,
    get_rollup_watermark,
    insert_events,
    rebuild_rollups,
    rollup_new_events,
)

D1 = date(2026, 3, 2)
D2 = date(2026, 3, 3)


def at(day: date, hour: int = 9, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, micro)


def event(
    message_id: str,
    event_type: str,
    when: datetime,
    *,
    reader: int | None = None,
    writer: int | None = None,
    story: int | None = None,
    chapter: int | None = None,
    read_seconds: int | None = None,
    revenue: int | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    return {
        "source": "app",
        "message_id": message_id,
        "event_type": event_type,
        "event_name": event_type,
        "reader_id": reader,
        "writer_id": writer,
        "story_id": story,
        "chapter_id": chapter,
        "occurred_at": when,
        "received_at": when + timedelta(seconds=5),
        "read_seconds": read_seconds,
        "revenue_minor": revenue,
        "currency": currency,
    }


# Writer 1: story 10 (chapters 100, 101) and story 11 (chapter 110). Writer 2: story 20.
EVENTS = [
    event("e01", "story_view", at(D1, 9), reader=1, writer=1, story=10),
    event("e02", "chapter_start", at(D1, 9, 1), reader=1, writer=1, story=10, chapter=100),
    event("e03", "chapter_progress", at(D1, 9, 6), reader=1, writer=1, story=10, chapter=100, read_seconds=300),
    event("e04", "chapter_progress", at(D1, 9, 8), reader=1, writer=1, story=10, chapter=100, read_seconds=120),
    event("e05", "chapter_complete", at(D1, 9, 8), reader=1, writer=1, story=10, chapter=100),
    event("e06", "like", at(D1, 9, 9), reader=1, writer=1, story=10, chapter=100),
    event("e07", "chapter_unlock", at(D1, 9, 10), reader=1, writer=1, story=10, chapter=101, revenue=50, currency="USD"),
    event("e08", "chapter_start", at(D1, 9, 10), reader=1, writer=1, story=10, chapter=101),
    # The last microsecond of D1 belongs to D1.
    event("e09", "chapter_start", at(D1, 23, 59, 59, 999_999), reader=2, writer=1, story=10, chapter=100),
    # A tip in another currency counts as a tip but not as revenue; NULL currency counts.
    event("e10", "tip", at(D1, 12), reader=2, writer=1, story=10, chapter=100, revenue=500, currency="EUR"),
    event("e11", "tip", at(D1, 12, 5), reader=2, writer=1, story=10, chapter=100, revenue=200),
    event("e12", "subscribe", at(D1, 13), reader=3, writer=1, story=11, revenue=499, currency="USD"),
    event("e13", "follow", at(D1, 13, 1), reader=3, writer=1, story=11),
    event("e14", "comment", at(D1, 13, 2), reader=3, writer=1, story=11, chapter=110),
    event("e15", "share", at(D1, 13, 3), reader=3, writer=1, story=11, chapter=110),
    event("e16", "chapter_start", at(D1, 14), reader=4, writer=2, story=20, chapter=200),
    # No story or writer: counted nowhere in these rollups.
    event("e17", "page_view", at(D1, 8), reader=1),
    event("e18", "login", at(D1, 8), reader=1),
    # An anonymous story view: a story view, but not a reader.
    event("e19", "story_view", at(D1, 15), writer=1, story=10),
    # A writer-level follow without a story: only in writer_daily.
    event("e20", "follow", at(D1, 16), reader=5, writer=1),
    # D2 starts at midnight exactly.
    event("e21", "chapter_start", at(D2, 0), reader=1, writer=1, story=10, chapter=100),
    event("e22", "chapter_progress", at(D2, 0, 4), reader=1, writer=1, story=10, chapter=100, read_seconds=60),
]  # fmt: skip

ZERO = dict.fromkeys(COUNTER_COLUMNS, 0)


def counters(**values: int) -> dict[str, int]:
    return {**ZERO, **values}


EXPECTED_WRITER = {
    (1, D1): counters(
        story_views=2,
        chapter_views=3,
        unique_readers=4,
        reading_seconds=420,
        completions=1,
        likes=1,
        comments=1,
        shares=1,
        follows=2,
        unlocks=1,
        tips=2,
        subscriptions=1,
        revenue_unlock_minor=50,
        revenue_tip_minor=200,
        revenue_subscription_minor=499,
    ),
    (2, D1): counters(chapter_views=1, unique_readers=1),
    (1, D2): counters(chapter_views=1, unique_readers=1, reading_seconds=60),
}
EXPECTED_STORY = {
    (10, D1): (
        1,
        counters(
            story_views=2,
            chapter_views=3,
            unique_readers=2,
            reading_seconds=420,
            completions=1,
            likes=1,
            unlocks=1,
            tips=2,
            revenue_unlock_minor=50,
            revenue_tip_minor=200,
        ),
    ),
    (11, D1): (
        1,
        counters(
            unique_readers=1,
            comments=1,
            shares=1,
            follows=1,
            subscriptions=1,
            revenue_subscription_minor=499,
        ),
    ),
    (20, D1): (2, counters(chapter_views=1, unique_readers=1)),
    (10, D2): (1, counters(chapter_views=1, unique_readers=1, reading_seconds=60)),
}
EXPECTED_CHAPTER = {
    (100, D1): (
        10,
        1,
        counters(
            chapter_views=2,
            unique_readers=2,
            reading_seconds=420,
            completions=1,
            likes=1,
            tips=2,
            revenue_tip_minor=200,
        ),
    ),
    (101, D1): (
        10,
        1,
        counters(chapter_views=1, unique_readers=1, unlocks=1, revenue_unlock_minor=50),
    ),
    (110, D1): (11, 1, counters(unique_readers=1, comments=1, shares=1)),
    (200, D1): (20, 2, counters(chapter_views=1, unique_readers=1)),
    (100, D2): (10, 1, counters(chapter_views=1, unique_readers=1, reading_seconds=60)),
}
# (story, day, reader) -> (writer, events, chapter_views, completions, reading_seconds, revenue)
EXPECTED_STORY_READER = {
    (10, D1, 1): (1, 8, 2, 1, 420, 50),
    (10, D1, 2): (1, 3, 1, 0, 0, 200),
    (11, D1, 3): (1, 4, 0, 0, 0, 499),
    (20, D1, 4): (2, 1, 1, 0, 0, 0),
    (10, D2, 1): (1, 2, 1, 0, 60, 0),
}
EXPECTED_ROWS = (
    len(EXPECTED_WRITER) + len(EXPECTED_STORY) + len(EXPECTED_CHAPTER) + len(EXPECTED_STORY_READER)
)


def writer_rows(session: Session) -> dict[tuple[int, date], dict[str, int]]:
    return {
        (row.writer_id, row.day): {name: getattr(row, name) for name in COUNTER_COLUMNS}
        for row in session.execute(select(WriterDaily)).scalars()
    }


def story_rows(session: Session) -> dict[tuple[int, date], tuple[int | None, dict[str, int]]]:
    return {
        (row.story_id, row.day): (
            row.writer_id,
            {name: getattr(row, name) for name in COUNTER_COLUMNS},
        )
        for row in session.execute(select(StoryDaily)).scalars()
    }


def chapter_rows(session: Session) -> dict[tuple[int, date], tuple[Any, ...]]:
    return {
        (row.chapter_id, row.day): (
            row.story_id,
            row.writer_id,
            {name: getattr(row, name) for name in COUNTER_COLUMNS},
        )
        for row in session.execute(select(ChapterDaily)).scalars()
    }


def story_reader_rows(session: Session) -> dict[tuple[int, date, int], tuple[int | None, ...]]:
    return {
        (row.story_id, row.day, row.reader_id): (
            row.writer_id,
            row.events,
            row.chapter_views,
            row.completions,
            row.reading_seconds,
            row.revenue_minor,
        )
        for row in session.execute(select(StoryReaderDaily)).scalars()
    }


def snapshot(session: Session) -> tuple[Any, ...]:
    session.expire_all()
    return (
        writer_rows(session),
        story_rows(session),
        chapter_rows(session),
        story_reader_rows(session),
    )


@pytest.fixture
def loaded(session: Session) -> Session:
    assert insert_events(session, EVENTS) == len(EVENTS)
    session.commit()
    return session


# --------------------------------------------------------------------------- utc_day


def test_utc_day_renders_per_dialect() -> None:
    expression = utc_day(Event.__table__.c.occurred_at)
    assert str(expression.compile(dialect=sqlite.dialect())) == "date(events.occurred_at)"
    assert (
        str(expression.compile(dialect=postgresql.dialect())) == "CAST(events.occurred_at AS DATE)"
    )


def test_utc_day_reads_back_as_date(loaded: Session) -> None:
    days = loaded.execute(select(utc_day(Event.occurred_at)).distinct()).scalars().all()
    assert sorted(days) == [D1, D2]
    assert all(type(day) is date for day in days)


# --------------------------------------------------------------------------- insert_events


def test_insert_events_ignores_duplicates(session: Session) -> None:
    assert insert_events(session, EVENTS) == 22
    session.commit()
    again = [*EVENTS[:3], {**EVENTS[3], "read_seconds": 999}]  # same keys, other payload
    fresh = event("e99", "like", at(D2, 5), reader=9, writer=1, story=10, chapter=100)
    assert insert_events(session, [*again, fresh]) == 1
    # Duplicates inside one batch are ignored too.
    twice = event("e98", "like", at(D2, 6), reader=9)
    assert insert_events(session, [twice, dict(twice)]) == 1
    session.commit()
    assert session.execute(select(func.count()).select_from(Event)).scalar_one() == 24
    stored = session.execute(select(Event.read_seconds).where(Event.message_id == "e04")).scalar()
    assert stored == 120


def test_insert_events_same_message_id_other_source_is_kept(session: Session) -> None:
    assert insert_events(session, [EVENTS[0], {**EVENTS[0], "source": "other"}]) == 2


def test_insert_events_accepts_rows_with_different_keys(session: Session) -> None:
    minimal = {
        "source": "app",
        "message_id": "m1",
        "event_type": "custom",
        "event_name": "bookmark_added",
        "occurred_at": at(D1),
        "received_at": at(D1),
    }
    rich = {**minimal, "message_id": "m2", "reader_id": 7, "properties": {"shelf": "later"}}
    assert insert_events(session, [minimal, rich]) == 2
    session.commit()
    stored = session.execute(select(Event).order_by(Event.message_id)).scalars().all()
    assert [(e.message_id, e.reader_id, e.properties) for e in stored] == [
        ("m1", None, None),
        ("m2", 7, {"shelf": "later"}),
    ]
    # A missing JSON value is SQL NULL, not the JSON literal null.
    null_properties = select(Event.message_id).where(Event.properties.is_(None))
    assert session.execute(null_properties).scalars().all() == ["m1"]


def test_insert_events_empty_and_invalid(session: Session) -> None:
    assert insert_events(session, []) == 0
    with pytest.raises(ValueError, match="unknown event columns: colour"):
        insert_events(session, [{**EVENTS[0], "colour": "red"}])
    with pytest.raises(ValueError, match="'id'"):
        insert_events(session, [{**EVENTS[0], "id": 5}])


# --------------------------------------------------------------------------- rebuild_rollups


def test_rebuild_rollups_exact_values(loaded: Session) -> None:
    assert rebuild_rollups(loaded) == EXPECTED_ROWS
    loaded.commit()
    writers, stories, chapters, story_readers = snapshot(loaded)
    assert writers == EXPECTED_WRITER
    assert stories == EXPECTED_STORY
    assert chapters == EXPECTED_CHAPTER
    assert story_readers == EXPECTED_STORY_READER
    assert all(type(day) is date for _writer, day in writers)


def test_rebuild_rollups_is_idempotent(loaded: Session) -> None:
    assert rebuild_rollups(loaded) == EXPECTED_ROWS
    loaded.commit()
    first = snapshot(loaded)
    assert rebuild_rollups(loaded) == EXPECTED_ROWS
    assert rebuild_rollups(loaded, [D1, D2]) == EXPECTED_ROWS
    loaded.commit()
    assert snapshot(loaded) == first


def test_rebuild_rollups_touches_only_the_given_days(loaded: Session) -> None:
    rebuild_rollups(loaded)
    loaded.commit()
    late = event("late1", "chapter_start", at(D1, 18), reader=6, writer=1, story=10, chapter=100)
    insert_events(loaded, [late])
    # Rebuilding D2 only leaves D1 as it was (the late event is not yet counted)...
    assert rebuild_rollups(loaded, [D2]) == 4
    loaded.commit()
    assert writer_rows(loaded)[(1, D1)]["chapter_views"] == 3
    # ... and rebuilding D1 picks it up.
    assert rebuild_rollups(loaded, {D1}) == EXPECTED_ROWS - 4 + 1
    loaded.commit()
    writers = snapshot(loaded)[0]
    assert writers[(1, D1)]["chapter_views"] == 4
    assert writers[(1, D1)]["unique_readers"] == 5
    assert writers[(1, D2)] == EXPECTED_WRITER[(1, D2)]


def test_rebuild_rollups_for_days_without_events(loaded: Session) -> None:
    assert rebuild_rollups(loaded, []) == 0
    assert rebuild_rollups(loaded, [date(2020, 1, 1)]) == 0
    assert writer_rows(loaded) == {}


def test_rebuild_rollups_other_reporting_currency(loaded: Session) -> None:
    rebuild_rollups(loaded, reporting_currency="EUR")
    loaded.commit()
    writers = writer_rows(loaded)
    # Only EUR and currency-less revenue counts; the counts of revenue events do not change.
    assert writers[(1, D1)]["revenue_tip_minor"] == 700
    assert writers[(1, D1)]["revenue_unlock_minor"] == 0
    assert writers[(1, D1)]["revenue_subscription_minor"] == 0
    assert (writers[(1, D1)]["tips"], writers[(1, D1)]["unlocks"]) == (2, 1)
    assert story_reader_rows(loaded)[(10, D1, 2)][-1] == 700


def test_rebuild_rollups_keeps_rows_of_days_without_raw_events(loaded: Session) -> None:
    # A rollup row whose raw events were purged survives a full rebuild.
    loaded.add(WriterDaily(writer_id=1, day=date(2025, 1, 1), **counters(chapter_views=7)))
    loaded.commit()
    rebuild_rollups(loaded)
    loaded.commit()
    assert writer_rows(loaded)[(1, date(2025, 1, 1))]["chapter_views"] == 7


# --------------------------------------------------------------------------- watermark job


def max_event_id(session: Session) -> int:
    return int(session.execute(select(func.max(Event.id))).scalar_one())


def test_affected_days_since(loaded: Session) -> None:
    newest = max_event_id(loaded)
    assert affected_days_since(loaded, 0) == ({D1, D2}, newest)
    assert affected_days_since(loaded, newest) == (set(), newest)
    # Only the last two events (both on D2) are newer than newest - 2.
    assert affected_days_since(loaded, newest - 2) == ({D2}, newest)


def test_rollup_new_events_late_event_and_idempotency(loaded: Session) -> None:
    assert get_rollup_watermark(loaded) == 0
    assert rollup_new_events(loaded) == EXPECTED_ROWS
    loaded.commit()
    assert get_rollup_watermark(loaded) == max_event_id(loaded)
    first = snapshot(loaded)
    assert first[0] == EXPECTED_WRITER

    # Nothing new: nothing written, tables unchanged.
    assert rollup_new_events(loaded) == 0
    loaded.commit()
    assert snapshot(loaded) == first

    # A backfilled event that happened on D1 arrives now: D1 is recomputed, D2 is not.
    late = event("late1", "chapter_unlock", at(D1, 20), reader=1, writer=1, story=10, chapter=101, revenue=50, currency="USD")  # fmt: skip
    insert_events(loaded, [late])
    loaded.commit()
    assert affected_days_since(loaded, get_rollup_watermark(loaded))[0] == {D1}
    assert rollup_new_events(loaded) == EXPECTED_ROWS - 4
    loaded.commit()
    writers, stories, chapters, story_readers = snapshot(loaded)
    assert writers[(1, D1)] == {
        **EXPECTED_WRITER[(1, D1)],
        "unlocks": 2,
        "revenue_unlock_minor": 100,
    }
    assert writers[(1, D2)] == first[0][(1, D2)]
    assert chapters[(101, D1)][2]["unlocks"] == 2
    assert story_readers[(10, D1, 1)] == (1, 9, 2, 1, 420, 100)
    assert get_rollup_watermark(loaded) == max_event_id(loaded)

    # Running again changes nothing.
    after = (writers, stories, chapters, story_readers)
    assert rollup_new_events(loaded) == 0
    loaded.commit()
    assert snapshot(loaded) == after


def test_rollup_new_events_rollback_keeps_watermark(loaded: Session) -> None:
    rollup_new_events(loaded)
    loaded.rollback()
    assert loaded.get(JobState, ROLLUP_WATERMARK) is None
    assert writer_rows(loaded) == {}


def test_rollup_new_events_waits_for_recent_events_to_settle(loaded: Session) -> None:
    now = datetime(2026, 3, 10, 12, 0)
    assert rollup_new_events(loaded, now=now) == EXPECTED_ROWS
    loaded.commit()
    settled = get_rollup_watermark(loaded)
    assert settled == max_event_id(loaded)

    # An event received a minute ago is rolled up, but the watermark stays below it ...
    fresh = {
        **event("fresh", "chapter_start", at(D2, 9), reader=7, writer=1, story=10, chapter=100),
        "received_at": now - timedelta(minutes=1),
    }
    insert_events(loaded, [fresh])
    loaded.commit()
    assert rollup_new_events(loaded, now=now) == 4 + 1  # D2's four rows + reader 7's
    loaded.commit()
    assert get_rollup_watermark(loaded) == settled
    assert writer_rows(loaded)[(1, D2)]["chapter_views"] == 2
    # ... so later runs fold it in again (idempotently) until it is older than the lag.
    before = snapshot(loaded)
    assert rollup_new_events(loaded, now=now) == 5
    loaded.commit()
    assert snapshot(loaded) == before
    assert rollup_new_events(loaded, now=now + timedelta(minutes=10)) == 5
    loaded.commit()
    assert get_rollup_watermark(loaded) == max_event_id(loaded)
    assert rollup_new_events(loaded, now=now + timedelta(minutes=10)) == 0


def test_day_queries_use_the_events_day_indexes(loaded: Session) -> None:
    """The rollup's day filter spells the indexed expression, so the database searches
    ``ix_events_occurred_day`` instead of scanning every event (an expression index serves
    only queries with the same expression). PostgreSQL is told not to prefer a sequential
    scan of the tiny fixture table, so its plan shows whether the index can be used."""
    day = utc_day(Event.occurred_at)
    statement = select(func.count()).where(day >= D1, day < D2)
    compiled = statement.compile(loaded.get_bind(), compile_kwargs={"literal_binds": True})
    if loaded.get_bind().dialect.name == "sqlite":
        explain = f"EXPLAIN QUERY PLAN {compiled}"
    else:
        loaded.execute(text("SET LOCAL enable_seqscan = off"))
        explain = f"EXPLAIN {compiled}"
    plan = " ".join(str(row) for row in loaded.execute(text(explain)))
    assert "ix_events_occurred_day" in plan, plan
