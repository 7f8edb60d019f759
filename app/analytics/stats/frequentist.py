"""Fixed-horizon frequentist comparison: Welch's t-test on the absolute or relative effect.

The test statistic is t = estimate / std_error with Welch–Satterthwaite degrees of freedom
(see :mod:`app.analytics.stats.effects` for the effect, its delta-method variance and df).

- two-sided: p = 2·P(T_df ≥ |t|), interval estimate ± t_{df, 1−α/2}·se;
- ``"greater"`` (treatment above control): p = P(T_df ≥ t), interval [estimate − t_{df,1−α}·se, +∞);
- ``"less"``: p = P(T_df ≤ t), interval (−∞, estimate + t_{df,1−α}·se].

``significant`` is p < α, which is the same as the interval excluding 0. Valid only when the
sample size is fixed in advance and the result is read once; for peeking use
:func:`app.analytics.stats.sequential.sequential_test`.
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
from app.analytics.stats.types import DEFAULT_ALPHA, Alternative, EffectKind


@dataclass(frozen=True, slots=True, kw_only=True)
class FrequentistResult(ComparisonResult):
    """A Welch test of treatment versus control (fields of :class:`ComparisonResult` too).

    ``df``: Welch–Satterthwaite degrees of freedom. ``statistic``: t. ``p_value``: for
    ``alternative``. ``ci_lower`` / ``ci_upper``: the (1 − α) confidence interval; the open
    side of a one-sided interval is ``-math.inf`` / ``math.inf``. ``significant``: p < α
    (always ``False`` when ``p_value`` is ``None``).
    """

    alternative: Alternative
    df: float | None
    statistic: float | None
    p_value: float | None
    ci_lower: float | None
    ci_upper: float | None
    significant: bool


def frequentist_test(
    control: ArmStatistics,
    treatment: ArmStatistics,
    *,
    effect: EffectKind = "relative",
    alpha: float = DEFAULT_ALPHA,
    alternative: Alternative = "two-sided",
) -> FrequentistResult:
    """Welch's t-test of ``treatment`` against ``control`` on the ``effect`` scale.

    Arms: ``ArmEstimate``, ``MeanStats``, ``ProportionStats``, ``RatioStats`` or CUPED-adjusted
    ``ArmEstimate`` s. Raises ``ValueError`` for alpha outside (0, 1), an unknown ``effect`` or
    ``alternative``, or a wrong arm type. Degenerate data (undefined ratio, control mean 0 for
    the relative lift, zero variance in both arms) gives ``None`` test fields with ``reason``.
    """
    alpha = _checks.alpha(alpha)
    alternative = _checks.alternative(alternative)
    eff = estimate_effect(control, treatment, effect=effect)
    fields = common_fields(eff, alpha)
    missing = {
        "alternative": alternative,
        "df": eff.df,
        "statistic": None,
        "p_value": None,
        "ci_lower": None,
        "ci_upper": None,
        "significant": False,
    }
    if eff.estimate is None or eff.std_error is None:
        return FrequentistResult(**fields, **missing)  # type: ignore[arg-type]
    if eff.std_error == 0.0 or eff.df is None:
        fields["reason"] = ZERO_VARIANCE_REASON
        return FrequentistResult(**fields, **missing)  # type: ignore[arg-type]

    estimate, se, df = eff.estimate, eff.std_error, eff.df
    t = estimate / se
    if alternative == "two-sided":
        p_value = 2.0 * float(special.stdtr(df, -abs(t)))
        q = float(special.stdtrit(df, 1.0 - alpha / 2.0))
        lower, upper = estimate - q * se, estimate + q * se
    else:
        q = float(special.stdtrit(df, 1.0 - alpha))
        if alternative == "greater":
            p_value = float(special.stdtr(df, -t))
            lower, upper = estimate - q * se, math.inf
        else:
            p_value = float(special.stdtr(df, t))
            lower, upper = -math.inf, estimate + q * se
    p_value = min(1.0, max(0.0, p_value))
    return FrequentistResult(
        **fields,  # type: ignore[arg-type]
        alternative=alternative,
        df=df,
        statistic=t,
        p_value=p_value,
        ci_lower=lower,
        ci_upper=upper,
        significant=p_value < alpha,
    )
