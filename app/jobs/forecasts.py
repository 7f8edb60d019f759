"""The ``forecasts`` job: forecast every series and publish the new set atomically.

Contract of :func:`run_forecasts` (definitions: docs/metrics.md, "Forecasts"):

1. reads the series from the rollups (``data.forecast_store.forecast_inputs``, as of
   ``forecast_as_of``) and ends that read transaction (commit), so no snapshot or lock is
   held while models are fitted (minutes on a large platform);
2. forecasts each series with ``app.analytics.forecasting.forecast_series`` — no database
   access in between;
3. replaces the stored set in one transaction (``data.forecast_store.replace_forecasts``),
   left to the caller (the runner) to commit: a run that fails or is killed before that
   commit leaves the previous set current and complete; the next run replaces it.

Idempotent: the forecasts are deterministic for the same rollups and ``as_of``, and each run
replaces the whole set. Returns the rows written (forecasts + forecast days).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.analytics.forecasting import (
    HORIZON_DAYS,
    MAX_HISTORY_DAYS,
    MODEL_NONE,
    SeriesForecast,
    forecast_series,
)
from data.db import utcnow
from data.forecast_store import (
    ForecastRecord,
    PointRow,
    SeriesHistory,
    forecast_as_of,
    forecast_inputs,
    replace_forecasts,
)
from data.models import JobRun

logger = logging.getLogger("legato.jobs")
JOB_NAME = "forecasts"


def to_record(series: SeriesHistory, forecast: SeriesForecast, horizon_days: int) -> ForecastRecord:
    """The storage record of ``forecast`` for ``series``."""
    chosen, baseline, prophet, month = (
        forecast.backtest,
        forecast.baseline,
        forecast.prophet,
        forecast.month,
    )
    return ForecastRecord(
        scope=series.scope,
        scope_id=series.scope_id,
        metric=series.metric,
        model=forecast.model,
        horizon_days=horizon_days if forecast.model != MODEL_NONE else 0,
        history_days=forecast.history_days,
        history_start=forecast.history_start,
        history_end=forecast.history_end,
        note=forecast.message,
        mase=chosen.mase if chosen else None,
        mape=chosen.mape if chosen else None,
        wape=chosen.wape if chosen else None,
        coverage_80=chosen.coverage_80 if chosen else None,
        coverage_95=chosen.coverage_95 if chosen else None,
        backtest_days=chosen.days if chosen else None,
        baseline_mase=baseline.mase if baseline else None,
        baseline_mape=baseline.mape if baseline else None,
        prophet_mase=prophet.mase if prophet else None,
        prophet_mape=prophet.mape if prophet else None,
        month_end=month.month_end if month else None,
        month_to_date=month.to_date if month else None,
        month_p10=month.p10 if month else None,
        month_p50=month.p50 if month else None,
        month_p90=month.p90 if month else None,
        fit_seconds=round(forecast.seconds, 4),
        points=tuple(
            PointRow(p.day, p.yhat, p.lower_80, p.upper_80, p.lower_95, p.upper_95)
            for p in forecast.points
        ),
    )


def _running_run_id(session: Session) -> int | None:
    """The id of this job's run in progress (the runner records it before calling the job and
    holds the job's lock, so it is ours); ``None`` when called outside the runner."""
    return session.scalar(
        select(JobRun.id)
        .where(JobRun.job_name == JOB_NAME, JobRun.status == "running")
        .order_by(JobRun.id.desc())
        .limit(1)
    )


def run_forecasts(
    session: Session, *, today: date | None = None, horizon_days: int = HORIZON_DAYS
) -> int:
    """Forecast every series and replace the stored set (see the module docstring); ``today``
    defaults to the current UTC day. Does not commit the write."""
    started = time.perf_counter()
    as_of = forecast_as_of(session, today or utcnow().date())
    inputs = forecast_inputs(session, as_of, MAX_HISTORY_DAYS)
    run_id = _running_run_id(session)
    session.commit()  # end the read transaction before fitting

    records = []
    models: Counter[str] = Counter()
    fits = 0
    for series in inputs:
        forecast = forecast_series(series.values, as_of, horizon_days=horizon_days)
        models[forecast.model] += 1
        fits += forecast.fits
        records.append(to_record(series, forecast, horizon_days))
    fitted = time.perf_counter()
    rows = replace_forecasts(session, records, job_run_id=run_id)
    logger.info(
        "forecasts as of %s: %d series (%s), %d Prophet fits in %.1fs, %d rows written in %.2fs",
        as_of,
        len(records),
        ", ".join(f"{model} {count}" for model, count in sorted(models.items())),
        fits,
        fitted - started,
        rows,
        time.perf_counter() - fitted,
    )
    return rows
