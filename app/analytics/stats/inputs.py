"""Per-arm inputs (sufficient statistics) and the per-arm estimate they reduce to.

Every metric type reduces to an :class:`ArmEstimate`: the arm's point estimate (a mean, a rate
or a ratio), a per-unit variance such that ``unit_variance / n`` is the variance of that point
estimate, and ``n``. The comparison functions (frequentist, Bayesian, sequential) accept an
``ArmEstimate`` or any of the input dataclasses here, so CUPED-adjusted arms (see
:mod:`app.analytics.stats.cuped`) plug in the same way.

Contracts: constructors raise ``ValueError`` for malformed sums (n < 2, non-finite values,
successes outside [0, n], sums implying a negative variance, a cross sum that violates
Cauchy–Schwarz). :meth:`RatioStats.estimate` raises :class:`UndefinedEstimate` when the
denominator sum is 0 (the ratio does not exist); the comparison functions turn that into a
result with ``reason`` set instead of raising.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from app.analytics.stats import _checks
from app.analytics.stats.types import MIN_UNITS


class UndefinedEstimate(Exception):
    """An arm's point estimate does not exist (for example a ratio whose denominator sum is 0).

    Not a ``ValueError``: the inputs are valid, the quantity is simply undefined. Comparison
    functions catch it and return a result whose ``reason`` carries the message.
    """


@dataclass(frozen=True, slots=True)
class ArmEstimate:
    """One arm reduced to ``n``, a point estimate ``mean`` and a per-unit ``unit_variance``.

    ``unit_variance / n`` is the (estimated) variance of ``mean``. For a plain mean it is the
    sample variance (n − 1 denominator); for ratio metrics it is the variance of the
    delta-method linearisation; for CUPED the variance of the adjusted metric.
    """

    n: int
    mean: float
    unit_variance: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _checks.count("n", self.n, minimum=MIN_UNITS))
        object.__setattr__(self, "mean", _checks.finite("mean", self.mean))
        variance = _checks.finite("unit_variance", self.unit_variance)
        if variance < 0.0:
            raise ValueError(f"unit_variance must be >= 0, got {self.unit_variance!r}")
        object.__setattr__(self, "unit_variance", variance)

    @property
    def variance_of_mean(self) -> float:
        """The variance of ``mean``: ``unit_variance / n``."""
        return self.unit_variance / self.n

    @property
    def std_error(self) -> float:
        """The standard error of ``mean``."""
        return math.sqrt(self.variance_of_mean)

    def estimate(self) -> ArmEstimate:
        """Itself (so an ``ArmEstimate`` is accepted wherever arm statistics are)."""
        return self


@runtime_checkable
class ArmStatistics(Protocol):
    """Anything that reduces to an :class:`ArmEstimate` (all input dataclasses here do)."""

    def estimate(self) -> ArmEstimate:
        """The arm's point estimate and variance; may raise :class:`UndefinedEstimate`."""
        ...


@dataclass(frozen=True, slots=True)
class MeanStats:
    """Sufficient statistics of a mean or count metric: ``n`` units, ``sum`` = Σy and
    ``sum_squares`` = Σy² of the per-unit values y (for example chapters read per reader).

    The arm's estimate is the sample mean ȳ = sum / n with sample variance
    s² = (sum_squares − sum² / n) / (n − 1).
    """

    n: int
    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        n = _checks.count("n", self.n, minimum=MIN_UNITS)
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "sum", _checks.finite("sum", self.sum))
        object.__setattr__(self, "sum_squares", _checks.finite("sum_squares", self.sum_squares))
        _checks.centred_sum_of_squares("MeanStats", n, self.sum, self.sum_squares)

    def estimate(self) -> ArmEstimate:
        """The sample mean and the sample variance (n − 1 denominator)."""
        centred = _checks.centred_sum_of_squares("MeanStats", self.n, self.sum, self.sum_squares)
        return ArmEstimate(n=self.n, mean=self.sum / self.n, unit_variance=centred / (self.n - 1))


@dataclass(frozen=True, slots=True)
class ProportionStats:
    """Sufficient statistics of a conversion metric: ``successes`` of ``n`` units converted.

    Treated as a mean of 0/1 values (Σy = Σy² = successes), so the arm's estimate is the rate
    p = successes / n with sample variance n·p(1 − p)/(n − 1) — exactly what a Welch t-test on
    the raw 0/1 data uses.
    """

    n: int
    successes: int

    def __post_init__(self) -> None:
        n = _checks.count("n", self.n, minimum=MIN_UNITS)
        successes = _checks.count("successes", self.successes)
        if successes > n:
            raise ValueError(f"successes ({successes}) cannot exceed n ({n})")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "successes", successes)

    def estimate(self) -> ArmEstimate:
        """The rate and the sample variance of the 0/1 values."""
        return MeanStats(self.n, self.successes, self.successes).estimate()


@dataclass(frozen=True, slots=True)
class RatioStats:
    """Sufficient statistics of a ratio metric Σy / Σd over ``n`` units (for example minutes
    read per chapter opened, where each unit contributes y minutes and d chapters).

    Fields: ``numerator_sum`` Σy, ``numerator_sum_squares`` Σy², ``denominator_sum`` Σd,
    ``denominator_sum_squares`` Σd², ``cross_sum`` Σy·d.

    The arm's estimate is R = Σy / Σd = ȳ / d̄. Its variance comes from the delta method
    (first-order Taylor expansion of ȳ / d̄ around the means)::

        var(R) ≈ (s_y² − 2·R·s_yd + R²·s_d²) / (n · d̄²)

    with sample variances s_y², s_d² and covariance s_yd (n − 1 denominators). This is the
    sample variance of the linearised per-unit values (y − R·d) / d̄, divided by n.
    """

    n: int
    numerator_sum: float
    numerator_sum_squares: float
    denominator_sum: float
    denominator_sum_squares: float
    cross_sum: float

    def __post_init__(self) -> None:
        n = _checks.count("n", self.n, minimum=MIN_UNITS)
        object.__setattr__(self, "n", n)
        for name in (
            "numerator_sum",
            "numerator_sum_squares",
            "denominator_sum",
            "denominator_sum_squares",
            "cross_sum",
        ):
            object.__setattr__(self, name, _checks.finite(name, getattr(self, name)))
        _centred_moments(
            "RatioStats",
            n,
            (self.numerator_sum, self.numerator_sum_squares),
            (self.denominator_sum, self.denominator_sum_squares),
            self.cross_sum,
        )

    def estimate(self) -> ArmEstimate:
        """The ratio and its delta-method per-unit variance.

        Raises :class:`UndefinedEstimate` when the denominator sum is 0.
        """
        if self.denominator_sum == 0.0:
            raise UndefinedEstimate("the denominator sum is 0, so the ratio is undefined")
        syy, sdd, syd = _centred_moments(
            "RatioStats",
            self.n,
            (self.numerator_sum, self.numerator_sum_squares),
            (self.denominator_sum, self.denominator_sum_squares),
            self.cross_sum,
        )
        ratio = self.numerator_sum / self.denominator_sum
        mean_d = self.denominator_sum / self.n
        linearised = (syy - 2.0 * ratio * syd + ratio * ratio * sdd) / (self.n - 1)
        unit_variance = max(linearised, 0.0) / (mean_d * mean_d)
        return ArmEstimate(n=self.n, mean=ratio, unit_variance=unit_variance)


def _centred_moments(
    name: str,
    n: int,
    y: tuple[float, float],
    x: tuple[float, float],
    cross: float,
) -> tuple[float, float, float]:
    """Centred Σ(y−ȳ)², Σ(x−x̄)², Σ(y−ȳ)(x−x̄) from raw sums, checked for consistency.

    The cross term must satisfy Cauchy–Schwarz, |Sxy| <= sqrt(Sxx·Syy), within rounding.
    """
    syy = _checks.centred_sum_of_squares(f"{name} (y)", n, y[0], y[1])
    sxx = _checks.centred_sum_of_squares(f"{name} (x)", n, x[0], x[1])
    sxy = _checks.centred_cross_sum(n, x[0], y[0], cross)
    bound = math.sqrt(sxx * syy)
    scale = max(abs(cross), abs(x[0] * y[0] / n), math.sqrt(abs(x[1] * y[1])), 1e-300)
    if abs(sxy) > bound + _checks.VARIANCE_RTOL * scale:
        raise ValueError(
            f"{name}: cross_sum {cross!r} is inconsistent with the other sums "
            "(the implied correlation is outside [-1, 1])"
        )
    sxy = max(-bound, min(bound, sxy))
    return syy, sxx, sxy


def to_estimate(name: str, arm: ArmStatistics) -> ArmEstimate:
    """``arm.estimate()`` after checking the type; ``name`` labels errors ("control")."""
    if isinstance(arm, ArmEstimate):
        return arm
    if not callable(getattr(arm, "estimate", None)):
        raise ValueError(
            f"{name} must be ArmEstimate, MeanStats, ProportionStats, RatioStats "
            f"(or have an estimate() method), got {type(arm).__name__}; "
            "CupedStats arms go through cuped_adjust() first"
        )
    estimate = arm.estimate()
    if not isinstance(estimate, ArmEstimate):
        raise ValueError(f"{name}.estimate() must return an ArmEstimate")
    return estimate
