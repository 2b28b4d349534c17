"""What a product still lacks, overall and per marketplace (pure, no database)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Marketplace, load_settings
from bot.core.readiness import (
    MIN_PHOTOS_COMPLETE,
    checklist,
    is_complete,
    is_ready,
    missing_fields,
)
from storage.models import Certification, Photo, Product

MARKETPLACES = load_settings(environ={}).marketplaces


def photo(n: int, side: int = 800) -> Photo:
    return Photo(sha256=f"{n:064x}", mime="image/jpeg", width=side, height=side, size_bytes=1)


def complete_product(**changes: Any) -> Product:
    columns: dict[str, Any] = {
        "name": "Chè búp Tân Cương hộp 200 g",
        "group": "food",
        "subgroup": "tea",
        "description": "Chè búp một tôm hai lá, sao tay.",
        "story": "Ba thế hệ làm chè.",
        "price_vnd": 125_000,
        "unit": "hộp",
        "net_amount": 200,
        "net_unit": "g",
        "package_weight_g": 260,
        "length_mm": 200,
        "width_mm": 80,
        "height_mm": 80,
        "shelf_life": "P12M",
        "ingredients": "100% búp chè",
    }
    columns.update(changes)
    product = Product(code="7K3M9P", **columns)
    product.photos = [photo(n) for n in range(MIN_PHOTOS_COMPLETE)]
    product.certifications = [Certification(kind="food_safety", number="ATTP-1")]
    return product


def failing(product: Product, marketplace: Marketplace) -> list[str]:
    return [check.key for check in checklist(product, marketplace) if not check.ok]


def test_a_complete_product_lacks_nothing() -> None:
    product = complete_product()
    assert missing_fields(product) == []
    assert is_complete(product)


def test_an_empty_product_lacks_everything_in_order() -> None:
    product = Product(name="Chè", group="food", subgroup="tea")
    assert missing_fields(product) == [
        "missing.description",
        "missing.story",
        "missing.price",
        "missing.unit",
        "missing.net",
        "missing.package_weight",
        "missing.dimensions",
        "missing.shelf_life",
        "missing.ingredients",
        "missing.photos",
    ]
    assert not is_complete(product)


def test_shelf_life_and_ingredients_only_for_things_eaten_or_drunk() -> None:
    craft = complete_product(group="handicrafts", subgroup="textiles")
    craft.shelf_life = None
    craft.ingredients = None
    assert missing_fields(craft) == []
    tea = complete_product(shelf_life=None, ingredients=None)
    assert missing_fields(tea) == ["missing.shelf_life", "missing.ingredients"]


def test_too_few_photos_is_missing() -> None:
    product = complete_product()
    product.photos = product.photos[:2]
    assert missing_fields(product) == ["missing.photos"]


def test_marketplaces_come_from_config() -> None:
    assert [m.id for m in MARKETPLACES] == ["postmart", "voso", "shopee", "lazada", "provincial"]


@pytest.mark.parametrize("marketplace", MARKETPLACES, ids=lambda m: m.id)
def test_a_complete_product_is_ready_everywhere(marketplace: Marketplace) -> None:
    product = complete_product()
    assert failing(product, marketplace) == []
    assert is_ready(product, marketplace)


@pytest.mark.parametrize("marketplace", MARKETPLACES, ids=lambda m: m.id)
def test_an_empty_food_product_fails_each_requirement(marketplace: Marketplace) -> None:
    product = Product(name="", group="food", subgroup="tea")
    expected = ["check.photos", "check.photo_size", "check.title", "check.description"]
    expected.append("check.price")
    if marketplace.needs_weight:
        expected.append("check.weight")
    if marketplace.needs_dimensions:
        expected.append("check.dimensions")
    expected.append("check.food_safety")
    assert failing(product, marketplace) == expected
    assert not is_ready(product, marketplace)


def test_checks_carry_what_the_message_needs() -> None:
    shopee = next(m for m in MARKETPLACES if m.id == "shopee")
    product = complete_product(name="Chè")
    product.photos = [photo(1)]
    checks = {check.key: check for check in checklist(product, shopee)}
    assert checks["check.photos"].params == {"count": 1, "min": 3}
    assert checks["check.title"].params == {"length": 3, "min": 10, "max": 120}
    assert checks["check.photo_size"].params == {"min": 500}


def test_one_small_photo_fails_photo_size_per_marketplace() -> None:
    product = complete_product()
    product.photos = [photo(1), photo(2), photo(3, side=400)]
    lazada = next(m for m in MARKETPLACES if m.id == "lazada")  # 330 px
    shopee = next(m for m in MARKETPLACES if m.id == "shopee")  # 500 px
    assert failing(product, lazada) == []
    assert failing(product, shopee) == ["check.photo_size"]


def test_title_length_limits_differ_per_marketplace() -> None:
    product = complete_product(name="Chè Tân")  # 7 characters
    provincial = next(m for m in MARKETPLACES if m.id == "provincial")  # 5..200
    postmart = next(m for m in MARKETPLACES if m.id == "postmart")  # 10..120
    assert "check.title" not in failing(product, provincial)
    assert "check.title" in failing(product, postmart)
    long_name = complete_product(name="x" * 121)
    assert "check.title" in failing(long_name, postmart)


def test_provincial_floor_needs_no_weight_or_size() -> None:
    provincial = next(m for m in MARKETPLACES if m.id == "provincial")
    product = complete_product(package_weight_g=None, length_mm=None)
    product.photos = [photo(1)]
    assert failing(product, provincial) == []


def test_food_safety_only_for_consumable_groups() -> None:
    postmart = next(m for m in MARKETPLACES if m.id == "postmart")
    for group, subgroup in (
        ("food", "tea"),
        ("beverages", "alcoholic"),
        ("herbal", "herbal_medicine"),
    ):
        product = complete_product(group=group, subgroup=subgroup)
        product.certifications = [Certification(kind="vietgap", number="VG-1")]
        assert failing(product, postmart) == ["check.food_safety"], group
    for group, subgroup in (("handicrafts", "textiles"), ("ornamental", "flowers")):
        product = complete_product(group=group, subgroup=subgroup)
        product.certifications = []
        keys = [check.key for check in checklist(product, postmart)]
        assert "check.food_safety" not in keys, group
        assert is_ready(product, postmart)


def test_a_marketplace_without_food_safety_rule() -> None:
    lenient = Marketplace(id="x", name="X", food_safety=False)
    product = complete_product()
    product.certifications = []
    assert "check.food_safety" not in [check.key for check in checklist(product, lenient)]
