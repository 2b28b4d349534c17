"""A producer's own products: every product action loads its product through here."""

from __future__ import annotations

from bot.core.context import Context
from storage.models import Product
from storage.producers import producer_of_user
from storage.products import product_of_producer


async def owned_product(ctx: Context, product_id: int) -> Product | None:
    """The product if it is this user's own, so a crafted action cannot reach another's."""
    producer = await producer_of_user(ctx.session, ctx.user.id)
    return await product_of_producer(ctx.session, product_id, producer.id) if producer else None
