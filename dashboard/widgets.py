"""Shared widgets and formatting (German number format)."""

from __future__ import annotations

import math


def format_number(value: float | None, decimals: int | None = None) -> str:
    """German format: 1.234,5; '–' for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
