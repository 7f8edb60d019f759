"""Period-over-period change (definitions: docs/metrics.md)."""

from __future__ import annotations


def relative_change(current: float, previous: float) -> float | None:
    """``(current − previous) ÷ |previous|``; ``None`` when ``previous`` is zero (shown as
    "new" when ``current`` is positive, nothing otherwise)."""
    if not previous:
        return None
    return (float(current) - float(previous)) / abs(float(previous))
