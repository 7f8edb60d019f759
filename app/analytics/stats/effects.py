"""The effect of treatment versus control and its variance: the core every comparison shares.

Given per-arm estimates (means m_c, m_t with variances v_c = s_c²/n_c, v_t = s_t²/n_t):

- absolute effect: Δ = m_t − m_c, var(Δ) = v_t + v_c;
- relative effect (lift, the default): L = (m_t − m_c) / |m_c|, with the delta-method variance
  (first-order Taylor expansion of the ratio; the arms are independent)::

      var(L) ≈ v_t / m_c² + m_t² · v_c / m_c⁴

  (the same for a negative control mean, thanks to |m_c|). The lift is undefined when m_c = 0.

Degrees of freedom (Welch–Satterthwaite) treat the variance as a sum of one independent
component per arm, each estimated with n − 1 degrees of freedom: with a = the treatment's
component (v_t, or v_t / m_c²) and b = the control's (v_c, or m_t² v_c / m_c⁴)::

    df = (a + b)² / (a² / (n_t − 1) + b² / (n_c − 1))

For the absolute effect this is the classic Welch df.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.analytics.stats import _checks
from app.analytics.stats.inputs import ArmEstimate, ArmStatistics, UndefinedEstimate, to_estimate
from app.analytics.stats.types import SMALL_SAMPLE_UNITS, EffectKind

#: Above this coefficient of variation of the control mean (se / |mean|) the first-order
#: delta method for the relative lift is noticeably inaccurate; results carry a note.
RELATIVE_CV_NOTE = 0.1

#: ``reason`` when the relative lift or its variance overflows (a control mean of ~1e-300).
OVERFLOW_REASON = "the control mean is too close to 0 for a relative lift; use effect='absolute'"


@dataclass(frozen=True, slots=True, kw_only=True)
class EffectEstimate:
    """The effect of treatment versus control in ``kind`` units, before any test.

    ``estimate``, ``std_error`` and ``df`` are ``None`` exactly when ``reason`` says why (an
    arm's estimate is undefined, or the relative lift has a control mean of 0). ``std_error``
    is 0 and ``df`` ``None`` when both arms have zero variance. ``notes`` lists caveats that
    do not prevent a result (small samples, an unreliable delta method).
    """

    kind: EffectKind
    control_n: int | None
    treatment_n: int | None
    control_mean: float | None
    treatment_mean: float | None
    estimate: float | None
    std_error: float | None
    df: float | None
    reason: str | None = None
    notes: tuple[str, ...] = ()


def estimate_effect(
    control: ArmStatistics,
    treatment: ArmStatistics,
    *,
    effect: EffectKind = "relative",
) -> EffectEstimate:
    """The effect of ``treatment`` versus ``control`` with its standard error and Welch df.

    Arms are :class:`ArmEstimate` or any input dataclass (``MeanStats``, ``ProportionStats``,
    ``RatioStats``). Raises ``ValueError`` for a bad ``effect`` or arm type; never raises for
    degenerate data (see :class:`EffectEstimate`).
    """
    kind = _checks.effect_kind(effect)
    try:
        c = to_estimate("control", control)
    except UndefinedEstimate as error:
        return _undefined(kind, None, None, f"control: {error}")
    try:
        t = to_estimate("treatment", treatment)
    except UndefinedEstimate as error:
        return _undefined(kind, c, None, f"treatment: {error}")
    return effect_from_estimates(c, t, kind)


def effect_from_estimates(c: ArmEstimate, t: ArmEstimate, kind: EffectKind) -> EffectEstimate:
    """:func:`estimate_effect` on already-reduced arms (no type checks)."""
    notes: list[str] = []
    if min(c.n, t.n) < SMALL_SAMPLE_UNITS:
        notes.append(
            f"fewer than {SMALL_SAMPLE_UNITS} units in an arm: the normal approximations "
            "behind this result may be inaccurate"
        )
    v_c, v_t = c.variance_of_mean, t.variance_of_mean
    if kind == "absolute":
        estimate = t.mean - c.mean
        a, b = v_t, v_c
    else:
        if c.mean == 0.0:
            return _undefined(
                kind,
                c,
                t,
                "the control mean is 0, so the relative lift is undefined; use effect='absolute'",
            )
        denominator = abs(c.mean)
        try:
            estimate = (t.mean - c.mean) / denominator
            a = (t.std_error / denominator) ** 2
            b = (t.mean * c.std_error / denominator / denominator) ** 2
        except (ZeroDivisionError, OverflowError):
            return _undefined(kind, c, t, OVERFLOW_REASON)
        if math.sqrt(v_c) > RELATIVE_CV_NOTE * denominator:
            notes.append(
                "the control mean is imprecise (its standard error exceeds "
                f"{RELATIVE_CV_NOTE:.0%} of it): the delta-method relative lift and its "
                "interval are unreliable; consider effect='absolute' or more data"
            )
    variance = a + b
    if not math.isfinite(variance) or not math.isfinite(estimate):
        reason = OVERFLOW_REASON if kind == "relative" else "the effect overflows floating point"
        return _undefined(kind, c, t, reason)
    if variance == 0.0:
        notes.append("both arms have zero variance: no sampling uncertainty can be estimated")
        df = None
    else:
        share_t, share_c = a / variance, b / variance  # normalised: no under/overflow
        df = 1.0 / (share_t * share_t / (t.n - 1) + share_c * share_c / (c.n - 1))
    return EffectEstimate(
        kind=kind,
        control_n=c.n,
        treatment_n=t.n,
        control_mean=c.mean,
        treatment_mean=t.mean,
        estimate=estimate,
        std_error=math.sqrt(variance),
        df=df,
        notes=tuple(notes),
    )


def _undefined(
    kind: EffectKind, c: ArmEstimate | None, t: ArmEstimate | None, reason: str
) -> EffectEstimate:
    return EffectEstimate(
        kind=kind,
        control_n=None if c is None else c.n,
        treatment_n=None if t is None else t.n,
        control_mean=None if c is None else c.mean,
        treatment_mean=None if t is None else t.mean,
        estimate=None,
        std_error=None,
        df=None,
        reason=reason,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ComparisonResult:
    """Fields every comparison result shares (frequentist, Bayesian, sequential).

    ``kind``: the effect's units (``"relative"`` lift as a fraction — 0.05 is +5% — or
    ``"absolute"`` difference in the metric's units). ``alpha``: 1 − the interval's level.
    ``control_mean`` / ``treatment_mean``: the arms' point estimates (after CUPED if the arms
    were adjusted). ``estimate``: the effect (for Bayesian results, the posterior mean).
    ``std_error``: of the observed effect. ``reason``: set exactly when the result's test
    quantities (p-value, interval, probabilities) are ``None``, saying why. ``notes``: caveats.
    """

    kind: EffectKind
    alpha: float
    control_n: int | None
    treatment_n: int | None
    control_mean: float | None
    treatment_mean: float | None
    estimate: float | None
    std_error: float | None
    reason: str | None = None
    notes: tuple[str, ...] = ()


def common_fields(effect: EffectEstimate, alpha: float) -> dict[str, object]:
    """The :class:`ComparisonResult` keyword arguments taken from ``effect``."""
    return {
        "kind": effect.kind,
        "alpha": alpha,
        "control_n": effect.control_n,
        "treatment_n": effect.treatment_n,
        "control_mean": effect.control_mean,
        "treatment_mean": effect.treatment_mean,
        "estimate": effect.estimate,
        "std_error": effect.std_error,
        "reason": effect.reason,
        "notes": effect.notes,
    }


#: ``reason`` when both arms have zero variance and no test or interval can be computed.
ZERO_VARIANCE_REASON = (
    "both arms have zero variance: there is no sampling variability to test against"
)
