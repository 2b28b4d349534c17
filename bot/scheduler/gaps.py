"""What a profile or product still lacks, each gap with the step that fills it.

The product rules are those of `bot.core.readiness.missing_fields` (what
/products shows), plus the certificates marketplaces ask for. They are
written twice, side by side: in Python (`product_gaps`, on an ORM product)
and in SQL (`PRODUCT_GAPS`, one boolean column per gap), because a sweep
checks every product at once and a pass checks thousands, where loading
ORM objects would cost more than everything else together.
tests/scheduler/test_gaps.py holds the two to the same answers, product by
product, gap by gap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.intents import PHOTOS_ADD, PRODUCT_FIELD, PROFILE_FIELD
from bot.core.ocop import CONSUMABLE_GROUPS
from bot.core.product_fields import TEXT_SHAPES, Applies, ProductField, needed_fields
from bot.core.readiness import MIN_PHOTOS_COMPLETE, missing_fields
from storage.models import Certification, Photo, Producer, Product

# Entities that always have a tax code; a household may not.
TAXED_KINDS = ("cooperative", "enterprise")


@dataclass(frozen=True)
class Gap:
    key: str  # message key naming what is missing
    action: str  # the button that opens the step to fill it


def _step(step: str) -> Callable[[int], str]:
    return lambda product_id: PRODUCT_FIELD.action(product_id, step)


def product_actions() -> dict[str, Callable[[int], str]]:
    """Message key → the button's action for a product id, in the order they are named:
    the fields a complete product needs (bot/core/product_fields.py), then the rest."""
    return {
        **{field.missing_key: _step(field.name) for field in needed_fields()},
        "missing.photos": PHOTOS_ADD.action,
        "reminder.missing_decision": _step("cert_number"),
        "reminder.missing_food_safety": _step("certs"),
    }


PRODUCT_ACTIONS = product_actions()


def gaps_of(product_id: int, keys: Sequence[str]) -> list[Gap]:
    return [Gap(key, PRODUCT_ACTIONS[key](product_id)) for key in keys]


def product_gaps(product: Product) -> list[Gap]:
    """Python: needs photos and certifications loaded."""
    keys = missing_fields(product)
    if product.stars and not product.cert_number:
        keys.append("reminder.missing_decision")
    if product.group in CONSUMABLE_GROUPS and not any(
        c.kind == "food_safety" for c in product.certifications
    ):
        keys.append("reminder.missing_food_safety")
    return gaps_of(product.id, keys)


def _blank(
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
) -> ColumnElement[bool]:
    return or_(column.is_(None), column == "")


def _concerns_sql(applies: Applies) -> ColumnElement[bool]:
    """SQL twin of `product_fields.concerns`."""
    if applies == Applies.RATED:
        return Product.stars > 0
    if applies == Applies.CONSUMABLE:
        return Product.group.in_(CONSUMABLE_GROUPS)
    return true()


def _field_gap(field: ProductField) -> ColumnElement[bool]:
    """SQL twin of `concerns(field.needed, …) and blank(field, product)`."""
    column = getattr(Product, field.columns[0])
    empty = _blank(column) if field.shape in TEXT_SHAPES else column.is_(None)
    if field.needed is None or field.needed == Applies.ALWAYS:
        return empty
    return and_(_concerns_sql(field.needed), empty)


def product_gaps_sql() -> dict[str, ColumnElement[bool]]:
    consumable = Product.group.in_(CONSUMABLE_GROUPS)
    photos = select(func.count(Photo.id)).where(Photo.product_id == Product.id).scalar_subquery()
    food_safety = exists().where(
        Certification.product_id == Product.id, Certification.kind == "food_safety"
    )
    return {
        **{field.missing_key: _field_gap(field) for field in needed_fields()},
        "missing.photos": photos < MIN_PHOTOS_COMPLETE,
        "reminder.missing_decision": and_(Product.stars > 0, _blank(Product.cert_number)),
        "reminder.missing_food_safety": and_(consumable, ~food_safety),
    }


# SQL: one boolean column per gap, in PRODUCT_ACTIONS' order.
PRODUCT_GAPS = product_gaps_sql()
assert list(PRODUCT_GAPS) == list(PRODUCT_ACTIONS)


def gap_flags() -> list[ColumnElement[bool]]:
    """The gaps as selectable columns (NULL reads as no gap)."""
    return [
        func.coalesce(condition, false()).label(f"gap{n}")
        for n, condition in enumerate(PRODUCT_GAPS.values())
    ]


def keys_of(flags: Sequence[object]) -> list[str]:
    """The message keys of the gaps whose flags (as `gap_flags` selects them) are set."""
    return [key for key, flag in zip(PRODUCT_GAPS, flags, strict=True) if flag]


def product_incomplete() -> ColumnElement[bool]:
    """SQL: the product has at least one gap."""
    return or_(*PRODUCT_GAPS.values())


def profile_gaps(producer: Producer) -> list[Gap]:
    gaps: list[Gap] = []
    if not producer.address:
        gaps.append(Gap("reminder.missing_address", PROFILE_FIELD.action("address")))
    if producer.latitude is None:
        gaps.append(Gap("reminder.missing_location", PROFILE_FIELD.action("location")))
    if producer.kind in TAXED_KINDS and not producer.tax_code:
        gaps.append(Gap("reminder.missing_tax_code", PROFILE_FIELD.action("tax_code")))
    return gaps


def profile_incomplete() -> ColumnElement[bool]:
    """SQL twin of `profile_gaps(producer) != []`."""
    return or_(
        _blank(Producer.address),
        Producer.latitude.is_(None),
        and_(Producer.kind.in_(TAXED_KINDS), _blank(Producer.tax_code)),
    )
