"""What the public origin pages read: one product with everything shown about it.

Read-only. The `listings` collection of a product loaded here holds only
*live* listings (where a consumer can buy it), so do not use these objects
to change listings.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from storage.models import Base, Listing, Product

# Products still being written by their producer are not published.
UNPUBLISHED = ("draft",)

_PAGE = (
    joinedload(Product.producer, innerjoin=True),
    selectinload(Product.photos),
    selectinload(Product.certifications),
    selectinload(Product.listings.and_(Listing.status == "live")),
)
_PUBLISHED = Product.review_status.not_in(UNPUBLISHED)
_PRODUCTS, _PRODUCERS, _PHOTOS, _CERTIFICATIONS, _LISTINGS = (
    Base.metadata.tables[name]
    for name in ("products", "producers", "photos", "certifications", "listings")
)


async def origin_by_code(session: AsyncSession, code: str) -> Product | None:
    """The product with this (normalised) code, producer and collections loaded."""
    return await session.scalar(
        select(Product).where(Product.code == code, _PUBLISHED).options(*_PAGE)
    )


async def origin_by_id(session: AsyncSession, product_id: int) -> Product | None:
    return await session.scalar(
        select(Product).where(Product.id == product_id, _PUBLISHED).options(*_PAGE)
    )


async def origin_by_gtin(session: AsyncSession, gtin13: str) -> Product | None:
    """The product carrying this GTIN-13; the oldest if two claim it."""
    return await session.scalar(
        select(Product)
        .where(Product.gtin == gtin13, _PUBLISHED)
        .order_by(Product.id)
        .limit(1)
        .options(*_PAGE)
    )


async def origin_rows(session: AsyncSession, after_id: int, limit: int) -> list[SimpleNamespace]:
    """Published products with id > after_id in id order, for an in-memory index.

    Plain objects with the attributes of a Product loaded by `origin_by_code`
    (producer, photos, certifications, live listings), read with five Core
    queries per chunk: some twenty times cheaper than the ORM for thousands
    of products.
    """
    products = (
        await session.execute(
            select(_PRODUCTS)
            .where(_PRODUCTS.c.id > after_id, _PRODUCTS.c.review_status.not_in(UNPUBLISHED))
            .order_by(_PRODUCTS.c.id)
            .limit(limit)
        )
    ).all()
    if not products:
        return []
    first, last = products[0].id, products[-1].id
    producer_ids = {row.producer_id for row in products}
    producers = {
        row.id: SimpleNamespace(**row._mapping)
        for row in await session.execute(
            select(_PRODUCERS).where(_PRODUCERS.c.id.in_(producer_ids))
        )
    }
    photos = await _by_product(
        session,
        select(_PHOTOS)
        .where(_PHOTOS.c.product_id.between(first, last))
        .order_by(_PHOTOS.c.product_id, _PHOTOS.c.position),
    )
    certifications = await _by_product(
        session,
        select(_CERTIFICATIONS)
        .where(_CERTIFICATIONS.c.product_id.between(first, last))
        .order_by(_CERTIFICATIONS.c.id),
    )
    listings = await _by_product(
        session,
        select(_LISTINGS)
        .where(_LISTINGS.c.product_id.between(first, last), _LISTINGS.c.status == "live")
        .order_by(_LISTINGS.c.id),
    )
    return [
        SimpleNamespace(
            **row._mapping,
            producer=producers[row.producer_id],
            photos=photos.get(row.id, []),
            certifications=certifications.get(row.id, []),
            listings=listings.get(row.id, []),
        )
        for row in products
    ]


async def _by_product(
    session: AsyncSession, statement: Select[Any]
) -> dict[int, list[SimpleNamespace]]:
    grouped: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for row in await session.execute(statement):
        grouped[row.product_id].append(SimpleNamespace(**row._mapping))
    return grouped
