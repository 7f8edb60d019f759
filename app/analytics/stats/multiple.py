"""Multiple comparisons: adjust p-values across arms × metrics (statsmodels ``multipletests``).

Testing several treatment arms and several metrics multiplies the chances of a false
"winner". Two corrections are offered:

- ``"holm"`` (Holm–Bonferroni): controls the family-wise error rate — the probability of *any*
  false positive among the family — at α, under any dependence between the tests. Use it for
  the goal metric(s) a decision rests on.
- ``"bh"`` (Benjamini–Hochberg): controls the false discovery rate — the expected share of
  false positives among the results called significant — at α (for independent or positively
  dependent tests). Less strict; suited to many guardrail or exploratory metrics.

Entries whose p-value is ``None`` (a degenerate comparison) are left out of the family and
returned with ``None``. Adjust p-values of one kind together (fixed-horizon, or always-valid
sequential ones); Bayesian results have no p-values to adjust.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from app.analytics.stats import _checks
from app.analytics.stats.types import DEFAULT_ALPHA

Correction = Literal["holm", "bh"]

_STATSMODELS_METHOD: dict[str, str] = {"holm": "holm", "bh": "fdr_bh"}

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class AdjustedPValue:
    """One comparison after correction: ``p_value`` as given, ``adjusted_p_value`` and
    ``significant`` (adjusted p <= α, statsmodels' rejection rule); ``None`` / ``False`` when
    ``p_value`` was ``None``."""

    p_value: float | None
    adjusted_p_value: float | None
    significant: bool


def adjust_p_values(
    p_values: Mapping[K, float | None],
    *,
    method: Correction = "holm",
    alpha: float = DEFAULT_ALPHA,
) -> dict[K, AdjustedPValue]:
    """Holm or Benjamini–Hochberg adjustment of a family of p-values.

    ``p_values``: keyed by whatever identifies a comparison, e.g. ``(arm, metric)``; the
    result has the same keys in the same order. Raises ``ValueError`` for an unknown method,
    alpha outside (0, 1) or a p-value outside [0, 1].
    """
    if method not in _STATSMODELS_METHOD:
        raise ValueError(f"method must be one of {tuple(_STATSMODELS_METHOD)}, got {method!r}")
    alpha = _checks.alpha(alpha)
    present: list[tuple[K, float]] = []
    for key, p in p_values.items():
        if p is None:
            continue
        value = _checks.finite(f"p-value for {key!r}", p)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"p-value for {key!r} must be in [0, 1], got {p!r}")
        present.append((key, value))
    adjusted: dict[K, tuple[float, bool]] = {}
    if present:
        # Imported here: statsmodels.stats takes over a second to import, and most callers of
        # the engine never adjust p-values.
        from statsmodels.stats.multitest import multipletests

        reject, corrected, _, _ = multipletests(
            [p for _, p in present], alpha=alpha, method=_STATSMODELS_METHOD[method]
        )
        for (key, _), r, c in zip(present, reject, corrected, strict=True):
            adjusted[key] = (float(c), bool(r))
    result: dict[K, AdjustedPValue] = {}
    for key, p in p_values.items():
        if key in adjusted:
            corrected_p, rejected = adjusted[key]
            result[key] = AdjustedPValue(float(p), corrected_p, rejected)  # type: ignore[arg-type]
        else:
            result[key] = AdjustedPValue(None, None, False)
    return result
