"""The storage write side: bulk event inserts and the daily rollups.

Everything here takes a Session or Connection from the caller and never commits: the
caller owns the transaction, so an ingest request can commit its events before it
answers, and the rollup job can commit its rows and its advanced watermark together.

Rollups are recomputed per day from raw events (delete that day's rows, then one
``INSERT ... SELECT ... GROUP BY`` per table), so re-running is idempotent and late or
backfilled events are handled by the same code path as fresh ones: an event's day comes
from its ``occurred_at``, whenever it arrived. Metric definitions are in docs/metrics.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from operator import itemgetter, methodcaller
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Date,
    Dialect,
    Index,
    Insert,
    Integer,
    MetaData,
    Table,
    and_,
    delete,
    distinct,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from data.db import utcnow
from data.models import (
    COUNTER_COLUMNS,
    ChapterDaily,
    Event,
    EventType,
    JobState,
    StoryDaily,
    StoryReaderDaily,
    WriterDaily,
)
from data.progress import update_reader_progress
from data.sql import utc_day

__all__ = [
    "ROLLUP_SAFETY_LAG",
    "ROLLUP_WATERMARK",
    "affected_days_since",
    "get_rollup_watermark",
    "insert_events",
    "rebuild_rollups",
    "rollup_new_events",
    "set_rollup_watermark",
]

#: JobState name holding the id of the newest event already folded into the rollups.
ROLLUP_WATERMARK = "rollups.event_watermark"

#: How long after ``received_at`` an event counts as settled for the rollup watermark
#: (see :func:`rollup_new_events`).
ROLLUP_SAFETY_LAG = timedelta(minutes=5)

#: Rows per executemany call in :func:`insert_events` (bounds the driver's batch memory).
INSERT_CHUNK_ROWS = 50_000

_EVENTS = Event.__table__
_EVENT_COLUMNS = frozenset(c.name for c in _EVENTS.columns)
_DEDUPE_KEY = ("source", "message_id")
# Without this, SQLAlchemy does not keep the driver's rowcount for INSERTs (psycopg: -1).
_ROWCOUNT = {"preserve_rowcount": True}


# --------------------------------------------------------------------------- event insert
#
# The statement is the dialect's Core ``INSERT ... ON CONFLICT (source, message_id) DO
# NOTHING``, compiled once per dialect and column set. Parameters are prepared column by
# column with each column type's own bind processor (the same conversion SQLAlchemy does
# row by row) and handed to the driver's executemany on the SQLAlchemy connection; per-row
# parameter handling in SQLAlchemy would otherwise cost more than the database's insert.


# Naive datetimes whose bind processor gives exactly ``isoformat(" ", "microseconds")``
# (SQLite's default DATETIME storage format) are formatted by that C method instead.
_ISO_SAMPLES = (datetime(2026, 1, 2, 3, 4, 5, 6), datetime(1999, 12, 31, 23, 59, 59))
_ISO = methodcaller("isoformat", " ", "microseconds")
_ISO_LENGTH = len("2026-01-02 03:04:05.000006")


@dataclass(frozen=True)
class _Processor:
    column: str
    function: Callable[[Any], Any]
    iso_datetime: bool  # function(value) == value.isoformat(" ", "microseconds")

    def apply(self, values: list[Any]) -> list[Any]:
        """Processed values; ``None`` stays NULL (also for JSON columns)."""
        if self.iso_datetime and set(map(type, values)) == {datetime}:
            if values.count(values[0]) == len(values):  # one stamp, e.g. received_at
                formatted = [_ISO(values[0])] * len(values)
            else:
                formatted = list(map(_ISO, values))
            if set(map(len, formatted)) == {_ISO_LENGTH}:  # no UTC offsets: all naive
                return formatted
        function = self.function
        if function is json_text:
            try:  # the common case in one pass; json_text handles what orjson refuses
                return [None if value is None else _orjson_text(value) for value in values]
            except TypeError:
                pass
        return [None if value is None else function(value) for value in values]


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    keys: tuple[str, ...]  # parameter order (positional) or names (named paramstyles)
    positional: bool
    processors: tuple[_Processor, ...]


def _orjson_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def json_text(value: Any) -> str:
    """``value`` as compact JSON text, UTF-8 characters unescaped (what the JSON columns
    store). orjson writes it; values orjson refuses (integers beyond 64 bits, which the
    ingest's exact parser can produce) fall back to the standard library."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _is_iso_datetime(function: Callable[[Any], Any]) -> bool:
    try:
        return all(function(sample) == _ISO(sample) for sample in _ISO_SAMPLES)
    except (TypeError, ValueError):
        return False


@lru_cache(maxsize=64)
def _compiled_insert(dialect: Dialect, columns: tuple[str, ...]) -> _CompiledInsert:
    if dialect.name == "sqlite":
        statement: Any = sqlite_dialect.insert(_EVENTS)
    elif dialect.name == "postgresql":
        statement = pg_dialect.insert(_EVENTS)
    else:
        raise NotImplementedError(
            f"insert_events supports sqlite and postgresql, not {dialect.name}"
        )
    statement = statement.on_conflict_do_nothing(index_elements=list(_DEDUPE_KEY))
    # for_executemany: no RETURNING of the new ids (PostgreSQL would compute and drop them)
    compiled = statement.compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
    if compiled.escaped_bind_names:  # plain column names never need escaping
        raise NotImplementedError("escaped bind names are not supported")
    processors = []
    for name in columns:
        column_type = _EVENTS.c[name].type
        function = column_type.dialect_impl(dialect).bind_processor(dialect)
        if function is not None and isinstance(column_type, JSON):
            function = json_text  # same JSON text, written by orjson
        if function is not None:
            processors.append(_Processor(name, function, _is_iso_datetime(function)))
    positional = bool(compiled.positional)
    keys = tuple(compiled.positiontup or ()) if positional else columns
    return _CompiledInsert(str(compiled), keys, positional, tuple(processors))


def _columns_of(rows: Sequence[dict[str, Any]]) -> tuple[tuple[str, ...], bool]:
    """The columns named by ``rows`` (first-seen order) and whether every row names all
    of them. Rejects unknown names and ``id`` with ``ValueError``."""
    first = tuple(rows[0])
    # Same keys in the same order (how rows built alike look); other orders count as
    # non-uniform, which only takes the slower path.
    uniform = all(tuple(row) == first for row in rows)
    if uniform:
        names = first
    else:
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        names = tuple(seen)
    unknown = sorted(set(names) - _EVENT_COLUMNS)
    if unknown:
        raise ValueError(f"unknown event columns: {', '.join(unknown)}")
    if "id" in names:
        raise ValueError("event rows must not set 'id'; the database assigns it")
    return names, uniform


def _parameters(
    rows: Sequence[dict[str, Any]], compiled: _CompiledInsert, uniform: bool
) -> list[Any]:
    """Driver parameters for ``rows``: tuples in statement order, or dicts by name."""
    keys = compiled.keys
    if not compiled.positional and uniform and not compiled.processors:
        return list(rows)
    if uniform:
        columns = [list(map(itemgetter(key), rows)) for key in keys]
    else:
        columns = [[row.get(key) for row in rows] for key in keys]
    for processor in compiled.processors:
        index = keys.index(processor.column)
        columns[index] = processor.apply(columns[index])
    records = list(zip(*columns, strict=True))
    if compiled.positional:
        return records
    return [dict(zip(keys, record, strict=True)) for record in records]


def insert_events(
    connection_or_session: Session | Connection, rows: Sequence[dict[str, Any]]
) -> int:
    """Insert raw event rows, skipping any whose ``(source, message_id)`` already exists.

    ``rows`` are dicts keyed by ``events`` column names (every column except ``id``);
    ``source``, ``message_id``, ``event_type``, ``event_name``, ``occurred_at`` and
    ``received_at`` are required and timestamps are naive UTC datetimes. Rows may carry
    different key sets; absent columns and ``None`` values are stored as SQL NULL (for
    the JSON columns too, never as JSON ``null``). Duplicates within ``rows`` or against
    stored events are ignored by the database (``ON CONFLICT DO NOTHING`` on the dedupe
    key), so a client retry never double-counts.

    Returns how many rows were actually inserted. Runs the dialect's Core insert
    statement (SQLite and PostgreSQL) through the caller's connection as executemany
    batches of ``INSERT_CHUNK_ROWS``; builds no ORM objects. Does not commit: the caller
    commits (or rolls back) the transaction.

    Raises ``ValueError`` for unknown column names or an ``id`` key, and the driver's
    ``IntegrityError`` when a required column is missing.
    """
    if not rows:
        return 0
    connection = (
        connection_or_session.connection()
        if isinstance(connection_or_session, Session)
        else connection_or_session
    )
    columns, uniform = _columns_of(rows)
    compiled = _compiled_insert(connection.dialect, columns)
    inserted = 0
    for start in range(0, len(rows), INSERT_CHUNK_ROWS):
        chunk = rows[start : start + INSERT_CHUNK_ROWS]
        result = connection.exec_driver_sql(
            compiled.sql, _parameters(chunk, compiled, uniform), execution_options=_ROWCOUNT
        )
        inserted += max(result.rowcount, 0)
    return inserted


# --------------------------------------------------------------------------- rollups
#
# Two passes. The first groups the day's events once by every key a rollup uses
# (writer, story, chapter, reader, day) into a temporary stage table, evaluating the
# per-event conditions once; the four rollups are then GROUP BYs over that much smaller
# table. Every rollup key is a subset of the stage key, so sums and
# ``count(DISTINCT reader_id)`` over stage rows equal the same aggregates over events.

_STAGE_COUNTERS = tuple(name for name in COUNTER_COLUMNS if name != "unique_readers")
_ROLLUP_TABLES = (
    WriterDaily.__table__,
    StoryDaily.__table__,
    ChapterDaily.__table__,
    StoryReaderDaily.__table__,
)


def _stage_table(dialect_name: str) -> Table:
    """The temporary stage table (one per connection; dropped after each rebuild)."""
    table = Table(
        "rollup_stage",
        MetaData(),
        Column("writer_id", Integer),
        Column("story_id", Integer),
        Column("chapter_id", Integer),
        Column("reader_id", BigInteger),
        Column("day", Date),
        Column("events", BigInteger),
        *(Column(name, BigInteger) for name in _STAGE_COUNTERS),
        prefixes=["TEMPORARY"],
    )
    if dialect_name == "sqlite":
        # SQLite groups only by sorting. Rows arrive in this order, so the index is cheap
        # to build and lets it group the story and story-reader rollups (keys in the same
        # order) without sorting. PostgreSQL hashes instead and is faster without it.
        Index("ix_rollup_stage_day_story_reader", table.c.day, table.c.story_id, table.c.reader_id)
    return table


def _day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Merge days into sorted half-open ``[first, after_last)`` runs of consecutive days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] == day:
            ranges[-1] = (ranges[-1][0], day + timedelta(days=1))
        else:
            ranges.append((day, day + timedelta(days=1)))
    return ranges


def _events_in(ranges: list[tuple[date, date]]) -> ColumnElement[bool]:
    """Events whose ``occurred_at`` falls in any range of days (``ix_events_occurred_day``)."""
    day = utc_day(_EVENTS.c.occurred_at)
    return or_(*(and_(day >= first, day < after) for first, after in ranges))


def _rows_in(table: Table, ranges: list[tuple[date, date]]) -> ColumnElement[bool]:
    return or_(*(and_(table.c.day >= first, table.c.day < after) for first, after in ranges))


def _stage_measures(reporting_currency: str) -> dict[str, ColumnElement[Any]]:
    """Per-stage-row aggregates over events (metric definitions: docs/metrics.md)."""
    e = _EVENTS.c
    in_currency = or_(e.currency.is_(None), e.currency == reporting_currency)

    def count_of(event_type: EventType) -> ColumnElement[Any]:
        return func.count().filter(e.event_type == event_type.value)

    def sum_of(column: Any, condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(column).filter(condition), 0)

    def revenue_of(event_type: EventType) -> ColumnElement[Any]:
        return sum_of(e.revenue_minor, and_(e.event_type == event_type.value, in_currency))

    measures: dict[str, ColumnElement[Any]] = {
        "events": func.count(),
        "story_views": count_of(EventType.STORY_VIEW),
        "chapter_views": count_of(EventType.CHAPTER_START),
        "reading_seconds": sum_of(e.read_seconds, e.event_type == EventType.CHAPTER_PROGRESS.value),
        "completions": count_of(EventType.CHAPTER_COMPLETE),
        "likes": count_of(EventType.LIKE),
        "comments": count_of(EventType.COMMENT),
        "shares": count_of(EventType.SHARE),
        "follows": count_of(EventType.FOLLOW),
        "unlocks": count_of(EventType.CHAPTER_UNLOCK),
        "tips": count_of(EventType.TIP),
        "subscriptions": count_of(EventType.SUBSCRIBE),
        "revenue_unlock_minor": revenue_of(EventType.CHAPTER_UNLOCK),
        "revenue_tip_minor": revenue_of(EventType.TIP),
        "revenue_subscription_minor": revenue_of(EventType.SUBSCRIBE),
    }
    assert set(measures) == {"events", *_STAGE_COUNTERS}
    return measures


def _fill_stage(
    session: Session,
    stage: Table,
    scope: list[tuple[date, date]] | None,
    reporting_currency: str,
) -> None:
    e = _EVENTS.c
    # Day first: SQLite then scans the table instead of walking the story_id index.
    keys: dict[str, ColumnElement[Any]] = {
        "day": utc_day(e.occurred_at),
        "story_id": e.story_id,
        "reader_id": e.reader_id,
        "chapter_id": e.chapter_id,
        "writer_id": e.writer_id,
    }
    columns = {**keys, **_stage_measures(reporting_currency)}
    query = select(*(expr.label(name) for name, expr in columns.items())).select_from(_EVENTS)
    if scope is not None:
        query = query.where(_events_in(scope))
    query = query.group_by(*keys.values())
    session.execute(insert(stage).from_select(list(columns), query))


def _rollup_from_stage(stage: Table) -> list[Insert]:
    """One ``INSERT ... SELECT ... GROUP BY`` per rollup table, reading the stage."""
    s = stage.c
    sums = {name: func.sum(s[name]) for name in _STAGE_COUNTERS}
    counters = {
        name: (func.count(distinct(s.reader_id)) if name == "unique_readers" else sums[name])
        for name in COUNTER_COLUMNS
    }

    def build(
        table: Table, keys: list[str], carried: dict[str, Any], measures: dict[str, Any]
    ) -> Insert:
        columns = {**{key: s[key] for key in keys}, **carried, **measures}
        query = (
            select(*(expr.label(name) for name, expr in columns.items()))
            .where(*(s[key].is_not(None) for key in keys if key != "day"))
            .group_by(*(s[key] for key in keys))
        )
        return insert(table).from_select(list(columns), query)

    return [
        build(WriterDaily.__table__, ["day", "writer_id"], {}, counters),
        build(
            StoryDaily.__table__,
            ["day", "story_id"],
            {"writer_id": func.max(s.writer_id)},
            counters,
        ),
        build(
            ChapterDaily.__table__,
            ["day", "chapter_id"],
            {"story_id": func.max(s.story_id), "writer_id": func.max(s.writer_id)},
            counters,
        ),
        build(
            StoryReaderDaily.__table__,
            ["day", "story_id", "reader_id"],
            {"writer_id": func.max(s.writer_id)},
            {
                "events": func.sum(s.events),
                "chapter_views": sums["chapter_views"],
                "completions": sums["completions"],
                "reading_seconds": sums["reading_seconds"],
                "revenue_minor": sums["revenue_unlock_minor"]
                + sums["revenue_tip_minor"]
                + sums["revenue_subscription_minor"],
            },
        ),
    ]


def rebuild_rollups(
    session: Session,
    days: Iterable[date] | None = None,
    *,
    reporting_currency: str = "USD",
) -> int:
    """Recompute writer_daily, story_daily, chapter_daily and story_reader_daily for ``days``.

    For exactly the given UTC days (``None``: every day that has at least one event) the
    existing rows of the four tables are deleted and rebuilt from raw events in SQL,
    grouped by day of ``occurred_at``. Rows of other days are untouched, so rollups of
    days whose raw events were purged survive. Only events whose ``currency`` is NULL or
    equals ``reporting_currency`` add to revenue columns; every event still counts in
    the non-revenue counters. Idempotent: the same events always give the same rows.

    Returns the number of rollup rows written (all four tables). Runs in the caller's
    transaction and does not commit; uses (and drops again) a temporary table
    ``rollup_stage`` on the session's connection.
    """
    scope = _day_ranges(days) if days is not None else None  # None: every event
    if scope == []:
        return 0
    connection = session.connection()
    stage = _stage_table(connection.dialect.name)
    stage.drop(connection, checkfirst=True)
    stage.create(connection)
    _fill_stage(session, stage, scope, reporting_currency)
    ranges = scope
    if ranges is None:  # every day that has events, as found while staging them
        ranges = _day_ranges(session.execute(select(stage.c.day).distinct()).scalars())
    written = 0
    if ranges:
        for table in _ROLLUP_TABLES:
            session.execute(delete(table).where(_rows_in(table, ranges)))
        for statement in _rollup_from_stage(stage):
            written += max(session.execute(statement, execution_options=_ROWCOUNT).rowcount, 0)
    stage.drop(connection)
    update_reader_progress(session, day_ranges=scope)  # reader_chapter_progress, data/progress.py
    return written


def affected_days_since(session: Session, after_event_id: int) -> tuple[set[date], int]:
    """Days touched by events with ``id > after_event_id``, and the newest such id.

    Returns ``(days, max_id)``: the distinct UTC days of those events' ``occurred_at``
    (a late or backfilled event names its own, possibly old, day) and the largest event
    id seen, or ``after_event_id`` itself when there are no newer events. Read-only.
    """
    e = _EVENTS.c
    max_id = session.execute(select(func.max(e.id)).where(e.id > after_event_id)).scalar()
    if max_id is None:
        return set(), after_event_id
    days = session.execute(
        select(utc_day(e.occurred_at)).distinct().where(e.id > after_event_id, e.id <= max_id)
    ).scalars()
    return set(days), int(max_id)


def get_rollup_watermark(session: Session) -> int:
    """The id of the newest event already rolled up (0 when the job never ran)."""
    state = session.get(JobState, ROLLUP_WATERMARK)
    return int(state.value) if state is not None else 0


def set_rollup_watermark(session: Session, event_id: int) -> None:
    """Store ``event_id`` as the rollup watermark (in the caller's transaction)."""
    state = session.get(JobState, ROLLUP_WATERMARK)
    if state is None:
        session.add(JobState(name=ROLLUP_WATERMARK, value=str(event_id), updated_at=utcnow()))
    else:
        state.value = str(event_id)
        state.updated_at = utcnow()
    session.flush()


def rollup_new_events(
    session: Session,
    *,
    reporting_currency: str = "USD",
    now: datetime | None = None,
    safety_lag: timedelta = ROLLUP_SAFETY_LAG,
) -> int:
    """Fold events newer than the watermark into the rollups and advance the watermark.

    Recomputes, with :func:`rebuild_rollups`, exactly the days touched by events whose
    ``id`` is above the ``rollups.event_watermark`` JobState (0 when absent), then moves
    the watermark only as far as is known to be *settled*: to the newest of those events
    whose ``received_at`` is older than ``now - safety_lag`` (``now`` defaults to the
    current UTC time). Returns rollup rows written (0 when there is nothing above the
    watermark). Does not commit: commit the session to publish the rows and the watermark
    together; rolling back leaves both as they were. Serialise runs with the job lock.

    Why the lag: ids are assigned at insert time but become visible at commit, so on
    PostgreSQL a transaction that is still open while this runs may hold ids below the
    newest visible one. Advancing the watermark to the newest visible id would skip its
    events for good. Events received within the lag are therefore folded in again on every
    run (their days are recomputed, which is idempotent) until they are older than the
    lag. This is exact as long as no event-writing transaction stays open longer than
    half of ``safety_lag`` after the ``received_at`` it stamps (ingest requests take
    milliseconds to seconds; the default lag is five minutes). Writers that stamp an old
    ``received_at`` themselves (the demo generator) rebuild the rollups they touch.
    """
    watermark = get_rollup_watermark(session)
    e = _EVENTS.c
    cutoff = (now or utcnow()) - safety_lag
    max_id, settled_id = session.execute(
        select(func.max(e.id), func.max(e.id).filter(e.received_at < cutoff)).where(
            e.id > watermark
        )
    ).one()
    if max_id is None:
        return 0
    days = session.execute(
        select(utc_day(e.occurred_at)).distinct().where(e.id > watermark, e.id <= max_id)
    ).scalars()
    written = rebuild_rollups(session, set(days), reporting_currency=reporting_currency)
    if settled_id is not None:
        set_rollup_watermark(session, int(settled_id))
    return written
