"""app.analytics.stats inputs and CUPED: per-arm estimates against raw-data computations
(numpy) and CUPED against an independent regression (statsmodels OLS)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from app.analytics.stats import (
    ArmEstimate,
    CupedStats,
    MeanStats,
    ProportionStats,
    RatioStats,
    UndefinedEstimate,
    cuped_adjust,
    frequentist_test,
)


def mean_stats(values: np.ndarray) -> MeanStats:
    return MeanStats(len(values), float(values.sum()), float((values * values).sum()))


def ratio_stats(y: np.ndarray, d: np.ndarray) -> RatioStats:
    return RatioStats(
        len(y),
        float(y.sum()),
        float((y * y).sum()),
        float(d.sum()),
        float((d * d).sum()),
        float((y * d).sum()),
    )


def cuped_stats(y: np.ndarray, x: np.ndarray) -> CupedStats:
    return CupedStats(
        len(y),
        float(y.sum()),
        float((y * y).sum()),
        float(x.sum()),
        float((x * x).sum()),
        float((x * y).sum()),
    )


def test_mean_stats_estimate_matches_raw_data() -> None:
    values = np.random.default_rng(1).gamma(2.0, 3.0, size=757)
    estimate = mean_stats(values).estimate()
    assert estimate.n == 757
    assert estimate.mean == pytest.approx(values.mean(), rel=1e-12)
    assert estimate.unit_variance == pytest.approx(values.var(ddof=1), rel=1e-9)
    assert estimate.variance_of_mean == pytest.approx(values.var(ddof=1) / 757, rel=1e-9)
    assert estimate.std_error == pytest.approx(math.sqrt(values.var(ddof=1) / 757), rel=1e-9)


def test_proportion_stats_is_the_mean_of_zero_one_values() -> None:
    data = np.zeros(400)
    data[:37] = 1.0
    estimate = ProportionStats(400, 37).estimate()
    assert estimate.mean == pytest.approx(37 / 400)
    assert estimate.unit_variance == pytest.approx(data.var(ddof=1), rel=1e-12)


def test_ratio_stats_delta_method_matches_gradient_on_the_covariance_matrix() -> None:
    rng = np.random.default_rng(2)
    d = rng.poisson(4.0, size=1000).astype(float) + 1.0  # chapters opened
    y = d * rng.gamma(3.0, 2.0, size=1000)  # minutes read, correlated with d
    estimate = ratio_stats(y, d).estimate()
    assert estimate.mean == pytest.approx(y.sum() / d.sum(), rel=1e-12)
    # Independent delta method: gradient of ȳ/d̄ times the covariance matrix of the means.
    mean_y, mean_d = y.mean(), d.mean()
    gradient = np.array([1.0 / mean_d, -mean_y / mean_d**2])
    cov_of_means = np.cov(np.vstack([y, d]), ddof=1) / len(y)
    expected = float(gradient @ cov_of_means @ gradient)
    assert estimate.variance_of_mean == pytest.approx(expected, rel=1e-9)


def test_ratio_with_zero_denominator_is_undefined_and_comparisons_say_why() -> None:
    zero = RatioStats(10, 0.0, 0.0, 0.0, 0.0, 0.0)
    with pytest.raises(UndefinedEstimate, match="denominator"):
        zero.estimate()
    other = RatioStats(10, 5.0, 5.0, 10.0, 10.0, 5.0)
    result = frequentist_test(zero, other)
    assert result.estimate is None
    assert result.p_value is None
    assert result.reason is not None
    assert result.reason.startswith("control:")
    assert not result.significant


def test_constant_metric_with_rounding_noise_has_zero_variance() -> None:
    # 0.1 three times: Σy² - (Σy)²/n is a few ulps from 0, not an error.
    estimate = MeanStats(3, 0.1 + 0.1 + 0.1, 0.01 + 0.01 + 0.01).estimate()
    assert estimate.unit_variance == 0.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 1, "sum": 1.0, "sum_squares": 1.0}, "n must be at least 2"),
        ({"n": 2.5, "sum": 1.0, "sum_squares": 1.0}, "whole number"),
        ({"n": True, "sum": 1.0, "sum_squares": 1.0}, "whole number"),
        ({"n": 10, "sum": float("nan"), "sum_squares": 1.0}, "finite"),
        ({"n": 10, "sum": "3", "sum_squares": 1.0}, "number"),
        ({"n": 10, "sum": 10.0, "sum_squares": 5.0}, "negative variance"),
    ],
)
def test_mean_stats_rejects_malformed_sums(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MeanStats(**kwargs)  # type: ignore[arg-type]


def test_other_inputs_reject_malformed_values() -> None:
    with pytest.raises(ValueError, match="cannot exceed"):
        ProportionStats(10, 11)
    with pytest.raises(ValueError, match="at least 0"):
        ProportionStats(10, -1)
    with pytest.raises(ValueError, match="unit_variance must be >= 0"):
        ArmEstimate(10, 1.0, -0.5)
    # Σy=Σd=10, Σy²=Σd²=20 but Σyd=100: a correlation far above 1.
    with pytest.raises(ValueError, match="inconsistent"):
        RatioStats(10, 10.0, 20.0, 10.0, 20.0, 100.0)
    with pytest.raises(ValueError, match="inconsistent"):
        CupedStats(10, 10.0, 20.0, 10.0, 20.0, -100.0)
    with pytest.raises(ValueError, match="control must be"):
        frequentist_test(object(), ProportionStats(10, 1))  # type: ignore[arg-type]


def test_cuped_theta_and_effect_equal_the_ancova_regression() -> None:
    rng = np.random.default_rng(3)
    n_c, n_t = 900, 1100
    x_c, x_t = rng.gamma(2.0, 5.0, n_c), rng.gamma(2.0, 5.0, n_t)
    y_c = 3.0 + 0.8 * x_c + rng.normal(0, 4.0, n_c)
    y_t = 3.5 + 0.8 * x_t + rng.normal(0, 4.0, n_t)
    adjustment = cuped_adjust([cuped_stats(y_c, x_c), cuped_stats(y_t, x_t)])

    # Independent: OLS y ~ 1 + treated + x. Its x coefficient is the pooled within-arm slope
    # and its treated coefficient the CUPED-adjusted difference of means.
    y = np.concatenate([y_c, y_t])
    x = np.concatenate([x_c, x_t])
    treated = np.concatenate([np.zeros(n_c), np.ones(n_t)])
    ols = sm.OLS(y, sm.add_constant(np.column_stack([treated, x]))).fit()
    assert adjustment.theta == pytest.approx(ols.params[2], rel=1e-9)
    control, treatment = adjustment.arms
    assert treatment.mean - control.mean == pytest.approx(ols.params[1], rel=1e-9)
    assert adjustment.covariate_mean == pytest.approx(x.mean(), rel=1e-12)

    # Per arm: the sample variance of y − θx.
    theta = adjustment.theta
    assert control.unit_variance == pytest.approx(np.var(y_c - theta * x_c, ddof=1), rel=1e-9)
    assert treatment.unit_variance == pytest.approx(np.var(y_t - theta * x_t, ddof=1), rel=1e-9)
    assert adjustment.unadjusted[0].unit_variance == pytest.approx(np.var(y_c, ddof=1))


def test_cuped_reduces_variance_by_the_squared_correlation() -> None:
    rng = np.random.default_rng(4)
    n, rho = 20_000, 0.7
    arms = []
    for _ in range(2):
        x = rng.normal(size=n)
        y = rho * x + math.sqrt(1 - rho**2) * rng.normal(size=n)
        arms.append(cuped_stats(10.0 + y, 5.0 + x))
    adjustment = cuped_adjust(arms)
    for reduction in adjustment.variance_reduction:
        assert reduction == pytest.approx(rho**2, abs=0.02)
    plain = frequentist_test(arms[0].unadjusted(), arms[1].unadjusted(), effect="absolute")
    adjusted = frequentist_test(*adjustment.arms, effect="absolute")
    assert adjusted.std_error is not None
    assert plain.std_error is not None
    assert adjusted.std_error / plain.std_error == pytest.approx(math.sqrt(1 - rho**2), abs=0.02)


def test_cuped_without_covariate_variance_changes_nothing() -> None:
    arm = CupedStats(10, 25.0, 80.0, 30.0, 90.0, 75.0)  # x ≡ 3
    adjustment = cuped_adjust([arm, arm])
    assert adjustment.theta == 0.0
    assert adjustment.note is not None
    assert adjustment.arms == adjustment.unadjusted
    assert adjustment.variance_reduction == (0.0, 0.0)


def test_cuped_rejects_bad_arms() -> None:
    with pytest.raises(ValueError, match="at least one arm"):
        cuped_adjust([])
    with pytest.raises(ValueError, match="must be CupedStats"):
        cuped_adjust([MeanStats(10, 1.0, 1.0)])  # type: ignore[list-item]
