"""Daily forecasts of one non-negative series (revenue, readers), honest about uncertainty.

Pure computation: plain values in, a :class:`SeriesForecast` out. Prophet is the only
forecasting library; it is imported lazily (inside the fit) so that processes which only
import the job registry (the web tier) do not pay for it.

Contract of :func:`forecast_series` (definitions in docs/metrics.md, "Forecasts"):

- **Input**: daily values indexed by day, ending at ``end`` (missing days count as zero;
  leading zero days are dropped, so the series starts on its first non-zero day; only the
  last ``MAX_HISTORY_DAYS`` days are used). Raises ``ValueError`` for values after ``end``,
  negative values or NaN.
- **History thresholds**: fewer than ``MIN_PROJECTION_DAYS`` days → no forecast (model
  ``none``, no points, a message); fewer than ``MIN_MODEL_HISTORY_DAYS`` → a clearly
  labelled flat *projection* (model ``projection``) of the last weeks' average, not
  backtested; otherwise a backtested model.
- **Models**: Prophet (linear trend, weekly seasonality, no daily seasonality; yearly
  seasonality only when every fit, including the earliest backtest fold's, has at least
  ``YEARLY_MIN_DAYS`` = two years of history, so the backtest scores the specification that
  is stored) and the seasonal-naive baseline (each future day repeats the same weekday of
  the last observed week).
- **Backtest**: rolling origin, up to ``MAX_FOLDS`` folds of ``BACKTEST_HORIZON_DAYS``
  held-out days each (the last folds of the history, non-overlapping), each model trained
  on the days before the fold only. Errors: MASE (absolute error scaled by the in-sample
  mean absolute one-week seasonal difference of the fold's training days), MAPE (over
  held-out days with a non-zero actual), WAPE (Σ|error| ÷ Σ actual: the "typical error"),
  and the empirical coverage of the 80% and 95% bands.
- **Choice**: Prophet is kept only when its backtest MASE is strictly lower than the
  baseline's (MAE when MASE is undefined: a series without weekly variation); otherwise,
  or when Prophet fails to fit, the stored forecast is the baseline's, and ``model`` and
  ``message`` say so.
- **Bands**: Prophet's 80% and 95% bands come from *one* fit: ``UNCERTAINTY_SAMPLES``
  posterior-predictive sample paths (trend-change and noise simulation), cut at the 10/90
  and 2.5/97.5 percentiles. One fit rather than two (``interval_width`` 0.8 and 0.95):
  half the fit time, the 95% band always contains the 80% band, and the same paths give
  the month-end total's P10–P90 with the day-to-day correlation of the trend intact
  (summing per-day quantiles would not). The baseline's bands are empirical: the quantiles
  of its own errors at every rolling origin of the history (``y[t] − y[t − 7k]`` for
  horizon week ``k``), i.e. a backtest at every day.
- **Month-end range**: P10/P50/P90 of the total of the month that the first forecast day
  falls in (days already observed in that month + the forecast days up to its last day):
  Prophet from its sample paths; the baseline from its errors on that same window at every
  past origin. ``None`` for projections.
- All values are clipped at zero (both metrics are non-negative; clipping can only help
  coverage). Results are deterministic for a given input (fixed seeds).
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from prophet import Prophet

MODEL_PROPHET = "prophet"
MODEL_SEASONAL_NAIVE = "seasonal_naive"
MODEL_PROJECTION = "projection"
MODEL_NONE = "none"
#: Every ``SeriesForecast.model`` value (pages label them from ``data.models.FORECAST_MODELS``).
MODELS = (MODEL_PROPHET, MODEL_SEASONAL_NAIVE, MODEL_PROJECTION, MODEL_NONE)

SEASON_DAYS = 7
HORIZON_DAYS = 90
SHORT_HORIZON_DAYS = 30
BACKTEST_HORIZON_DAYS = 28
MAX_FOLDS = 3
#: Training days a backtest fold needs at least (eight weekly cycles).
MIN_TRAIN_DAYS = 56
#: History a backtested forecast needs: one fold of training plus one of held-out days.
MIN_MODEL_HISTORY_DAYS = MIN_TRAIN_DAYS + BACKTEST_HORIZON_DAYS
#: History a flat projection needs (two full weeks); below it nothing is forecast.
MIN_PROJECTION_DAYS = 14
#: Days averaged by the projection (at most; fewer when the history is shorter).
PROJECTION_WINDOW_DAYS = 28
#: Yearly seasonality is fitted only from two years of history on.
YEARLY_MIN_DAYS = 730
MAX_HISTORY_DAYS = 3 * 365
UNCERTAINTY_SAMPLES = 1000
#: Empirical quantiles need at least this many errors (else a shorter horizon's are reused).
MIN_RESIDUALS = 28
SEED = 20261124
_QUANTILES = (0.025, 0.10, 0.90, 0.975)


@dataclass(frozen=True)
class ForecastDay:
    """One forecast day: the point forecast and its 80% and 95% bands (all ≥ 0)."""

    day: date
    yhat: float
    lower_80: float
    upper_80: float
    lower_95: float
    upper_95: float


@dataclass(frozen=True)
class BacktestScore:
    """A model's rolling-origin backtest: ``folds`` folds, ``days`` held-out days.
    ``mase``/``mape``/``wape`` are ``None`` when undefined (no weekly variation, no non-zero
    actual, no volume); ``mape`` and ``wape`` are fractions (0.12 = 12%)."""

    folds: int
    days: int
    mae: float
    mase: float | None
    mape: float | None
    wape: float | None
    coverage_80: float
    coverage_95: float


@dataclass(frozen=True)
class MonthRange:
    """The total of the month ending ``month_end``: ``to_date`` already observed, and the
    P10/P50/P90 of the whole month's total (observed + forecast)."""

    month_end: date
    to_date: float
    p10: float
    p50: float
    p90: float


@dataclass(frozen=True)
class SeriesForecast:
    """What :func:`forecast_series` decided and predicted (see the module docstring).

    ``history_start`` is the first non-zero day used (``None`` without one), ``history_end``
    the last observed day, ``history_days`` the days from start to end; ``points`` start the
    day after ``history_end`` (empty for ``none``). ``backtest`` is the chosen model's score,
    ``baseline`` and ``prophet`` each model's (``None`` when not run). ``fits`` counts the
    Prophet fits made and ``seconds`` the wall time spent."""

    model: str
    history_start: date | None
    history_end: date
    history_days: int
    yearly_seasonality: bool
    points: tuple[ForecastDay, ...]
    backtest: BacktestScore | None
    baseline: BacktestScore | None
    prophet: BacktestScore | None
    month: MonthRange | None
    message: str
    fits: int
    seconds: float


# --------------------------------------------------------------------------- entry point


def forecast_series(
    history: pd.Series, end: date, *, horizon_days: int = HORIZON_DAYS
) -> SeriesForecast:
    """Forecast the ``horizon_days`` days after ``end`` from ``history`` (see the module
    docstring for the whole contract)."""
    started = time.perf_counter()
    if horizon_days < 1:
        raise ValueError("horizon_days must be at least 1")
    values, start = _prepare(history, end)
    n = len(values)
    if n < MIN_PROJECTION_DAYS:
        message = (
            "No forecast yet: no data in this series."
            if n == 0
            else f"No forecast yet: only {n} days of history (a projection needs "
            f"{MIN_PROJECTION_DAYS}, a forecast {MIN_MODEL_HISTORY_DAYS})."
        )
        return SeriesForecast(
            MODEL_NONE, start, end, n, False, (), None, None, None, None, message, 0,
            time.perf_counter() - started,
        )  # fmt: skip
    if n < MIN_MODEL_HISTORY_DAYS:
        points, message = _projection(values, end, horizon_days)
        return SeriesForecast(
            MODEL_PROJECTION, start, end, n, False, points, None, None, None, None, message, 0,
            time.perf_counter() - started,
        )  # fmt: skip

    folds = min(MAX_FOLDS, (n - MIN_TRAIN_DAYS) // BACKTEST_HORIZON_DAYS)
    yearly = yearly_seasonality_for(n - folds * BACKTEST_HORIZON_DAYS)
    baseline_score, prophet_score, fits, failure = _backtest(values, start, folds, yearly)
    use_prophet = prophet_score is not None and _beats(prophet_score, baseline_score)
    month_end = _month_end(end + timedelta(days=1))
    month_days = (month_end - end).days
    observed = end.day if (end.year, end.month) == (month_end.year, month_end.month) else 0
    to_date = float(values[max(0, n - observed) :].sum()) if observed else 0.0
    days = [end + timedelta(days=h) for h in range(1, horizon_days + 1)]
    if use_prophet:
        try:
            ahead = max(horizon_days, month_days)  # the month total needs every day to its end
            yhat, samples = _prophet_forecast(values, start, ahead, yearly)
            fits += 1
        except Exception as exc:  # cmdstan failures: fall back, say so
            use_prophet, failure = False, _short_error(exc)
    if use_prophet:
        bands = np.quantile(samples[:horizon_days], _QUANTILES, axis=1)
        yhat = yhat[:horizon_days]
        month_totals = to_date + samples[:month_days].sum(axis=0)
        p10, p50, p90 = np.quantile(month_totals, (0.1, 0.5, 0.9))
        month = MonthRange(month_end, to_date, float(p10), float(p50), float(p90))
        chosen = prophet_score
    else:
        yhat = _naive_forecast(values, horizon_days)
        bands = _naive_bands(values, horizon_days) + yhat
        month = _naive_month(values, month_days, to_date, month_end)
        chosen = baseline_score
    points = _points(days, yhat, bands)
    message = _model_message(use_prophet, yearly, baseline_score, prophet_score, failure)
    return SeriesForecast(
        MODEL_PROPHET if use_prophet else MODEL_SEASONAL_NAIVE,
        start, end, n, yearly and use_prophet, points, chosen, baseline_score, prophet_score,
        month, message, fits, time.perf_counter() - started,
    )  # fmt: skip


def yearly_seasonality_for(history_days: int) -> bool:
    """Whether a Prophet fit on ``history_days`` days may have yearly seasonality (two years
    or more). ``forecast_series`` asks it for its earliest backtest fold's training days."""
    return history_days >= YEARLY_MIN_DAYS


# --------------------------------------------------------------------------- preparation


def _prepare(history: pd.Series, end: date) -> tuple[np.ndarray, date | None]:
    """The values from the first non-zero day to ``end`` (gaps filled with 0, at most
    ``MAX_HISTORY_DAYS``) and that first day."""
    if len(history) == 0:
        return np.zeros(0), None
    index = pd.to_datetime(pd.Index(history.index)).normalize()
    series = pd.Series(np.asarray(history, dtype=float), index=index).groupby(level=0).sum()
    end_ts = pd.Timestamp(end)
    if series.index.max() > end_ts:
        raise ValueError(f"history has values after {end}")
    if series.isna().any() or (series < 0).any():
        raise ValueError("history values must be non-negative numbers")
    first = max(series.index.min(), end_ts - pd.Timedelta(days=MAX_HISTORY_DAYS - 1))
    full = series.reindex(pd.date_range(first, end_ts, freq="D"), fill_value=0.0)
    nonzero = np.flatnonzero(full.to_numpy() > 0)
    if len(nonzero) == 0:
        return np.zeros(0), None
    values = full.to_numpy()[nonzero[0] :]
    return values, full.index[nonzero[0]].date()


def _month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _points(days: list[date], yhat: np.ndarray, bands: np.ndarray) -> tuple[ForecastDay, ...]:
    """Rows from the point forecast and ``bands`` (rows: 2.5, 10, 90, 97.5 percentiles),
    clipped at zero and made nested (95% ⊇ 80% ∋ yhat)."""
    yhat = np.clip(yhat, 0.0, None)
    lo95, lo80, hi80, hi95 = (np.clip(row, 0.0, None) for row in bands)
    lo80 = np.minimum(lo80, yhat)
    hi80 = np.maximum(hi80, yhat)
    lo95 = np.minimum(lo95, lo80)
    hi95 = np.maximum(hi95, hi80)
    return tuple(
        ForecastDay(day, *(float(v) for v in values))
        for day, *values in zip(days, yhat, lo80, hi80, lo95, hi95, strict=True)
    )


# --------------------------------------------------------------------------- projection


def _projection(values: np.ndarray, end: date, horizon_days: int) -> tuple[tuple, str]:
    recent = values[-PROJECTION_WINDOW_DAYS:]
    mean = float(recent.mean())
    bands = np.quantile(recent, _QUANTILES)[:, None] * np.ones(horizon_days)
    days = [end + timedelta(days=h) for h in range(1, horizon_days + 1)]
    message = (
        f"Only {len(values)} days of history (a backtested forecast needs "
        f"{MIN_MODEL_HISTORY_DAYS}): a flat projection of the last {len(recent)} days' "
        "average, not a forecast; the band is the range of those days' values."
    )
    return _points(days, np.full(horizon_days, mean), bands), message


# --------------------------------------------------------------------------- seasonal naive


def _naive_forecast(values: np.ndarray, horizon: int) -> np.ndarray:
    """Day ``h`` after the end repeats the same weekday of the last observed week."""
    n = len(values)
    return np.array(
        [values[n - SEASON_DAYS + (h - 1) % SEASON_DAYS] for h in range(1, horizon + 1)]
    )


def _week_of(h: int) -> int:
    return math.ceil(h / SEASON_DAYS)


def _seasonal_errors(values: np.ndarray, weeks: int) -> np.ndarray:
    """The baseline's errors at horizon week ``weeks`` at every origin of ``values``."""
    lag = SEASON_DAYS * weeks
    return values[lag:] - values[:-lag] if len(values) > lag else np.zeros(0)


def _usable_weeks(n: int, weeks: int) -> int:
    """``weeks``, or the longest horizon week with ``MIN_RESIDUALS`` errors in ``n`` days."""
    longest = max(1, (n - MIN_RESIDUALS) // SEASON_DAYS)
    return min(weeks, longest)


def _naive_bands(values: np.ndarray, horizon: int) -> np.ndarray:
    """Empirical error quantiles (rows: 2.5, 10, 90, 97.5%) per forecast day, from the
    baseline's own errors at the same horizon week (or the longest one with enough errors)."""
    n = len(values)
    by_week: dict[int, np.ndarray] = {}
    columns = []
    for h in range(1, horizon + 1):
        weeks = _usable_weeks(n, _week_of(h))
        if weeks not in by_week:
            errors = _seasonal_errors(values, weeks)
            by_week[weeks] = (
                np.quantile(errors, _QUANTILES) if len(errors) else np.zeros(len(_QUANTILES))
            )
        columns.append(by_week[weeks])
    return np.array(columns).T


def _naive_month(
    values: np.ndarray, month_days: int, to_date: float, month_end: date
) -> MonthRange | None:
    """The month total's P10/P50/P90 for the baseline: its forecast of the remaining
    ``month_days`` days plus its error on such a window at every past origin."""
    n = len(values)
    forecast = float(_naive_forecast(values, month_days).sum())
    errors = []
    for origin in range(SEASON_DAYS - 1, n - month_days):
        past = values[: origin + 1]
        actual = values[origin + 1 : origin + 1 + month_days].sum()
        errors.append(actual - _naive_forecast(past, month_days).sum())
    if len(errors) < MIN_RESIDUALS:
        return None
    totals = np.clip(forecast + np.asarray(errors), 0.0, None) + to_date
    p10, p50, p90 = np.quantile(totals, (0.1, 0.5, 0.9))
    return MonthRange(month_end, to_date, float(p10), float(p50), float(p90))


# --------------------------------------------------------------------------- Prophet


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence cmdstanpy (its logger is disabled) and Prophet (errors only, and none of the
    warnings its own code raises, e.g. pandas deprecations) while fitting, restoring both
    loggers and the warning filters afterwards. Process-wide state, like NumPy's global
    generator below: meant for one forecasting thread at a time (the job lock ensures one
    forecasts run per process)."""
    import cmdstanpy

    prophet_logger = logging.getLogger("prophet")
    level = prophet_logger.level
    prophet_logger.setLevel(logging.ERROR)
    try:
        with cmdstanpy.disable_logging(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", module=r"prophet(\.|$)")
            yield
    finally:
        prophet_logger.setLevel(level)


def _fit_prophet(values: np.ndarray, start: date, yearly: bool) -> Prophet:
    from prophet import Prophet

    frame = pd.DataFrame({"ds": pd.date_range(start, periods=len(values), freq="D"), "y": values})
    model = Prophet(
        growth="linear",
        weekly_seasonality=True,
        yearly_seasonality=yearly,
        daily_seasonality=False,
        uncertainty_samples=0,  # point predictions from predict(); bands from samples
    )
    with _quiet():
        model.fit(frame, seed=SEED)
    return model


def _prophet_forecast(
    values: np.ndarray, start: date, horizon: int, yearly: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Prophet's point forecast for the ``horizon`` days after ``values`` and its sample
    paths (``horizon`` × ``UNCERTAINTY_SAMPLES``), clipped at zero."""
    model = _fit_prophet(values, start, yearly)
    future_start = start + timedelta(days=len(values))
    future = pd.DataFrame({"ds": pd.date_range(future_start, periods=horizon, freq="D")})
    with _quiet():
        yhat = model.predict(future)["yhat"].to_numpy()
        model.uncertainty_samples = UNCERTAINTY_SAMPLES
        state = np.random.get_state()  # Prophet samples from NumPy's global generator
        np.random.seed(SEED)
        try:
            samples = model.predictive_samples(future)["yhat"]
        finally:
            np.random.set_state(state)
    return np.clip(yhat, 0.0, None), np.clip(samples, 0.0, None)


def _short_error(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return text[:200]


# --------------------------------------------------------------------------- backtest


@dataclass
class _Tally:
    """Held-out errors of one model, accumulated over folds."""

    abs_errors: list[np.ndarray]
    scaled: list[np.ndarray]
    actuals: list[np.ndarray]
    in_80: int = 0
    in_95: int = 0

    def add(self, actual: np.ndarray, yhat: np.ndarray, bands: np.ndarray, scale: float) -> None:
        error = np.abs(actual - yhat)
        self.abs_errors.append(error)
        self.scaled.append(error / scale if scale > 0 else np.full(len(error), np.nan))
        self.actuals.append(actual)
        lo95, lo80, hi80, hi95 = bands
        self.in_80 += int(((actual >= lo80) & (actual <= hi80)).sum())
        self.in_95 += int(((actual >= lo95) & (actual <= hi95)).sum())

    def score(self, folds: int) -> BacktestScore:
        errors = np.concatenate(self.abs_errors)
        scaled = np.concatenate(self.scaled)
        actual = np.concatenate(self.actuals)
        nonzero = actual > 0
        return BacktestScore(
            folds=folds,
            days=len(errors),
            mae=float(errors.mean()),
            mase=None if np.isnan(scaled).any() else float(scaled.mean()),
            mape=float((errors[nonzero] / actual[nonzero]).mean()) if nonzero.any() else None,
            wape=float(errors.sum() / actual.sum()) if actual.sum() > 0 else None,
            coverage_80=self.in_80 / len(errors),
            coverage_95=self.in_95 / len(errors),
        )


def _mase_scale(train: np.ndarray) -> float:
    """In-sample mean absolute one-week seasonal difference (MASE's denominator)."""
    return float(np.abs(_seasonal_errors(train, 1)).mean())


def _backtest(
    values: np.ndarray, start: date, folds: int, yearly: bool
) -> tuple[BacktestScore, BacktestScore | None, int, str | None]:
    """Both models over the last ``folds`` rolling-origin folds (Prophet with or without
    ``yearly`` seasonality): (baseline score, Prophet score or ``None`` when Prophet failed,
    Prophet fits made, the failure)."""
    n = len(values)
    overall_scale = _mase_scale(values)
    baseline = _Tally([], [], [])
    prophet: _Tally | None = _Tally([], [], [])
    fits, failure = 0, None
    for fold in range(folds, 0, -1):
        cut = n - fold * BACKTEST_HORIZON_DAYS
        train, actual = values[:cut], values[cut : cut + BACKTEST_HORIZON_DAYS]
        scale = _mase_scale(train) or overall_scale
        naive = np.clip(_naive_forecast(train, BACKTEST_HORIZON_DAYS), 0.0, None)
        naive_bands = np.clip(naive + _naive_bands(train, BACKTEST_HORIZON_DAYS), 0.0, None)
        baseline.add(actual, naive, naive_bands, scale)
        if prophet is None:
            continue
        try:
            yhat, samples = _prophet_forecast(train, start, BACKTEST_HORIZON_DAYS, yearly)
            fits += 1
        except Exception as exc:  # a failed fit disqualifies Prophet for this series
            prophet, failure = None, _short_error(exc)
            continue
        prophet.add(actual, yhat, np.quantile(samples, _QUANTILES, axis=1), scale)
    return (
        baseline.score(folds),
        prophet.score(folds) if prophet is not None else None,
        fits,
        failure,
    )


def _beats(prophet: BacktestScore, baseline: BacktestScore) -> bool:
    if prophet.mase is not None and baseline.mase is not None:
        return prophet.mase < baseline.mase
    return prophet.mae < baseline.mae


def _model_message(
    use_prophet: bool,
    yearly: bool,
    baseline: BacktestScore,
    prophet: BacktestScore | None,
    failure: str | None,
) -> str:
    def mase(score: BacktestScore | None) -> str:
        return "n/a" if score is None or score.mase is None else f"{score.mase:.2f}"

    window = f"{baseline.days} held-out days in {baseline.folds} backtest fold" + (
        "s" if baseline.folds > 1 else ""
    )
    if use_prophet:
        seasonality = "weekly and yearly" if yearly else "weekly"
        return (
            f"Prophet ({seasonality} seasonality) beat the seasonal-naive baseline over "
            f"{window}: MASE {mase(prophet)} vs {mase(baseline)}."
        )
    if failure is not None:
        return (
            f"Seasonal-naive baseline (each day repeats the same weekday of the last week): "
            f"Prophet could not be fitted ({failure})."
        )
    return (
        "Seasonal-naive baseline (each day repeats the same weekday of the last week): "
        f"Prophet did not beat it over {window} (MASE {mase(prophet)} vs {mase(baseline)})."
    )
