"""app.analytics.stats.sequential: the confidence-sequence boundary against a numerical
normal mixture (scipy quad + brentq), the tuning of ρ against numerical optimisation."""

from __future__ import annotations

import math

import pytest
from scipy import integrate, optimize, stats

from app.analytics.stats import (
    ArmEstimate,
    ProportionStats,
    boundary_multiplier,
    frequentist_test,
    optimal_mixture_parameter,
    sequential_test,
)


def mixture(s: float, n: int, rho: float) -> float:
    """∫ exp(λS − λ²n/2) dN(0, ρ²)(λ), numerically (Robbins' normal mixture martingale)."""
    peak = s / (n + 1 / rho**2)
    width = 1 / math.sqrt(n + 1 / rho**2)

    def integrand(lam: float) -> float:
        return math.exp(lam * s - lam * lam * n / 2) * stats.norm.pdf(lam, 0.0, rho)

    value, _ = integrate.quad(integrand, peak - 40 * width, peak + 40 * width, limit=200)
    return value


@pytest.mark.parametrize(("n", "planned", "alpha"), [(2000, 2000, 0.05), (500, 8000, 0.1)])
def test_multiplier_is_where_the_numerical_mixture_reaches_one_over_alpha(
    n: int, planned: int, alpha: float
) -> None:
    rho = optimal_mixture_parameter(planned, alpha)
    boundary = optimize.brentq(
        lambda s: mixture(s, n, rho) - 1 / alpha, 1e-6, 20 * math.sqrt(n), xtol=1e-10
    )
    assert boundary_multiplier(n, rho, alpha) == pytest.approx(boundary / math.sqrt(n), rel=1e-7)


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.1])
def test_rho_minimises_the_width_at_the_planned_sample_size(alpha: float) -> None:
    planned = 10_000
    best = optimize.minimize_scalar(
        lambda log_rho: boundary_multiplier(planned, math.exp(log_rho), alpha),
        bracket=(-8.0, -3.0),
        tol=1e-12,
    )
    assert optimal_mixture_parameter(planned, alpha) == pytest.approx(math.exp(best.x), rel=1e-4)
    # The common closed-form approximation is close to the exact optimum.
    a = -2 * math.log(alpha)
    approx = math.sqrt((a + math.log(1 + a)) / planned)
    assert optimal_mixture_parameter(planned, alpha) == pytest.approx(approx, rel=0.03)


def test_multiplier_at_plan_is_about_three_at_alpha_five_percent() -> None:
    rho = optimal_mixture_parameter(5000, 0.05)
    assert boundary_multiplier(5000, rho, 0.05) == pytest.approx(3.035, abs=0.001)
    # Wider than fixed-horizon everywhere, growing slowly past the plan.
    assert boundary_multiplier(500, rho) > boundary_multiplier(5000, rho) > 1.96
    assert boundary_multiplier(50_000, rho) > boundary_multiplier(5000, rho)


def test_sequential_result_interval_and_always_valid_p_value() -> None:
    control, treatment = ProportionStats(3000, 300), ProportionStats(3000, 372)
    result = sequential_test(control, treatment, planned_sample_size=10_000)
    fixed = frequentist_test(control, treatment)
    assert result.estimate == fixed.estimate
    assert result.std_error == fixed.std_error
    assert result.sample_size == 6000
    assert result.rho == optimal_mixture_parameter(10_000)
    assert result.multiplier == boundary_multiplier(6000, result.rho)
    assert result.estimate is not None
    assert result.std_error is not None
    assert result.multiplier is not None
    assert result.ci_lower == pytest.approx(result.estimate - result.multiplier * result.std_error)
    assert result.ci_upper == pytest.approx(result.estimate + result.multiplier * result.std_error)
    # p = 1 / M at the standardised sum S = sqrt(N)·z.
    z = result.estimate / result.std_error
    expected_p = 1 / mixture(math.sqrt(6000) * z, 6000, result.rho)
    assert result.p_value == pytest.approx(expected_p, rel=1e-7)
    assert fixed.p_value is not None
    assert result.p_value > fixed.p_value  # the price of peeking


@pytest.mark.parametrize("successes", [300, 330, 345, 360, 400])
def test_p_value_below_alpha_exactly_when_the_interval_excludes_zero(successes: int) -> None:
    result = sequential_test(
        ProportionStats(3000, 300), ProportionStats(3000, successes), planned_sample_size=6000
    )
    assert result.p_value is not None
    assert result.ci_lower is not None
    assert result.ci_upper is not None
    excludes_zero = result.ci_lower > 0 or result.ci_upper < 0
    assert result.significant == excludes_zero == (result.p_value <= 0.05)


def test_degenerate_and_invalid() -> None:
    result = sequential_test(
        ArmEstimate(10, 1.0, 0.0), ArmEstimate(10, 1.0, 0.0), planned_sample_size=100
    )
    assert result.p_value is None
    assert result.reason is not None
    assert not result.significant
    with pytest.raises(ValueError, match="planned_sample_size"):
        sequential_test(ProportionStats(10, 1), ProportionStats(10, 2), planned_sample_size=0)
    with pytest.raises(ValueError, match="rho"):
        boundary_multiplier(100, 0.0)
    with pytest.raises(ValueError, match="sample_size"):
        boundary_multiplier(0, 0.1)
