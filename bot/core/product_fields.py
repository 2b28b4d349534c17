"""A product's fields, described once.

Each entry says what the product flow's answer is called, which `products`
columns it fills and in what shape, when it applies, whether a complete
product needs it, and where it shows: a line on the chat card, a row of the
origin page's details, its story section. Read from here:

* the flow's answers ↔ columns (`to_columns`, `from_columns`, used by
  bot/flows/product.py),
* completeness (`missing_fields` in bot/core/readiness.py and its SQL twin
  in bot/scheduler/gaps.py),
* the card's plain lines (bot/handlers/cards.py),
* the origin page's facts, rows and JSON (bot/web/facts.py) and the
  columns its reads load (storage/origin.py).

Adding a field is one entry here, its messages (`product.ask_<name>`,
`card.<name>`, `web.<name>`, `missing.<name>` as it uses them), a step in the
flow when it is asked, and a migration for its column.
tests/core/test_product_fields.py holds the description to the model.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.core import formatting
from bot.core.ocop import CERTIFICATE_MONTHS, CONSUMABLE_GROUPS
from bot.i18n import Translator


class Shape(StrEnum):
    """How an answer looks in the flow and in the columns."""

    TEXT = "text"  # a string; blank counts as missing
    LONG_TEXT = "long_text"  # paragraphs: last on the card, in the page's story section
    CHOICE = "choice"  # an identifier from a list (group, subgroup)
    NUMBER = "number"  # an integer: price in VND, grams
    STARS = "stars"  # 0 in the answers (not rated yet) is NULL in the column
    OCOP_DATE = "ocop_date"  # ISO date answered; the certificate's expiry follows from it
    PERIOD = "period"  # an ISO 8601 period, e.g. P12M
    NET = "net"  # {"amount", "unit"} ↔ (amount, unit)
    DIMENSIONS = "dimensions"  # [length, width, height] ↔ three columns
    CERTIFICATIONS = "certifications"  # kinds ticked; stored in their own table


class Applies(StrEnum):
    """Which products a field concerns: it is asked, stored and needed only for them."""

    ALWAYS = "always"
    RATED = "rated"  # OCOP stars awarded
    CONSUMABLE = "consumable"  # eaten or drunk (CONSUMABLE_GROUPS)


class Page(StrEnum):
    """Where the origin page shows a field."""

    HIDDEN = "hidden"  # not published
    LEAD = "lead"  # the page's head, laid out by hand (name, rating, price)
    DETAILS = "details"  # one row of the details list: web.<name> and the value
    STORY = "story"  # a paragraph of the story section, laid out by hand


@dataclass(frozen=True, slots=True)
class ProductField:
    name: str  # the flow's answer key and step name; names its messages
    columns: tuple[str, ...]  # the `products` columns it fills, in the shape's order
    shape: Shape = Shape.TEXT
    applies: Applies = Applies.ALWAYS
    needed: Applies | None = None  # a complete product has it (for these products)
    card: bool = False  # a plain "card.<name>" line on the chat card
    page: Page = Page.HIDDEN
    # Message keys the name makes, and the key of its value in the JSON API
    # (the column's name, or the field's when it fills several).
    missing_key: str = dataclasses.field(init=False)
    card_key: str = dataclasses.field(init=False)
    page_key: str = dataclasses.field(init=False)
    json_key: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        # Computed once: pages read them for every product they show.
        set_ = object.__setattr__  # a frozen dataclass sets its own fields this way
        set_(self, "missing_key", f"missing.{self.name}")
        set_(self, "card_key", f"card.{self.name}")
        set_(self, "page_key", f"web.{self.name}")
        set_(self, "json_key", self.columns[0] if len(self.columns) == 1 else self.name)


PRODUCT_FIELDS: tuple[ProductField, ...] = (
    ProductField("name", ("name",), page=Page.LEAD),
    ProductField("group", ("group",), Shape.CHOICE, page=Page.LEAD),
    ProductField("subgroup", ("subgroup",), Shape.CHOICE, page=Page.LEAD),
    ProductField("stars", ("stars",), Shape.STARS, page=Page.LEAD),
    ProductField("cert_number", ("cert_number",), applies=Applies.RATED, page=Page.LEAD),
    ProductField(
        "cert_date",
        ("cert_date", "cert_expiry"),
        Shape.OCOP_DATE,
        applies=Applies.RATED,
        page=Page.LEAD,
    ),
    ProductField(
        "description",
        ("description",),
        Shape.LONG_TEXT,
        needed=Applies.ALWAYS,
        card=True,
        page=Page.STORY,
    ),
    ProductField(
        "story", ("story",), Shape.LONG_TEXT, needed=Applies.ALWAYS, card=True, page=Page.STORY
    ),
    ProductField("price", ("price_vnd",), Shape.NUMBER, needed=Applies.ALWAYS, page=Page.LEAD),
    ProductField("unit", ("unit",), needed=Applies.ALWAYS, page=Page.LEAD),
    ProductField(
        "net", ("net_amount", "net_unit"), Shape.NET, needed=Applies.ALWAYS, page=Page.DETAILS
    ),
    ProductField("package_weight", ("package_weight_g",), Shape.NUMBER, needed=Applies.ALWAYS),
    ProductField(
        "dimensions",
        ("length_mm", "width_mm", "height_mm"),
        Shape.DIMENSIONS,
        needed=Applies.ALWAYS,
    ),
    ProductField(
        "shelf_life",
        ("shelf_life",),
        Shape.PERIOD,
        needed=Applies.CONSUMABLE,
        card=True,
        page=Page.DETAILS,
    ),
    ProductField(
        "ingredients",
        ("ingredients",),
        applies=Applies.CONSUMABLE,
        needed=Applies.CONSUMABLE,
        card=True,
        page=Page.DETAILS,
    ),
    ProductField("certs", (), Shape.CERTIFICATIONS, card=True, page=Page.DETAILS),
    ProductField("growing_area", ("growing_area_code",), card=True, page=Page.DETAILS),
    ProductField("gtin", ("gtin",), card=True, page=Page.DETAILS),
)


def columns() -> tuple[str, ...]:
    """Every `products` column the fields fill, in the description's order."""
    return tuple(column for field in PRODUCT_FIELDS for column in field.columns)


def public_columns() -> tuple[str, ...]:
    """The columns the origin page shows."""
    return tuple(
        column for field in PRODUCT_FIELDS if field.page != Page.HIDDEN for column in field.columns
    )


def concerns(applies: Applies, group: str | None, stars: int | None) -> bool:
    if applies == Applies.RATED:
        return bool(stars)
    if applies == Applies.CONSUMABLE:
        return group in CONSUMABLE_GROUPS
    return True


# --- answers ↔ columns ------------------------------------------------------------


def to_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    """Flow answers → product columns (certifications are stored apart).

    A field that does not concern the product (a certificate number without
    stars, ingredients of a handicraft) is stored empty, whatever was answered.
    """
    stars = values.get("stars") or None
    group = values.get("group")
    result: dict[str, Any] = {}
    for field in PRODUCT_FIELDS:
        if not field.columns:
            continue
        answer = values.get(field.name) if concerns(field.applies, group, stars) else None
        result.update(zip(field.columns, _to_columns(field.shape, answer), strict=True))
    return result


def _to_columns(shape: Shape, answer: Any) -> tuple[Any, ...]:
    if shape == Shape.STARS:
        return (answer or None,)
    if shape == Shape.OCOP_DATE:
        if not answer:
            return (None, None)
        date = dt.date.fromisoformat(answer)
        return (date, formatting.add_months(date, CERTIFICATE_MONTHS))
    if shape == Shape.NET:
        net = answer or {}
        return (net.get("amount"), net.get("unit"))
    if shape == Shape.DIMENSIONS:
        return tuple(answer) if answer else (None, None, None)
    return (answer,)


def from_columns(product: object) -> dict[str, Any]:
    """Product columns → flow answers, so an edit starts from what is stored."""
    return {field.name: answer(field, product) for field in PRODUCT_FIELDS if field.columns}


def answer(field: ProductField, product: object) -> Any:
    """One field of a product (ORM object or plain row) as the flow answers it."""
    stored = [getattr(product, column) for column in field.columns]
    if field.shape == Shape.STARS:
        return stored[0] or 0
    if field.shape == Shape.OCOP_DATE:
        return stored[0].isoformat() if stored[0] else None
    if field.shape == Shape.NET:
        return {"amount": stored[0], "unit": stored[1]} if stored[0] is not None else None
    if field.shape == Shape.DIMENSIONS:
        return stored if stored[0] is not None else None
    return stored[0]


# --- completeness -----------------------------------------------------------------


# Shapes whose first column holds text: empty text is as missing as NULL.
TEXT_SHAPES = frozenset({Shape.TEXT, Shape.LONG_TEXT, Shape.PERIOD, Shape.CHOICE})


def blank(field: ProductField, product: object) -> bool:
    """Has the product nothing for this field? Text blank, anything else None."""
    value = getattr(product, field.columns[0])
    if field.shape in TEXT_SHAPES:
        return not value
    return value is None


def needed_fields() -> tuple[ProductField, ...]:
    """The fields a complete product has (those that concern it), in order."""
    return tuple(field for field in PRODUCT_FIELDS if field.needed is not None)


# --- showing ---------------------------------------------------------------------


def shown(t: Translator, field: ProductField, value: Any) -> str:
    """An answer as a person reads it (the card, the flow's summary)."""
    if field.shape == Shape.PERIOD:
        return formatting.shelf_life(t, str(value))
    if field.shape == Shape.NET:
        return formatting.quantity(t, value["amount"], value["unit"])
    if field.shape == Shape.NUMBER:
        return t.number(int(value))
    return str(value)
