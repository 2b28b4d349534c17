"""An officer's reach: every officer handler and flow loads products through here.

Routes already refuse officer actions to producers; this adds the province:
an officer of Thái Nguyên cannot open, approve or list a product of Lâm Đồng,
whatever action reaches the server. Such a try is refused and audited like
a role refusal.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.core.context import Context
from bot.core.intents import MENU, goto
from bot.core.types import Button, Reply
from storage.audit import record
from storage.models import Product
from storage.officers import Scope, product_in_scope, scope_of


def officer_scope(ctx: Context) -> Scope | None:
    """The current user's scope; None unless an officer with a province, or an admin."""
    return scope_of(ctx.user)


async def officer_product(ctx: Context, product_id: int) -> Product | None:
    """The product if the officer may act on it; a product of another province is audited."""
    scope = officer_scope(ctx)
    product = await product_in_scope(ctx.session, product_id, scope) if scope else None
    if product is None and await _exists(ctx, product_id):
        await record(
            ctx.session,
            ctx.user.id,
            "denied",
            "product",
            product_id,
            after={"action": ctx.action or ctx.conversation.flow, "reason": "province"},
            at=ctx.now(),
        )
    return product


async def not_reachable(ctx: Context) -> list[Reply]:
    """What an officer sees for a product they may not act on (or one that is gone)."""
    t = ctx.t
    key = "officer.no_province" if officer_scope(ctx) is None else "officer.out_of_scope"
    return [Reply(t(key))] + await goto(ctx, MENU.action())


def back_to_menu(ctx: Context) -> list[Button]:
    return [Button(ctx.t("menu.back_to_menu"), MENU.action())]


async def _exists(ctx: Context, product_id: int) -> bool:
    found = await ctx.session.scalar(select(Product.id).where(Product.id == product_id))
    return found is not None
