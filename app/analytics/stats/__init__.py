"""The experiments statistics engine: pure functions from sufficient statistics to decisions.

Everything here is computation on numbers and frozen dataclasses — no I/O, no Flask, Dash or
SQLAlchemy. ``docs/experiments.md`` explains the methods, formulas and how admins should
read results; each submodule's docstring states its formulas exactly.

Inputs (per arm, :mod:`.inputs`, :mod:`.cuped`)::

    MeanStats(n, sum, sum_squares)                       mean / count metrics
    ProportionStats(n, successes)                        conversion metrics
    RatioStats(n, numerator_sum, numerator_sum_squares,
               denominator_sum, denominator_sum_squares, cross_sum)   ratio metrics (delta method)
    CupedStats(n, sum, sum_squares, covariate_sum, covariate_sum_squares, cross_sum)
    cuped_adjust(arms) -> CupedAdjustment                (.arms: adjusted ArmEstimates)
    ArmEstimate(n, mean, unit_variance)                  what every input reduces to

Comparisons of one treatment against control (every arm argument accepts any input above,
or an ``ArmEstimate``; ``effect`` is ``"relative"`` (default) or ``"absolute"``)::

    estimate_effect(control, treatment, *, effect)                        -> EffectEstimate
    frequentist_test(control, treatment, *, effect, alpha=0.05,
                     alternative="two-sided" | "greater" | "less")        -> FrequentistResult
    bayesian_test(control, treatment, *, effect, alpha=0.05,
                  prior=None | NormalPrior(mean, sd), higher_is_better=True) -> BayesianResult
    sequential_test(control, treatment, *, planned_sample_size, effect,
                    alpha=0.05)                                           -> SequentialResult

Experiment-level checks and planning::

    srm_check(observed_counts, weights_percent)                           -> SrmResult
    adjust_p_values({key: p | None}, *, method="holm" | "bh", alpha)      -> {key: AdjustedPValue}
    sample_size_per_arm(MeanBaseline(mean, variance) | ProportionBaseline(rate),
                        relative_mde, *, alpha, power, alternative, effect, sequential) -> int
    statistical_power(baseline, relative_mde, n_per_arm, *, ...)          -> float
    minimum_detectable_effect(baseline, n_per_arm, *, ...)                -> float | None
    days_remaining(required_per_arm, units_per_arm, daily_units_per_arm)  -> int | None

Errors: malformed input (n < 2, negative variance, inconsistent sums, alpha outside (0, 1),
weights not summing to 100, …) raises ``ValueError`` with a message naming the argument.
Degenerate data (control mean 0 for a relative lift, an undefined ratio, zero variance in
both arms) never raises and never yields NaN: the affected result fields are ``None`` and
``reason`` says why. Results carry ``notes`` for caveats (small samples, unreliable lift).
"""

from app.analytics.stats.bayesian import BayesianResult, NormalPrior, bayesian_test
from app.analytics.stats.cuped import CupedAdjustment, CupedStats, cuped_adjust
from app.analytics.stats.effects import ComparisonResult, EffectEstimate, estimate_effect
from app.analytics.stats.frequentist import FrequentistResult, frequentist_test
from app.analytics.stats.inputs import (
    ArmEstimate,
    ArmStatistics,
    MeanStats,
    ProportionStats,
    RatioStats,
    UndefinedEstimate,
)
from app.analytics.stats.multiple import AdjustedPValue, Correction, adjust_p_values
from app.analytics.stats.power import (
    Baseline,
    MeanBaseline,
    ProportionBaseline,
    days_remaining,
    minimum_detectable_effect,
    sample_size_per_arm,
    statistical_power,
)
from app.analytics.stats.sequential import (
    SequentialResult,
    boundary_multiplier,
    optimal_mixture_parameter,
    sequential_test,
)
from app.analytics.stats.srm import SrmLevel, SrmResult, srm_check
from app.analytics.stats.types import (
    DEFAULT_ALPHA,
    MIN_UNITS,
    Alternative,
    EffectKind,
)

__all__ = [
    "DEFAULT_ALPHA",
    "MIN_UNITS",
    "AdjustedPValue",
    "Alternative",
    "ArmEstimate",
    "ArmStatistics",
    "Baseline",
    "BayesianResult",
    "ComparisonResult",
    "Correction",
    "CupedAdjustment",
    "CupedStats",
    "EffectEstimate",
    "EffectKind",
    "FrequentistResult",
    "MeanBaseline",
    "MeanStats",
    "NormalPrior",
    "ProportionBaseline",
    "ProportionStats",
    "RatioStats",
    "SequentialResult",
    "SrmLevel",
    "SrmResult",
    "UndefinedEstimate",
    "adjust_p_values",
    "bayesian_test",
    "boundary_multiplier",
    "cuped_adjust",
    "days_remaining",
    "estimate_effect",
    "frequentist_test",
    "minimum_detectable_effect",
    "optimal_mixture_parameter",
    "sample_size_per_arm",
    "sequential_test",
    "srm_check",
    "statistical_power",
]
