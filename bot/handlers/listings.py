"""/listings: officers set where products stand on each marketplace.

One product at a time in the chat (find it by code or name, then
bot/flows/listing.py), or many at once from a CSV file
(bot/flows/listings_upload.py, bot/flows/listings_import.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import places
from bot.core.context import Context
from bot.core.intents import LISTINGS, LISTINGS_FIND, LISTINGS_PRODUCT, LISTINGS_UPLOAD
from bot.core.types import Button, Reply
from bot.flows import engine
from bot.flows.listing import LISTING, listing_values
from bot.flows.listing_find import FIND
from bot.flows.listings_upload import UPLOAD
from bot.flows.officer_scope import back_to_menu, not_reachable, officer_product, officer_scope
from bot.handlers.routing import Feature, Route

if TYPE_CHECKING:
    from bot.handlers.routes import Router


async def listings_menu(ctx: Context) -> list[Reply]:
    t = ctx.t
    scope = officer_scope(ctx)
    if scope is None:
        return await not_reachable(ctx)
    province = places.province(scope.province_code) if scope.province_code else None
    area = province.name if province else t("officer.all_provinces")
    buttons = [
        [Button(t("listings.find"), LISTINGS_FIND.action())],
        [Button(t("listings.upload"), LISTINGS_UPLOAD.action())],
        back_to_menu(ctx),
    ]
    return [Reply(t("listings.menu", area=area), buttons=buttons)]


# --- actions ------------------------------------------------------------------


async def _listings(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    command = ctx.incoming.command
    query = command[1] if command and command[0] == "listings" else ""
    if query:  # "/listings 7K3M9P": straight to that product
        return await engine.start(ctx, router.flows[FIND.name], values={"query": query})
    return await listings_menu(ctx)


async def _find(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if officer_scope(ctx) is None:
        return await not_reachable(ctx)
    return await engine.start(ctx, router.flows[FIND.name])


async def _product(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await officer_product(ctx, int(args[0]))
    if product is None:
        return await not_reachable(ctx)
    flow = router.flows[LISTING.name]
    return await engine.start(ctx, flow, values=listing_values(product), target=product.id)


async def _upload(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if officer_scope(ctx) is None:
        return await not_reachable(ctx)
    return await engine.start(ctx, router.flows[UPLOAD.name])


FEATURE = Feature(
    routes=(
        Route(LISTINGS, _listings, commands=("listings",)),
        Route(LISTINGS_FIND, _find),
        Route(LISTINGS_PRODUCT, _product),
        Route(LISTINGS_UPLOAD, _upload),
    ),
    flows=(FIND, LISTING, UPLOAD),
)
