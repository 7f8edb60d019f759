"""Reader engagement: per-reader activity with a writer (or the platform) over a period.

Definitions (docs/metrics.md, "Reader engagement"): from ``story_reader_daily``, per reader:
``active_days`` (days with any event on the scope's stories), ``stories``, ``chapter_views``,
``completions``, ``reading_seconds``, ``revenue`` (minor units) and ``last_active``. The
segment (casual / regular / loyal) is ``app.analytics.engagement.reader_segment`` of
``active_days``. *Most engaged* readers rank by active days, then reading time, then chapter
opens (then reader id, for a stable order).

Read path of the ranking: for a writer it reads ``writer_reader_daily`` (one row per reader
and active day with the writer, kept by the rollup job), so a reader's active days are a row
count and only the ranking keys are grouped; the platform groups ``story_reader_daily`` by
reader and day first. Either way only the ``limit`` winners get the full per-reader row.

``reader_engagement``, ``activity_histogram`` and ``most_engaged_readers`` take an optional
``segment`` (``data.queries.filters.Segment``): only readers with those traits are listed
or counted. ``reader_activity`` names one reader and takes none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from data.models import Reader, StoryReaderDaily, WriterReaderDaily
from data.queries.common import in_segment, scoped
from data.queries.filters import FilterError, Period, Scope, Segment

SRD = StoryReaderDaily
WRD = WriterReaderDaily
READER_COLUMNS = [
    "reader_id",
    "active_days",
    "stories",
    "chapter_views",
    "completions",
    "reading_seconds",
    "revenue",
    "last_active",
]
MAX_LIMIT = 1000
HISTOGRAM_COLUMNS = ["active_days", "readers"]


def _per_reader(scope: Scope, period: Period):
    return scoped(
        select(
            SRD.reader_id,
            func.count(func.distinct(SRD.day)).label("active_days"),
            func.count(func.distinct(SRD.story_id)).label("stories"),
            func.sum(SRD.chapter_views).label("chapter_views"),
            func.sum(SRD.completions).label("completions"),
            func.sum(SRD.reading_seconds).label("reading_seconds"),
            func.sum(SRD.revenue_minor).label("revenue"),
            func.max(SRD.day).label("last_active"),
        )
        .where(SRD.day.between(period.start, period.end))
        .group_by(SRD.reader_id),
        SRD.writer_id,
        scope,
    )


def _frame(rows: list) -> pd.DataFrame:
    result = pd.DataFrame(rows, columns=READER_COLUMNS)
    for name in READER_COLUMNS[:-1]:
        result[name] = result[name].astype("int64")
    result["last_active"] = [
        value if isinstance(value, date) or value is None else date.fromisoformat(str(value))
        for value in result["last_active"]
    ]
    return result


def reader_engagement(
    session: Session, scope: Scope, period: Period, *, segment: Segment | None = None
) -> pd.DataFrame:
    """One row per reader (in ``segment``) active on the scope's stories in ``period``
    (``READER_COLUMNS``), by ``reader_id``."""
    statement = in_segment(_per_reader(scope, period), SRD.reader_id, segment)
    statement = statement.order_by(SRD.reader_id)
    return _frame(session.execute(statement).all())


def activity_histogram(
    session: Session, scope: Scope, period: Period, *, segment: Segment | None = None
) -> pd.DataFrame:
    """How many readers (in ``segment``) were active on exactly N days of the period:
    columns ``active_days``, ``readers`` (by ``active_days``). The input of the
    casual/regular/loyal counts."""
    days = in_segment(
        scoped(
            select(SRD.reader_id, SRD.day)
            .distinct()
            .where(SRD.day.between(period.start, period.end)),
            SRD.writer_id,
            scope,
        ),
        SRD.reader_id,
        segment,
    ).subquery()
    per_reader = (
        select(days.c.reader_id, func.count().label("active_days"))
        .group_by(days.c.reader_id)
        .subquery()
    )
    rows = session.execute(
        select(per_reader.c.active_days, func.count())
        .group_by(per_reader.c.active_days)
        .order_by(per_reader.c.active_days)
    ).all()
    return histogram_frame(rows)


def histogram_frame(rows: Iterable[tuple[Any, Any]]) -> pd.DataFrame:
    """``(active_days, readers)`` pairs, in ``active_days`` order, as the
    :func:`activity_histogram` frame."""
    return pd.DataFrame([(int(a), int(n)) for a, n in rows], columns=HISTOGRAM_COLUMNS)


def most_engaged_readers(
    session: Session,
    scope: Scope,
    period: Period,
    limit: int = 20,
    *,
    segment: Segment | None = None,
) -> pd.DataFrame:
    """The ``limit`` most engaged readers (in ``segment``; ``READER_COLUMNS`` +
    ``country``, ``device``), ranked as in the module docstring. Raises ``FilterError``
    for a limit outside 1..``MAX_LIMIT``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise FilterError(f"limit must be between 1 and {MAX_LIMIT}")
    ids = list(session.scalars(_ranking(scope, period, segment).limit(limit)))
    rows: dict[int, Any] = {}
    traits: dict[int, tuple[str | None, str | None]] = {}
    if ids:
        rows = {
            row[0]: row
            for row in session.execute(_per_reader(scope, period).where(SRD.reader_id.in_(ids)))
        }
        traits = {
            reader_id: (country, device)
            for reader_id, country, device in session.execute(
                select(Reader.id, Reader.country, Reader.device).where(Reader.id.in_(ids))
            ).all()
        }
    result = _frame([rows[reader_id] for reader_id in ids])
    result["country"] = [traits.get(reader_id, (None, None))[0] for reader_id in ids]
    result["device"] = [traits.get(reader_id, (None, None))[1] for reader_id in ids]
    return result


def _ranking(scope: Scope, period: Period, segment: Segment | None) -> Select[Any]:
    """The ids of the readers (in ``segment``) active on the scope's stories in ``period``,
    most engaged first (the module docstring's order), from one row per reader and active
    day: ``writer_reader_daily`` for a writer, ``story_reader_daily`` grouped by reader and
    day for the platform."""
    if scope.is_platform:
        daily = in_segment(
            select(
                SRD.reader_id,
                func.sum(SRD.reading_seconds).label("reading_seconds"),
                func.sum(SRD.chapter_views).label("chapter_views"),
            )
            .where(SRD.day.between(period.start, period.end))
            .group_by(SRD.reader_id, SRD.day),
            SRD.reader_id,
            segment,
        ).subquery()
        rows, reader = daily.c, daily.c.reader_id
        ranking = select(reader)
    else:
        rows, reader = WRD.__table__.c, WRD.reader_id
        ranking = in_segment(
            select(reader).where(
                WRD.writer_id == scope.writer_id, WRD.day.between(period.start, period.end)
            ),
            reader,
            segment,
        )
    return ranking.group_by(reader).order_by(
        func.count().desc(),  # active days: one row per reader and day
        func.sum(rows.reading_seconds).desc(),
        func.sum(rows.chapter_views).desc(),
        reader,
    )


@dataclass(frozen=True)
class ReaderActivity:
    """One reader's activity on the scope's stories in a period; ``stories`` has one row
    per story (``story_id``, ``active_days``, ``chapter_views``, ``completions``,
    ``reading_seconds``, ``revenue``)."""

    reader_id: int
    active_days: int
    chapter_views: int
    completions: int
    reading_seconds: int
    revenue: int
    last_active: date | None
    stories: pd.DataFrame


def reader_activity(
    session: Session, scope: Scope, reader_id: int, period: Period
) -> ReaderActivity | None:
    """The reader's activity, or ``None`` when the reader never had any activity on the
    scope's stories (so a writer cannot probe readers of other writers)."""
    ever = scoped(
        select(SRD.reader_id).where(SRD.reader_id == reader_id).limit(1), SRD.writer_id, scope
    )
    if session.execute(ever).first() is None:
        return None
    stories = pd.DataFrame(
        session.execute(
            scoped(
                select(
                    SRD.story_id,
                    func.count(),
                    func.sum(SRD.chapter_views),
                    func.sum(SRD.completions),
                    func.sum(SRD.reading_seconds),
                    func.sum(SRD.revenue_minor),
                )
                .where(SRD.reader_id == reader_id, SRD.day.between(period.start, period.end))
                .group_by(SRD.story_id)
                .order_by(SRD.story_id),
                SRD.writer_id,
                scope,
            )
        ).all(),
        columns=[
            "story_id",
            "active_days",
            "chapter_views",
            "completions",
            "reading_seconds",
            "revenue",
        ],
    ).astype("int64")
    row = session.execute(_per_reader(scope, period).where(SRD.reader_id == reader_id)).first()
    summary = _frame([row]).iloc[0] if row is not None else None
    return ReaderActivity(
        reader_id=reader_id,
        active_days=int(summary["active_days"]) if summary is not None else 0,
        chapter_views=int(stories["chapter_views"].sum()),
        completions=int(stories["completions"].sum()),
        reading_seconds=int(stories["reading_seconds"].sum()),
        revenue=int(stories["revenue"].sum()),
        last_active=summary["last_active"] if summary is not None else None,
        stories=stories,
    )
