"""A producer's products: the list, one product, its edit menu, and /status.

Screens here only read; the actions that change data live in routes.py's
handlers, each of which re-checks ownership through `product_of_producer`.
"""

from __future__ import annotations

from bot.core.context import Context
from bot.core.intents import (
    LABEL,
    MENU,
    PHOTOS,
    PRODUCT,
    PRODUCT_DELETE,
    PRODUCT_DELETE_YES,
    PRODUCT_EDIT,
    PRODUCT_FIELD,
    PRODUCT_NEW,
    PRODUCTS,
    STATUS,
)
from bot.core.ocop import CONSUMABLE_GROUPS, ListingStatus, listing_key
from bot.core.readiness import checklist, is_complete, is_ready, missing_fields
from bot.core.types import Button, Reply
from bot.flows.cards import product_card
from bot.flows.product import EDITABLE
from bot.i18n.translator import Translator
from storage.models import Product

PAGE_SIZE = 8


def product_line(t: Translator, mark: str, name: str, code: str, live: int) -> str:
    """One line of /products: "live on 2 marketplaces", or "not live anywhere yet"."""
    key = "products.line" if live else "products.line_none"
    return t(key, mark=mark, name=name, code=code, count=live)


def products_screen(ctx: Context, products: list[Product], page: int = 0) -> list[Reply]:
    t = ctx.t
    if not products:
        buttons = [
            [Button(t("menu.new_product"), PRODUCT_NEW.action())],
            [Button(t("menu.back_to_menu"), MENU.action())],
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
        rows.append([Button(f"{mark} {product.name}", PRODUCT.action(product.id))])
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(Button(t("button.previous"), PRODUCTS.action(page - 1)))
        if page < pages - 1:
            nav.append(Button(t("button.next"), PRODUCTS.action(page + 1)))
        rows.append(nav)
        lines.append(t("products.page", page=page + 1, pages=pages))
    # Set apart by a blank line, so the key to the marks does not read as a product's status.
    lines += ["", t("products.legend")]
    rows.append(
        [
            Button(t("menu.new_product"), PRODUCT_NEW.action()),
            Button(t("menu.back_to_menu"), MENU.action()),
        ]
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
            Button(t("button.edit"), PRODUCT_EDIT.action(product.id)),
            Button(t("product.photos"), PHOTOS.action(product.id)),
        ],
        [Button(t("label.button"), LABEL.action(product.id))],
        [
            Button(t("menu.status"), STATUS.action(product.id)),
            Button(t("button.delete"), PRODUCT_DELETE.action(product.id)),
        ],
        [
            Button(t("menu.products"), PRODUCTS.action()),
            Button(t("menu.back_to_menu"), MENU.action()),
        ],
    ]
    replies = []
    cover = product.photos[0] if product.photos else None
    if cover is not None:
        replies.append(Reply("", photo=ctx.app.media.thumbnail_path(cover.sha256)))
    return [*replies, Reply(text, buttons=buttons)]


def edit_menu(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    buttons = [
        [Button(t(label), PRODUCT_FIELD.action(product.id, step))]
        for step, label in EDITABLE
        if step != "ingredients" or product.group in CONSUMABLE_GROUPS
    ]
    buttons.append([Button(t("button.back"), PRODUCT.action(product.id))])
    return [Reply(t("product.choose_field", name=product.name), buttons=buttons)]


def delete_confirm(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    buttons = [
        [Button(t("button.confirm_delete"), PRODUCT_DELETE_YES.action(product.id))],
        [Button(t("button.cancel"), PRODUCT.action(product.id))],
    ]
    return [
        Reply(t("product.confirm_delete", name=product.name, code=product.code), buttons=buttons)
    ]


def status_screen(ctx: Context, products: list[Product]) -> list[Reply]:
    """For each product, each configured marketplace: status, URL and readiness checklist."""
    t = ctx.t
    if not products:
        return [
            Reply(t("products.none"), buttons=[[Button(t("menu.back_to_menu"), MENU.action())]])
        ]
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
    buttons = [
        [
            Button(t("menu.products"), PRODUCTS.action()),
            Button(t("menu.back_to_menu"), MENU.action()),
        ]
    ]
    # One message; a channel splits it at line breaks if it is too long.
    return [Reply("\n\n".join(blocks), buttons=buttons)]
