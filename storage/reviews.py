"""The officers' review queue, and approving or sending back a product (audited)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.core.ocop import ReviewStatus
from storage.audit import record
from storage.models import Producer, Product, User
from storage.officers import Scope

PENDING = ReviewStatus.PENDING
APPROVED = ReviewStatus.APPROVED
CHANGES_REQUESTED = ReviewStatus.CHANGES_REQUESTED
_REVIEWED = ("review_status", "review_reason", "review_field")
_RATING = ("stars", "cert_number", "cert_date", "cert_expiry")


@dataclass(frozen=True)
class Rating:
    """OCOP stars and the recognition decision, recorded when approving."""

    stars: int
    cert_number: str
    cert_date: dt.date
    cert_expiry: dt.date


def _pending(scope: Scope) -> Any:
    query = (
        select(Product)
        .join(Producer, Product.producer_id == Producer.id)
        .where(Product.review_status == PENDING)
    )
    if scope.province_code is not None:
        query = query.where(Producer.province_code == scope.province_code)
    return query


async def pending_count(session: AsyncSession, scope: Scope) -> int:
    subquery = _pending(scope).with_only_columns(Product.id).subquery()
    return int(await session.scalar(select(func.count()).select_from(subquery)) or 0)


async def review_queue(
    session: AsyncSession, scope: Scope, *, offset: int = 0, limit: int = 8
) -> list[Product]:
    """Pending products in scope, the longest waiting first."""
    result = await session.scalars(
        _pending(scope)
        .options(selectinload(Product.producer))
        .order_by(Product.submitted_at.asc(), Product.id.asc())
        .offset(offset)
        .limit(limit)
    )
    return list(result)


def _snapshot(product: Product, names: tuple[str, ...]) -> dict[str, Any]:
    values = {name: getattr(product, name) for name in names}
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in values.items()}


async def approve(
    session: AsyncSession,
    product: Product,
    officer: User,
    rating: Rating | None,
    *,
    now: dt.datetime,
) -> None:
    """Approves the product, recording its OCOP rating when one is given."""
    names = _REVIEWED + _RATING
    before = _snapshot(product, names)
    product.review_status = APPROVED
    product.review_reason = None
    product.review_field = None
    if rating is not None:
        product.stars = rating.stars
        product.cert_number = rating.cert_number
        product.cert_date = rating.cert_date
        product.cert_expiry = rating.cert_expiry
    _reviewed(product, officer, now)
    await record(
        session,
        officer.id,
        "review.approve",
        "product",
        product.id,
        before=before,
        after=_snapshot(product, names),
        at=now,
    )


async def request_changes(
    session: AsyncSession,
    product: Product,
    officer: User,
    field: str,
    reason: str,
    *,
    now: dt.datetime,
) -> None:
    """Sends the product back to its producer: what to fix, and why."""
    before = _snapshot(product, _REVIEWED)
    product.review_status = CHANGES_REQUESTED
    product.review_field = field
    product.review_reason = reason
    _reviewed(product, officer, now)
    await record(
        session,
        officer.id,
        "review.changes",
        "product",
        product.id,
        before=before,
        after=_snapshot(product, _REVIEWED),
        at=now,
    )


def _reviewed(product: Product, officer: User, now: dt.datetime) -> None:
    product.reviewed_at = now
    product.reviewed_by = officer.id
