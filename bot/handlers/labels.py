"""/label: QR labels for a producer's own products, as a PNG to print or an A4 sheet.

Serial stamps are a flow of their own (bot/flows/stamps.py); this module
offers them from the same screen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import LABEL, LABEL_PNG, LABEL_SHEET, MENU, PRODUCT, STAMPS, Intent
from bot.core.types import Button, Reply
from bot.flows.labelling import content, fonts, mark_labelled
from bot.flows.ownership import owned_product
from bot.handlers.menu import main_menu
from bot.handlers.routing import Feature, Route
from bot.labels.label import format_code, label_filename, render_label_png
from bot.labels.sheet import fill_sheet, render_sheet_pdf
from storage.models import Product
from storage.producers import producer_of_user
from storage.products import products_of_producer

if TYPE_CHECKING:
    from bot.handlers.routes import Router


def label_screen(ctx: Context, product: Product) -> list[Reply]:
    t = ctx.t
    labels = ctx.settings.labels
    rows = [
        [Button(t("label.png", size=size.id), LABEL_PNG.action(product.id, size.id))]
        for size in labels.sizes
    ]
    rows += [
        [
            Button(
                t("label.sheet", layout=sheet.id, count=sheet.per_page),
                LABEL_SHEET.action(product.id, sheet.id),
            )
        ]
        for sheet in labels.sheets
    ]
    rows.append([Button(t("label.stamps"), STAMPS.action(product.id))])
    rows.append([Button(t("button.back"), PRODUCT.action(product.id))])
    text = t("label.choose", name=product.name, code=format_code(product.code))
    return [Reply(text, buttons=rows)]


async def _labels(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    """/label: straight to the product when there is one, else a list to pick from."""
    producer = await producer_of_user(ctx.session, ctx.user.id)
    if producer is None:
        return [Reply(ctx.t("product.need_profile"))] + await main_menu(ctx)
    products = await products_of_producer(ctx.session, producer.id)
    if len(products) == 1:
        return label_screen(ctx, products[0])
    if not products:
        return [Reply(ctx.t("products.none"))] + await main_menu(ctx)
    rows = [[Button(p.name, LABEL.action(p.id))] for p in products[:30]]
    rows.append([Button(ctx.t("menu.back_to_menu"), MENU.action())])
    return [Reply(ctx.t("label.pick_product"), buttons=rows)]


async def _label(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await owned_product(ctx, int(args[0]))
    if product is None:
        return [Reply(ctx.t("product.not_found"))] + await main_menu(ctx)
    return label_screen(ctx, product)


async def _png(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await owned_product(ctx, int(args[0]))
    size = ctx.settings.labels.size(args[1])
    if product is None or size is None:
        return [Reply(ctx.t("product.not_found"))] + await main_menu(ctx)
    png = render_label_png(content(ctx, product), size, ctx.settings.labels.dpi, fonts=fonts(ctx))
    mark_labelled(ctx, product)
    t = ctx.t
    caption = t("label.ready_png", size=size.id, code=format_code(product.code))
    return [
        Reply(caption, photo=png),
        Reply(
            t("label.file_note"),
            document=png,
            document_name=label_filename(product.code, size),
        ),
        *label_screen(ctx, product),
    ]


async def _sheet(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await owned_product(ctx, int(args[0]))
    layout = ctx.settings.labels.sheet(args[1])
    if product is None or layout is None:
        return [Reply(ctx.t("product.not_found"))] + await main_menu(ctx)
    cells = fill_sheet(content(ctx, product), layout)
    files = fonts(ctx)
    mark_labelled(ctx, product)
    t = ctx.t
    return [
        Reply(
            t("label.ready_sheet", layout=layout.id, count=layout.per_page),
            make_document=lambda: render_sheet_pdf(cells, layout, fonts=files),
            document_name=f"ocop-{product.code}-{layout.id}.pdf",
        ),
        *label_screen(ctx, product),
    ]


FEATURE = Feature(
    routes=(
        Route(Intent(r"labels"), _labels, commands=("label",)),
        Route(LABEL, _label),
        Route(LABEL_PNG, _png),
        Route(LABEL_SHEET, _sheet),
    ),
)
