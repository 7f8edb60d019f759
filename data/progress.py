"""Maintains ``reader_chapter_progress`` from raw events (called by the rollup job).

For the chapter events of the given UTC days (``chapter_start``, ``chapter_complete``,
``chapter_unlock`` with a reader and a catalog chapter), one row per chapter and reader is
upserted with the earliest open, completion and unlock seen that day range; an existing row
keeps the earlier of its own and the new timestamp (``min`` on SQLite, ``LEAST`` on
PostgreSQL). Merging by ``min`` makes the job idempotent and order-independent: rebuilding
any set of days, once or many times, in any order, gives the same table as one pass over
every event. Events whose chapter is not in the catalog are left out (there is no chapter
number to place them at); the story and writer come from the catalog, not the event.

Purging raw events never removes progress rows (the same contract as the daily rollups).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from data.models import Chapter, Event, EventType, ReaderChapterProgress, Story
from data.sql import earliest

__all__ = ["PROGRESS_EVENT_TYPES", "update_reader_progress"]

#: The event types the progress table is built from.
PROGRESS_EVENT_TYPES = (
    EventType.CHAPTER_START.value,
    EventType.CHAPTER_COMPLETE.value,
    EventType.CHAPTER_UNLOCK.value,
)

_PROGRESS = ReaderChapterProgress.__table__
_TIMESTAMPS = ("first_started_at", "first_completed_at", "unlocked_at")
_KEY = ("story_id", "reader_id", "chapter_number")


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
    is folded in. Returns the number of rows inserted or updated. Runs in the caller's
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
        bounds = [(datetime.combine(a, time.min), datetime.combine(b, time.min)) for a, b in ranges]
        conditions.append(or_(*(and_(e.occurred_at >= a, e.occurred_at < b) for a, b in bounds)))
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
    return max(result.rowcount, 0)
