"""Finding a product of the officer's province by its code or name, to set a listing."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.intents import LISTINGS, LISTINGS_FIND, LISTINGS_PRODUCT, goto
from bot.core.text import clean
from bot.core.types import Button, Reply
from bot.flows import engine, parsers
from bot.flows.engine import Flow, Step
from bot.flows.listing import LISTING, listing_values
from bot.flows.officer_scope import back_to_menu, not_reachable, officer_scope
from storage.models import Product
from storage.officers import find_products

MAX_QUERY = 100


def _not_given(values: dict[str, Any]) -> bool:
    """/listings CODE answers this step before it is asked."""
    return not values.get("query")


STEPS = (Step("query", "listings.ask_query", parse=parsers.text(1, MAX_QUERY), when=_not_given),)


async def _finish(ctx: Context, values: dict[str, Any], _target: int | None) -> list[Reply]:
    scope = officer_scope(ctx)
    if scope is None:
        return await not_reachable(ctx)
    query = clean(str(values["query"]))[:MAX_QUERY]
    products = await find_products(ctx.session, scope, query)
    if not products:
        return [Reply(ctx.t("listings.nothing_found", query=query))] + await engine.start(ctx, FIND)
    if len(products) == 1:
        product = products[0]
        return await engine.start(ctx, LISTING, values=listing_values(product), target=product.id)
    return results_screen(ctx, products, query)


def results_screen(ctx: Context, products: list[Product], query: str) -> list[Reply]:
    """Several products match: the officer picks one."""
    t = ctx.t
    rows = [
        [Button(f"{product.name} · {product.code}", LISTINGS_PRODUCT.action(product.id))]
        for product in products
    ]
    rows.append([Button(t("listings.search_again"), LISTINGS_FIND.action()), *back_to_menu(ctx)])
    return [Reply(t("listings.pick_product", query=query), buttons=rows)]


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await goto(ctx, LISTINGS.action())


FIND = Flow(
    name="listing_find", title="listings.flow_find", steps=STEPS, finish=_finish, exit=_exit
)
