"""app.analytics.forecasting on synthetic series with known structure (docs/metrics.md,
"Forecasts"). Prophet fits take ~0.1–1 s each, so the series are few and short."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from app.analytics import forecasting
from app.analytics.forecasting import (
    BACKTEST_HORIZON_DAYS,
    HORIZON_DAYS,
    MIN_MODEL_HISTORY_DAYS,
    MIN_PROJECTION_DAYS,
    MODEL_NONE,
    MODEL_PROJECTION,
    MODEL_PROPHET,
    MODEL_SEASONAL_NAIVE,
    MODELS,
    forecast_series,
    yearly_seasonality_for,
)
from data.models import FORECAST_MODELS

END = date(2026, 6, 20)  # mid-month: the month-end range includes observed days
WEEKLY = np.array([-20.0, -15.0, -5.0, 0.0, 5.0, 15.0, 20.0])


def daily(values: np.ndarray, end: date = END) -> pd.Series:
    """``values`` as a daily series ending ``end``."""
    return pd.Series(values, index=pd.date_range(end=end, periods=len(values), freq="D").date)


def trend_and_weekly(days: int, seed: int) -> np.ndarray:
    """Linear trend + additive weekly pattern + Gaussian noise (σ = 6)."""
    t = np.arange(days)
    rng = np.random.default_rng(seed)
    return 100 + 0.5 * t + WEEKLY[t % 7] + rng.normal(0, 6, days)


def regime_changes(days: int, seed: int) -> np.ndarray:
    """A weekly release-day spike on a level that jumps every three weeks: only the last
    week says where the level is, so a trend model always lags behind."""
    t = np.arange(days)
    rng = np.random.default_rng(seed)
    level = np.repeat(rng.uniform(50, 300, days // 21 + 1), 21)[:days]
    return np.clip(level * (1 + 2 * (t % 7 == 3)) + rng.normal(0, 2, days), 0, None)


def band(forecast, days: int) -> tuple[np.ndarray, np.ndarray]:
    points = forecast.points[:days]
    return (
        np.array([p.lower_80 for p in points]),
        np.array([p.upper_80 for p in points]),
    )


def test_model_names_match_the_stored_labels() -> None:
    assert set(MODELS) == set(FORECAST_MODELS)


def test_prophet_beats_the_baseline_and_its_80_band_covers_70_to_90_percent(capfd, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    held_out = 2 * BACKTEST_HORIZON_DAYS
    inside = total = 0
    for seed in (0, 1):
        full = trend_and_weekly(140 + held_out, seed)
        forecast = forecast_series(daily(full[:140]), END)
        assert forecast.model == MODEL_PROPHET, forecast.message
        assert forecast.prophet.mase < forecast.baseline.mase
        assert forecast.backtest == forecast.prophet
        assert forecast.backtest.folds == 3
        assert forecast.backtest.days == 3 * BACKTEST_HORIZON_DAYS
        assert "beat the seasonal-naive baseline" in forecast.message
        actual = full[140:]
        lower, upper = band(forecast, held_out)
        inside += int(((actual >= lower) & (actual <= upper)).sum())
        total += held_out
        assert len(forecast.points) == HORIZON_DAYS
        assert forecast.points[0].day == END + timedelta(days=1)
        for point in forecast.points:
            assert 0 <= point.lower_95 <= point.lower_80 <= point.yhat
            assert point.yhat <= point.upper_80 <= point.upper_95
    assert 0.70 <= inside / total <= 0.90, inside / total
    # cmdstanpy and Prophet stay quiet
    captured = capfd.readouterr()
    assert "cmdstanpy" not in captured.err + captured.out
    assert not [r for r in caplog.records if r.name.split(".")[0] in ("cmdstanpy", "prophet")]


def test_forecasts_are_deterministic_and_carry_the_month_end_range() -> None:
    history = daily(trend_and_weekly(120, 3))
    first = forecast_series(history, END)
    second = forecast_series(history, END)
    assert first.points == second.points
    assert first.month == second.month
    month = first.month
    assert month.month_end == date(2026, 6, 30)
    assert month.to_date == pytest.approx(history.iloc[-20:].sum())  # June 1–20 observed
    assert month.to_date < month.p10 <= month.p50 <= month.p90
    expected = month.to_date + sum(p.yhat for p in first.points[:10])
    assert month.p10 <= expected <= month.p90
    week = forecast_series(history, END, horizon_days=7)  # shorter than the month's rest
    assert len(week.points) == 7
    assert [p.yhat for p in week.points] == [p.yhat for p in first.points[:7]]
    assert [p.upper_80 for p in week.points] == pytest.approx(
        [p.upper_80 for p in first.points[:7]], rel=0.02
    )
    assert week.month.p10 == pytest.approx(month.p10, rel=0.05)


def test_prophet_loses_on_regime_changes_and_the_baseline_is_stored() -> None:
    values = regime_changes(140, 0)
    forecast = forecast_series(daily(values), END)
    assert forecast.model == MODEL_SEASONAL_NAIVE
    assert forecast.prophet is not None
    assert forecast.prophet.mase >= forecast.baseline.mase
    assert forecast.backtest == forecast.baseline
    assert "Prophet did not beat it" in forecast.message
    # each day repeats the same weekday of the last observed week
    last_week = values[-7:]
    assert [p.yhat for p in forecast.points[:14]] == pytest.approx(list(last_week) * 2)
    # empirical bands from the baseline's own errors: nested and around the point
    for point in forecast.points:
        assert point.lower_95 <= point.lower_80 <= point.yhat <= point.upper_80 <= point.upper_95
    assert forecast.month is not None
    assert forecast.month.p10 <= forecast.month.p50 <= forecast.month.p90


def test_a_series_without_weekly_variation_keeps_the_baseline_with_a_zero_width_band() -> None:
    values = np.tile([10.0, 12.0, 8.0, 9.0, 11.0, 30.0, 25.0], 14)  # 98 days, exact pattern
    forecast = forecast_series(daily(values), END)
    assert forecast.model == MODEL_SEASONAL_NAIVE
    assert forecast.baseline.mase is None  # no in-sample seasonal error to scale by
    assert forecast.baseline.mae == 0.0
    assert {(p.lower_95, p.upper_95) == (p.yhat, p.yhat) for p in forecast.points} == {True}


def test_short_history_gets_a_labelled_projection() -> None:
    values = np.arange(1.0, 41.0)  # 40 days
    forecast = forecast_series(daily(values), END)
    assert forecast.model == MODEL_PROJECTION
    assert forecast.backtest is forecast.baseline is forecast.prophet is forecast.month is None
    assert forecast.fits == 0
    assert "flat projection" in forecast.message
    assert "not a forecast" in forecast.message
    assert str(MIN_MODEL_HISTORY_DAYS) in forecast.message
    assert len(forecast.points) == HORIZON_DAYS
    assert [p.yhat for p in forecast.points] == pytest.approx([values[-28:].mean()] * HORIZON_DAYS)
    assert forecast.points[0].lower_80 < forecast.points[0].yhat < forecast.points[0].upper_80


def test_too_little_history_gets_no_forecast_with_a_message() -> None:
    forecast = forecast_series(daily(np.ones(MIN_PROJECTION_DAYS - 1)), END)
    assert (forecast.model, forecast.points) == (MODEL_NONE, ())
    assert f"only {MIN_PROJECTION_DAYS - 1} days" in forecast.message
    empty = forecast_series(daily(np.zeros(200)), END)
    assert (empty.model, empty.history_start, empty.history_days) == (MODEL_NONE, None, 0)
    assert "no data" in empty.message
    assert forecast_series(pd.Series([], dtype=float), END).model == MODEL_NONE


def test_leading_zeros_and_gaps() -> None:
    values = np.concatenate([np.zeros(100), np.full(20, 5.0)])
    forecast = forecast_series(daily(values), END)
    assert forecast.history_days == 20
    assert forecast.history_start == END - timedelta(days=19)
    # days missing from the index count as zero
    sparse = pd.Series([4.0, 6.0], index=[END - timedelta(days=20), END])
    assert forecast_series(sparse, END).history_days == 21


def test_invalid_histories_are_refused() -> None:
    with pytest.raises(ValueError, match="after"):
        forecast_series(daily(np.ones(20), END + timedelta(days=1)), END)
    with pytest.raises(ValueError, match="non-negative"):
        forecast_series(daily(-np.ones(20)), END)


def test_yearly_seasonality_only_when_every_fit_has_two_years(monkeypatch) -> None:
    assert not yearly_seasonality_for(729)
    assert yearly_seasonality_for(730)
    fits: list[tuple[int, bool]] = []
    real_fit = forecasting._fit_prophet

    def spy(values, start, yearly):
        fits.append((len(values), yearly))
        return real_fit(values, start, yearly)

    monkeypatch.setattr(forecasting, "_fit_prophet", spy)

    def seasonal_year(days: int) -> pd.Series:
        t = np.arange(days)
        values = 200 + 0.05 * t + 40 * np.sin(2 * np.pi * t / 365.25) + WEEKLY[t % 7]
        return daily(values + np.random.default_rng(5).normal(0, 4, days))

    forecast = forecast_series(seasonal_year(830), END)  # earliest fold trains on 746 days
    assert forecast.model == MODEL_PROPHET, forecast.message
    assert forecast.yearly_seasonality
    assert "weekly and yearly" in forecast.message
    assert fits == [(746, True), (774, True), (802, True), (830, True)]
    fits.clear()
    # 790 days: the earliest fold would have 706 < 730 days, so no fit gets yearly terms
    shorter = forecast_series(seasonal_year(790), END)
    assert not shorter.yearly_seasonality
    assert {yearly for _days, yearly in fits} == {False}
    assert [days for days, _yearly in fits][:3] == [706, 734, 762]
