"""Pure parsers: text in, a JSON-ready value out, or `Invalid` naming the problem.

Each parser is a plain function (or a factory returning one) with no I/O,
so flows declare them in their step tables and tests call them directly.
Values are JSON types because they live in the conversation's data until
the flow saves them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import phonenumbers

from bot.core.codes import gtin_check_digit
from bot.core.errors import Invalid
from bot.core.text import clean, clean_lines, has_word_character, only_invisible

Parser = Callable[[str], Any]


def required(raw: str, *, multiline: bool = False) -> str:
    """The cleaned value (see bot.core.text); refuses one that is empty or only invisible."""
    value = clean_lines(raw) if multiline else clean(raw)
    if not value:
        if only_invisible(raw):
            raise Invalid("invalid.invisible")
        raise Invalid("invalid.empty")
    return value


def text(min_length: int = 1, max_length: int = 200, *, multiline: bool = False) -> Parser:
    """Free text with letters or digits in it, between the given lengths.

    `multiline` keeps the line breaks of a description or story (each line
    cleaned, runs of blank lines folded to one).
    """

    def parse(raw: str) -> str:
        value = required(raw, multiline=multiline)
        if not has_word_character(value):
            raise Invalid("invalid.no_letters")
        if len(value) < min_length:
            raise Invalid("invalid.too_short", min=min_length)
        if len(value) > max_length:
            raise Invalid("invalid.too_long", max=max_length, length=len(value))
        return value

    return parse


def phone(raw: str) -> str:
    """A Vietnamese (or international) phone number, stored as E.164."""
    value = required(raw)
    try:
        number = phonenumbers.parse(value, "VN")
    except phonenumbers.NumberParseException as error:
        raise Invalid("invalid.phone") from error
    if not phonenumbers.is_valid_number(number):
        raise Invalid("invalid.phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _decimal(raw: str) -> Decimal:
    """Reads "1,5" and "1.5" alike (Vietnamese writes a decimal comma)."""
    try:
        return Decimal(raw.replace(",", "."))
    except InvalidOperation as error:
        raise Invalid("invalid.number") from error


_PRICE = re.compile(
    r"^(?P<sign>-)?\s*(?P<number>[\d.,\s]+?)\s*"
    r"(?P<suffix>k|nghìn|nghin|ngàn|ngan|tr|triệu|trieu|m)?\s*(?:đ|₫|d|vnd|vnđ|dong|đồng)?$"
)
_MULTIPLIERS = {"k": 1000, "nghìn": 1000, "nghin": 1000, "ngàn": 1000, "ngan": 1000}
_MULTIPLIERS |= {"tr": 1_000_000, "triệu": 1_000_000, "trieu": 1_000_000, "m": 1_000_000}


def price(max_vnd: int = 1_000_000_000) -> Parser:
    """VND: 125000, 125.000, 125,000, 125k, 1,5tr, "125.000 đ"."""

    def parse(raw: str) -> int:
        value = required(raw).lower()
        match = _PRICE.match(value)
        if not match:
            raise Invalid("invalid.price")
        number = match["number"].replace(" ", "")
        suffix = match["suffix"]
        if suffix:
            amount = _decimal(number) * _MULTIPLIERS[suffix]
        elif re.fullmatch(r"\d{1,3}([.,]\d{3})+", number):
            amount = Decimal(number.replace(".", "").replace(",", ""))  # thousands separators
        elif re.fullmatch(r"\d+", number):
            amount = Decimal(number)
        else:
            raise Invalid("invalid.price")
        if match["sign"]:
            raise Invalid("invalid.negative")
        if amount != amount.to_integral_value():
            raise Invalid("invalid.price")  # VND has no minor unit
        if amount <= 0:
            raise Invalid("invalid.zero")
        if amount > max_vnd:
            raise Invalid("invalid.price_too_high", max=max_vnd)
        return int(amount)

    return parse


_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def date(raw: str) -> str:
    """dd/mm/yyyy (also with - or .), as an ISO date string."""
    value = required(raw)
    match = _DATE.match(value)
    if not match:
        raise Invalid("invalid.date_format")
    day, month, year = (int(part) for part in match.groups())
    try:
        parsed = dt.date(year, month, day)
    except ValueError as error:
        raise Invalid("invalid.date") from error
    if not 1900 <= parsed.year <= 2200:
        raise Invalid("invalid.date")
    return parsed.isoformat()


def stars(raw: str) -> int:
    """1 to 5 OCOP stars: "3", "3 sao", "3*", "3★"."""
    value = clean(raw).lower().replace("★", "").replace("*", "").replace("sao", "")
    value = value.replace("stars", "").replace("star", "").strip()
    if not value:
        raise Invalid("invalid.stars")
    if not re.fullmatch(r"-?\d+", value) or not 1 <= int(value) <= 5:
        raise Invalid("invalid.stars")
    return int(value)


_QUANTITY = re.compile(r"^(?P<sign>-)?\s*(?P<number>\d+(?:[.,]\d+)?)\s*(?P<unit>[^\d\s].*)?$")
_MASS = {"g": 1, "gr": 1, "gram": 1, "gam": 1, "grams": 1, "kg": 1000, "ký": 1000, "ky": 1000}
_VOLUME = {"ml": 1, "l": 1000, "lít": 1000, "lit": 1000, "litre": 1000, "liter": 1000}


def _quantity(raw: str, units: dict[str, int], default: str | None) -> tuple[int, str]:
    value = required(raw).lower()
    match = _QUANTITY.match(value)
    if not match:
        raise Invalid("invalid.quantity")
    unit = (match["unit"] or default or "").strip().rstrip(".")
    if unit not in units:
        raise Invalid("invalid.quantity")
    if match["sign"]:
        raise Invalid("invalid.negative")
    number = match["number"]
    if units[unit] == 1 and re.fullmatch(r"\d{1,3}[.,]\d{3}", number):
        # Grams and millilitres are whole: "1.000 g" and "2,500 ml" group thousands.
        number = number.replace(".", "").replace(",", "")
    amount = round(_decimal(number) * units[unit])
    if amount <= 0:  # after rounding: "0,4 g" is no weight at all
        raise Invalid("invalid.zero")
    if amount > 100_000_000:
        raise Invalid("invalid.quantity_too_large")
    return amount, unit


def net_quantity(raw: str) -> dict[str, Any]:
    """Net weight or volume: "500 g", "1,5 kg", "750 ml", "1 lít" → grams or millilitres."""
    try:
        amount, _unit = _quantity(raw, _MASS, None)
        return {"amount": amount, "unit": "g"}
    except Invalid as error:
        if error.key != "invalid.quantity":
            raise
    amount, _unit = _quantity(raw, _VOLUME, None)
    return {"amount": amount, "unit": "ml"}


def weight_grams(raw: str) -> int:
    """A package weight; a bare number is grams."""
    amount, _unit = _quantity(raw, _MASS, "g")
    return amount


_DIMENSIONS = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*[x×*]\s*(\d+(?:[.,]\d+)?)\s*[x×*]\s*(\d+(?:[.,]\d+)?)\s*(cm|mm)?$"
)


def dimensions_mm(raw: str) -> list[int]:
    """Length × width × height: "20x10x5" (cm), "20 × 10 × 5 cm", "200x100x50 mm"."""
    value = required(raw).lower()
    if value.startswith("-") or re.search(r"[x×*]\s*-", value):
        raise Invalid("invalid.negative")
    match = _DIMENSIONS.match(value)
    if not match:
        raise Invalid("invalid.dimensions")
    scale = 1 if match[4] == "mm" else 10
    sides = [round(_decimal(side) * scale) for side in match.groups()[:3]]
    if any(side <= 0 for side in sides):
        raise Invalid("invalid.zero")
    if any(side > 10_000 for side in sides):
        raise Invalid("invalid.dimensions_too_large")
    return sides


_SHELF_LIFE = re.compile(r"^(\d+)\s*(.*)$")
_PERIODS = {
    "": "M",
    "tháng": "M",
    "thang": "M",
    "month": "M",
    "months": "M",
    "ngày": "D",
    "ngay": "D",
    "day": "D",
    "days": "D",
    "năm": "Y",
    "nam": "Y",
    "year": "Y",
    "years": "Y",
}


_LONGEST = {"D": 3650, "M": 120, "Y": 10}


def shelf_life(raw: str) -> str:
    """ "12 tháng", "30 ngày", "2 năm" (a bare number is months) → ISO period "P12M"."""
    value = required(raw).lower()
    if value.startswith("-"):
        raise Invalid("invalid.negative")
    match = _SHELF_LIFE.match(value)
    if not match or match[2].strip() not in _PERIODS:
        raise Invalid("invalid.shelf_life")
    amount = int(match[1])
    if amount <= 0:
        raise Invalid("invalid.zero")
    period = _PERIODS[match[2].strip()]
    if amount > _LONGEST[period]:  # ten years, however it is written
        raise Invalid("invalid.shelf_life")
    return f"P{amount}{period}"


def gtin13(raw: str) -> str:
    """A GTIN-13 (EAN-13) barcode number with a correct check digit."""
    value = re.sub(r"[\s-]", "", required(raw))
    if not re.fullmatch(r"\d{13}", value):
        raise Invalid("invalid.gtin_format")
    if gtin_check_digit(value[:12]) != int(value[12]):
        raise Invalid("invalid.gtin_check", expected=gtin_check_digit(value[:12]))
    return value


def tax_code(raw: str) -> str:
    """A Vietnamese tax code: 10 digits, or 10 digits + "-" + 3 for a branch."""
    value = re.sub(r"\s", "", required(raw))
    if re.fullmatch(r"\d{10}", value) or re.fullmatch(r"\d{10}-\d{3}", value):
        return value
    if re.fullmatch(r"\d{13}", value):
        return f"{value[:10]}-{value[10:]}"
    raise Invalid("invalid.tax_code")


def code(max_length: int = 64) -> Parser:
    """An identifier such as a certificate number or growing-area code."""

    def parse(raw: str) -> str:
        value = required(raw)
        if len(value) > max_length:
            raise Invalid("invalid.too_long", max=max_length, length=len(value))
        if not re.fullmatch(r"[\w./\-: ]+", value):
            raise Invalid("invalid.code")
        return value

    return parse


def certificate(raw: str) -> dict[str, str]:
    """A certificate's number and expiry date: "VG-123 31/12/2027"."""
    value = required(raw)
    number, _, last = value.rpartition(" ")
    if not number or not _DATE.match(last):
        raise Invalid("invalid.certificate")
    return {"number": code(64)(number), "expiry": date(last)}
