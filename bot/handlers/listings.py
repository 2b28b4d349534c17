"""/listings: officers set where products stand on each marketplace.

One product at a time in the chat (find it by code or name, then
bot/flows/listing.py), or many at once from a CSV file
(bot/flows/listings_upload.py, bot/handlers/listings_import.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.core import places
from bot.core.context import Context
from bot.core.types import Button, Reply
from bot.flows import engine
from bot.handlers.officer_scope import back_to_menu, not_reachable, officer_product, officer_scope
from bot.handlers.routing import OFFICER, Route
from storage.models import Product

if TYPE_CHECKING:
    from bot.handlers.routes import Router

LISTING_FLOW = "listing"
FIND_FLOW = "listing_find"
UPLOAD_FLOW = "listings_upload"


async def listings_menu(ctx: Context) -> list[Reply]:
    t = ctx.t
    scope = officer_scope(ctx)
    if scope is None:
        return await not_reachable(ctx)
    province = places.province(scope.province_code) if scope.province_code else None
    area = province.name if province else t("officer.all_provinces")
    buttons = [
        [Button(t("listings.find"), "listings:find")],
        [Button(t("listings.upload"), "listings:upload")],
        back_to_menu(ctx),
    ]
    return [Reply(t("listings.menu", area=area), buttons=buttons)]


def results_screen(ctx: Context, products: list[Product], query: str) -> list[Reply]:
    """Several products match: the officer picks one."""
    t = ctx.t
    rows = [
        [Button(f"{product.name} · {product.code}", f"listings:product:{product.id}")]
        for product in products
    ]
    rows.append([Button(t("listings.search_again"), "listings:find"), *back_to_menu(ctx)])
    return [Reply(t("listings.pick_product", query=query), buttons=rows)]


def listing_values(product: Product) -> dict[str, Any]:
    """What the listing flow starts from: the product's name and its listings now."""
    return {
        "product": product.name,
        "code": product.code,
        "current": {
            listing.marketplace: {
                "status": listing.status,
                "url": listing.url,
                "reason": listing.reason,
            }
            for listing in product.listings
        },
    }


def after_saving(ctx: Context, product_id: int) -> list[list[Button]]:
    """Where an officer goes next after setting a listing."""
    t = ctx.t
    return [
        [Button(t("listings.another_marketplace"), f"listings:product:{product_id}")],
        [Button(t("listings.another_product"), "listings:find"), *back_to_menu(ctx)],
    ]


# --- actions ------------------------------------------------------------------


async def _listings(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    command = ctx.incoming.command
    query = command[1] if command and command[0] == "listings" else ""
    if query:  # "/listings 7K3M9P": straight to that product
        return await engine.start(ctx, router.flows[FIND_FLOW], values={"query": query})
    return await listings_menu(ctx)


async def _find(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if officer_scope(ctx) is None:
        return await not_reachable(ctx)
    return await engine.start(ctx, router.flows[FIND_FLOW])


async def _product(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await officer_product(ctx, int(args[0]))
    if product is None:
        return await not_reachable(ctx)
    flow = router.flows[LISTING_FLOW]
    return await engine.start(ctx, flow, values=listing_values(product), target=product.id)


async def _upload(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if officer_scope(ctx) is None:
        return await not_reachable(ctx)
    return await engine.start(ctx, router.flows[UPLOAD_FLOW])


ROUTES = [
    Route(r"listings", _listings, OFFICER),
    Route(r"listings:find", _find, OFFICER),
    Route(r"listings:product:(\d+)", _product, OFFICER),
    Route(r"listings:upload", _upload, OFFICER),
]
COMMANDS = {"listings": "listings"}
