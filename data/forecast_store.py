"""Storage of the forecasts job: the daily series it forecasts and the atomic replacement of
the stored forecast set (read side: ``data.queries.forecasts``).

Contract:

- :func:`forecast_as_of` — the last day the forecasts are based on: yesterday (the last
  complete UTC day), or the last day with any rollup row when that is earlier (a platform
  whose data stops, like a demo database, is forecast from its last day, not from a run of
  empty days).
- :func:`forecast_inputs` — the series to forecast, each daily from its first day with a
  rollup row in the window to ``as_of`` (missing days are zero): the platform, every catalog
  writer (also without data: the page then says why there is no forecast), and every catalog
  story with a row in the window. ``revenue`` is unlocks + tips + subscriptions in minor units
  of the reporting currency, ``readers`` distinct readers that day — for the platform and a
  writer exactly ``data.queries.overview.daily_series``'s ``revenue`` and ``unique_readers``
  (distinct readers of the scope's stories, from ``story_reader_daily``), for a story
  ``story_daily.unique_readers``. Bulk queries; memory grows with series × days.
- :func:`replace_forecasts` — writes a complete new set and makes it the current one in the
  caller's transaction; never commits. The new rows are inserted with ``is_current`` false,
  then the previous set (and any non-current leftovers) is deleted and the new set flipped
  to current, so a reader sees either the whole previous set or the whole new one, in any
  transaction isolation, and a transaction that is rolled back or killed half-way leaves
  the previous set untouched. ``uq_forecasts_current`` (one current forecast per series)
  makes two overlapping runs fail rather than both publish.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from data.db import utcnow
from data.models import (
    FORECAST_METRICS,
    FORECAST_MODELS,
    FORECAST_SCOPES,
    PLATFORM_SCOPE_ID,
    Forecast,
    ForecastPoint,
    Story,
    StoryDaily,
    StoryReaderDaily,
    Writer,
    WriterDaily,
)

#: Point rows per INSERT statement.
POINT_CHUNK_ROWS = 5000

_W_REVENUE = (
    WriterDaily.revenue_unlock_minor
    + WriterDaily.revenue_tip_minor
    + WriterDaily.revenue_subscription_minor
)
_S_REVENUE = (
    StoryDaily.revenue_unlock_minor
    + StoryDaily.revenue_tip_minor
    + StoryDaily.revenue_subscription_minor
)


@dataclass(frozen=True)
class SeriesHistory:
    """One series to forecast: ``values`` is indexed by day (``date``), consecutive from its
    first day to ``as_of`` (empty when the scope has no data in the window)."""

    scope: str
    scope_id: int
    metric: str
    values: pd.Series


@dataclass(frozen=True)
class PointRow:
    """One stored forecast day (values in the metric's unit, ≥ 0)."""

    day: date
    yhat: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class ForecastRecord:
    """One forecast to store (column meanings: ``data.models.Forecast``, docs/metrics.md)."""

    scope: str
    scope_id: int
    metric: str
    model: str
    horizon_days: int
    history_days: int
    history_start: date | None
    history_end: date
    note: str
    mase: float | None = None
    mape: float | None = None
    wape: float | None = None
    coverage_80: float | None = None
    coverage_95: float | None = None
    backtest_days: int | None = None
    baseline_mase: float | None = None
    baseline_mape: float | None = None
    prophet_mase: float | None = None
    prophet_mape: float | None = None
    month_end: date | None = None
    month_to_date: float | None = None
    month_p10: float | None = None
    month_p50: float | None = None
    month_p90: float | None = None
    fit_seconds: float | None = None
    points: tuple[PointRow, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.scope not in FORECAST_SCOPES:
            raise ValueError(f"unknown forecast scope {self.scope!r}")
        if self.metric not in FORECAST_METRICS:
            raise ValueError(f"unknown forecast metric {self.metric!r}")
        if self.model not in FORECAST_MODELS:
            raise ValueError(f"unknown forecast model {self.model!r}")


# --------------------------------------------------------------------------- inputs


def forecast_as_of(session: Session, today: date) -> date:
    """The last day forecasts are based on (see the module docstring)."""
    yesterday = today - timedelta(days=1)
    last = session.scalar(select(func.max(WriterDaily.day)).where(WriterDaily.day <= yesterday))
    return last or yesterday


def _frames(rows: Sequence[tuple], columns: list[str]) -> dict[int, pd.DataFrame]:
    """Rows ``(key, day, *columns)`` as one frame per key, indexed by day."""
    frame = pd.DataFrame(list(rows), columns=["key", "day", *columns])
    return {int(key): group.set_index("day")[columns] for key, group in frame.groupby("key")}


def _histories(
    scope: str, scope_id: int, parts: list[pd.DataFrame | None], as_of: date
) -> list[SeriesHistory]:
    """One ``SeriesHistory`` per metric from ``parts`` (frames indexed by day holding some of
    the metric columns), daily and zero-filled from the first day any part has to ``as_of``."""
    present = [part for part in parts if part is not None and not part.empty]
    if not present:
        empty = pd.Series([], index=pd.Index([], dtype=object), dtype=float)
        return [SeriesHistory(scope, scope_id, metric, empty) for metric in FORECAST_METRICS]
    frame = pd.concat(present, axis=1)
    first = min(frame.index)
    days = pd.Index([first + timedelta(days=i) for i in range((as_of - first).days + 1)])
    frame = frame.reindex(index=days, columns=list(FORECAST_METRICS)).fillna(0).astype(float)
    return [SeriesHistory(scope, scope_id, metric, frame[metric]) for metric in FORECAST_METRICS]


def forecast_inputs(session: Session, as_of: date, history_days: int) -> list[SeriesHistory]:
    """Every series to forecast over the ``history_days`` days ending ``as_of`` (see the
    module docstring): the platform's, then writers' and stories' by id, each scope's
    ``FORECAST_METRICS`` in order."""
    start = as_of - timedelta(days=history_days - 1)
    wd, srd, sd = WriterDaily, StoryReaderDaily, StoryDaily
    platform_revenue = session.execute(
        select(wd.day, func.sum(_W_REVENUE)).where(wd.day.between(start, as_of)).group_by(wd.day)
    ).all()
    platform_readers = session.execute(
        select(srd.day, func.count(func.distinct(srd.reader_id)))
        .where(srd.day.between(start, as_of))
        .group_by(srd.day)
    ).all()
    writer_revenue = session.execute(
        select(wd.writer_id, wd.day, func.sum(_W_REVENUE))
        .where(wd.day.between(start, as_of))
        .group_by(wd.writer_id, wd.day)
    ).all()
    writer_readers = session.execute(
        select(srd.writer_id, srd.day, func.count(func.distinct(srd.reader_id)))
        .where(srd.day.between(start, as_of), srd.writer_id.is_not(None))
        .group_by(srd.writer_id, srd.day)
    ).all()
    story_rows = session.execute(
        select(sd.story_id, sd.day, _S_REVENUE, sd.unique_readers)
        .join(Story, Story.id == sd.story_id)
        .where(sd.day.between(start, as_of))
    ).all()
    writer_ids = list(session.scalars(select(Writer.id).order_by(Writer.id)))

    result = _histories(
        "platform",
        PLATFORM_SCOPE_ID,
        [
            pd.DataFrame(platform_revenue, columns=["day", "revenue"]).set_index("day"),
            pd.DataFrame(platform_readers, columns=["day", "readers"]).set_index("day"),
        ],
        as_of,
    )
    revenue = _frames(writer_revenue, ["revenue"])
    readers = _frames(writer_readers, ["readers"])
    for writer_id in writer_ids:
        parts = [revenue.get(writer_id), readers.get(writer_id)]
        result.extend(_histories("writer", writer_id, parts, as_of))
    for story_id, frame in sorted(_frames(story_rows, ["revenue", "readers"]).items()):
        result.extend(_histories("story", story_id, [frame], as_of))
    return result


# --------------------------------------------------------------------------- the write


_POINT_FIELDS = ("day", "yhat", "lower_80", "upper_80", "lower_95", "upper_95")
_HEADER_FIELDS = tuple(
    name for name in ForecastRecord.__dataclass_fields__ if name not in ("points",)
)


def _insert_points(session: Session, rows: list[dict]) -> None:
    """One multi-row INSERT of forecast points (a seam the atomicity tests interrupt)."""
    session.execute(insert(ForecastPoint), rows)


def replace_forecasts(
    session: Session,
    records: Iterable[ForecastRecord],
    *,
    job_run_id: int | None = None,
    generated_at: datetime | None = None,
) -> int:
    """Make ``records`` the current forecast set, replacing the previous one (see the
    module docstring). Does not commit. Returns the rows written (forecasts + points)."""
    generated_at = generated_at or utcnow()
    bulk = {"synchronize_session": False}
    # Leftovers of an interrupted writer (never current, never visible): repair first.
    leftovers = select(Forecast.id).where(Forecast.is_current.is_(False))
    session.execute(
        delete(ForecastPoint).where(ForecastPoint.forecast_id.in_(leftovers)),
        execution_options=bulk,
    )
    session.execute(delete(Forecast).where(Forecast.is_current.is_(False)), execution_options=bulk)

    records = list(records)
    headers = [
        Forecast(
            **{name: getattr(record, name) for name in _HEADER_FIELDS},
            generated_at=generated_at,
            job_run_id=job_run_id,
            is_current=False,
        )
        for record in records
    ]
    session.add_all(headers)
    session.flush()
    written = len(headers)
    pending: list[dict] = []
    for header, record in zip(headers, records, strict=True):
        pending.extend(
            {"forecast_id": header.id, **{name: getattr(point, name) for name in _POINT_FIELDS}}
            for point in record.points
        )
        while len(pending) >= POINT_CHUNK_ROWS:
            _insert_points(session, pending[:POINT_CHUNK_ROWS])
            written += POINT_CHUNK_ROWS
            del pending[:POINT_CHUNK_ROWS]
    if pending:
        _insert_points(session, pending)
        written += len(pending)
    for header in headers:
        session.expunge(header)

    previous = select(Forecast.id).where(Forecast.is_current.is_(True))
    session.execute(
        delete(ForecastPoint).where(ForecastPoint.forecast_id.in_(previous)),
        execution_options=bulk,
    )
    session.execute(delete(Forecast).where(Forecast.is_current.is_(True)), execution_options=bulk)
    session.execute(
        update(Forecast).where(Forecast.is_current.is_(False)).values(is_current=True),
        execution_options=bulk,
    )
    return written
