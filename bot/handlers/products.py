"""A producer's products: the list, one product, its edit menu, and /status.

Screens here only read; the actions that change data live in routes.py's
handlers, each of which re-checks ownership through `product_of_producer`.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.ocop import CONSUMABLE_GROUPS, ListingStatus, listing_key
from bot.core.readiness import checklist, is_complete, is_ready, missing_fields
from bot.core.types import Button, Reply
from bot.handlers.cards import product_card
from bot.i18n.translator import Translator
from storage.models import Product
from storage.producers import producer_of_user
from storage.products import product_of_producer

# Product-flow steps a producer can change, with their button labels.
EDITABLE = (
    ("name", "field.name"),
    ("group", "field.group"),
    ("stars", "field.stars"),
    ("description", "field.description"),
    ("story", "field.story"),
    ("price", "field.price"),
    ("unit", "field.unit"),
    ("net", "field.net"),
    ("package_weight", "field.package_weight"),
    ("dimensions", "field.dimensions"),
    ("shelf_life", "field.shelf_life"),
    ("ingredients", "field.ingredients"),
    ("certs", "field.certs"),
    ("growing_area", "field.growing_area"),
    ("gtin", "field.gtin"),
)
PAGE_SIZE = 8


async def owned_product(ctx: Context, product_id: int) -> Product | None:
    """The product if it is this user's own: every product action goes through here."""
    producer = await producer_of_user(ctx.session, ctx.user.id)
    return await product_of_producer(ctx.session, product_id, producer.id) if producer else None


def product_line(t: Translator, mark: str, name: str, code: str, live: int) -> str:
    """One line of /products: "live on 2 marketplaces", or "not live anywhere yet"."""
    key = "products.line" if live else "products.line_none"
    return t(key, mark=mark, name=name, code=code, count=live)


def products_screen(ctx: Context, products: list[Product], page: int = 0) -> list[Reply]:
    t = ctx.t
    if not products:
        buttons = [
            [Button(t("menu.new_product"), "product:new")],
            [Button(t("menu.back_to_menu"), "menu")],
        ]
        return [Reply(t("products.none"), buttons=buttons)]
    pages = (len(products) - 1) // PAGE_SIZE + 1
    page = max(0, min(page, pages - 1))
    shown = products[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [t("products.title", count=len(products))]
    rows: list[list[Button]] = []
    for product in shown:
        mark = "✅" if is_complete(product) else "📝"
        live = sum(1 for listing in product.listings if listing.status == ListingStatus.LIVE)
        lines.append(product_line(t, mark, product.name, product.code, live))
        rows.append([Button(f"{mark} {product.name}", f"product:{product.id}")])
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(Button(t("button.previous"), f"products:{page - 1}"))
        if page < pages - 1:
            nav.append(Button(t("button.next"), f"products:{page + 1}"))
        rows.append(nav)
        lines.append(t("products.page", page=page + 1, pages=pages))
    # Set apart by a blank line, so the key to the marks does not read as a product's status.
    lines += ["", t("products.legend")]
    rows.append(
        [Button(t("menu.new_product"), "product:new"), Button(t("menu.back_to_menu"), "menu")]
    )
    return [Reply("\n".join(lines), buttons=rows)]


def product_screen(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    text = product_card(ctx, product)
    missing = missing_fields(product)
    if missing:
        text += "\n\n" + t("product.missing", fields=", ".join(t(key) for key in missing))
    else:
        text += "\n\n" + t("product.complete")
    text += "\n" + t("product.photo_count", count=len(product.photos))
    buttons = [
        [
            Button(t("button.edit"), f"product:edit:{product.id}"),
            Button(t("product.photos"), f"photos:{product.id}"),
        ],
        [Button(t("label.button"), f"label:{product.id}")],
        [
            Button(t("menu.status"), f"status:{product.id}"),
            Button(t("button.delete"), f"product:delete:{product.id}"),
        ],
        [Button(t("menu.products"), "products"), Button(t("menu.back_to_menu"), "menu")],
    ]
    replies = []
    cover = product.photos[0] if product.photos else None
    if cover is not None:
        replies.append(Reply("", photo=ctx.app.media.thumbnail_path(cover.sha256)))
    return [*replies, Reply(text, buttons=buttons)]


def edit_menu(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    buttons = [
        [Button(t(label), f"product:field:{product.id}:{step}")]
        for step, label in EDITABLE
        if step != "ingredients" or product.group in CONSUMABLE_GROUPS
    ]
    buttons.append([Button(t("button.back"), f"product:{product.id}")])
    return [Reply(t("product.choose_field", name=product.name), buttons=buttons)]


def delete_confirm(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    buttons = [
        [Button(t("button.confirm_delete"), f"product:delete_yes:{product.id}")],
        [Button(t("button.cancel"), f"product:{product.id}")],
    ]
    return [
        Reply(t("product.confirm_delete", name=product.name, code=product.code), buttons=buttons)
    ]


def status_screen(ctx: Context, products: list[Product]) -> list[Reply]:
    """For each product, each configured marketplace: status, URL and readiness checklist."""
    t = ctx.t
    if not products:
        return [Reply(t("products.none"), buttons=[[Button(t("menu.back_to_menu"), "menu")]])]
    blocks = []
    for product in products:
        lines = [t("status.product", name=product.name, code=product.code)]
        listings = {listing.marketplace: listing for listing in product.listings}
        for marketplace in ctx.settings.marketplaces:
            listing = listings.get(marketplace.id)
            status = listing.status if listing else ListingStatus.NOT_STARTED
            line = t("status.line", marketplace=marketplace.name, status=t(listing_key(status)))
            if listing and listing.url:
                line += "\n    " + listing.url
            if listing and status == ListingStatus.REJECTED and listing.reason:
                line += "\n    " + t("status.reason", reason=listing.reason)
            lines.append(line)
            if status != ListingStatus.LIVE:
                checks = checklist(product, marketplace)
                if is_ready(product, marketplace):
                    lines.append("    " + t("status.ready"))
                else:
                    for check in checks:
                        if not check.ok:
                            lines.append("    ❌ " + t(check.key, **check.params))
        blocks.append("\n".join(lines))
    buttons = [[Button(t("menu.products"), "products"), Button(t("menu.back_to_menu"), "menu")]]
    # One message; a channel splits it at line breaks if it is too long.
    return [Reply("\n\n".join(blocks), buttons=buttons)]
