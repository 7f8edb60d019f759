"""Number formatting shared by every page: thousands separators, currency, percentages.

All functions are pure and accept ``None``/NaN, rendering it as an en dash.
"""

from __future__ import annotations

import math

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW"}
DASH = "–"


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_int(value: float | None) -> str:
    """``12345.6`` → ``"12,346"``."""
    if _missing(value):
        return DASH
    return f"{round(value):,}"


def format_compact(value: float | None) -> str:
    """Short form for axes and tight spaces: ``1234`` → ``"1.2K"``, ``2500000`` → ``"2.5M"``."""
    if _missing(value):
        return DASH
    magnitude = abs(value)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if magnitude >= threshold:
            return f"{value / threshold:.1f}".rstrip("0").rstrip(".") + suffix
    return format_int(value)


def minor_to_major(amount_minor: float | None, currency: str = "USD") -> float | None:
    """Minor units (cents) to major units for ``currency``."""
    if _missing(amount_minor):
        return None
    return amount_minor if currency in ZERO_DECIMAL_CURRENCIES else amount_minor / 100


def format_money(amount_minor: float | None, currency: str = "USD") -> str:
    """``123456`` cents → ``"$1,234.56"``; other currencies keep their code if unknown."""
    major = minor_to_major(amount_minor, currency)
    if major is None:
        return DASH
    symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ")
    decimals = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    sign = "-" if major < 0 else ""
    return f"{sign}{symbol}{abs(major):,.{decimals}f}"


def format_percent(ratio: float | None, decimals: int = 1) -> str:
    """``0.4567`` → ``"45.7%"``."""
    if _missing(ratio):
        return DASH
    return f"{ratio * 100:.{decimals}f}%"


def format_hours(seconds: float | None) -> str:
    """Reading time in hours with a thousands separator: ``7200`` → ``"2.0 h"``."""
    if _missing(seconds):
        return DASH
    hours = seconds / 3600
    return f"{hours:,.1f} h" if hours < 100 else f"{round(hours):,} h"


def format_change(change: float | None) -> str:
    """A relative change as a signed percentage: ``0.125`` → ``"+12.5%"``."""
    if _missing(change):
        return "new"
    return f"{change * 100:+.1f}%"


def format_value(value: float | None, unit: str, currency: str = "USD") -> str:
    """Format ``value`` by its unit: ``count``, ``money`` (minor units), ``ratio``,
    ``seconds`` (shown as hours)."""
    if unit == "money":
        return format_money(value, currency)
    if unit == "ratio":
        return format_percent(value)
    if unit == "seconds":
        return format_hours(value)
    return format_int(value)
