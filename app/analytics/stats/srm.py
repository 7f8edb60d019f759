"""Sample ratio mismatch (SRM): are the arms' unit counts consistent with the configured
weights?

A mismatch means assignment or exposure logging is broken (a redirect that loses users in one
arm, a bot filter that hits one variant harder, a crash on one cover), and then *every* result
of the experiment is suspect, however significant. The check is Pearson's chi-square
goodness-of-fit test (``scipy.stats.chisquare``) of the observed counts against
total × weight / 100, with k − 1 degrees of freedom for k arms with positive weight.

Levels: ``"alert"`` when p < 0.001 (do not trust the results), ``"warning"`` when p < 0.01
(investigate), otherwise ``"ok"``. Units in an arm of weight 0 are an alert on their own
(p = 0). Compare counts with the weights that were in force while they were collected: after
a weight change, check each allocation period separately.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from scipy import stats

from app.analytics.stats import _checks

SrmLevel = Literal["ok", "warning", "alert"]

#: p-value thresholds of the levels.
SRM_WARNING_P = 0.01
SRM_ALERT_P = 0.001

#: Allowed distance of a weight total from 100.
WEIGHT_TOLERANCE = 1e-6

#: Below this expected count in an arm the chi-square approximation is rough; a note says so.
MIN_EXPECTED_COUNT = 5.0


@dataclass(frozen=True, slots=True)
class SrmResult:
    """The outcome of :func:`srm_check`.

    ``p_value`` / ``statistic`` (chi-square) / ``df``: ``None`` when nothing was observed
    (then ``level`` is ``"ok"`` and ``note`` says why). ``expected``: expected counts per arm
    (input order). ``level``: ``"ok"``, ``"warning"`` or ``"alert"``. ``note``: caveats.
    """

    observed: tuple[int, ...]
    expected: tuple[float, ...]
    statistic: float | None
    df: int | None
    p_value: float | None
    level: SrmLevel
    note: str | None = None


def srm_level(p_value: float) -> SrmLevel:
    """``"alert"`` below 0.001, ``"warning"`` below 0.01, else ``"ok"``."""
    if p_value < SRM_ALERT_P:
        return "alert"
    if p_value < SRM_WARNING_P:
        return "warning"
    return "ok"


def validate_weights(weights: Sequence[float], *, name: str = "weights") -> tuple[float, ...]:
    """The weights as floats; each finite and >= 0, at least one > 0, summing to 100
    (within 1e-6). Raises ``ValueError`` otherwise."""
    values = tuple(_checks.finite(f"{name}[{i}]", w) for i, w in enumerate(weights))
    if not values:
        raise ValueError(f"{name} must not be empty")
    for i, w in enumerate(values):
        if w < 0.0:
            raise ValueError(f"{name}[{i}] must be >= 0, got {w!r}")
    total = sum(values)
    if abs(total - 100.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"{name} must sum to 100, got {total!r}")
    return values


def srm_check(observed: Sequence[int], weights: Sequence[float]) -> SrmResult:
    """Chi-square test of ``observed`` unit counts per arm against ``weights`` (percent).

    ``observed`` and ``weights`` are in the same arm order and of the same length (>= 2).
    Raises ``ValueError`` for negative or fractional counts, mismatched lengths or weights
    that are negative or do not sum to 100.
    """
    counts = tuple(_checks.count(f"observed[{i}]", c) for i, c in enumerate(observed))
    values = validate_weights(weights)
    if len(counts) != len(values):
        raise ValueError(
            f"observed has {len(counts)} arms but weights has {len(values)}; they must match"
        )
    if len(counts) < 2:
        raise ValueError("a sample ratio check needs at least 2 arms")
    total = sum(counts)
    expected = tuple(total * w / 100.0 for w in values)
    if total == 0:
        return SrmResult(counts, expected, None, None, None, "ok", "no units observed yet")
    if any(c > 0 and w == 0.0 for c, w in zip(counts, values, strict=True)):
        return SrmResult(
            counts,
            expected,
            None,
            None,
            0.0,
            "alert",
            "units were observed in an arm with weight 0",
        )
    kept = [(c, e) for c, e, w in zip(counts, expected, values, strict=True) if w > 0.0]
    if len(kept) < 2:
        return SrmResult(
            counts, expected, None, None, None, "ok", "only one arm has a positive weight"
        )
    obs = [c for c, _ in kept]
    exp = [e for _, e in kept]
    statistic, p_value = stats.chisquare(obs, exp)
    note = None
    if min(exp) < MIN_EXPECTED_COUNT:
        note = (
            f"an arm expects fewer than {MIN_EXPECTED_COUNT:g} units: the chi-square "
            "approximation is rough this early"
        )
    p = float(p_value)
    return SrmResult(counts, expected, float(statistic), len(kept) - 1, p, srm_level(p), note)
