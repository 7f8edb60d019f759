"""CUPED variance reduction (Deng, Xu, Kohavi & Walker 2013) from a pre-period covariate.

For each unit, y is the metric during the experiment and x the same (or a related) metric in
a pre-period before assignment (0 for units with no history). Because assignment is random,
x is balanced across arms, and subtracting θ·(x − x̄) removes the part of y's variance that x
predicts without biasing the comparison.

θ is pooled across arms from within-arm centred sums (so a treatment effect on y does not
leak into it)::

    θ = Σ_arms S_xy / Σ_arms S_xx,   S_xy = Σxy − Σx·Σy/n,   S_xx = Σx² − (Σx)²/n

Each arm's adjusted estimate, with x̄ the covariate mean over all arms::

    ȳ_adj = ȳ − θ·(x̄_arm − x̄)
    s²_adj = (S_yy − 2θ·S_xy + θ²·S_xx) / (n − 1)      (the sample variance of y − θx)

θ and x̄ are treated as known (the standard CUPED approximation; their estimation error is of
order 1/n). The variance of y − θx is (1 − ρ²)·var(y) at the optimal θ, where ρ is the
within-arm correlation of x and y. The adjusted arms are :class:`ArmEstimate` objects and go
into any comparison function; differences between adjusted arms are unbiased whatever θ is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.analytics.stats import _checks
from app.analytics.stats.inputs import ArmEstimate, MeanStats, _centred_moments
from app.analytics.stats.types import MIN_UNITS


@dataclass(frozen=True, slots=True)
class CupedStats:
    """Sufficient statistics of a mean metric y with a pre-period covariate x over ``n`` units.

    Fields: ``sum`` Σy, ``sum_squares`` Σy², ``covariate_sum`` Σx, ``covariate_sum_squares``
    Σx², ``cross_sum`` Σx·y. A conversion metric is passed with ``sum = sum_squares =
    successes``. Deliberately has no ``estimate()``: pass the arms through
    :func:`cuped_adjust` (``unadjusted()`` gives the plain mean metric).
    """

    n: int
    sum: float
    sum_squares: float
    covariate_sum: float
    covariate_sum_squares: float
    cross_sum: float

    def __post_init__(self) -> None:
        n = _checks.count("n", self.n, minimum=MIN_UNITS)
        object.__setattr__(self, "n", n)
        for name in ("sum", "sum_squares", "covariate_sum", "covariate_sum_squares", "cross_sum"):
            object.__setattr__(self, name, _checks.finite(name, getattr(self, name)))
        self._moments()

    def _moments(self) -> tuple[float, float, float]:
        """Centred (S_yy, S_xx, S_xy)."""
        return _centred_moments(
            "CupedStats",
            self.n,
            (self.sum, self.sum_squares),
            (self.covariate_sum, self.covariate_sum_squares),
            self.cross_sum,
        )

    def unadjusted(self) -> MeanStats:
        """The metric without the covariate."""
        return MeanStats(self.n, self.sum, self.sum_squares)


@dataclass(frozen=True, slots=True)
class CupedAdjustment:
    """The result of :func:`cuped_adjust`; tuples follow the order of the input arms.

    ``theta``: the pooled regression coefficient θ. ``covariate_mean``: x̄ over all arms.
    ``arms``: adjusted estimates. ``unadjusted``: the plain estimates, for comparison.
    ``variance_reduction``: per arm, 1 − s²_adj / s²_y (0 where s²_y is 0); the share of the
    variance CUPED removed. ``note``: why no adjustment was made, if none was.
    """

    theta: float
    covariate_mean: float
    arms: tuple[ArmEstimate, ...]
    unadjusted: tuple[ArmEstimate, ...]
    variance_reduction: tuple[float, ...]
    note: str | None = None


def cuped_adjust(arms: Sequence[CupedStats]) -> CupedAdjustment:
    """CUPED-adjust every arm of an experiment with one pooled θ (see the module docstring).

    ``arms``: all arms of the experiment (at least one; control first by convention). Raises
    ``ValueError`` for an empty sequence or an element that is not :class:`CupedStats`. When
    the covariate has no within-arm variance θ is 0 and ``note`` says so; the arms are then
    returned unadjusted.
    """
    arms = tuple(arms)
    if not arms:
        raise ValueError("cuped_adjust needs at least one arm")
    for index, arm in enumerate(arms):
        if not isinstance(arm, CupedStats):
            raise ValueError(f"arms[{index}] must be CupedStats, got {type(arm).__name__}")
    moments = [arm._moments() for arm in arms]
    total_sxx = sum(sxx for _, sxx, _ in moments)
    total_sxy = sum(sxy for _, _, sxy in moments)
    note = None
    if total_sxx > 0.0:
        theta = total_sxy / total_sxx
    else:
        theta = 0.0
        note = "the covariate has no variance within arms, so CUPED made no adjustment"
    covariate_mean = sum(arm.covariate_sum for arm in arms) / sum(arm.n for arm in arms)

    adjusted: list[ArmEstimate] = []
    plain: list[ArmEstimate] = []
    reduction: list[float] = []
    for arm, (syy, sxx, sxy) in zip(arms, moments, strict=True):
        raw_variance = syy / (arm.n - 1)
        adj_variance = max(syy - 2.0 * theta * sxy + theta * theta * sxx, 0.0) / (arm.n - 1)
        mean_y = arm.sum / arm.n
        mean_x = arm.covariate_sum / arm.n
        adjusted.append(
            ArmEstimate(
                n=arm.n,
                mean=mean_y - theta * (mean_x - covariate_mean),
                unit_variance=adj_variance,
            )
        )
        plain.append(ArmEstimate(n=arm.n, mean=mean_y, unit_variance=raw_variance))
        reduction.append(1.0 - adj_variance / raw_variance if raw_variance > 0.0 else 0.0)
    return CupedAdjustment(
        theta=theta,
        covariate_mean=covariate_mean,
        arms=tuple(adjusted),
        unadjusted=tuple(plain),
        variance_reduction=tuple(reduction),
        note=note,
    )
