"""Sequential testing: asymptotic confidence sequences that stay valid under continuous peeking.

An ordinary 95% confidence interval covers the true effect 95% of the time *at one
pre-planned look*. Looking every day and stopping at the first "significant" result inflates
the false-positive rate far above α. A confidence sequence (CS) is a sequence of intervals
that covers the true effect at *all* looks simultaneously with probability ≥ 1 − α, so an
admin may look daily and stop whenever it excludes 0.

Boundary. We use the two-sided normal-mixture boundary (Robbins; Howard, Ramdas, McAuliffe &
Sekhon 2021) in its asymptotic form (Waudby-Smith, Arnold, Wu, Howard & Ramdas, "Time-uniform
central limit theory and asymptotic confidence sequences", 2023). For a mean of N i.i.d.
observations with sample standard deviation σ̂ it is::

    μ̂_N ± σ̂ · sqrt( 2(Nρ² + 1) / (N²ρ²) · log( sqrt(Nρ² + 1) / α ) )

Derivation: for a standardised random walk S_N, the mixture over λ ~ N(0, ρ²) of the
martingales exp(λS_N − λ²N/2) is M_N = exp(ρ²S_N² / (2(1 + Nρ²))) / sqrt(1 + Nρ²); by
Ville's inequality P(∃N: M_N ≥ 1/α) ≤ α, and M_N < 1/α solves to the boundary above.

Two arms. The effect estimate (difference or delta-method lift, see
:mod:`app.analytics.stats.effects`) has standard error se; with N = n_control + n_treatment
units it behaves like a mean of N observations of variance σ̂² = N·se². Substituting, with
x = Nρ²::

    CS_N = estimate ± c_N · se,     c_N = sqrt( (1 + 1/x) · (log(1 + x) − 2·log α) )

i.e. the fixed-horizon z_{1−α/2} is replaced by c_N. The always-valid p-value is 1/M_N::

    p_N = min(1, sqrt(1 + x) · exp(−x·z² / (2(1 + x)))),     z = estimate / se

and p_N ≤ α exactly when CS_N excludes 0.

Tuning. ρ sets the sample size at which the CS is narrowest. We choose it from the planned
total sample size N* (both arms): c_N at N = N* is minimised when x* = N*ρ² solves
x* = −2·log α + log(1 + x*) (solved numerically; the common closed-form approximation is
x* ≈ −2 log α + log(1 − 2 log α)). So ρ = sqrt(x* / N*). At N = N* and α = 0.05, c ≈ 3.03
versus z = 1.96 — the price of peeking freely is an interval about 55% wider. The CS is valid
for any ρ; a poor N* only makes it wider than necessary elsewhere.

Caveats: the guarantee is asymptotic (it needs the normal approximation to hold at every
look, so the earliest looks with few units are the weak spot); results are two-sided (reading
one bound of the two-sided CS is a valid, conservative one-sided statement); callers that
store every look may also report the running intersection of the intervals and the running
minimum of the p-values, which are equally valid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from scipy import optimize

from app.analytics.stats import _checks
from app.analytics.stats.effects import (
    ZERO_VARIANCE_REASON,
    ComparisonResult,
    common_fields,
    estimate_effect,
)
from app.analytics.stats.inputs import ArmStatistics
from app.analytics.stats.types import DEFAULT_ALPHA, EffectKind


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialResult(ComparisonResult):
    """One look at a confidence sequence (fields of :class:`ComparisonResult` too).

    ``planned_sample_size``: N*, the tuning parameter. ``sample_size``: N = n_control +
    n_treatment at this look. ``rho``: the mixture parameter ρ. ``multiplier``: c_N (compare
    z_{1−α/2} = 1.96). ``ci_lower`` / ``ci_upper``: the (1 − α) confidence sequence at this
    look. ``p_value``: the always-valid p-value. ``significant``: ``p_value`` <= α, i.e. the
    interval excludes 0 (``False`` when ``p_value`` is ``None``).
    """

    planned_sample_size: int
    sample_size: int | None
    rho: float
    multiplier: float | None
    ci_lower: float | None
    ci_upper: float | None
    p_value: float | None
    significant: bool


def optimal_mixture_parameter(planned_sample_size: int, alpha: float = DEFAULT_ALPHA) -> float:
    """ρ that makes the confidence sequence narrowest at ``planned_sample_size`` units.

    ρ = sqrt(x* / N*) where x* solves x = −2·log α + log(1 + x). Raises ``ValueError`` for
    a planned sample size below 1 or alpha outside (0, 1).
    """
    planned = _checks.count("planned_sample_size", planned_sample_size, minimum=1)
    return math.sqrt(_optimal_x(_checks.alpha(alpha)) / planned)


def boundary_multiplier(sample_size: int, rho: float, alpha: float = DEFAULT_ALPHA) -> float:
    """c_N: the confidence sequence's half-width in standard errors at N = ``sample_size``.

    c_N = sqrt((1 + 1/x)·(log(1 + x) − 2·log α)) with x = N·ρ². Raises ``ValueError`` for
    N < 1, ρ <= 0 or alpha outside (0, 1).
    """
    n = _checks.count("sample_size", sample_size, minimum=1)
    rho = _checks.finite("rho", rho)
    if rho <= 0.0:
        raise ValueError(f"rho must be > 0, got {rho!r}")
    return _multiplier(n * rho * rho, _checks.alpha(alpha))


def sequential_test(
    control: ArmStatistics,
    treatment: ArmStatistics,
    *,
    planned_sample_size: int,
    effect: EffectKind = "relative",
    alpha: float = DEFAULT_ALPHA,
) -> SequentialResult:
    """The asymptotic confidence sequence and always-valid p-value at the current look.

    ``planned_sample_size``: N*, the total units of the two arms expected at the planned end
    (for example 2 × :func:`~app.analytics.stats.power.sample_size_per_arm` with
    ``sequential=True``); it tunes ρ, not validity. Arms as for
    :func:`~app.analytics.stats.frequentist.frequentist_test`. Raises ``ValueError`` for
    bad arguments; degenerate data gives ``None`` test fields with ``reason``.
    """
    alpha = _checks.alpha(alpha)
    planned = _checks.count("planned_sample_size", planned_sample_size, minimum=1)
    rho = optimal_mixture_parameter(planned, alpha)
    eff = estimate_effect(control, treatment, effect=effect)
    fields = common_fields(eff, alpha)
    n_total = (
        None
        if eff.control_n is None or eff.treatment_n is None
        else eff.control_n + eff.treatment_n
    )
    missing = {
        "planned_sample_size": planned,
        "sample_size": n_total,
        "rho": rho,
        "multiplier": None,
        "ci_lower": None,
        "ci_upper": None,
        "p_value": None,
        "significant": False,
    }
    if eff.estimate is None or eff.std_error is None or n_total is None:
        return SequentialResult(**fields, **missing)  # type: ignore[arg-type]
    if eff.std_error == 0.0:
        fields["reason"] = ZERO_VARIANCE_REASON
        return SequentialResult(**fields, **missing)  # type: ignore[arg-type]

    x = n_total * rho * rho
    c = _multiplier(x, alpha)
    z = eff.estimate / eff.std_error
    log_p = 0.5 * math.log1p(x) - x * z * z / (2.0 * (1.0 + x))
    p_value = math.exp(min(log_p, 0.0))
    return SequentialResult(
        **fields,  # type: ignore[arg-type]
        planned_sample_size=planned,
        sample_size=n_total,
        rho=rho,
        multiplier=c,
        ci_lower=eff.estimate - c * eff.std_error,
        ci_upper=eff.estimate + c * eff.std_error,
        p_value=p_value,
        significant=p_value <= alpha,
    )


@lru_cache(maxsize=64)
def _optimal_x(alpha: float) -> float:
    """x* solving x = a + log(1 + x), a = −2·log α (a contraction; bracketed root)."""
    a = -2.0 * math.log(alpha)
    return optimize.brentq(lambda x: x - a - math.log1p(x), a, 2.0 * a + 1.0, xtol=1e-12)


def _multiplier(x: float, alpha: float) -> float:
    return math.sqrt((1.0 + 1.0 / x) * (math.log1p(x) - 2.0 * math.log(alpha)))
