"""What the review flows (approve, ask for changes) share: the product they decide on.

Where they lead is named, not called: the queue (`REVIEW`) or the product's
review card (`REVIEW_OPEN`), resolved by the router.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.intents import REVIEW, REVIEW_OPEN, goto
from bot.core.types import Reply
from bot.flows.officer_scope import not_reachable, officer_product
from storage.models import Product


def stamp(product: Product) -> str | None:
    """When the product was last submitted: a review applies to that version only."""
    return product.submitted_at.isoformat() if product.submitted_at else None


def is_own(ctx: Context, product: Product) -> bool:
    """An officer who is also a producer does not review their own products."""
    return product.producer.user_id == ctx.user.id


def changed_since(product: Product, submitted: object) -> bool:
    """True when the producer changed the product after the officer opened it."""
    return stamp(product) != submitted


async def product_to_decide(
    ctx: Context, target: int | None, submitted_at: object
) -> Product | list[Reply]:
    """The product a review flow decides on, or what to show instead: it is out of
    the officer's reach, their own, or changed by the producer since it was opened."""
    product = await officer_product(ctx, target or 0)
    if product is None:
        return await not_reachable(ctx)
    if is_own(ctx, product):
        note = Reply(ctx.t("review.own_product"))
    elif changed_since(product, submitted_at):
        note = Reply(ctx.t("review.changed_meanwhile"))
    else:
        return product
    return [note] + await goto(ctx, REVIEW_OPEN.action(product.id))


async def leave_review_flow(ctx: Context, target: int | None) -> list[Reply]:
    """Where a review flow's cancel leads: the product's card, or the queue."""
    product = await officer_product(ctx, target or 0)
    return await goto(ctx, REVIEW_OPEN.action(product.id) if product else REVIEW.action())
