"""Audience: who the readers are, new vs returning, and first-read-week cohorts.

Definitions (docs/metrics.md, "Audience"): a reader is *active* in a period when they have
any event on the scope's stories in it (``story_reader_daily``). Breakdowns count distinct
active readers by a trait; readers without that trait count as ``unknown``. A reader is
*returning* when they were also active on the scope's stories before the period, else
*new*. The *first-read week* of a reader is the Monday-based week of their first chapter
open on the scope's stories (``story_reader_summary``, folded from
``reader_chapter_progress``).

The Audience page reads everything but the cohorts with :func:`audience_summary`: one
statement for the period and its comparison period (the writer's ``writer_reader_daily``
rows, a range count of ``writer_reader_first_active`` for the new readers, one
``readers`` lookup per reader of the period) that gives the same numbers as
:func:`audience_breakdown` per trait, :func:`new_vs_returning` and
``engagement.activity_histogram`` (tested); those stay the one-metric functions (read
API).

Read path of the cohorts: for a writer they read the rollup job's per-writer tables
(``writer_reader_summary`` for the members, ``writer_reader_daily`` for their activity, both
in cohort order), :func:`stored_cohort_counts`; the platform counts them live from
``story_reader_summary`` and ``story_reader_daily``, :func:`live_cohort_counts`. Both give
the same counts for a writer (tested).

Every function takes an optional ``segment`` (``data.queries.filters.Segment``): only
readers with those traits are counted (active readers, cohort members); "before the
period" for returning readers still means any activity on the scope's stories.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Boolean,
    CompoundSelect,
    Date,
    Integer,
    Select,
    String,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from data.models import (
    Reader,
    ReaderTraitSet,
    StoryReaderDaily,
    StoryReaderSummary,
    WriterReaderDaily,
    WriterReaderFirstActive,
    WriterReaderSummary,
)
from data.queries.common import in_segment, scoped
from data.queries.engagement import histogram_frame
from data.queries.filters import FilterError, Period, Scope, Segment
from data.sql import utc_day, week_start

SRD = StoryReaderDaily
S = StoryReaderSummary
W = WriterReaderSummary
WRD = WriterReaderDaily
F = WriterReaderFirstActive
T = ReaderTraitSet
#: Cohort counts: sizes by cohort week, and members active by (cohort week, week).
CohortCounts = tuple[dict[date, int], dict[tuple[date, date], int]]
DIMENSIONS = ("country", "device", "age_band", "acquisition_source")
UNKNOWN = "unknown"
BREAKDOWN_COLUMNS = ["value", "readers", "share"]
COHORT_COLUMNS = ["cohort_week", "readers", "week_offset", "active", "share"]


def audience_breakdown(
    session: Session,
    scope: Scope,
    period: Period,
    dimension: str,
    *,
    segment: Segment | None = None,
) -> pd.DataFrame:
    """Distinct active readers per value of ``dimension`` (one of ``DIMENSIONS``), by
    readers (then value); ``share`` of all active readers. Raises ``FilterError`` for an
    unknown dimension."""
    if dimension not in DIMENSIONS:
        raise FilterError(f"dimension must be one of {', '.join(DIMENSIONS)}")
    trait = func.coalesce(getattr(Reader, dimension), UNKNOWN)
    active = in_segment(  # distinct readers first: one trait lookup per reader, not per row
        scoped(
            select(SRD.reader_id).distinct().where(SRD.day.between(period.start, period.end)),
            SRD.writer_id,
            scope,
        ),
        SRD.reader_id,
        segment,
    ).subquery()
    statement = (
        select(trait, func.count())
        .select_from(active)
        .outerjoin(Reader, Reader.id == active.c.reader_id)
        .group_by(trait)
    )
    return _breakdown_frame(session.execute(statement).all())


def _breakdown_frame(rows: Iterable[tuple[Any, Any]]) -> pd.DataFrame:
    """``(value, readers)`` pairs as the :func:`audience_breakdown` frame: ``value``
    (object), ``readers`` (int64) and ``share`` (float64) by readers, then value. Sorted
    and divided in Python (a page builds four of these; pandas' sort and column
    assignments cost more than the few rows)."""
    pairs = sorted(((value, int(readers)) for value, readers in rows), key=_by_readers)
    counts = np.array([readers for _, readers in pairs], dtype=np.int64)
    total = int(counts.sum())
    values = np.empty(len(pairs), dtype=object)
    values[:] = [value for value, _ in pairs]
    return pd.DataFrame(
        {
            "value": values,
            "readers": counts,
            "share": counts / total if total else np.zeros(len(pairs)),
        }
    )


def _by_readers(pair: tuple[Any, int]) -> tuple[int, Any]:
    """Sort key of a breakdown row: most readers first, then by value."""
    return -pair[1], pair[0]


@dataclass(frozen=True)
class NewVsReturning:
    """Active readers of a period split into ``new`` and ``returning`` (``total`` = both)."""

    new: int
    returning: int

    @property
    def total(self) -> int:
        return self.new + self.returning


def new_vs_returning(
    session: Session, scope: Scope, period: Period, *, segment: Segment | None = None
) -> NewVsReturning:
    """Active readers of ``period`` (in ``segment``) split by whether they were active
    before it."""
    before = aliased(SRD)
    active = in_segment(
        scoped(
            select(SRD.reader_id).distinct().where(SRD.day.between(period.start, period.end)),
            SRD.writer_id,
            scope,
        ),
        SRD.reader_id,
        segment,
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


@dataclass(frozen=True)
class PeriodAudience:
    """The active readers of one period, as :func:`audience_summary` counts them:
    ``split`` (:func:`new_vs_returning`), ``histogram`` (readers per number of active
    days, ``data.queries.engagement.activity_histogram``'s frame) and ``breakdowns``
    (per trait of ``DIMENSIONS``, the :func:`audience_breakdown` frame; empty when not
    counted)."""

    split: NewVsReturning
    histogram: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame]


def audience_summary(
    session: Session,
    scope: Scope,
    periods: Sequence[Period],
    *,
    segment: Segment | None = None,
) -> list[PeriodAudience]:
    """Everything the Audience page counts about the active readers (in ``segment``) of
    each of ``periods`` (in that order; typically the period and its comparison period),
    in one statement: the same numbers as :func:`new_vs_returning`,
    ``activity_histogram`` and, for the first period only, :func:`audience_breakdown` of
    every trait (tested). Raises ``ValueError`` when ``periods`` is empty.

    Read path for a writer: a period's active readers and their active days are one
    grouped range scan of ``writer_reader_daily`` (``…_writer_id_day``; one row per active
    day); its new readers one range count of ``writer_reader_first_active``
    (``…_writer_id_first_day``: a reader whose first active day with the writer is in the
    period is active in it and was not before it), the returning ones the rest. The
    platform groups ``story_reader_daily`` and probes "active before the period" per reader
    and period. The first period's readers are joined to ``readers`` once and counted per
    trait combination (``readers.trait_set_id``; the per-trait counts are summed here). The other periods get
    no trait breakdowns: the page shows only the period's, and they would cost a reader
    lookup per reader."""
    if not periods:
        raise ValueError("audience_summary needs at least one period")
    rows = session.execute(_summary_statement(scope, list(periods), segment)).all()
    totals = [0 for _ in periods]
    returning = [0 for _ in periods]
    new: list[int | None] = [None for _ in periods]  # counted apart (writers)
    histograms: list[dict[int, int]] = [{} for _ in periods]
    traits: dict[str, dict[str, int]] = {dimension: {} for dimension in DIMENSIONS}
    for kind, index, active_days, was_active, *values, readers in rows:
        if kind == _TRAITS:  # a trait row of the first period (NULL: not reported)
            for dimension, value in zip(DIMENSIONS, values, strict=True):
                key = UNKNOWN if value is None else value
                traits[dimension][key] = traits[dimension].get(key, 0) + int(readers)
        elif kind == _NEW:
            new[index] = int(readers)
        else:
            totals[index] += int(readers)
            returning[index] += int(readers) if was_active else 0
            histogram = histograms[index]
            histogram[int(active_days)] = histogram.get(int(active_days), 0) + int(readers)
    splits = [
        NewVsReturning(new=counted, returning=total - counted)
        if counted is not None
        else NewVsReturning(new=total - back, returning=back)
        for total, back, counted in zip(totals, returning, new, strict=True)
    ]
    return [
        PeriodAudience(
            split,
            histogram_frame(sorted(histogram.items())),
            {d: _breakdown_frame(counts.items()) for d, counts in traits.items()}
            if index == 0
            else {},
        )
        for index, (split, histogram) in enumerate(zip(splits, histograms, strict=True))
    ]


#: The kinds of :func:`_summary_statement` rows.
_ACTIVITY, _NEW, _TRAITS = "activity", "new", "traits"


def _period_activity(scope: Scope, period: Period, index: int, segment: Segment | None) -> Select:
    """``(period, start, reader_id, active_days)``: one row per reader (in ``segment``)
    active on the scope's stories in ``period`` (numbered ``index``, starting on
    ``start``)."""
    if scope.is_platform:
        statement = select(
            literal(index, Integer).label("period"),
            literal(period.start, Date).label("start"),
            SRD.reader_id.label("reader_id"),
            func.count(func.distinct(SRD.day)).label("active_days"),
        ).where(SRD.day.between(period.start, period.end))
        return in_segment(statement.group_by(SRD.reader_id), SRD.reader_id, segment)
    statement = select(
        literal(index, Integer).label("period"),
        literal(period.start, Date).label("start"),
        WRD.reader_id.label("reader_id"),
        func.count().label("active_days"),  # one writer_reader_daily row per active day
    ).where(WRD.writer_id == scope.writer_id, WRD.day.between(period.start, period.end))
    return in_segment(statement.group_by(WRD.reader_id), WRD.reader_id, segment)


def _new_readers(writer_id: int, period: Period, index: int, segment: Segment | None) -> Select:
    """The :func:`_summary_statement` row counting the writer's new readers (in
    ``segment``) of ``period`` (numbered ``index``): those whose first active day is in it."""
    return in_segment(
        select(
            literal(_NEW).label("kind"),
            literal(index, Integer).label("period"),
            cast(null(), Integer).label("active_days"),
            cast(null(), Boolean).label("was_active"),
            *(cast(null(), String).label(dimension) for dimension in DIMENSIONS),
            func.count().label("readers"),
        ).where(F.writer_id == writer_id, F.first_day.between(period.start, period.end)),
        F.reader_id,
        segment,
    )


def _summary_statement(
    scope: Scope, periods: list[Period], segment: Segment | None
) -> CompoundSelect:
    """The one statement of :func:`audience_summary`: rows ``(kind, period, active_days,
    was_active, country, device, age_band, acquisition_source, readers)``, of three kinds:

    - ``"activity"``: readers of that period with that many active days (traits NULL);
      for the platform split by ``was_active`` (active before the period), for a writer
      not (``was_active`` NULL);
    - ``"new"`` (writers only): the period's new readers (``active_days`` NULL);
    - ``"traits"``: readers of ``periods[0]`` with those four traits, NULL for a missing
      one (``active_days`` NULL).

    The per-reader rows that feed two parts are a CTE (both backends materialize one used
    twice, so it is computed once): a writer's first period (activity and traits; the
    other periods are grouped straight from their subqueries), the platform's flagged
    readers of every period (each "active before" probe runs once)."""
    if scope.is_platform:
        active = union_all(
            *(_period_activity(scope, p, index, segment) for index, p in enumerate(periods))
        ).cte("active")
        before = aliased(SRD)
        earlier = select(before.reader_id).where(
            before.reader_id == active.c.reader_id, before.day < active.c.start
        )
        flagged = select(
            active.c.period,
            active.c.reader_id,
            active.c.active_days,
            exists(earlier).label("was_active"),
        ).cte("flagged")
        return union_all(_histogram(flagged, flagged.c.was_active), _traits(flagged))
    first = _period_activity(scope, periods[0], 0, segment).cte("active")
    others = [
        _period_activity(scope, period, index, segment).subquery()
        for index, period in enumerate(periods[1:], start=1)
    ]
    return union_all(
        *(_histogram(readers, None) for readers in (first, *others)),
        *(_new_readers(scope.writer_id, p, index, segment) for index, p in enumerate(periods)),
        _traits(first),
    )


def _histogram(readers: Any, was_active: Any) -> Select:
    """The ``"activity"`` rows of ``readers`` (per-reader rows with ``period`` and
    ``active_days``), grouped also by ``was_active`` unless it is ``None``."""
    flag = cast(null(), Boolean) if was_active is None else was_active
    split = [] if was_active is None else [was_active]
    return select(
        literal(_ACTIVITY).label("kind"),
        readers.c.period,
        readers.c.active_days,
        flag.label("was_active"),
        *(cast(null(), String).label(dimension) for dimension in DIMENSIONS),
        func.count().label("readers"),
    ).group_by(readers.c.period, readers.c.active_days, *split)


def _traits(readers: Any) -> Select:
    """The ``"traits"`` rows of the period-0 readers among ``readers`` (per-reader rows
    with ``period`` and ``reader_id``): one ``readers`` lookup each, counted per trait
    combination (``readers.trait_set_id``, an integer: grouping by it is a fraction of the
    time of grouping by four strings), then each combination's traits as stored from
    ``reader_trait_sets`` (NULL for a trait not reported; all NULL for readers with no
    traits or unknown to ``readers``; :func:`audience_summary` counts NULL as
    ``"unknown"``)."""
    counts = (
        select(Reader.trait_set_id.label("trait_set_id"), func.count().label("readers"))
        .select_from(readers)
        .outerjoin(Reader, Reader.id == readers.c.reader_id)
        .where(readers.c.period == 0)
        .group_by(Reader.trait_set_id)
        .subquery("trait_counts")
    )
    return (
        select(
            literal(_TRAITS).label("kind"),
            literal(0, Integer).label("period"),
            cast(null(), Integer).label("active_days"),
            cast(null(), Boolean).label("was_active"),
            *(getattr(T, dimension).label(dimension) for dimension in DIMENSIONS),
            counts.c.readers,
        )
        .select_from(counts)
        .outerjoin(T, T.id == counts.c.trait_set_id)
    )


def weekly_cohorts(
    session: Session,
    scope: Scope,
    period: Period,
    weeks: int = 8,
    *,
    segment: Segment | None = None,
) -> pd.DataFrame:
    """First-read-week cohorts (long format, ``COHORT_COLUMNS``): readers (in ``segment``)
    whose first chapter open on the scope's stories falls in a week starting within
    ``period``; for each cohort and ``week_offset`` 0..``weeks`` − 1 (weeks not yet over
    the period's end left out), cohort members active in that week and their ``share``."""
    if weeks < 1:
        raise FilterError("weeks must be at least 1")
    cohort_start = period.start - timedelta(days=period.start.weekday())
    if scope.is_platform:
        sizes, counts = live_cohort_counts(session, scope, cohort_start, period.end, segment)
    else:
        sizes, counts = stored_cohort_counts(
            session, scope.writer_id, cohort_start, period.end, segment
        )
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


def live_cohort_counts(
    session: Session,
    scope: Scope,
    cohort_start: date,
    last_day: date,
    segment: Segment | None = None,
) -> CohortCounts:
    """First-read-week cohort counts computed from ``story_reader_summary`` and
    ``story_reader_daily``: the members (in ``segment``) are the readers whose first
    chapter open on the scope's stories falls on a day in ``cohort_start`` (a Monday) ..
    ``last_day``; returns their number per cohort week and, per (cohort week, week) with
    week ≥ cohort week, how many of them were active in that week up to ``last_day``."""
    end = datetime.combine(last_day + timedelta(days=1), time.min)
    # A reader's first open on the scope's stories is the earliest of their per-story
    # first opens; it falls in [cohort_start, end) exactly when they have a story first
    # open in that window and none before it.
    earlier = aliased(S)
    before = select(earlier.reader_id).where(
        earlier.reader_id == S.reader_id, earlier.first_started_at < cohort_start
    )
    if not scope.is_platform:
        before = before.where(earlier.writer_id == scope.writer_id)
    first = in_segment(
        scoped(
            select(S.reader_id, func.min(S.first_started_at).label("at"))
            .where(S.first_started_at >= cohort_start, S.first_started_at < end, ~exists(before))
            .group_by(S.reader_id),
            S.writer_id,
            scope,
        ),
        S.reader_id,
        segment,
    ).subquery()
    # a CTE used twice below: both backends materialize it once per statement
    cohorts = select(first.c.reader_id, week_start(utc_day(first.c.at)).label("cohort")).cte(
        "cohorts"
    )
    active_week = week_start(SRD.day)
    activity = scoped(
        select(
            cohorts.c.cohort, active_week.label("week"), func.count(func.distinct(SRD.reader_id))
        )
        .join(cohorts, cohorts.c.reader_id == SRD.reader_id)
        .where(SRD.day >= cohort_start, SRD.day <= last_day, active_week >= cohorts.c.cohort)
        .group_by(cohorts.c.cohort, active_week),
        SRD.writer_id,
        scope,
    )
    sizes = select(cohorts.c.cohort, cast(null(), Date).label("week"), func.count()).group_by(
        cohorts.c.cohort
    )
    return _cohort_counts(session.execute(union_all(sizes, activity)).all())


def stored_cohort_counts(
    session: Session,
    writer_id: int,
    cohort_start: date,
    last_day: date,
    segment: Segment | None = None,
) -> CohortCounts:
    """:func:`live_cohort_counts` for one writer, read from ``writer_reader_summary``
    (members by first-open week) and ``writer_reader_daily`` (their active days, which
    carry the member's first open): two index range scans in (cohort week, week) order."""
    end = datetime.combine(last_day + timedelta(days=1), time.min)
    sizes = in_segment(
        select(W.first_week, cast(null(), Date).label("week"), func.count())
        .where(
            W.writer_id == writer_id,
            W.first_week.between(cohort_start, last_day),
            W.first_started_at < end,
        )
        .group_by(W.first_week),
        W.reader_id,
        segment,
    )
    activity = in_segment(
        select(WRD.first_week, WRD.week, func.count(func.distinct(WRD.reader_id)))
        .where(
            WRD.writer_id == writer_id,
            WRD.first_week.between(cohort_start, last_day),
            WRD.first_day <= last_day,
            WRD.week >= WRD.first_week,
            WRD.day <= last_day,
        )
        .group_by(WRD.first_week, WRD.week),
        WRD.reader_id,
        segment,
    )
    return _cohort_counts(session.execute(union_all(sizes, activity)).all())


def _cohort_counts(rows: list[Any]) -> CohortCounts:
    """Split ``(cohort, week, n)`` rows into sizes (``week`` NULL) and activity counts."""
    sizes: dict[date, int] = {}
    counts: dict[tuple[date, date], int] = {}
    for cohort, week, n in rows:
        if week is None:
            sizes[_as_date(cohort)] = int(n)
        else:
            counts[(_as_date(cohort), _as_date(week))] = int(n)
    return sizes, counts


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
