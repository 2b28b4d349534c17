"""Products: create, read, change and delete, always scoped to their producer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from sqlalchemy import Executable, Result, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.codes import new_product_code
from bot.core.ocop import ListingStatus, ReviewStatus
from bot.core.text import fold
from storage.db import Unit
from storage.models import Certification, Listing, Photo, Product, utcnow

_FULL = (
    selectinload(Product.photos),
    selectinload(Product.certifications),
    selectinload(Product.listings),
)


async def _unused_code(execute: Callable[[Executable], Awaitable[Result[Any]]]) -> str:
    while True:  # collisions are rare (one in hundreds of millions per product)
        code = new_product_code()
        if (await execute(select(func.count()).where(Product.code == code))).scalar() == 0:
            return code


def _new_row(
    producer_id: int, code: str, columns: dict[str, Any], now: dt.datetime
) -> dict[str, Any]:
    """A new product's column values: the producer's, and waiting for review."""
    return {
        **columns,
        "producer_id": producer_id,
        "code": code,
        "review_status": ReviewStatus.PENDING,
        "submitted_at": now,
        "name_folded": fold(columns["name"]),
    }


async def create_product(
    session: AsyncSession,
    producer_id: int,
    columns: dict[str, Any],
    certifications: Sequence[tuple[str, str, dt.date | None]],
    *,
    now: dt.datetime | None = None,
) -> Product:
    """A new product, waiting in the officers' review queue."""
    code = await _unused_code(session.execute)
    product = Product(**_new_row(producer_id, code, columns, now or utcnow()))
    product.photos = []  # set, not lazy-loaded: an async session cannot load on access
    product.listings = []
    product.certifications = [
        Certification(kind=k, number=n, expiry=e) for k, n, e in certifications
    ]
    session.add(product)
    await session.flush()
    return product


_PRODUCTS = cast(Table, Product.__table__)
_CERTIFICATIONS = cast(Table, Certification.__table__)
_INSERT_PRODUCT = insert(_PRODUCTS).returning(_PRODUCTS.c.id)
_INSERT_CERTIFICATION = insert(_CERTIFICATIONS)


async def add_product(
    unit: Unit,
    producer_id: int,
    columns: dict[str, Any],
    certifications: Sequence[tuple[str, str, dt.date | None]],
    *,
    now: dt.datetime,
) -> tuple[int, str]:
    """The rows `create_product` makes, written as Core INSERTs in the update's unit:
    the product form's save, one update in twenty of a producer's, without an ORM
    session (building the Product and its unit of work cost several times the
    statements). The new product's id and code."""
    code = await _unused_code(unit.execute)
    row = _new_row(producer_id, code, columns, now)
    # The values as parameters of a constant statement (compiled once, cached), not
    # in it: 27 literals made SQLAlchemy build and hash a new statement every time.
    product_id = (await unit.execute(_INSERT_PRODUCT, row)).scalar_one()
    if certifications:
        await unit.execute(
            _INSERT_CERTIFICATION,
            [
                {"product_id": product_id, "kind": k, "number": n, "expiry": e}
                for k, n, e in certifications
            ],
        )
    return int(product_id), code


async def update_product(
    session: AsyncSession,
    product: Product,
    columns: dict[str, Any],
    certifications: Sequence[tuple[str, str, dt.date | None]] | None = None,
    *,
    now: dt.datetime | None = None,
) -> Product:
    """Changes a product; a producer's change sends it back to the review queue."""
    for key, value in columns.items():
        setattr(product, key, value)
    product.review_status = ReviewStatus.PENDING
    product.submitted_at = now or utcnow()
    product.name_folded = fold(product.name)
    if certifications is not None:
        product.certifications.clear()
        await session.flush()  # delete the old rows before the unique (product, kind) rows return
        product.certifications.extend(
            Certification(kind=k, number=n, expiry=e) for k, n, e in certifications
        )
    await session.flush()
    return product


async def products_of_producer(session: AsyncSession, producer_id: int) -> list[Product]:
    result = await session.scalars(
        select(Product)
        .where(Product.producer_id == producer_id)
        .order_by(Product.id)
        .options(*_FULL)
    )
    return list(result)


async def product_of_producer(
    session: AsyncSession, product_id: int, producer_id: int
) -> Product | None:
    """The product only if it belongs to this producer: the ownership check lives here."""
    return await session.scalar(
        select(Product)
        .where(Product.id == product_id, Product.producer_id == producer_id)
        .options(*_FULL)
        .execution_options(populate_existing=True)
    )


async def product_by_code(session: AsyncSession, code: str) -> Product | None:
    return await session.scalar(select(Product).where(Product.code == code).options(*_FULL))


async def delete_product(session: AsyncSession, product: Product) -> None:
    await session.delete(product)
    await session.flush()


async def set_listing(
    session: AsyncSession,
    product: Product,
    marketplace: str,
    status: ListingStatus,
    url: str | None = None,
    reason: str | None = None,
) -> Listing:
    listing = next((item for item in product.listings if item.marketplace == marketplace), None)
    if listing is None:
        listing = Listing(product_id=product.id, marketplace=marketplace)
        product.listings.append(listing)
    listing.status = status
    listing.url = url
    listing.reason = reason
    await session.flush()
    return listing


async def add_photo(session: AsyncSession, product: Product, photo: Photo) -> Photo:
    photo.position = max((p.position for p in product.photos), default=-1) + 1
    product.photos.append(photo)
    await session.flush()
    return photo


async def reorder_photos(session: AsyncSession, product: Product, ordered: list[Photo]) -> None:
    """Positions follow the given order; position 0 is the cover."""
    for position, photo in enumerate(ordered):
        photo.position = position
    product.photos.sort(key=lambda p: p.position)
    await session.flush()


async def delete_photo(session: AsyncSession, product: Product, photo: Photo) -> None:
    product.photos.remove(photo)
    await session.delete(photo)
    await reorder_photos(session, product, list(product.photos))
