"""What the public origin pages read: one product with everything shown about it.

Read-only. Two ways in:

* `origin_by_code`, `origin_by_id`, `origin_by_gtin`: ORM `Product`s with
  producer, photos, certifications and *live* listings loaded, for the
  chat. The `listings` collection holds only live listings (where a
  consumer can buy it), so do not use these objects to change listings.
* `origin_row`, `origin_rows`, `origin_rows_by_id`: the same facts as plain
  objects (`SimpleNamespace`s with the attributes of such a Product) read
  with four Core queries (product joined with its producer; photos;
  certifications; live listings) for any number of products at once: some
  ten to twenty times cheaper in CPU than the ORM, which is what the web
  pages need. `page_versions` and the helpers after it tell the web index
  which products changed since it last looked (see bot/web/index.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    cast,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from bot.core.ocop import ListingStatus, ReviewStatus
from bot.core.product_fields import public_columns
from storage.models import Base, Listing, Product

# Products still being written by their producer are not published.
UNPUBLISHED = (ReviewStatus.DRAFT,)

_PAGE = (
    joinedload(Product.producer, innerjoin=True),
    selectinload(Product.photos),
    selectinload(Product.certifications),
    selectinload(Product.listings.and_(Listing.status == ListingStatus.LIVE)),
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


# --- Core reads for the web pages ------------------------------------------------

# Only what a page shows (and what tells versions apart), not every column.
_PRODUCT_COLUMNS = tuple(
    _PRODUCTS.c[name]
    for name in ("id", "code", "producer_id", *public_columns(), "review_status", "updated_at")
)
_PRODUCER_NAMES = (
    "name",
    "kind",
    "phone",
    "province_code",
    "ward_code",
    "address",
    "latitude",
    "longitude",
    "show_phone",
    "story",
)
_PRODUCER_COLUMNS = tuple(_PRODUCERS.c[name].label(f"producer_{name}") for name in _PRODUCER_NAMES)
_PRODUCT_KEYS = tuple(column.key for column in _PRODUCT_COLUMNS)
_ORIGIN = select(*_PRODUCT_COLUMNS, *_PRODUCER_COLUMNS).join_from(
    _PRODUCTS, _PRODUCERS, _PRODUCTS.c.producer_id == _PRODUCERS.c.id
)
_PUBLISHED_ROW = _PRODUCTS.c.review_status.not_in(UNPUBLISHED)


async def origin_row(
    session: AsyncSession,
    *,
    code: str | None = None,
    gtin13: str | None = None,
    product_id: int | None = None,
) -> SimpleNamespace | None:
    """One published product by code, GTIN-13 (the oldest if two claim it) or id,
    as `origin_rows` gives it; None when there is none."""
    if code is not None:
        condition = _PRODUCTS.c.code == code
    elif gtin13 is not None:
        condition = _PRODUCTS.c.gtin == gtin13
    elif product_id is not None:
        condition = _PRODUCTS.c.id == product_id
    else:
        raise TypeError("origin_row needs a code, a GTIN-13 or an id")
    rows = await _origin(
        session, _ORIGIN.where(condition, _PUBLISHED_ROW).order_by(_PRODUCTS.c.id).limit(1)
    )
    return rows[0] if rows else None


async def origin_rows(session: AsyncSession, after_id: int, limit: int) -> list[SimpleNamespace]:
    """Published products with id > after_id in id order, for an in-memory index.

    Plain objects with the attributes of a Product loaded by `origin_by_code`
    (producer, photos, certifications, live listings) plus `updated_at`.
    """
    return await _origin(
        session,
        _ORIGIN.where(_PRODUCTS.c.id > after_id, _PUBLISHED_ROW)
        .order_by(_PRODUCTS.c.id)
        .limit(limit),
    )


async def origin_rows_by_id(
    session: AsyncSession, product_ids: Collection[int]
) -> list[SimpleNamespace]:
    """The published ones among these products, in id order (keep the list short: ≤ 1000)."""
    if not product_ids:
        return []
    return await _origin(
        session,
        _ORIGIN.where(_PRODUCTS.c.id.in_(sorted(product_ids)), _PUBLISHED_ROW).order_by(
            _PRODUCTS.c.id
        ),
    )


async def _origin(session: AsyncSession, statement: Select[Any]) -> list[SimpleNamespace]:
    rows = (await session.execute(statement)).all()
    if not rows:
        return []
    ids = [row[0] for row in rows]
    # A range when the products are a contiguous run of ids (an index chunk),
    # else the ids themselves.
    if len(ids) > 1 and ids[-1] - ids[0] < 2 * len(ids):
        first, last = ids[0], ids[-1]

        def of(table: Table) -> ColumnElement[bool]:
            return table.c.product_id.between(first, last)
    else:

        def of(table: Table) -> ColumnElement[bool]:
            return table.c.product_id.in_(ids)

    photos = await _by_product(
        session,
        select(
            _PHOTOS.c.product_id,
            _PHOTOS.c.sha256,
            _PHOTOS.c.mime,
            _PHOTOS.c.width,
            _PHOTOS.c.height,
        )
        .where(of(_PHOTOS))
        .order_by(_PHOTOS.c.product_id, _PHOTOS.c.position, _PHOTOS.c.id),
    )
    certifications = await _by_product(
        session,
        select(
            _CERTIFICATIONS.c.product_id,
            _CERTIFICATIONS.c.kind,
            _CERTIFICATIONS.c.number,
            _CERTIFICATIONS.c.expiry,
        )
        .where(of(_CERTIFICATIONS))
        .order_by(_CERTIFICATIONS.c.id),
    )
    listings = await _by_product(
        session,
        select(_LISTINGS.c.product_id, _LISTINGS.c.marketplace, _LISTINGS.c.url)
        .where(of(_LISTINGS), _LISTINGS.c.status == ListingStatus.LIVE)
        .order_by(_LISTINGS.c.id),
    )
    width = len(_PRODUCT_KEYS)
    result = []
    for row in rows:
        product = SimpleNamespace(**dict(zip(_PRODUCT_KEYS, row[:width], strict=True)))
        product.producer = SimpleNamespace(
            id=product.producer_id, **dict(zip(_PRODUCER_NAMES, row[width:], strict=True))
        )
        product.photos = photos.get(product.id, ())
        product.certifications = certifications.get(product.id, ())
        product.listings = listings.get(product.id, ())
        result.append(product)
    return result


async def _by_product(session: AsyncSession, statement: Select[Any]) -> dict[int, list[Any]]:
    """Rows grouped by their first column, the product id (rows read like objects)."""
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in await session.execute(statement):
        grouped[row[0]].append(row)
    return grouped


# --- what changed ----------------------------------------------------------------

# How far back a probe looks for stamped rows: longer than any transaction
# that writes products takes, plus any difference between the writers' clocks
# and the web's.
LOOKBACK = dt.timedelta(minutes=10)
_PRIME = 1_000_000_007


@dataclass
class Versions:
    """Enough about the tables a page reads to tell which products changed.

    products, producers, listings: id → updated_at of the rows stamped after
    `since` (listings also name their product); photos, certifications: one
    (count, checksum) each for the whole table, since their rows carry no
    timestamp; published: (count, sum of ids) of the published products,
    which moves when one is deleted or unpublished.
    """

    since: dt.datetime
    products: dict[int, dt.datetime] = field(default_factory=dict)
    producers: dict[int, dt.datetime] = field(default_factory=dict)
    listings: dict[int, tuple[int, dt.datetime]] = field(default_factory=dict)
    photos: tuple[int, int] = (0, 0)
    certifications: tuple[int, int] = (0, 0)
    published: tuple[int, int] = (0, 0)


def _checksum_photos() -> ColumnElement[Any]:
    """Changes when a photo is added, removed or moved (a new cover), hardly ever by chance."""
    row_id = cast(_PHOTOS.c.id, BigInteger)
    position = cast(_PHOTOS.c.position, BigInteger)
    return (row_id * 7919 + position * position * 104729 + row_id * position * 31) % _PRIME


def _checksum_certifications() -> ColumnElement[Any]:
    row_id = cast(_CERTIFICATIONS.c.id, BigInteger)
    return (row_id * 7919 + row_id * row_id % 65521) % _PRIME


async def page_versions(session: AsyncSession, now: dt.datetime) -> Versions:
    """Versions of everything a page shows, in two queries.

    Rows stamped after `now - LOOKBACK` come back with their stamps: a change
    committed after an earlier call is among them, whether or not its
    transaction began before that call. Comparing two calls
    (`changed_products`) names the products to read again; rows stamped
    long ago drop out of the window and cost nothing but the table scan.
    """
    since = now.astimezone(dt.UTC) - LOOKBACK
    versions = Versions(since=since)
    recent = union_all(
        select(literal(0), _PRODUCTS.c.id, _PRODUCTS.c.id, _PRODUCTS.c.updated_at).where(
            _PRODUCTS.c.updated_at > since
        ),
        select(literal(1), _PRODUCERS.c.id, _PRODUCERS.c.id, _PRODUCERS.c.updated_at).where(
            _PRODUCERS.c.updated_at > since
        ),
        select(literal(2), _LISTINGS.c.id, _LISTINGS.c.product_id, _LISTINGS.c.updated_at).where(
            _LISTINGS.c.updated_at > since
        ),
    )
    for table, row_id, product_id, stamp in await session.execute(recent):
        if table == 0:
            versions.products[row_id] = stamp
        elif table == 1:
            versions.producers[row_id] = stamp
        else:
            versions.listings[row_id] = (product_id, stamp)
    totals = (
        await session.execute(
            select(
                select(func.count()).select_from(_PHOTOS).scalar_subquery(),
                select(func.coalesce(func.sum(_checksum_photos()), 0)).scalar_subquery(),
                select(func.count()).select_from(_CERTIFICATIONS).scalar_subquery(),
                select(func.coalesce(func.sum(_checksum_certifications()), 0)).scalar_subquery(),
                select(func.count()).where(_PUBLISHED_ROW).scalar_subquery(),
                select(func.coalesce(func.sum(_PRODUCTS.c.id), 0))
                .where(_PUBLISHED_ROW)
                .scalar_subquery(),
            )
        )
    ).one()
    photos, photo_sum, certifications, certification_sum, published, id_sum = map(int, totals)
    versions.photos = (photos, photo_sum)
    versions.certifications = (certifications, certification_sum)
    versions.published = (published, id_sum)
    return versions


def changed_products(before: Versions, after: Versions) -> tuple[set[int], set[int]]:
    """(product ids to read again, producer ids whose products to read again)."""
    products = {
        product_id
        for product_id, stamp in after.products.items()
        if before.products.get(product_id) != stamp
    }
    products.update(
        product_id
        for listing_id, (product_id, stamp) in after.listings.items()
        if before.listings.get(listing_id, (None, None))[1] != stamp
    )
    producers = {
        producer_id
        for producer_id, stamp in after.producers.items()
        if before.producers.get(producer_id) != stamp
    }
    return products, producers


async def products_of_producers(session: AsyncSession, producer_ids: Iterable[int]) -> set[int]:
    wanted = sorted(set(producer_ids))
    found: set[int] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            await session.scalars(
                select(_PRODUCTS.c.id).where(
                    _PRODUCTS.c.producer_id.in_(wanted[start : start + 500])
                )
            )
        )
    return found


async def photo_checksums(session: AsyncSession) -> dict[int, tuple[int, int]]:
    """product id → (count, checksum) of its photos: which product's photos changed."""
    return await _checksums(session, _PHOTOS, _checksum_photos())


async def certification_checksums(session: AsyncSession) -> dict[int, tuple[int, int]]:
    return await _checksums(session, _CERTIFICATIONS, _checksum_certifications())


async def _checksums(
    session: AsyncSession, table: Table, checksum: ColumnElement[Any]
) -> dict[int, tuple[int, int]]:
    rows = await session.execute(
        select(table.c.product_id, func.count(), func.sum(checksum)).group_by(table.c.product_id)
    )
    return {product_id: (int(count), int(total)) for product_id, count, total in rows}


async def published_ids(session: AsyncSession) -> set[int]:
    return set(await session.scalars(select(_PRODUCTS.c.id).where(_PUBLISHED_ROW)))


def differing(before: dict[int, Any], after: dict[int, Any]) -> set[int]:
    """Keys whose values differ between two snapshots, including keys only one has."""
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def ids_in_chunks(ids: Iterable[int], size: int) -> Sequence[list[int]]:
    ordered = sorted(ids)
    return [ordered[start : start + size] for start in range(0, len(ordered), size)]
