"""The gap rules in Python and in SQL give the same answers, product by product, gap by gap."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.runtime import Runtime
from bot.scheduler.gaps import (
    gap_flags,
    keys_of,
    product_gaps,
    product_incomplete,
    profile_gaps,
    profile_incomplete,
)
from storage.models import Producer, Product
from tests.conftest import Clock
from tests.scheduler.conftest import COMPLETE_PRODUCT, producer

VARIANTS: list[dict[str, Any]] = [
    COMPLETE_PRODUCT,
    {**COMPLETE_PRODUCT, "description": ""},
    {**COMPLETE_PRODUCT, "story": None},
    {**COMPLETE_PRODUCT, "story": ""},
    {**COMPLETE_PRODUCT, "price_vnd": None},
    {**COMPLETE_PRODUCT, "unit": None},
    {**COMPLETE_PRODUCT, "net_amount": None},
    {**COMPLETE_PRODUCT, "package_weight_g": None},
    {**COMPLETE_PRODUCT, "length_mm": None},
    {**COMPLETE_PRODUCT, "shelf_life": None},
    {**COMPLETE_PRODUCT, "ingredients": None},
    {**COMPLETE_PRODUCT, "photos": 2},
    {**COMPLETE_PRODUCT, "certs": []},
    {**COMPLETE_PRODUCT, "stars": 4, "cert_number": None},
    {**COMPLETE_PRODUCT, "stars": 4, "cert_number": "12/QĐ-UBND"},
    # handicrafts need no shelf life, ingredients or food-safety certificate
    {
        "photos": 3,
        "group": "handicrafts",
        "subgroup": "handicraft_goods",
        "shelf_life": None,
        "ingredients": None,
    },
    # several at once, named in the order the nudge names them
    {"photos": 1, "story": None, "price_vnd": None, "stars": 3, "cert_number": ""},
]
PROFILES: list[dict[str, Any]] = [
    {"address": "Xóm 2", "latitude": 21.5, "longitude": 105.7, "tax_code": "4600123456"},
    {"address": "", "latitude": 21.5, "longitude": 105.7, "tax_code": "4600123456"},
    {"address": "Xóm 2", "latitude": None, "longitude": None, "tax_code": "4600123456"},
    {"address": "Xóm 2", "latitude": 21.5, "longitude": 105.7, "tax_code": None},
]


async def test_products(runtime: Runtime, clock: Clock) -> None:
    await producer(runtime, clock, "5001", products=VARIANTS)
    async with runtime.db.transaction() as session:
        products = list(
            await session.scalars(
                select(Product)
                .order_by(Product.id)
                .options(selectinload(Product.photos), selectinload(Product.certifications))
            )
        )
        incomplete = set(await session.scalars(select(Product.id).where(product_incomplete())))
        rows = await session.execute(select(Product.id, *gap_flags()).order_by(Product.id))
        by_sql = [keys_of(row[1:]) for row in rows]
    by_python = [[gap.key for gap in product_gaps(product)] for product in products]
    assert by_sql == by_python
    assert incomplete == {product.id for product in products if product_gaps(product)}
    assert [len(keys) for keys in by_python] == [0, *[1] * 13, 0, 0, 5]
    assert by_python[11] == ["missing.photos"] and by_python[13] == ["reminder.missing_decision"]
    assert by_python[-1] == [
        "missing.story",
        "missing.price",
        "missing.photos",
        "reminder.missing_decision",
        "reminder.missing_food_safety",
    ]


@pytest.mark.parametrize("kind", ["cooperative", "household"])
async def test_profiles(runtime: Runtime, clock: Clock, kind: str) -> None:
    for n, profile in enumerate(PROFILES):
        await producer(runtime, clock, str(5000 + n), profile=profile)
    async with runtime.db.transaction() as session:
        for found in await session.scalars(select(Producer)):
            found.kind = kind
        await session.flush()
        producers = list(await session.scalars(select(Producer).order_by(Producer.id)))
        by_sql = set(await session.scalars(select(Producer.id).where(profile_incomplete())))
    assert by_sql == {p.id for p in producers if profile_gaps(p)}
    missing_tax_code_counts = kind == "cooperative"
    assert [bool(profile_gaps(p)) for p in producers] == [
        False,
        True,
        True,
        missing_tax_code_counts,
    ]
