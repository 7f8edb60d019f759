"""Bayesian comparison: a Gaussian model on the effect, in closed form (no Monte Carlo).

Model. The observed effect (relative lift or absolute difference, see
:mod:`app.analytics.stats.effects`) is treated as normal around the true effect θ with the
delta-method / Welch variance: estimate | θ ~ N(θ, se²). Prior on θ: flat (the default), or
N(m₀, s₀²) given by :class:`NormalPrior` in the same units as the effect. The posterior is
normal::

    flat prior:   θ | data ~ N(estimate, se²)
    normal prior: precision τ = 1/se² + 1/s₀²,  θ | data ~ N((estimate/se² + m₀/s₀²)/τ, 1/τ)

With posterior N(μ, σ²), where φ and Φ are the standard normal density and distribution:

- chance to win (treatment better than control) = Φ(μ/σ) when higher is better
  (Φ(−μ/σ) when lower is better);
- credible interval (equal-tailed, 1 − α) = μ ± z_{1−α/2}·σ;
- risk = expected loss of a choice, the normal partial expectations::

      E[max(0, −θ)] = σ·φ(μ/σ) − μ·Φ(−μ/σ)    (risk of choosing treatment, higher is better)
      E[max(0,  θ)] = σ·φ(μ/σ) + μ·Φ(μ/σ)     (risk of choosing control, higher is better)

  (swapped when lower is better). Risk is in the effect's units: for the relative lift,
  0.002 means "choosing this arm costs 0.2% of the control mean in expectation if it is
  in fact the worse one".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from app.analytics.stats import _checks
from app.analytics.stats.effects import (
    ZERO_VARIANCE_REASON,
    ComparisonResult,
    common_fields,
    estimate_effect,
)
from app.analytics.stats.inputs import ArmStatistics
from app.analytics.stats.types import DEFAULT_ALPHA, EffectKind

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@dataclass(frozen=True, slots=True)
class NormalPrior:
    """A N(mean, sd²) prior on the effect, in the effect's units.

    For the relative lift, ``NormalPrior(0.0, 0.3)`` says "lifts beyond ±60% are very rare"
    and shrinks noisy early results toward 0. Raises ``ValueError`` unless ``sd`` > 0.
    """

    mean: float = 0.0
    sd: float = 0.3

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _checks.finite("prior mean", self.mean))
        sd = _checks.finite("prior sd", self.sd)
        if sd <= 0.0:
            raise ValueError(f"prior sd must be > 0, got {self.sd!r}")
        object.__setattr__(self, "sd", sd)


@dataclass(frozen=True, slots=True, kw_only=True)
class BayesianResult(ComparisonResult):
    """A Bayesian comparison (fields of :class:`ComparisonResult` too; ``estimate`` is the
    observed effect, before the prior).

    ``prior``: ``None`` for the flat prior. ``higher_is_better``: the metric's direction.
    ``posterior_mean`` / ``posterior_sd``: of the effect. ``chance_to_win``: the posterior
    probability that treatment is better than control. ``ci_lower`` / ``ci_upper``: the
    equal-tailed (1 − α) credible interval. ``risk_treatment`` / ``risk_control``: the expected
    loss (>= 0, effect units) of choosing that arm. Test fields are ``None`` when ``reason``
    is set.
    """

    prior: NormalPrior | None
    higher_is_better: bool
    posterior_mean: float | None
    posterior_sd: float | None
    chance_to_win: float | None
    ci_lower: float | None
    ci_upper: float | None
    risk_treatment: float | None
    risk_control: float | None


def bayesian_test(
    control: ArmStatistics,
    treatment: ArmStatistics,
    *,
    effect: EffectKind = "relative",
    alpha: float = DEFAULT_ALPHA,
    prior: NormalPrior | None = None,
    higher_is_better: bool = True,
) -> BayesianResult:
    """Posterior of the effect of ``treatment`` versus ``control`` (see the module docstring).

    Arms as for :func:`~app.analytics.stats.frequentist.frequentist_test`. Raises ``ValueError``
    for alpha outside (0, 1), an unknown ``effect``, a wrong arm type or a ``prior`` that is not
    a :class:`NormalPrior`. Degenerate data gives ``None`` posterior fields with ``reason``.
    """
    alpha = _checks.alpha(alpha)
    if prior is not None and not isinstance(prior, NormalPrior):
        raise ValueError(f"prior must be a NormalPrior or None, got {type(prior).__name__}")
    eff = estimate_effect(control, treatment, effect=effect)
    fields = common_fields(eff, alpha)
    missing = {
        "prior": prior,
        "higher_is_better": bool(higher_is_better),
        "posterior_mean": None,
        "posterior_sd": None,
        "chance_to_win": None,
        "ci_lower": None,
        "ci_upper": None,
        "risk_treatment": None,
        "risk_control": None,
    }
    if eff.estimate is None or eff.std_error is None:
        return BayesianResult(**fields, **missing)  # type: ignore[arg-type]
    if eff.std_error == 0.0:
        fields["reason"] = ZERO_VARIANCE_REASON
        return BayesianResult(**fields, **missing)  # type: ignore[arg-type]

    mu, sigma = posterior(eff.estimate, eff.std_error, prior)
    z = float(special.ndtri(1.0 - alpha / 2.0))
    gain = expected_positive_part(mu, sigma)  # E[max(0, θ)]
    loss = expected_positive_part(-mu, sigma)  # E[max(0, −θ)]
    p_positive = float(special.ndtr(mu / sigma))
    if higher_is_better:
        chance, risk_treatment, risk_control = p_positive, loss, gain
    else:
        chance, risk_treatment, risk_control = 1.0 - p_positive, gain, loss
    return BayesianResult(
        **fields,  # type: ignore[arg-type]
        prior=prior,
        higher_is_better=bool(higher_is_better),
        posterior_mean=mu,
        posterior_sd=sigma,
        chance_to_win=chance,
        ci_lower=mu - z * sigma,
        ci_upper=mu + z * sigma,
        risk_treatment=risk_treatment,
        risk_control=risk_control,
    )


def posterior(estimate: float, std_error: float, prior: NormalPrior | None) -> tuple[float, float]:
    """Posterior (mean, sd) of the effect given the observed ``estimate`` with ``std_error``
    (> 0) under ``prior`` (``None`` = flat)."""
    if prior is None:
        return estimate, std_error
    precision = 1.0 / std_error**2 + 1.0 / prior.sd**2
    mean = (estimate / std_error**2 + prior.mean / prior.sd**2) / precision
    return mean, math.sqrt(1.0 / precision)


def expected_positive_part(mu: float, sigma: float) -> float:
    """E[max(0, X)] for X ~ N(mu, sigma²), sigma > 0: σ·φ(μ/σ) + μ·Φ(μ/σ), clamped at 0."""
    z = mu / sigma
    value = sigma * _INV_SQRT_2PI * math.exp(-0.5 * z * z) + mu * float(special.ndtr(z))
    return max(value, 0.0)
