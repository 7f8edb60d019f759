"""Period-over-period change and comparisons against peers (docs/metrics.md)."""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median


def relative_change(current: float, previous: float) -> float | None:
    """``(current − previous) ÷ |previous|``; ``None`` when ``previous`` is zero (shown as
    "new" when ``current`` is positive, nothing otherwise)."""
    if not previous:
        return None
    return (float(current) - float(previous)) / abs(float(previous))


def percentile_rank(values: Sequence[float], value: float) -> float | None:
    """Share of ``values`` that are less than or equal to ``value``, in percent (0–100);
    ``None`` when ``values`` is empty. "Better than or as good as N% of stories"."""
    if not values:
        return None
    return 100.0 * sum(1 for other in values if other <= value) / len(values)


def median_of(values: Sequence[float]) -> float | None:
    """The median of ``values`` (``None`` when empty)."""
    if not values:
        return None
    return float(median(values))
