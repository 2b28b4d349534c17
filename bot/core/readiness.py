"""Is a product complete, and is it ready for each marketplace?

Pure functions over a product: they return what is missing as message keys,
so the same rules feed /products, /status, and (later) reminders.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Marketplace
from bot.core.ocop import CONSUMABLE_GROUPS
from bot.core.product_fields import blank, concerns, needed_fields
from storage.models import Product

MIN_PHOTOS_COMPLETE = 3


@dataclass(frozen=True)
class Check:
    key: str  # message key of the requirement
    ok: bool
    params: dict[str, object]


def missing_fields(product: Product) -> list[str]:
    """Message keys of what a complete product still lacks (empty when complete)."""
    missing = [
        field.missing_key
        for field in needed_fields()
        if field.needed and concerns(field.needed, product.group, product.stars)
        if blank(field, product)
    ]
    if len(product.photos) < MIN_PHOTOS_COMPLETE:
        missing.append("missing.photos")
    return missing


def is_complete(product: Product) -> bool:
    return not missing_fields(product)


def checklist(product: Product, marketplace: Marketplace) -> list[Check]:
    """Each requirement of `marketplace` and whether the product meets it."""
    photos = product.photos
    big_enough = [p for p in photos if min(p.width, p.height) >= marketplace.min_photo_side]
    title = len(product.name)
    checks = [
        Check(
            "check.photos",
            len(photos) >= marketplace.min_photos,
            {"count": len(photos), "min": marketplace.min_photos},
        ),
        Check(
            "check.photo_size",
            bool(photos) and len(big_enough) == len(photos),
            {"min": marketplace.min_photo_side},
        ),
        Check(
            "check.title",
            marketplace.title_min <= title <= marketplace.title_max,
            {"length": title, "min": marketplace.title_min, "max": marketplace.title_max},
        ),
        Check("check.description", bool(product.description), {}),
        Check("check.price", product.price_vnd is not None, {}),
    ]
    if marketplace.needs_weight:
        checks.append(Check("check.weight", product.package_weight_g is not None, {}))
    if marketplace.needs_dimensions:
        checks.append(Check("check.dimensions", product.length_mm is not None, {}))
    if marketplace.food_safety and product.group in CONSUMABLE_GROUPS:
        has_certificate = any(c.kind == "food_safety" for c in product.certifications)
        checks.append(Check("check.food_safety", has_certificate, {}))
    return checks


def is_ready(product: Product, marketplace: Marketplace) -> bool:
    return all(check.ok for check in checklist(product, marketplace))
