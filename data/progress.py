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

Two per-writer tables follow (the read paths of first-read-week cohorts and the
most-engaged ranking):

- ``writer_reader_summary``: for every (writer, reader) pair with such an event, deleted and
  re-aggregated from the pair's ``story_reader_summary`` rows (the first open on any of the
  writer's stories, and its week), so it always equals that aggregation;
- ``writer_reader_daily``: the rows of exactly the given days are deleted and rebuilt from
  ``story_reader_daily`` (summed over each writer's stories), which
  :func:`data.writes.rebuild_rollups` has just rebuilt for the same days; the first open they
  carry is copied from ``writer_reader_summary``, and the rows of every other day of a
  touched (writer, reader) pair are brought up to date when it moved (a late or backfilled
  first open). So the table always equals a fresh fold of ``story_reader_daily`` joined with
  ``writer_reader_summary`` (:func:`rebuild_writer_reader_tables` builds it whole);
- ``writer_reader_first_active``: the first active day of every (writer, reader) pair,
  ``min(day)`` of its ``writer_reader_daily`` rows (so of the writer's ``story_reader_daily``
  rows). After the rows of the given days are rebuilt, a pair whose stored first day is one
  of those days gets the first day of its rows now (the row is deleted when it has none
  left: a day rebuilt with fewer rows), and every pair active on one of those days keeps the
  earlier of its stored day and its first rebuilt day (a late or backfilled day moves it
  earlier; a new pair gets a row). Days outside the rebuilt ones are unchanged, so this
  always equals the fresh ``min(day)`` (:func:`rebuild_writer_reader_tables` builds it
  whole).

Purging raw events never removes progress rows (the same contract as the daily rollups).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
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
    StoryReaderDaily,
    StoryReaderSummary,
    WriterReaderDaily,
    WriterReaderFirstActive,
    WriterReaderSummary,
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
from data.sql import earliest, seconds_between, utc_day, week_start

__all__ = [
    "PROGRESS_EVENT_TYPES",
    "rebuild_story_reader_summaries",
    "rebuild_writer_reader_tables",
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
SRD = StoryReaderDaily
W = WriterReaderSummary
WRD = WriterReaderDaily
F = WriterReaderFirstActive


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
    touched (story, reader) and (writer, reader) pairs, stories and days (all of them when
    every event is folded; ``writer_reader_daily`` is rebuilt from ``story_reader_daily``, so
    call this after the days' daily rollups, as ``rebuild_rollups`` does).
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
        rebuild_writer_reader_tables(session)
        stories = None
    else:
        writer_pairs = _writer_pairs(pairs)
        _refresh_writer_summaries(session, writer_pairs)
        _rebuild_writer_reader_daily(session, ranges)
        _refresh_first_active(session, ranges)
        _sync_first_opens(session, writer_pairs)
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
    writer_pairs = None if pairs is None else _writer_pairs(pairs)
    _refresh_writer_summaries(session, writer_pairs)
    _sync_first_opens(session, writer_pairs)
    refresh_story_chapter_stats(session, story_ids)


def rebuild_writer_reader_tables(session: Session) -> None:
    """Recompute ``writer_reader_summary`` whole from ``story_reader_summary``, then
    ``writer_reader_daily`` whole from ``story_reader_daily`` and it (every day, also days
    whose raw events were purged), then ``writer_reader_first_active`` from that. What
    :func:`update_reader_progress` does when it folds every event; also the backfill after
    creating the tables. Runs in the caller's transaction; does not commit."""
    _refresh_writer_summaries(session, None)
    _rebuild_writer_reader_daily(session, None)
    _refresh_first_active(session, None)


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


def _writer_pairs(pairs: Select[Any]) -> Select[Any]:
    """The distinct ``(writer_id, reader_id)`` pairs (writer from the catalog, as
    ``reader_chapter_progress.writer_id`` is) of the ``(story_id, reader_id)`` ``pairs``."""
    touched = pairs.subquery()
    return (
        select(Story.writer_id, touched.c.reader_id)
        .join(Story, Story.id == touched.c.story_id)
        .distinct()
    )


def _refresh_writer_summaries(session: Session, writer_pairs: Select[Any] | None) -> None:
    """Delete and re-aggregate the ``writer_reader_summary`` rows of the ``(writer_id,
    reader_id)`` pairs selected by ``writer_pairs`` (every pair when ``None``) from
    ``story_reader_summary``; a pair without summary rows gets no row."""
    first = func.min(S.first_started_at)
    rows = select(S.writer_id, S.reader_id, first, week_start(utc_day(first))).group_by(
        S.writer_id, S.reader_id
    )
    if writer_pairs is None:
        session.execute(delete(W))
    else:
        session.execute(delete(W).where(tuple_(W.writer_id, W.reader_id).in_(writer_pairs)))
        rows = rows.where(tuple_(S.writer_id, S.reader_id).in_(writer_pairs))
    session.execute(
        insert(W).from_select(["writer_id", "reader_id", "first_started_at", "first_week"], rows)
    )


def _rebuild_writer_reader_daily(session: Session, ranges: list[tuple[date, date]] | None) -> None:
    """Replace the ``writer_reader_daily`` rows of the half-open day ``ranges`` (every row
    when ``None``) by the fold of ``story_reader_daily`` (rows without a writer left out)
    with the first opens of ``writer_reader_summary``: refresh that first."""
    rows = (
        select(
            SRD.writer_id,
            SRD.reader_id,
            SRD.day,
            week_start(SRD.day),
            utc_day(func.max(W.first_started_at)),
            func.max(W.first_week),
            func.sum(SRD.chapter_views),
            func.sum(SRD.completions),
            func.sum(SRD.reading_seconds),
            func.sum(SRD.revenue_minor),
        )
        .outerjoin(W, and_(W.writer_id == SRD.writer_id, W.reader_id == SRD.reader_id))
        .where(SRD.writer_id.is_not(None))
        .group_by(SRD.writer_id, SRD.reader_id, SRD.day)
    )
    if ranges is None:
        session.execute(delete(WRD))
    else:
        session.execute(delete(WRD).where(_days_in(WRD.day, ranges)))
        rows = rows.where(_days_in(SRD.day, ranges))
    session.execute(
        insert(WRD).from_select(
            [
                "writer_id",
                "reader_id",
                "day",
                "week",
                "first_day",
                "first_week",
                "chapter_views",
                "completions",
                "reading_seconds",
                "revenue_minor",
            ],
            rows,
        )
    )


def _refresh_first_active(session: Session, ranges: list[tuple[date, date]] | None) -> None:
    """Bring ``writer_reader_first_active`` in step with ``writer_reader_daily`` after its
    rows of the half-open day ``ranges`` were rebuilt (the whole table when ``None``), as
    the module docstring describes: refresh ``writer_reader_daily`` first."""
    first = func.min(WRD.day)
    pair = (WRD.writer_id, WRD.reader_id)
    if ranges is None:
        session.execute(delete(F))
        session.execute(
            insert(F).from_select(
                ["writer_id", "reader_id", "first_day"], select(*pair, first).group_by(*pair)
            )
        )
        return
    unsynced = {"synchronize_session": False}
    # a stored first day among the rebuilt days: the pair's rows may now start later, or
    # be gone (its rows outside the rebuilt days all come later than the stored day)
    match = and_(WRD.writer_id == F.writer_id, WRD.reader_id == F.reader_id)
    stale = _days_in(F.first_day, ranges)
    session.execute(delete(F).where(stale, ~exists().where(match)), execution_options=unsynced)
    session.execute(
        update(F).where(stale).values(first_day=select(first).where(match).scalar_subquery()),
        execution_options=unsynced,
    )
    # every pair active on a rebuilt day: the earlier of the stored and the rebuilt day
    rows = select(*pair, first).where(_days_in(WRD.day, ranges)).group_by(*pair)
    dialect = session.get_bind().dialect.name
    table = F.__table__
    statement: Any = (
        sqlite_dialect.insert(table) if dialect == "sqlite" else pg_dialect.insert(table)
    ).from_select(["writer_id", "reader_id", "first_day"], rows)
    statement = statement.on_conflict_do_update(
        index_elements=["writer_id", "reader_id"],
        set_={"first_day": earliest(table.c.first_day, statement.excluded.first_day)},
    )
    session.execute(statement)


def _sync_first_opens(session: Session, writer_pairs: Select[Any] | None) -> None:
    """Copy the first open of ``writer_reader_summary`` (``None`` without a row) onto every
    ``writer_reader_daily`` row of the pairs selected by ``writer_pairs`` (every row when
    ``None``) where it differs."""
    match = and_(W.writer_id == WRD.writer_id, W.reader_id == WRD.reader_id)
    first_day = select(utc_day(W.first_started_at)).where(match).scalar_subquery()
    first_week = select(W.first_week).where(match).scalar_subquery()
    statement = (
        update(WRD)
        .where(
            or_(
                WRD.first_day.is_distinct_from(first_day),
                WRD.first_week.is_distinct_from(first_week),
            )
        )
        .values(first_day=first_day, first_week=first_week)
    )
    if writer_pairs is not None:
        statement = statement.where(tuple_(WRD.writer_id, WRD.reader_id).in_(writer_pairs))
    session.execute(statement, execution_options={"synchronize_session": False})


def _days_in(column: Any, ranges: list[tuple[date, date]]) -> ColumnElement[bool]:
    """``column`` (a ``Date``) within any of the half-open day ``ranges``."""
    return or_(*(and_(column >= first, column < after) for first, after in ranges))
