"""What the public catalogue reads beyond the facts index: producers near a point,
trainings held, and the chat's /find with the catalogue's filters.

Every query here is bounded by an index: a box of latitude (and longitude)
on `ix_producers_location`, a province on `ix_trainings_province_code`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.geo import bounding_box, distance_km
from bot.core.ocop import ListingStatus, ReviewStatus
from storage.models import Listing, Producer, Product, Training
from storage.states.trainings import TrainingStatus

APPROVED = ReviewStatus.APPROVED
MAX_IN_BOX = 500  # producers read from one box: enough for the nearest few, bounded
RADII_KM = (10.0, 40.0, 150.0, 600.0, 2000.0)  # widened until enough are found


@dataclass(frozen=True)
class Nearby:
    producer: Producer
    products: list[Product]  # approved, most stars first
    km: float


async def producers_near(
    session: AsyncSession, lat: float, lon: float, limit: int = 5
) -> list[Nearby]:
    """The nearest producers that have an approved product and a location on the map."""
    approved = exists().where(Product.producer_id == Producer.id, Product.review_status == APPROVED)
    found: list[Producer] = []
    for radius in RADII_KM:
        south, north, west, east = bounding_box(lat, lon, radius)
        rows = await session.scalars(
            select(Producer)
            .where(
                Producer.latitude.between(south, north),
                Producer.longitude.between(west, east),
                approved,
            )
            .limit(MAX_IN_BOX)
        )
        found = [
            p for p in rows if distance_km(lat, lon, p.latitude or 0, p.longitude or 0) <= radius
        ]
        if len(found) >= limit:
            break
    found.sort(key=lambda p: distance_km(lat, lon, p.latitude or 0, p.longitude or 0))
    nearest = found[:limit]
    products = await _approved_products(session, [p.id for p in nearest])
    return [
        Nearby(p, products.get(p.id, []), distance_km(lat, lon, p.latitude or 0, p.longitude or 0))
        for p in nearest
    ]


async def _approved_products(
    session: AsyncSession, producer_ids: Sequence[int]
) -> dict[int, list[Product]]:
    if not producer_ids:
        return {}
    rows = await session.scalars(
        select(Product)
        .where(Product.producer_id.in_(producer_ids), Product.review_status == APPROVED)
        .order_by(Product.stars.desc().nulls_last(), Product.name_folded, Product.id)
    )
    grouped: dict[int, list[Product]] = {}
    for product in rows:
        grouped.setdefault(product.producer_id, []).append(product)
    return grouped


async def trainings_held(session: AsyncSession, province_code: int, now: dt.datetime) -> int:
    """Trainings of this province that have taken place (cancelled ones do not count)."""
    count = await session.scalar(
        select(func.count(Training.id)).where(
            Training.province_code == province_code,
            Training.starts_at < now,
            Training.status != TrainingStatus.CANCELLED,
        )
    )
    return int(count or 0)


@dataclass(frozen=True)
class FindFilters:
    """The catalogue's filters as the chat's /find understands them."""

    province: int | None = None
    commune: int | None = None
    group: str | None = None
    stars: int | None = None  # this many or more
    market: str | None = None


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_products(
    session: AsyncSession,
    words: Sequence[str],
    filters: FindFilters,
    *,
    offset: int = 0,
    limit: int = 5,
    approved_only: bool = True,
) -> tuple[list[Product], int]:
    """Products whose folded name holds every word, within the filters (approved ones
    only, unless told); a page of them (most stars first, then name) and how many."""
    conditions = [Product.review_status == APPROVED] if approved_only else []
    conditions += [Product.name_folded.like(_like(w), escape="\\") for w in words[:8]]
    if filters.group:
        conditions.append(Product.group == filters.group)
    if filters.stars:
        conditions.append(Product.stars >= filters.stars)
    if filters.market:
        conditions.append(
            exists().where(
                Listing.product_id == Product.id,
                Listing.marketplace == filters.market,
                Listing.status == ListingStatus.LIVE,
            )
        )
    if filters.province or filters.commune:
        place = []
        if filters.province:
            place.append(Producer.province_code == filters.province)
        if filters.commune:
            place.append(Producer.ward_code == filters.commune)
        conditions.append(exists().where(Producer.id == Product.producer_id, and_(*place)))
    total = await session.scalar(select(func.count(Product.id)).where(*conditions))
    rows = await session.scalars(
        select(Product)
        .where(*conditions)
        .order_by(Product.stars.desc().nulls_last(), Product.name_folded, Product.id)
        .offset(offset)
        .limit(limit)
        .options(selectinload(Product.producer))
    )
    return list(rows), int(total or 0)
