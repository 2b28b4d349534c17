"""Finding a product of the officer's province by its code or name, to set a listing."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.text import clean
from bot.core.types import Reply
from bot.flows import engine, parsers
from bot.flows.engine import Flow, Step
from bot.flows.listing import LISTING
from bot.handlers.listings import FIND_FLOW, listing_values, listings_menu, results_screen
from bot.handlers.officer_scope import not_reachable, officer_scope
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


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await listings_menu(ctx)


FIND = Flow(name=FIND_FLOW, title="listings.flow_find", steps=STEPS, finish=_finish, exit=_exit)
