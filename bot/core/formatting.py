"""How stored values read back to a user, in their language."""

from __future__ import annotations

import datetime as dt
import re

from bot.i18n import Translator


def stars(count: int | None) -> str:
    return "⭐" * count if count else ""


def quantity(t: Translator, amount: int, unit: str) -> str:
    """500 g, 1,5 kg, 750 ml, 1 l: the larger unit from 1000 up."""
    if amount >= 1000:
        big = {"g": "kg", "ml": "l"}[unit]
        return f"{t.number(amount / 1000)} {big}"
    return f"{t.number(amount)} {unit}"


def dimensions(t: Translator, sides: list[int]) -> str:
    return " × ".join(t.number(side / 10) for side in sides) + " cm"


def shelf_life(t: Translator, period: str) -> str:
    match = re.fullmatch(r"P(\d+)([DMY])", period)
    if not match:
        return period
    amount, unit = int(match[1]), {"D": "days", "M": "months", "Y": "years"}[match[2]]
    return t(f"period.{unit}", count=amount)


def iso_date(t: Translator, value: str | dt.date | None) -> str:
    if value is None:
        return ""
    parsed = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return t.date(parsed)


def add_months(day: dt.date, months: int) -> dt.date:
    """Same day `months` later, clamped to the month's end (31/01 + 1 → 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)
