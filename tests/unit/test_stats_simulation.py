"""Simulation checks of the statistics engine with fixed seeds: A/A false-positive rates,
interval coverage, and peeking (sequential confidence sequences versus naive repeated tests).

Each check simulates thousands of experiments from known distributions (skewed ones, as real
reading and revenue metrics are), reduces them to sufficient statistics with numpy and runs
the engine's public functions on every one. With 4,000 experiments the Monte Carlo standard
error of a 5% rate is 0.34 percentage points, so the ±1.5-point bands are about 4.4 standard
errors wide: a correct method passes, a miscalibrated one (a z-test on tiny samples, a
variance off by 20%) fails.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.analytics.stats import (
    CupedStats,
    MeanStats,
    ProportionStats,
    RatioStats,
    bayesian_test,
    cuped_adjust,
    frequentist_test,
    sequential_test,
)

EXPERIMENTS = 4000
ALPHA = 0.05


def mean_stats(values: np.ndarray) -> list[MeanStats]:
    """One MeanStats per row of ``values`` (experiments × units)."""
    n = values.shape[1]
    sums, squares = values.sum(axis=1), (values * values).sum(axis=1)
    return [MeanStats(n, float(s), float(q)) for s, q in zip(sums, squares, strict=True)]


def rate(flags: list[bool]) -> float:
    return sum(flags) / len(flags)


def covers(lower: float | None, upper: float | None, truth: float) -> bool:
    assert lower is not None
    assert upper is not None
    return lower <= truth <= upper


def test_aa_false_positive_rate_of_the_fixed_horizon_test() -> None:
    rng = np.random.default_rng(101)
    # Chapters-read-like skewed metric: exponential, mean 2.
    control = mean_stats(rng.exponential(2.0, size=(EXPERIMENTS, 500)))
    treatment = mean_stats(rng.exponential(2.0, size=(EXPERIMENTS, 500)))
    pairs = list(zip(control, treatment, strict=True))
    relative = rate([frequentist_test(c, t).significant for c, t in pairs])
    absolute = rate([frequentist_test(c, t, effect="absolute").significant for c, t in pairs])
    greater = rate(
        [
            frequentist_test(c, t, effect="absolute", alternative="greater").significant
            for c, t in pairs
        ]
    )
    less = rate(
        [
            frequentist_test(c, t, effect="absolute", alternative="less").significant
            for c, t in pairs
        ]
    )
    # Conversions: 5% of 2,000 readers per arm.
    conversions = rng.binomial(2000, 0.05, size=(EXPERIMENTS, 2))
    proportions = rate(
        [
            frequentist_test(
                ProportionStats(2000, int(c)), ProportionStats(2000, int(t))
            ).significant
            for c, t in conversions
        ]
    )
    print(
        f"\nA/A false-positive rates: relative {relative:.2%}, absolute {absolute:.2%}, "
        f"one-sided absolute {greater:.2%} / {less:.2%}, proportions {proportions:.2%}"
    )
    for observed in (relative, absolute, greater, less, proportions):
        assert observed == pytest.approx(ALPHA, abs=0.015)


def test_interval_coverage_of_means_proportions_and_bayesian_intervals() -> None:
    rng = np.random.default_rng(102)
    # Gamma-distributed minutes read: control mean 6, treatment mean 6.3 (+5%).
    control = mean_stats(rng.gamma(1.5, 4.0, size=(EXPERIMENTS, 400)))
    treatment = mean_stats(rng.gamma(1.5, 4.2, size=(EXPERIMENTS, 400)))
    pairs = list(zip(control, treatment, strict=True))
    true_lift, true_difference = 4.2 / 4.0 - 1.0, 1.5 * 0.2
    relative, absolute, bayesian = [], [], []
    for c, t in pairs:
        r = frequentist_test(c, t)
        relative.append(covers(r.ci_lower, r.ci_upper, true_lift))
        a = frequentist_test(c, t, effect="absolute")
        absolute.append(covers(a.ci_lower, a.ci_upper, true_difference))
        b = bayesian_test(c, t)
        bayesian.append(covers(b.ci_lower, b.ci_upper, true_lift))
    counts = rng.binomial(3000, [0.10, 0.12], size=(EXPERIMENTS, 2))
    proportion = []
    for c, t in counts:
        r = frequentist_test(ProportionStats(3000, int(c)), ProportionStats(3000, int(t)))
        proportion.append(covers(r.ci_lower, r.ci_upper, 0.2))
    coverage = {
        "relative": rate(relative),
        "absolute": rate(absolute),
        "bayesian flat": rate(bayesian),
        "proportion relative": rate(proportion),
    }
    print("\ncoverage of 95% intervals:", {k: f"{v:.2%}" for k, v in coverage.items()})
    for observed in coverage.values():
        assert observed == pytest.approx(1 - ALPHA, abs=0.015)


def test_ratio_metric_false_positives_and_coverage() -> None:
    rng = np.random.default_rng(103)

    def arm(minutes_per_chapter: float) -> list[RatioStats]:
        chapters = rng.poisson(2.0, size=(EXPERIMENTS, 600)) + 1.0
        minutes = chapters * rng.gamma(2.0, minutes_per_chapter / 2.0, size=chapters.shape)
        sums = [
            minutes.sum(1),
            (minutes**2).sum(1),
            chapters.sum(1),
            (chapters**2).sum(1),
            (minutes * chapters).sum(1),
        ]
        return [RatioStats(600, *(float(s[i]) for s in sums)) for i in range(EXPERIMENTS)]

    control, same, better = arm(5.0), arm(5.0), arm(5.5)
    aa = rate([frequentist_test(c, t).significant for c, t in zip(control, same, strict=True)])
    coverage = rate(
        [
            covers(r.ci_lower, r.ci_upper, 0.1)
            for r in (frequentist_test(c, t) for c, t in zip(control, better, strict=True))
        ]
    )
    print(f"\nratio metric: A/A false positives {aa:.2%}, coverage {coverage:.2%}")
    assert aa == pytest.approx(ALPHA, abs=0.015)
    assert coverage == pytest.approx(1 - ALPHA, abs=0.015)


def test_cuped_intervals_keep_coverage_and_are_narrower() -> None:
    rng = np.random.default_rng(104)
    n, effect = 500, 0.4
    widths_plain, widths_cuped, covered, false_positives = [], [], [], []
    for _ in range(EXPERIMENTS // 2):
        arms, aa_arms = [], []
        for shift, target in ((0.0, arms), (effect, arms), (0.0, aa_arms), (0.0, aa_arms)):
            x = rng.gamma(2.0, 2.0, size=n)  # pre-period chapters read
            y = 1.0 + 0.9 * x + rng.normal(0.0, 2.0, size=n) + shift
            target.append(
                CupedStats(
                    n,
                    float(y.sum()),
                    float((y * y).sum()),
                    float(x.sum()),
                    float((x * x).sum()),
                    float((x * y).sum()),
                )
            )
        adjusted = frequentist_test(*cuped_adjust(arms).arms, effect="absolute")
        plain = frequentist_test(arms[0].unadjusted(), arms[1].unadjusted(), effect="absolute")
        assert adjusted.ci_upper is not None
        assert adjusted.ci_lower is not None
        assert plain.ci_upper is not None
        assert plain.ci_lower is not None
        covered.append(covers(adjusted.ci_lower, adjusted.ci_upper, effect))
        widths_cuped.append(adjusted.ci_upper - adjusted.ci_lower)
        widths_plain.append(plain.ci_upper - plain.ci_lower)
        aa = frequentist_test(*cuped_adjust(aa_arms).arms, effect="absolute")
        false_positives.append(aa.significant)
    coverage, fpr = rate(covered), rate(false_positives)
    shrink = float(np.mean(widths_cuped) / np.mean(widths_plain))
    print(f"\nCUPED: coverage {coverage:.2%}, A/A {fpr:.2%}, interval width ×{shrink:.2f}")
    # 2,000 experiments: the standard error of a 95% coverage is 0.49 points.
    assert coverage == pytest.approx(1 - ALPHA, abs=0.015)
    assert fpr == pytest.approx(ALPHA, abs=0.015)
    # var(0.9x) = 0.81 · 8 = 6.48 and the noise adds 4, so corr(x, y)² = 6.48 / 10.48 ≈ 0.62
    # and the interval shrinks to sqrt(1 − 0.62) ≈ 0.62 of its plain width.
    assert shrink == pytest.approx(0.62, abs=0.02)


@pytest.mark.slow
def test_daily_peeking_sequential_stays_valid_and_naive_peeking_does_not() -> None:
    rng = np.random.default_rng(105)
    experiments, days, daily = 2000, 28, 100  # units per arm per day
    planned = 2 * days * daily
    values = rng.exponential(2.0, size=(experiments, 2, days, daily))
    sums = values.sum(axis=3).cumsum(axis=2)
    squares = (values * values).sum(axis=3).cumsum(axis=2)
    del values
    sequential_hits = naive_hits = 0
    for e in range(experiments):
        sequential_hit = naive_hit = False
        for day in range(days):
            n = (day + 1) * daily
            c = MeanStats(n, float(sums[e, 0, day]), float(squares[e, 0, day]))
            t = MeanStats(n, float(sums[e, 1, day]), float(squares[e, 1, day]))
            if not sequential_hit:
                sequential_hit = sequential_test(c, t, planned_sample_size=planned).significant
            if not naive_hit:
                naive_hit = frequentist_test(c, t).significant
            if sequential_hit and naive_hit:
                break
        sequential_hits += sequential_hit
        naive_hits += naive_hit
    sequential_fpr, naive_fpr = sequential_hits / experiments, naive_hits / experiments
    print(
        f"\nA/A with {days} daily looks: sequential {sequential_fpr:.2%}, "
        f"naive fixed-horizon {naive_fpr:.2%}"
    )
    # Always valid: at most α over all looks (Ville's inequality is conservative, and daily
    # looks are fewer than the continuous monitoring it allows for, so the rate sits below α).
    assert sequential_fpr <= ALPHA + 0.015
    # The failure the sequential test prevents: peeking at a fixed-horizon test.
    assert naive_fpr > 0.15


@pytest.mark.slow
def test_confidence_sequence_covers_the_true_lift_at_every_daily_look() -> None:
    rng = np.random.default_rng(106)
    experiments, days, daily = 1500, 28, 100
    sums = np.empty((experiments, 2, days))
    squares = np.empty((experiments, 2, days))
    for arm, scale in ((0, 2.0), (1, 2.1)):  # true lift +5%
        values = rng.exponential(scale, size=(experiments, days, daily))
        sums[:, arm] = values.sum(axis=2).cumsum(axis=1)
        squares[:, arm] = (values * values).sum(axis=2).cumsum(axis=1)
    covered_throughout = 0
    for e in range(experiments):
        ok = True
        for day in range(days):
            n = (day + 1) * daily
            c = MeanStats(n, float(sums[e, 0, day]), float(squares[e, 0, day]))
            t = MeanStats(n, float(sums[e, 1, day]), float(squares[e, 1, day]))
            result = sequential_test(c, t, planned_sample_size=2 * days * daily)
            if not covers(result.ci_lower, result.ci_upper, 0.05):
                ok = False
                break
        covered_throughout += ok
    coverage = covered_throughout / experiments
    print(f"\nconfidence sequence: covered the true lift at all {days} looks in {coverage:.2%}")
    assert coverage >= 1 - ALPHA - 0.015
