"""Audience: who the readers are, new vs returning, and first-read-week cohorts.

Definitions (docs/metrics.md, "Audience"): a reader is *active* in a period when they have
any event on the scope's stories in it (``story_reader_daily``). Breakdowns count distinct
active readers by a trait; readers without that trait count as ``unknown``. A reader is
*returning* when they were also active on the scope's stories before the period, else
*new*. The *first-read week* of a reader is the Monday-based week of their first chapter
open on the scope's stories (``reader_chapter_progress``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from data.models import Reader, ReaderChapterProgress, StoryReaderDaily
from data.queries.common import bounds, scoped
from data.queries.filters import FilterError, Period, Scope
from data.sql import utc_day, week_start

SRD = StoryReaderDaily
P = ReaderChapterProgress
DIMENSIONS = ("country", "device", "age_band", "acquisition_source")
UNKNOWN = "unknown"
BREAKDOWN_COLUMNS = ["value", "readers", "share"]
COHORT_COLUMNS = ["cohort_week", "readers", "week_offset", "active", "share"]


def audience_breakdown(
    session: Session, scope: Scope, period: Period, dimension: str
) -> pd.DataFrame:
    """Distinct active readers per value of ``dimension`` (one of ``DIMENSIONS``), by
    readers (then value); ``share`` of all active readers. Raises ``FilterError`` for an
    unknown dimension."""
    if dimension not in DIMENSIONS:
        raise FilterError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    trait = func.coalesce(getattr(Reader, dimension), UNKNOWN)
    statement = scoped(
        select(trait, func.count(func.distinct(SRD.reader_id)))
        .select_from(SRD)
        .outerjoin(Reader, Reader.id == SRD.reader_id)
        .where(SRD.day.between(period.start, period.end))
        .group_by(trait),
        SRD.writer_id,
        scope,
    )
    result = pd.DataFrame(session.execute(statement).all(), columns=["value", "readers"])
    result["readers"] = result["readers"].astype("int64")
    total = int(result["readers"].sum())
    result["share"] = result["readers"] / total if total else 0.0
    result = result.sort_values(["readers", "value"], ascending=[False, True])
    return result[BREAKDOWN_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class NewVsReturning:
    """Active readers of a period split into ``new`` and ``returning`` (``total`` = both)."""

    new: int
    returning: int

    @property
    def total(self) -> int:
        return self.new + self.returning


def new_vs_returning(session: Session, scope: Scope, period: Period) -> NewVsReturning:
    """Active readers of ``period`` split by whether they were active before it."""
    before = aliased(SRD)
    active = scoped(
        select(SRD.reader_id).distinct().where(SRD.day.between(period.start, period.end)),
        SRD.writer_id,
        scope,
    ).subquery()
    earlier = select(before.reader_id).where(
        before.reader_id == active.c.reader_id, before.day < period.start
    )
    if not scope.is_platform:
        earlier = earlier.where(before.writer_id == scope.writer_id)
    total, returning = session.execute(
        select(func.count(), func.count().filter(exists(earlier))).select_from(active)
    ).one()
    return NewVsReturning(new=int(total) - int(returning), returning=int(returning))


def weekly_cohorts(session: Session, scope: Scope, period: Period, weeks: int = 8) -> pd.DataFrame:
    """First-read-week cohorts (long format, ``COHORT_COLUMNS``): readers whose first
    chapter open on the scope's stories falls in a week starting within ``period``; for
    each cohort and ``week_offset`` 0..``weeks`` − 1 (weeks not yet over the period's end
    left out), cohort members active in that week and their ``share``."""
    if weeks < 1:
        raise FilterError("weeks must be at least 1")
    first = scoped(
        select(P.reader_id, func.min(P.first_started_at).label("at"))
        .where(P.first_started_at.is_not(None))
        .group_by(P.reader_id),
        P.writer_id,
        scope,
    ).subquery()
    first_week = week_start(utc_day(first.c.at))
    _, end = bounds(period)
    cohort_start = period.start - timedelta(days=period.start.weekday())
    cohorts = (
        select(first.c.reader_id, first_week.label("cohort"))
        .where(first.c.at >= cohort_start, first.c.at < end)
        .subquery()
    )
    active_week = week_start(SRD.day)
    activity = scoped(
        select(
            cohorts.c.cohort, active_week.label("week"), func.count(func.distinct(SRD.reader_id))
        )
        .join(cohorts, cohorts.c.reader_id == SRD.reader_id)
        .where(SRD.day >= cohort_start, SRD.day <= period.end)
        .group_by(cohorts.c.cohort, active_week),
        SRD.writer_id,
        scope,
    )
    sizes = {
        _as_date(c): int(n)
        for c, n in session.execute(
            select(cohorts.c.cohort, func.count()).group_by(cohorts.c.cohort)
        ).all()
    }
    counts = {(_as_date(c), _as_date(w)): int(n) for c, w, n in session.execute(activity).all()}
    records = []
    for cohort in sorted(sizes):
        if cohort < cohort_start or cohort > period.end:
            continue
        size = sizes[cohort]
        for offset in range(weeks):
            week = cohort + timedelta(weeks=offset)
            if week > period.end:
                break
            active = counts.get((cohort, week), 0)
            records.append((cohort, size, offset, active, active / size if size else 0.0))
    return pd.DataFrame(records, columns=COHORT_COLUMNS)


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
