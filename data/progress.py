"""Maintains ``reader_chapter_progress`` and the tables folded from it (called by the
rollup job).

For the chapter events of the given UTC days (``chapter_start``, ``chapter_complete``,
``chapter_unlock`` with a reader and a catalog chapter), one row per chapter and reader is
upserted with the earliest open, completion and unlock seen that day range; an existing row
keeps the earlier of its own and the new timestamp (``min`` on SQLite, ``LEAST`` on
PostgreSQL). Merging by ``min`` makes the job idempotent and order-independent: rebuilding
any set of days, once or many times, in any order, gives the same table as one pass over
every event. Events whose chapter is not in the catalog are left out (there is no chapter
number to place them at); the story and writer come from the catalog, not the event.

The same call keeps ``story_reader_summary`` in step: every (story, reader) pair with an
event in the days is deleted and re-aggregated from that reader's progress rows (all of
them, not only the day's), so the summary always equals a fresh aggregation of
``reader_chapter_progress`` and is idempotent and late-event safe for the same reason.
Then ``story_chapter_stats`` and ``story_entry_cohorts`` of every story with such an event
are recomputed whole with the live count functions of ``data.queries.retention`` (one pass
per touched story, O(the story's progress rows)), so they always equal the live counts.
Reader types and hooks read ``chapters.published_at``: after a change of a chapter's
publication time, call :func:`rebuild_story_reader_summaries` for its story.

Purging raw events never removes progress rows (the same contract as the daily rollups).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, delete, func, insert, or_, select, tuple_
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from data.models import (
    RELEASE_DAY_SECONDS,
    Chapter,
    Event,
    EventType,
    ReaderChapterProgress,
    Story,
    StoryChapterStats,
    StoryEntryCohort,
    StoryReaderSummary,
)
from data.queries.retention import (
    READER_TYPES,
    STATS_COUNTS,
    entry_cohort_counts,
    hook_counts,
    paywall_counts,
    retention_counts,
    type_reached_counts,
)
from data.sql import earliest, seconds_between, utc_day

__all__ = [
    "PROGRESS_EVENT_TYPES",
    "rebuild_story_reader_summaries",
    "refresh_story_chapter_stats",
    "update_reader_progress",
]


#: The event types the progress table is built from.
PROGRESS_EVENT_TYPES = (
    EventType.CHAPTER_START.value,
    EventType.CHAPTER_COMPLETE.value,
    EventType.CHAPTER_UNLOCK.value,
)

_PROGRESS = ReaderChapterProgress.__table__
_TIMESTAMPS = ("first_started_at", "first_completed_at", "unlocked_at")
_KEY = ("story_id", "reader_id", "chapter_number")
P = ReaderChapterProgress
S = StoryReaderSummary


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted half-open ``[first, after_last)`` runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges


def _first(event_type: EventType) -> ColumnElement[Any]:
    e = Event.__table__.c
    return func.min(e.occurred_at).filter(e.event_type == event_type.value)


def update_reader_progress(
    session: Session,
    days: Iterable[date] | None = None,
    *,
    day_ranges: Iterable[tuple[date, date]] | None = None,
) -> int:
    """Fold the chapter events of ``days`` (UTC days of ``occurred_at``) into
    ``reader_chapter_progress`` as described in the module docstring.

    The days may instead be given as ``day_ranges``, half-open ``(first, after_last)`` day
    pairs (what :func:`data.writes.rebuild_rollups` works with). With neither, every event
    is folded in; then the derived tables of the module docstring are refreshed for the
    touched (story, reader) pairs and stories (all of them when every event is folded).
    Returns the number of progress rows inserted or updated. Runs in the caller's
    transaction and does not commit. Supports SQLite and PostgreSQL
    (``NotImplementedError`` otherwise).
    """
    e = Event.__table__.c
    conditions: list[ColumnElement[bool]] = [
        e.event_type.in_(PROGRESS_EVENT_TYPES),
        e.reader_id.is_not(None),
    ]
    ranges = list(day_ranges) if day_ranges is not None else None
    if days is not None:
        ranges = [*(ranges or []), *_day_ranges(days)]
    if ranges is not None:
        if not ranges:
            return 0
        day = utc_day(e.occurred_at)  # ix_events_event_type_occurred_day
        conditions.append(or_(*(and_(day >= a, day < b) for a, b in ranges)))
    columns: dict[str, ColumnElement[Any]] = {
        "story_id": Chapter.story_id,
        "reader_id": e.reader_id,
        "chapter_number": Chapter.number,
        "chapter_id": Chapter.id,
        "writer_id": Story.writer_id,
        "first_started_at": _first(EventType.CHAPTER_START),
        "first_completed_at": _first(EventType.CHAPTER_COMPLETE),
        "unlocked_at": _first(EventType.CHAPTER_UNLOCK),
    }
    query = (
        select(*(expr.label(name) for name, expr in columns.items()))
        .select_from(Event.__table__)
        .join(Chapter, Chapter.id == e.chapter_id)
        .join(Story, Story.id == Chapter.story_id)
        .where(*conditions)  # a WHERE clause also keeps SQLite's upsert parse unambiguous
        .group_by(Chapter.id, e.reader_id, Chapter.story_id, Chapter.number, Story.writer_id)
    )
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        statement: Any = sqlite_dialect.insert(_PROGRESS)
    elif dialect == "postgresql":
        statement = pg_dialect.insert(_PROGRESS)
    else:
        raise NotImplementedError(
            f"update_reader_progress supports sqlite and postgresql, not {dialect}"
        )
    statement = statement.from_select(list(columns), query)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={
            "chapter_id": excluded.chapter_id,
            "writer_id": excluded.writer_id,
            **{name: earliest(_PROGRESS.c[name], excluded[name]) for name in _TIMESTAMPS},
        },
    )
    result = session.execute(statement, execution_options={"preserve_rowcount": True})
    pairs = (
        select(Chapter.story_id, e.reader_id)
        .select_from(Event.__table__)
        .join(Chapter, Chapter.id == e.chapter_id)
        .where(*conditions)
        .distinct()
    )
    _refresh_summaries(session, None if ranges is None else pairs)
    if ranges is None:
        stories = None
    else:
        stories = set(session.scalars(select(pairs.subquery().c.story_id).distinct()))
    refresh_story_chapter_stats(session, stories)
    return max(result.rowcount, 0)


def rebuild_story_reader_summaries(
    session: Session, story_ids: Iterable[int] | None = None
) -> None:
    """Recompute ``story_reader_summary`` of ``story_ids`` (every story when ``None``) from
    ``reader_chapter_progress`` and the catalog. Needed only after catalog changes to
    chapter publication times (event-driven updates go through
    :func:`update_reader_progress`). Runs in the caller's transaction; does not commit."""
    pairs = None
    if story_ids is not None:
        ids = sorted({int(i) for i in story_ids})
        if not ids:
            return
        pairs = select(P.story_id, P.reader_id).where(P.story_id.in_(ids)).distinct()
    _refresh_summaries(session, pairs)
    refresh_story_chapter_stats(session, story_ids)


def refresh_story_chapter_stats(session: Session, story_ids: Iterable[int] | None = None) -> int:
    """Recompute ``story_chapter_stats`` and ``story_entry_cohorts`` of ``story_ids`` (every
    story with progress when ``None``) with the live count functions of
    ``data.queries.retention``, so the stored counts equal what the unfiltered retention,
    hook, paywall and entry-cohort queries would count now.
    Reads ``story_reader_summary`` (reader types): refresh that first. Returns the number
    of rows written. Runs in the caller's transaction; does not commit."""
    if story_ids is None:
        session.execute(delete(StoryChapterStats))
        session.execute(delete(StoryEntryCohort))
        ids = sorted(session.scalars(select(P.story_id).distinct()))
    else:
        ids = sorted({int(i) for i in story_ids})
        if not ids:
            return 0
        session.execute(delete(StoryChapterStats).where(StoryChapterStats.story_id.in_(ids)))
        session.execute(delete(StoryEntryCohort).where(StoryEntryCohort.story_id.in_(ids)))
    written = 0
    for story_id in ids:
        readers, reached = retention_counts(session, story_id)
        by_type = type_reached_counts(session, story_id)
        hooks = hook_counts(session, story_id)
        paywall = paywall_counts(session, story_id)
        numbers = {*readers, *reached, *(n for _, n in by_type), *hooks, *paywall}
        rows = []
        for number in sorted(numbers):
            counts = (
                readers.get(number, 0),
                reached.get(number, 0),
                *(by_type.get((kind, number), 0) for kind in READER_TYPES),
                *hooks.get(number, (0, 0, 0)),
                *paywall.get(number, (0, 0, 0)),
            )
            if any(counts):
                rows.append(
                    {"story_id": story_id, "chapter_number": number}
                    | dict(zip(STATS_COUNTS, counts, strict=True))
                )
        if rows:
            session.execute(insert(StoryChapterStats), rows)
            written += len(rows)
        cohorts = [
            {"story_id": story_id, "entry_chapter": e, "chapter_offset": o, "reached": n}
            for (e, o), n in sorted(entry_cohort_counts(session, story_id).items())
        ]
        if cohorts:
            session.execute(insert(StoryEntryCohort), cohorts)
            written += len(cohorts)
    return written


def _refresh_summaries(session: Session, pairs: Select[Any] | None) -> None:
    """Delete and re-aggregate the summary rows of the ``(story_id, reader_id)`` pairs
    selected by ``pairs`` (every pair when ``None``)."""

    def only(statement: Select[Any]) -> Select[Any]:
        if pairs is None:
            return statement
        return statement.where(tuple_(P.story_id, P.reader_id).in_(pairs))

    started = P.first_started_at.is_not(None)
    delay = seconds_between(P.first_started_at, Chapter.published_at)
    release_day = case(
        (and_(Chapter.published_at.is_not(None), delay <= RELEASE_DAY_SECONDS), 1), else_=0
    )
    base = only(
        select(
            P.story_id,
            P.reader_id,
            func.max(P.writer_id).label("writer_id"),
            func.min(P.first_started_at).label("at"),
            func.min(P.first_started_at).filter(P.chapter_number == 1).label("first_chapter"),
            func.count().label("started"),
            func.sum(release_day).label("release_day"),
        )
        .join(Chapter, Chapter.id == P.chapter_id)
        .where(started)
        .group_by(P.story_id, P.reader_id)
    ).subquery()
    per_day = only(
        select(P.story_id, P.reader_id, func.count().label("n"))
        .where(started)
        .group_by(P.story_id, P.reader_id, utc_day(P.first_started_at))
    ).subquery()
    busiest = (
        select(per_day.c.story_id, per_day.c.reader_id, func.max(per_day.c.n).label("most"))
        .group_by(per_day.c.story_id, per_day.c.reader_id)
        .subquery()
    )
    entry = (
        select(base.c.story_id, base.c.reader_id, func.min(P.chapter_number).label("entry"))
        .join(
            P,
            and_(
                P.story_id == base.c.story_id,
                P.reader_id == base.c.reader_id,
                P.first_started_at == base.c.at,
            ),
        )
        .group_by(base.c.story_id, base.c.reader_id)
        .subquery()
    )
    rows = (
        select(
            base.c.story_id,
            base.c.reader_id,
            base.c.writer_id,
            base.c.at,
            entry.c.entry,
            base.c.first_chapter,
            base.c.started,
            base.c.release_day,
            busiest.c.most,
        )
        .join(
            entry,
            and_(entry.c.story_id == base.c.story_id, entry.c.reader_id == base.c.reader_id),
        )
        .join(
            busiest,
            and_(busiest.c.story_id == base.c.story_id, busiest.c.reader_id == base.c.reader_id),
        )
    )
    if pairs is None:
        session.execute(delete(S))
    else:
        session.execute(delete(S).where(tuple_(S.story_id, S.reader_id).in_(pairs)))
    session.execute(
        insert(S).from_select(
            [
                "story_id",
                "reader_id",
                "writer_id",
                "first_started_at",
                "entry_chapter",
                "first_chapter_started_at",
                "chapters_started",
                "release_day_starts",
                "busiest_day_starts",
            ],
            rows,
        )
    )
