"""Programme figures for officers: KPI aggregates and the rows behind exports.

Everything is computed in a fixed, small number of SQL statements whatever
the number of products (about 20,000 nationally): conditional sums grouped
by area, never a query per product. The SQL is plain enough for SQLite and
PostgreSQL alike (CASE sums rather than FILTER, dates as bound parameters).

An area is a commune/ward inside one province, or a province when the
figures are for the whole country (three thousand communes would not read).
Every registered product counts, whatever its review status: the figures
describe the programme's register, not the review queue.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.ocop import CERTIFIED_MIN_STARS, ListingStatus, ReviewStatus
from storage.models import Base, Listing, Photo, Producer, Product

MIN_PHOTOS = 3  # a product "has photos" from three on, as the marketplaces ask
EXPIRY_WINDOW_DAYS = 90


@dataclass
class AreaKpis:
    """One commune's (or, nationally, one province's) counts."""

    code: int
    producers: int = 0
    products: int = 0
    certified: int = 0  # 3★ and up
    certified_live: int = 0  # 3★+ live on at least one marketplace
    labelled: int = 0  # a QR label made
    with_photos: int = 0  # at least MIN_PHOTOS photos
    expiring: int = 0  # OCOP certificate ends within EXPIRY_WINDOW_DAYS
    expired: int = 0  # OCOP certificate already ended

    def add(self, other: AreaKpis) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTS = (
    "producers",
    "products",
    "certified",
    "certified_live",
    "labelled",
    "with_photos",
    "expiring",
    "expired",
)


@dataclass
class Kpis:
    """The figures of one province (or the country when province_code is None)."""

    province_code: int | None
    today: dt.date
    total: AreaKpis
    by_stars: dict[int, int] = field(default_factory=dict)  # 0: not rated yet
    by_group: dict[str, int] = field(default_factory=dict)
    areas: list[AreaKpis] = field(default_factory=list)  # most products first


def share(part: int, whole: int) -> float | None:
    """part/whole, or None when there is nothing to divide (shown as "—", not 0%)."""
    return part / whole if whole else None


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    # SUM(CASE …) rather than COUNT(*) FILTER: the same SQL on every database.
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def kpis(session: AsyncSession, province_code: int | None, today: dt.date) -> Kpis:
    """The KPIs of a province, or of the whole country; `today` is Vietnam's date."""
    area = Producer.ward_code if province_code is not None else Producer.province_code
    scoped = [] if province_code is None else [Producer.province_code == province_code]
    certified = Product.stars >= CERTIFIED_MIN_STARS
    live = exists().where(Listing.product_id == Product.id, Listing.status == ListingStatus.LIVE)
    photos = select(func.count(Photo.id)).where(Photo.product_id == Product.id).scalar_subquery()
    soon = today + dt.timedelta(days=EXPIRY_WINDOW_DAYS)

    areas: dict[int, AreaKpis] = {}
    producer_rows = await session.execute(
        select(area, func.count(Producer.id)).where(*scoped).group_by(area)
    )
    for code, producers in producer_rows:
        areas[code] = AreaKpis(code, producers=producers)
    product_rows = await session.execute(
        select(
            area,
            func.count(Product.id),
            _count(certified),
            _count(certified & live),
            _count(Product.labelled_at.is_not(None)),
            _count(photos >= MIN_PHOTOS),
            _count(Product.cert_expiry.between(today, soon)),
            _count(Product.cert_expiry < today),
        )
        .join(Producer, Product.producer_id == Producer.id)
        .where(*scoped)
        .group_by(area)
    )
    for code, *counts in product_rows:
        row = areas.setdefault(code, AreaKpis(code))
        for name, value in zip(COUNTS[1:], counts, strict=True):
            setattr(row, name, int(value))

    by_stars: dict[int, int] = defaultdict(int)
    by_group: dict[str, int] = defaultdict(int)
    mix = await session.execute(
        select(Product.stars, Product.group, func.count(Product.id))
        .join(Producer, Product.producer_id == Producer.id)
        .where(*scoped)
        .group_by(Product.stars, Product.group)
    )
    for stars, group, count in mix:
        by_stars[stars or 0] += count
        by_group[group] += count

    total = AreaKpis(province_code or 0)
    for row in areas.values():
        total.add(row)
    ordered = sorted(areas.values(), key=lambda a: (-a.products, -a.producers, a.code))
    return Kpis(province_code, today, total, dict(by_stars), dict(by_group), ordered)


# --- rows for exports ------------------------------------------------------
# Plain rows rather than ORM objects: building 20,000 tracked instances
# costs seconds, and exports only read. Each row class names the model
# columns it holds, and the SELECT is built from those names.


@dataclass(frozen=True, slots=True)
class ProducerRow:
    id: int
    name: str
    name_folded: str
    kind: str
    representative: str
    phone: str
    tax_code: str | None
    province_code: int
    ward_code: int
    address: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ProductRow:
    id: int
    producer_id: int
    code: str
    name: str
    group: str
    subgroup: str
    stars: int | None
    cert_number: str | None
    cert_date: dt.date | None
    cert_expiry: dt.date | None
    description: str
    story: str | None
    price_vnd: int | None
    unit: str | None
    net_amount: int | None
    net_unit: str | None
    package_weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    shelf_life: str | None
    ingredients: str | None
    growing_area_code: str | None
    gtin: str | None
    labelled_at: dt.datetime | None
    review_status: ReviewStatus


@dataclass(frozen=True, slots=True)
class ListingRow:
    product_id: int
    marketplace: str
    status: ListingStatus
    url: str | None
    reason: str | None
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PhotoFile:
    sha256: str
    mime: str


@dataclass
class ProductRecord:
    """A product with what exports need around it, loaded in bulk."""

    product: ProductRow
    producer: ProducerRow
    photos: list[PhotoFile] = field(default_factory=list)  # the cover first
    listings: list[ListingRow] = field(default_factory=list)


@dataclass(frozen=True)
class ExportData:
    producers: Sequence[ProducerRow]
    products: Sequence[ProductRecord]
    product_counts: dict[int, int]  # producer id → number of products


def _columns(model: type[Base], row: type[Any]) -> list[Any]:
    return [getattr(model, name) for name in row.__dataclass_fields__]


async def export_data(session: AsyncSession, province_code: int | None) -> ExportData:
    """Producers, products, photos and listings of a province (None: everywhere): 4 queries.

    Ordered by commune, then producer, then product. The sort is done here
    rather than in SQL because PostgreSQL's collation and SQLite's byte
    order disagree about names; folded names and ids sort alike everywhere.
    """
    scoped = [] if province_code is None else [Producer.province_code == province_code]
    producer_rows = await session.execute(select(*_columns(Producer, ProducerRow)).where(*scoped))
    producers = sorted(
        (ProducerRow(*row) for row in producer_rows),
        key=lambda p: (p.province_code, p.ward_code, p.name_folded, p.id),
    )
    by_id = {producer.id: producer for producer in producers}
    order = {producer.id: index for index, producer in enumerate(producers)}
    product_rows = await session.execute(
        select(*_columns(Product, ProductRow))
        .join(Producer, Product.producer_id == Producer.id)
        .where(*scoped)
    )
    products = sorted(
        (ProductRow(*row) for row in product_rows), key=lambda p: (order[p.producer_id], p.id)
    )
    records = {p.id: ProductRecord(p, by_id[p.producer_id]) for p in products}
    photo_rows = await session.execute(
        select(Photo.product_id, Photo.sha256, Photo.mime)
        .join(Product, Photo.product_id == Product.id)
        .join(Producer, Product.producer_id == Producer.id)
        .where(*scoped)
        .order_by(Photo.product_id, Photo.position, Photo.id)
    )
    for product_id, sha256, mime in photo_rows:
        records[product_id].photos.append(PhotoFile(sha256, mime))
    listing_rows = await session.execute(
        select(*_columns(Listing, ListingRow))
        .join(Product, Listing.product_id == Product.id)
        .join(Producer, Product.producer_id == Producer.id)
        .where(*scoped)
        .order_by(Listing.product_id, Listing.marketplace)
    )
    for row in listing_rows:
        listing = ListingRow(*row)
        records[listing.product_id].listings.append(listing)
    counts: dict[int, int] = defaultdict(int)
    for record in records.values():
        counts[record.producer.id] += 1
    return ExportData(producers, list(records.values()), dict(counts))
