"""The stored forecasts, ready to show (definitions: docs/metrics.md, "Forecasts").

Dashboards never fit a model: the ``forecasts`` job stores one current forecast per series
(``data.forecast_store``) and :func:`stored_forecast` reads it back with everything a page
needs — the forecast days with both bands, which model it is, its backtest errors, the
"typical error ±X%" and the month-end P10–P90 range — without computing anything.

Scope rule: a writer scope reads only its own writer forecast and its own stories' (checked
against the catalog with ``story_in_scope``); the platform scope reads the platform forecast
and any story's. Anything else is ``None``, exactly like a series without a forecast, so
the answer reveals nothing about other writers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import (
    FORECAST_METRICS,
    FORECAST_MODELS,
    PLATFORM_SCOPE_ID,
    Forecast,
    ForecastPoint,
)
from data.queries.common import story_in_scope
from data.queries.filters import FilterError, Scope

#: Stored days ahead; pages show the first 30 or all 90.
FORECAST_HORIZONS = (30, 90)
POINT_COLUMNS = ["yhat", "lower_80", "upper_80", "lower_95", "upper_95"]
#: Models that were backtested against the seasonal-naive baseline (and carry errors).
BACKTESTED_MODELS = ("prophet", "seasonal_naive")
#: Each metric's unit: revenue in minor units of the reporting currency, readers a count.
METRIC_UNITS = {"revenue": "minor", "readers": "readers"}


@dataclass(frozen=True)
class StoredForecast:
    """One series' current forecast.

    - ``scope`` (platform|writer|story) and ``scope_id``; ``metric`` (revenue|readers) and
      ``unit`` (``minor``: minor units of the reporting currency; ``readers``: a count).
    - ``model`` (prophet|seasonal_naive|projection|none), ``model_label`` (show it),
      ``backtested`` (prophet or seasonal_naive: the errors below exist) and ``message``
      (one sentence saying which model and why, or why there is no forecast: show it).
    - ``history_start``/``history_end``: the observed days the forecast is based on (the
      first forecast day is ``history_end`` + 1); ``history_days``.
    - ``points``: a DataFrame indexed by ``day`` with ``POINT_COLUMNS`` (``yhat`` and the
      80% and 95% bands, all ≥ 0), the first ``horizon_days`` stored days (empty for
      ``none``); the same rows whatever period a page shows.
    - Backtest of the model shown: ``mase``, ``mape`` and ``wape`` (fractions),
      ``coverage_80``/``coverage_95`` (share of held-out days inside each band),
      ``backtest_days``; the baseline's ``baseline_mase``/``baseline_mape`` and Prophet's
      ``prophet_mase``/``prophet_mape`` (``None`` when not run or undefined).
    - ``typical_error_pct``: "typical error ±X%" — the WAPE in percent, rounded
      (``None`` without a backtest).
    - ``month_end`` and the month total's ``month_to_date`` (observed), ``month_p10``,
      ``month_p50``, ``month_p90`` (observed + forecast; ``None`` for projections and
      ``none``).
    - ``generated_at``: when the job computed it (naive UTC).
    """

    scope: str
    scope_id: int
    metric: str
    unit: str
    model: str
    model_label: str
    backtested: bool
    message: str
    history_start: date | None
    history_end: date | None
    history_days: int
    horizon_days: int
    points: pd.DataFrame
    mase: float | None
    mape: float | None
    wape: float | None
    coverage_80: float | None
    coverage_95: float | None
    backtest_days: int | None
    baseline_mase: float | None
    baseline_mape: float | None
    prophet_mase: float | None
    prophet_mape: float | None
    typical_error_pct: int | None
    month_end: date | None
    month_to_date: float | None
    month_p10: float | None
    month_p50: float | None
    month_p90: float | None
    generated_at: datetime


def _series_key(session: Session, scope: Scope, story_id: int | None) -> tuple[str, int] | None:
    """The stored series the scope may read, or ``None`` when the story is out of scope."""
    if story_id is not None:
        if story_in_scope(session, scope, story_id) is None:
            return None
        return "story", story_id
    if scope.is_platform:
        return "platform", PLATFORM_SCOPE_ID
    return "writer", int(scope.writer_id)  # type: ignore[arg-type]


def stored_forecast(
    session: Session,
    scope: Scope,
    metric: str,
    *,
    story_id: int | None = None,
    horizon_days: int = 90,
) -> StoredForecast | None:
    """The current forecast of ``metric`` (``FORECAST_METRICS``: revenue|readers) for the
    scope's writer (or the platform), or for ``story_id`` when given and in scope; ``None``
    when there is none or the story is out of scope. ``horizon_days`` (1–90) limits the
    points returned. Raises ``FilterError`` for an unknown metric or horizon.

    One SELECT (forecast joined with its points), so the answer comes from one snapshot
    even while the job replaces the set."""
    if metric not in FORECAST_METRICS:
        raise FilterError(f"metric must be one of {', '.join(FORECAST_METRICS)}, not {metric!r}")
    if not 1 <= horizon_days <= max(FORECAST_HORIZONS):
        raise FilterError(f"horizon_days must be between 1 and {max(FORECAST_HORIZONS)}")
    key = _series_key(session, scope, story_id)
    if key is None:
        return None
    p = ForecastPoint
    rows = session.execute(
        select(
            Forecast.__table__, p.day.label("point_day"), *(getattr(p, c) for c in POINT_COLUMNS)
        )
        .select_from(Forecast)
        .outerjoin(p, p.forecast_id == Forecast.id)
        .where(
            Forecast.is_current.is_(True),
            Forecast.scope == key[0],
            Forecast.scope_id == key[1],
            Forecast.metric == metric,
        )
        .order_by(p.day)
    ).all()
    if not rows:
        return None
    header = rows[0]._mapping
    points = pd.DataFrame(
        [tuple(row[-6:]) for row in rows if row.point_day is not None][:horizon_days],
        columns=["day", *POINT_COLUMNS],
    ).set_index("day")
    return StoredForecast(
        scope=header["scope"],
        scope_id=header["scope_id"],
        metric=header["metric"],
        unit=METRIC_UNITS[header["metric"]],
        model=header["model"],
        model_label=FORECAST_MODELS.get(header["model"], header["model"]),
        backtested=header["model"] in BACKTESTED_MODELS,
        message=header["note"],
        history_start=header["history_start"],
        history_end=header["history_end"],
        history_days=header["history_days"],
        horizon_days=len(points),
        points=points,
        mase=header["mase"],
        mape=header["mape"],
        wape=header["wape"],
        coverage_80=header["coverage_80"],
        coverage_95=header["coverage_95"],
        backtest_days=header["backtest_days"],
        baseline_mase=header["baseline_mase"],
        baseline_mape=header["baseline_mape"],
        prophet_mase=header["prophet_mase"],
        prophet_mape=header["prophet_mape"],
        typical_error_pct=None if header["wape"] is None else round(header["wape"] * 100),
        month_end=header["month_end"],
        month_to_date=header["month_to_date"],
        month_p10=header["month_p10"],
        month_p50=header["month_p50"],
        month_p90=header["month_p90"],
        generated_at=header["generated_at"],
    )
