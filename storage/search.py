"""Finding products by name the way people type: without diacritics, any case."""

from __future__ import annotations

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from storage.models import Product


def _like_pattern(folded: str) -> str:
    escaped = folded.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_products(
    session: AsyncSession, folded_query: str, *, offset: int = 0, limit: int = 5
) -> tuple[list[Product], int]:
    """A page of products whose folded name holds every word of the query, and the total.

    "che tan cuong" finds "Chè búp Tân Cương": each word matches on its own.
    """
    words = folded_query.split()[:8] or [""]
    condition = and_(*(Product.name_folded.like(_like_pattern(w), escape="\\") for w in words))
    total = await session.scalar(select(func.count()).select_from(Product).where(condition))
    rows = await session.scalars(
        select(Product)
        .where(condition)
        .order_by(Product.stars.desc().nulls_last(), Product.name_folded, Product.id)
        .offset(offset)
        .limit(limit)
        .options(selectinload(Product.producer))
    )
    return list(rows), int(total or 0)
