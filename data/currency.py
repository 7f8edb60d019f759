"""ISO 4217 minor units: how many decimals a currency's minor unit has.

Revenue is stored in minor units of the reporting currency (``REPORTING_CURRENCY``);
anything that shows it in major units (Excel exports) divides by ``10 ** decimals``.
"""

from __future__ import annotations

import re

#: Currencies whose minor unit is not 1/100 (every other ISO 4217 code has two decimals).
CURRENCY_DECIMALS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX",
            "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}  # fmt: skip
_CODE = re.compile(r"^[A-Z]{3}$")


def currency_decimals(currency: str) -> int:
    """Decimals of ``currency``'s minor unit (0, 2 or 3). Raises ``ValueError`` when
    ``currency`` is not three upper-case letters."""
    if not _CODE.match(currency):
        raise ValueError(f"currency must be a 3-letter ISO 4217 code like USD, not {currency!r}")
    return CURRENCY_DECIMALS.get(currency, 2)


def minor_to_major(amount_minor: float, currency: str) -> float:
    """``amount_minor`` (minor units of ``currency``) in major units: 1799 USD → 17.99."""
    return float(amount_minor) / 10 ** currency_decimals(currency)
