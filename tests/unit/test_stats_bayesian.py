"""app.analytics.stats.bayesian_test: closed forms against numerical integration (scipy)."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, stats

from app.analytics.stats import (
    ArmEstimate,
    MeanStats,
    NormalPrior,
    ProportionStats,
    bayesian_test,
    frequentist_test,
)

CONTROL = ProportionStats(4000, 400)
TREATMENT = ProportionStats(4000, 446)


def test_flat_prior_posterior_is_the_estimate_with_its_standard_error() -> None:
    result = bayesian_test(CONTROL, TREATMENT)
    frequentist = frequentist_test(CONTROL, TREATMENT)
    assert result.prior is None
    assert result.estimate == frequentist.estimate
    assert result.posterior_mean == frequentist.estimate
    assert result.posterior_sd == frequentist.std_error
    mu, sigma = result.posterior_mean, result.posterior_sd
    assert mu is not None
    assert sigma is not None
    assert result.chance_to_win == pytest.approx(stats.norm.cdf(mu / sigma), rel=1e-12)
    low, high = stats.norm.interval(0.95, loc=mu, scale=sigma)
    assert result.ci_lower == pytest.approx(low, rel=1e-12)
    assert result.ci_upper == pytest.approx(high, rel=1e-12)


@pytest.mark.parametrize(
    ("control", "treatment"),
    [
        (CONTROL, TREATMENT),  # treatment clearly ahead
        (CONTROL, ProportionStats(4000, 404)),  # a coin flip
        (CONTROL, ProportionStats(4000, 370)),  # treatment behind
    ],
)
def test_risk_closed_form_equals_numerical_integration(
    control: ProportionStats, treatment: ProportionStats
) -> None:
    result = bayesian_test(control, treatment)
    mu, sigma = result.posterior_mean, result.posterior_sd
    assert mu is not None
    assert sigma is not None

    def density(x: float) -> float:
        return float(stats.norm.pdf(x, mu, sigma))

    lo, hi = mu - 12 * sigma, mu + 12 * sigma
    loss_treatment, _ = integrate.quad(lambda x: max(0.0, -x) * density(x), lo, hi, points=[0])
    loss_control, _ = integrate.quad(lambda x: max(0.0, x) * density(x), lo, hi, points=[0])
    win, _ = integrate.quad(density, 0.0, hi) if hi > 0 else (0.0, 0.0)
    assert result.risk_treatment == pytest.approx(loss_treatment, rel=1e-7, abs=1e-14)
    assert result.risk_control == pytest.approx(loss_control, rel=1e-7, abs=1e-14)
    assert result.chance_to_win == pytest.approx(win, rel=1e-7, abs=1e-12)
    # E[max(0, θ)] − E[max(0, −θ)] = E[θ].
    assert result.risk_control - result.risk_treatment == pytest.approx(mu, rel=1e-9)


def test_normal_prior_posterior_equals_numerical_bayes() -> None:
    prior = NormalPrior(mean=0.0, sd=0.05)
    result = bayesian_test(CONTROL, TREATMENT, prior=prior)
    estimate, se = result.estimate, result.std_error
    assert estimate is not None
    assert se is not None

    def unnormalised(theta: float) -> float:
        return float(stats.norm.pdf(estimate, theta, se) * stats.norm.pdf(theta, 0.0, 0.05))

    lo, hi = -1.0, 1.0
    mass, _ = integrate.quad(unnormalised, lo, hi, points=[estimate], limit=200)
    mean, _ = integrate.quad(lambda t: t * unnormalised(t), lo, hi, points=[estimate], limit=200)
    mean /= mass
    second, _ = integrate.quad(
        lambda t: (t - mean) ** 2 * unnormalised(t), lo, hi, points=[estimate], limit=200
    )
    assert result.posterior_mean == pytest.approx(mean, rel=1e-7)
    assert result.posterior_sd == pytest.approx(math.sqrt(second / mass), rel=1e-7)
    # The prior shrinks toward 0.
    assert 0 < result.posterior_mean < estimate
    flat = bayesian_test(CONTROL, TREATMENT)
    assert result.chance_to_win is not None
    assert flat.chance_to_win is not None
    assert result.chance_to_win < flat.chance_to_win


def test_lower_is_better_swaps_chance_and_risks() -> None:
    higher = bayesian_test(CONTROL, TREATMENT)
    lower = bayesian_test(CONTROL, TREATMENT, higher_is_better=False)
    assert higher.chance_to_win is not None
    assert lower.chance_to_win == pytest.approx(1 - higher.chance_to_win)
    assert lower.risk_treatment == higher.risk_control
    assert lower.risk_control == higher.risk_treatment


def test_absolute_effect_is_in_metric_units() -> None:
    control = MeanStats(1000, 5000.0, 30_000.0)
    treatment = MeanStats(1000, 5200.0, 32_000.0)
    result = bayesian_test(control, treatment, effect="absolute", alpha=0.1)
    assert result.kind == "absolute"
    assert result.posterior_mean == pytest.approx(0.2)
    z = stats.norm.ppf(0.95)
    assert result.posterior_sd is not None
    assert result.ci_upper == pytest.approx(0.2 + z * result.posterior_sd)


def test_degenerate_data_gives_none_with_a_reason() -> None:
    zero = bayesian_test(ProportionStats(100, 0), ProportionStats(100, 3))
    assert zero.chance_to_win is None
    assert zero.risk_treatment is None
    assert zero.reason is not None
    constant = bayesian_test(
        ArmEstimate(10, 1.0, 0.0), ArmEstimate(10, 2.0, 0.0), prior=NormalPrior(0.0, 0.1)
    )
    assert constant.posterior_mean is None
    assert constant.reason is not None
    assert "zero variance" in constant.reason


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="prior sd"):
        NormalPrior(0.0, 0.0)
    with pytest.raises(ValueError, match="prior must be"):
        bayesian_test(CONTROL, TREATMENT, prior=(0.0, 0.1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        bayesian_test(CONTROL, TREATMENT, alpha=0)
