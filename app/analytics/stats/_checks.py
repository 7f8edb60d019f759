"""Argument checks shared by the statistics modules; each raises ``ValueError`` with a message
that names the offending argument."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import get_args

from app.analytics.stats.types import Alternative, EffectKind

# Relative tolerance when a variance computed from sums comes out slightly negative: sums of
# squares are accumulated in floating point, so ``sum_squares - sum**2 / n`` may be a few ulps
# below zero for a constant metric. Beyond this tolerance the sums are inconsistent.
VARIANCE_RTOL = 1e-9


def finite(name: str, value: object) -> float:
    """``value`` as a float; it must be a real, finite number (bools are refused)."""
    if isinstance(value, float) or type(value) is int:  # fast path (numpy floats included)
        result = float(value)
        if not math.isfinite(result):
            raise ValueError(f"{name} must be finite, got {value!r}")
        return result
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return result


def count(name: str, value: object, *, minimum: int = 0) -> int:
    """``value`` as an int; it must be a whole number (int or integral float) >= ``minimum``."""
    if type(value) is int:  # fast path for the common case
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}, got {value}")
        return value
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    whole = isinstance(value, Integral) or (
        isinstance(value, Real) and math.isfinite(float(value)) and float(value).is_integer()
    )
    if not whole:
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    result = int(value)  # type: ignore[call-overload]
    if result < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {result}")
    return result


def probability_open(name: str, value: object) -> float:
    """A number strictly between 0 and 1 (alpha, power)."""
    result = finite(name, value)
    if not 0.0 < result < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value!r}")
    return result


def alpha(value: object) -> float:
    """The significance level: strictly between 0 and 1."""
    return probability_open("alpha", value)


def alternative(value: object) -> Alternative:
    """One of ``"two-sided"``, ``"greater"``, ``"less"``."""
    allowed = get_args(Alternative)
    if value not in allowed:
        raise ValueError(f"alternative must be one of {allowed}, got {value!r}")
    return value  # type: ignore[return-value]


def effect_kind(value: object) -> EffectKind:
    """One of ``"relative"``, ``"absolute"``."""
    allowed = get_args(EffectKind)
    if value not in allowed:
        raise ValueError(f"effect must be one of {allowed}, got {value!r}")
    return value  # type: ignore[return-value]


def centred_sum_of_squares(name: str, n: int, total: float, total_squares: float) -> float:
    """``Σ(x - x̄)²`` from ``n``, ``Σx`` and ``Σx²``, clamped at 0 within rounding error.

    Raises ``ValueError`` when the sums imply a clearly negative variance (inconsistent sums).
    """
    centred = total_squares - total * total / n
    if centred < 0.0:
        scale = max(abs(total_squares), total * total / n, 1e-300)
        if -centred > VARIANCE_RTOL * scale:
            raise ValueError(
                f"{name}: sum of squares {total_squares!r} is smaller than sum²/n "
                f"({total * total / n!r}); the sums imply a negative variance"
            )
        centred = 0.0
    return centred


def centred_cross_sum(n: int, total_x: float, total_y: float, cross: float) -> float:
    """``Σ(x - x̄)(y - ȳ)`` from ``n``, ``Σx``, ``Σy`` and ``Σxy``."""
    return cross - total_x * total_y / n
