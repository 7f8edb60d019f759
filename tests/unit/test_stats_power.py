"""app.analytics.stats.power: sample sizes against statsmodels' power solver, relative-lift
sample sizes by simulation of the engine's own test, MDE round trips, days remaining."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from app.analytics.stats import (
    MeanBaseline,
    MeanStats,
    ProportionBaseline,
    ProportionStats,
    boundary_multiplier,
    days_remaining,
    frequentist_test,
    minimum_detectable_effect,
    optimal_mixture_parameter,
    sample_size_per_arm,
    sequential_test,
    statistical_power,
)


@pytest.mark.parametrize(
    ("alternative", "statsmodels_alternative"),
    [("two-sided", "two-sided"), ("greater", "larger")],
)
@pytest.mark.parametrize(("alpha", "power"), [(0.05, 0.8), (0.01, 0.9)])
def test_absolute_mean_sample_size_equals_statsmodels(
    alternative: str, statsmodels_alternative: str, alpha: float, power: float
) -> None:
    baseline = MeanBaseline(mean=4.0, variance=9.0)
    n = sample_size_per_arm(
        baseline,
        0.05,
        alpha=alpha,
        power=power,
        alternative=alternative,  # type: ignore[arg-type]
        effect="absolute",
    )
    reference = NormalIndPower().solve_power(
        effect_size=0.05 * 4.0 / 3.0,
        alpha=alpha,
        power=power,
        ratio=1.0,
        alternative=statsmodels_alternative,
    )
    # statsmodels' two-sided power also counts the (negligible) opposite tail.
    assert abs(n - math.ceil(reference)) <= 1


def test_absolute_proportion_sample_size_equals_statsmodels() -> None:
    p, delta = 0.08, 0.15
    p_t = p * (1 + delta)
    n = sample_size_per_arm(ProportionBaseline(p), delta, effect="absolute")
    pooled_sd = math.sqrt((p * (1 - p) + p_t * (1 - p_t)) / 2)
    reference = NormalIndPower().solve_power(
        effect_size=(p_t - p) / pooled_sd, alpha=0.05, power=0.8, ratio=1.0
    )
    # The textbook formula freezes the standard error at the truth; ours also linearises its
    # dependence on the observed rates, a correction of a few units here.
    assert n == pytest.approx(reference, rel=0.005)


def test_relative_mean_sample_size_gives_the_planned_power_in_simulation() -> None:
    baseline = MeanBaseline(mean=10.0, variance=25.0)
    n = sample_size_per_arm(baseline, 0.05)
    rng = np.random.default_rng(21)
    experiments = 2000
    hits = 0
    for _ in range(experiments):
        control = rng.normal(10.0, 5.0, n)
        treatment = rng.normal(10.5, 5.0, n)
        hits += frequentist_test(_mean(control), _mean(treatment)).significant
    assert hits / experiments == pytest.approx(0.8, abs=0.025)


def test_relative_proportion_sample_size_gives_the_planned_power_in_simulation() -> None:
    n = sample_size_per_arm(ProportionBaseline(0.1), 0.1, power=0.9)
    rng = np.random.default_rng(22)
    control = rng.binomial(n, 0.10, size=3000)
    treatment = rng.binomial(n, 0.11, size=3000)
    hits = sum(
        frequentist_test(ProportionStats(n, int(c)), ProportionStats(n, int(t))).significant
        for c, t in zip(control, treatment, strict=True)
    )
    assert hits / 3000 == pytest.approx(0.9, abs=0.02)


def test_sequential_sample_size_replaces_z_with_the_sequence_multiplier() -> None:
    baseline = MeanBaseline(mean=10.0, variance=25.0)
    fixed = sample_size_per_arm(baseline, 0.03, effect="absolute")
    n = sample_size_per_arm(baseline, 0.03, effect="absolute", sequential=True)
    z_a, z_b = stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    c_star = boundary_multiplier(1000, optimal_mixture_parameter(1000))
    assert n == pytest.approx(fixed * ((c_star + z_b) / (z_a + z_b)) ** 2, rel=2e-3)


def test_sequential_sample_size_gives_the_planned_power_at_the_planned_end() -> None:
    n = sample_size_per_arm(ProportionBaseline(0.2), 0.05, sequential=True)
    rng = np.random.default_rng(23)
    control = rng.binomial(n, 0.20, size=2000)
    treatment = rng.binomial(n, 0.21, size=2000)
    hits = sum(
        sequential_test(
            ProportionStats(n, int(c)), ProportionStats(n, int(t)), planned_sample_size=2 * n
        ).significant
        for c, t in zip(control, treatment, strict=True)
    )
    assert hits / 2000 == pytest.approx(0.8, abs=0.025)


def test_statistical_power_of_an_absolute_mean_test_equals_statsmodels() -> None:
    baseline = MeanBaseline(mean=4.0, variance=9.0)
    ours = statistical_power(baseline, 0.05, 3000, effect="absolute", alternative="greater")
    reference = NormalIndPower().power(
        effect_size=0.05 * 4.0 / 3.0, nobs1=3000, alpha=0.05, ratio=1.0, alternative="larger"
    )
    assert ours == pytest.approx(reference, rel=1e-9)
    n = sample_size_per_arm(baseline, 0.05)
    assert statistical_power(baseline, 0.05, n) >= 0.8 > statistical_power(baseline, 0.05, n - 1)


@pytest.mark.parametrize(
    "baseline", [MeanBaseline(12.0, 40.0), MeanBaseline(-3.0, 4.0), ProportionBaseline(0.04)]
)
@pytest.mark.parametrize("effect", ["relative", "absolute"])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_minimum_detectable_effect_inverts_sample_size(
    baseline: MeanBaseline | ProportionBaseline, effect: str, alternative: str
) -> None:
    n = 5000
    mde = minimum_detectable_effect(
        baseline,
        n,
        effect=effect,  # type: ignore[arg-type]
        alternative=alternative,  # type: ignore[arg-type]
    )
    assert mde is not None
    assert (mde < 0) == (alternative == "less")
    needed = sample_size_per_arm(
        baseline,
        mde,
        effect=effect,  # type: ignore[arg-type]
        alternative=alternative,  # type: ignore[arg-type]
    )
    assert abs(needed - n) <= 1


def test_minimum_detectable_effect_edge_cases() -> None:
    # So noisy that even an arbitrarily large relative lift stays undetectable with 2 units.
    assert minimum_detectable_effect(MeanBaseline(1.0, 100.0), 2) is None
    # A rate of 0.9 cannot rise by enough with 3 units per arm.
    assert minimum_detectable_effect(ProportionBaseline(0.9), 3) is None
    assert minimum_detectable_effect(MeanBaseline(1.0, 0.0), 10) == 0.0
    assert sample_size_per_arm(MeanBaseline(1.0, 0.0), 0.01) == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"relative_mde": 0.0}, "non-zero"),
        ({"relative_mde": -1.5}, "> -1"),
        ({"relative_mde": 0.05, "alternative": "less"}, "cannot detect"),
        ({"relative_mde": 0.05, "power": 0.3}, "power"),
        ({"relative_mde": 0.05, "alpha": 0.0}, "alpha"),
        ({"relative_mde": 0.05, "sequential": True, "alternative": "greater"}, "two-sided"),
        ({"relative_mde": 12.0}, r"leaves \[0, 1\]"),
    ],
)
def test_sample_size_rejects_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sample_size_per_arm(ProportionBaseline(0.1), **kwargs)  # type: ignore[arg-type]


def test_baselines_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="non-zero"):
        MeanBaseline(0.0, 1.0)
    with pytest.raises(ValueError, match="variance"):
        MeanBaseline(1.0, -1.0)
    with pytest.raises(ValueError, match="rate"):
        ProportionBaseline(1.0)
    with pytest.raises(ValueError, match="baseline must be"):
        sample_size_per_arm(0.1, 0.05)  # type: ignore[arg-type]


def test_days_remaining() -> None:
    assert days_remaining(1000, [400, 500], [100.0, 100.0]) == 6
    assert days_remaining(1000, [400, 500], [100.0, 50.0]) == 10  # the slowest arm decides
    assert days_remaining(1000, [1000, 1200], [0.0, 10.0]) == 0  # done; no traffic needed
    assert days_remaining(1000, [999, 1000], [1000.0, 0.0]) == 1
    assert days_remaining(1000, [400, 1000], [0.0, 100.0]) is None  # never at this traffic
    with pytest.raises(ValueError, match="equally long"):
        days_remaining(1000, [1, 2], [1.0])
    with pytest.raises(ValueError, match=">= 0"):
        days_remaining(1000, [1, 2], [1.0, -1.0])
    with pytest.raises(ValueError, match="at least 0"):
        days_remaining(1000, [-1, 2], [1.0, 1.0])


def _mean(values: np.ndarray) -> MeanStats:
    return MeanStats(len(values), float(values.sum()), float((values * values).sum()))
