"""Power analysis: the sample an experiment needs, the effect it can detect, the days left.

Normal approximation for the test the engine runs (Welch ≈ z at planning sizes). With control
mean μ_c and per-unit variance σ_c², the treatment at the minimum detectable effect δ
(relative) has mean μ_t = μ_c + δ·|μ_c| and per-unit variance σ_t² (= σ_c² for a mean metric,
p_t(1 − p_t) for a proportion). On the effect scale the test uses (see
:mod:`app.analytics.stats.effects`), the per-unit variance summed over arms is::

    relative:  V = σ_t² / μ_c² + μ_t² · σ_c² / μ_c⁴        (delta method), effect Δ = δ
    absolute:  V = σ_c² + σ_t²,                            effect Δ = δ · |μ_c|

and the sample per arm (equal allocation) is::

    n = (q + z_{power})² · V / Δ²,   rounded up (at least 2)

with q = z_{1−α/2} (two-sided), z_{1−α} (one-sided) or, with ``sequential=True``, the
confidence-sequence multiplier c* at its planned size (≈ 3.03 at α = 0.05, see
:mod:`app.analytics.stats.sequential`): always-valid inference costs sample. For several
treatment arms apply the planned multiple-comparison correction to α yourself (for example
α / (arms − 1) for Holm's worst case).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import optimize, special

from app.analytics.stats import _checks
from app.analytics.stats.sequential import _multiplier, _optimal_x
from app.analytics.stats.types import DEFAULT_ALPHA, MIN_UNITS, Alternative, EffectKind

DEFAULT_POWER = 0.8


@dataclass(frozen=True, slots=True)
class MeanBaseline:
    """A mean metric's control ``mean`` (non-zero) and per-unit ``variance`` (>= 0), for
    example from the pre-period or an A/A period. The treatment is assumed to have the same
    variance."""

    mean: float
    variance: float

    def __post_init__(self) -> None:
        mean = _checks.finite("baseline mean", self.mean)
        if mean == 0.0:
            raise ValueError("baseline mean must be non-zero for a relative MDE")
        variance = _checks.finite("baseline variance", self.variance)
        if variance < 0.0:
            raise ValueError(f"baseline variance must be >= 0, got {self.variance!r}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "variance", variance)


@dataclass(frozen=True, slots=True)
class ProportionBaseline:
    """A conversion metric's control ``rate``, strictly between 0 and 1."""

    rate: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "rate", _checks.probability_open("baseline rate", self.rate))


Baseline = MeanBaseline | ProportionBaseline


def sample_size_per_arm(
    baseline: Baseline,
    relative_mde: float,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    alternative: Alternative = "two-sided",
    effect: EffectKind = "relative",
    sequential: bool = False,
) -> int:
    """Units needed in each arm to detect a relative change of ``relative_mde`` (0.05 = +5%)
    with probability ``power`` at level ``alpha`` (formula in the module docstring).

    Raises ``ValueError`` for ``relative_mde`` that is 0, non-finite, <= −1 or that moves a
    proportion outside [0, 1]; for a one-sided ``alternative`` whose direction disagrees with
    the sign of the MDE; for ``sequential=True`` with a one-sided alternative (confidence
    sequences here are two-sided); for alpha outside (0, 1) and power outside [0.5, 1).
    """
    delta = _checks.finite("relative_mde", relative_mde)
    if delta == 0.0 or delta <= -1.0:
        raise ValueError(f"relative_mde must be non-zero and > -1, got {relative_mde!r}")
    alternative = _checks.alternative(alternative)
    if (alternative == "greater" and delta < 0) or (alternative == "less" and delta > 0):
        raise ValueError(
            f"a one-sided '{alternative}' test cannot detect relative_mde={relative_mde!r}"
        )
    q = _critical_value(_checks.alpha(alpha), alternative, sequential)
    z_power = _z_power(power)
    kind = _checks.effect_kind(effect)
    return _ceil_units(_continuous_n(_baseline(baseline), delta, q, z_power, kind))


def minimum_detectable_effect(
    baseline: Baseline,
    n_per_arm: int,
    *,
    alpha: float = DEFAULT_ALPHA,
    power: float = DEFAULT_POWER,
    alternative: Alternative = "two-sided",
    effect: EffectKind = "relative",
    sequential: bool = False,
) -> float | None:
    """The smallest relative change detectable with ``n_per_arm`` units per arm.

    Positive (an increase) unless ``alternative="less"``, then negative. ``None`` when no
    change in the metric's possible range is detectable with that sample (for a mean metric:
    not even an arbitrarily large one; for a proportion: not before the rate hits 0 or 1);
    0.0 when the baseline has no variance (any change is detectable).
    The inverse of :func:`sample_size_per_arm` up to its rounding. Raises ``ValueError`` as
    :func:`sample_size_per_arm` does, and for ``n_per_arm`` < 2.
    """
    n = _checks.count("n_per_arm", n_per_arm, minimum=MIN_UNITS)
    alternative = _checks.alternative(alternative)
    q = _critical_value(_checks.alpha(alpha), alternative, sequential)
    z_power = _z_power(power)
    kind = _checks.effect_kind(effect)
    base = _baseline(baseline)
    sign = -1.0 if alternative == "less" else 1.0
    if isinstance(base, ProportionBaseline):
        upper = (1.0 - base.rate) / base.rate if sign > 0 else 1.0
    else:
        upper = 1e6 if sign > 0 else 1.0
    upper *= 1.0 - 1e-9

    def excess(magnitude: float) -> float:
        return _continuous_n(base, sign * magnitude, q, z_power, kind) - n

    if isinstance(base, MeanBaseline) and base.variance == 0.0:
        return 0.0  # a metric without noise: any change is detectable
    if excess(upper) > 0.0:
        return None
    lower = 1e-12
    if excess(lower) <= 0.0:
        return 0.0
    return sign * optimize.brentq(excess, lower, upper, xtol=1e-12, rtol=1e-10)


def days_remaining(
    required_per_arm: int,
    units_per_arm: Sequence[int],
    daily_units_per_arm: Sequence[float],
) -> int | None:
    """Whole days until every arm reaches ``required_per_arm`` units at the current traffic.

    Per arm: ceil((required − current) / daily), 0 once reached; the answer is the slowest
    arm's. ``None`` when an arm still short of the target gets no traffic (it never arrives).
    ``units_per_arm`` and ``daily_units_per_arm`` follow the same arm order (daily units are
    typically units so far ÷ days running). Raises ``ValueError`` for negative or non-finite
    values, empty or mismatched sequences.
    """
    required = _checks.count("required_per_arm", required_per_arm)
    current = [_checks.count(f"units_per_arm[{i}]", u) for i, u in enumerate(units_per_arm)]
    daily = [
        _checks.finite(f"daily_units_per_arm[{i}]", d) for i, d in enumerate(daily_units_per_arm)
    ]
    if not current or len(current) != len(daily):
        raise ValueError("units_per_arm and daily_units_per_arm must be non-empty and equally long")
    days = 0
    for i, (have, rate) in enumerate(zip(current, daily, strict=True)):
        if rate < 0.0:
            raise ValueError(f"daily_units_per_arm[{i}] must be >= 0, got {rate!r}")
        short = required - have
        if short <= 0:
            continue
        if rate == 0.0:
            return None
        days = max(days, math.ceil(short / rate))
    return days


def _z_power(power: object) -> float:
    value = _checks.finite("power", power)
    if not 0.5 <= value < 1.0:
        raise ValueError(f"power must be in [0.5, 1), got {power!r}")
    return float(special.ndtri(value))


def _baseline(baseline: object) -> Baseline:
    if not isinstance(baseline, MeanBaseline | ProportionBaseline):
        raise ValueError(
            f"baseline must be MeanBaseline or ProportionBaseline, got {type(baseline).__name__}"
        )
    return baseline


def _critical_value(alpha: float, alternative: Alternative, sequential: bool) -> float:
    if sequential:
        if alternative != "two-sided":
            raise ValueError("sequential tests are two-sided; use alternative='two-sided'")
        return _multiplier(_optimal_x(alpha), alpha)
    tail = alpha / 2.0 if alternative == "two-sided" else alpha
    return float(special.ndtri(1.0 - tail))


def _continuous_n(
    base: Baseline, delta: float, q: float, z_power: float, kind: EffectKind
) -> float:
    """The unrounded sample per arm for relative change ``delta`` (formula in the docstring)."""
    if isinstance(base, ProportionBaseline):
        mean_c = base.rate
        var_c = mean_c * (1.0 - mean_c)
        mean_t = mean_c * (1.0 + delta)
        if not 0.0 <= mean_t <= 1.0:
            raise ValueError(
                f"baseline rate {mean_c!r} changed by {delta!r} leaves [0, 1]; use a smaller MDE"
            )
        var_t = mean_t * (1.0 - mean_t)
    else:
        mean_c, var_c = base.mean, base.variance
        mean_t = mean_c + delta * abs(mean_c)
        var_t = var_c
    if kind == "relative":
        variance = var_t / mean_c**2 + mean_t**2 * var_c / mean_c**4
        effect = delta
    else:
        variance = var_c + var_t
        effect = delta * abs(mean_c)
    return (q + z_power) ** 2 * variance / effect**2


def _ceil_units(n: float) -> int:
    return max(MIN_UNITS, math.ceil(n))
