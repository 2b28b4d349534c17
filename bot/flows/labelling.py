"""What a product's label carries, the fonts it is drawn with, and the first-label mark."""

from __future__ import annotations

from bot.core.context import Context
from bot.labels.fonts import FontFiles, find_fonts
from bot.labels.label import LabelContent
from bot.labels.urls import product_url
from storage.models import Product

CERTIFIED_STARS = 3  # only certified OCOP products (3★ and up) print stars


def fonts(ctx: Context) -> FontFiles:
    return find_fonts(ctx.settings.labels.font_regular, ctx.settings.labels.font_bold)


def content(ctx: Context, product: Product) -> LabelContent:
    stars = product.stars if product.stars and product.stars >= CERTIFIED_STARS else None
    return LabelContent(
        product.name, product.code, stars, product_url(ctx.settings.public_url, product.code)
    )


def mark_labelled(ctx: Context, product: Product) -> None:
    """The programme counts products with QR traceability: the first label counts."""
    if product.labelled_at is None:
        product.labelled_at = ctx.now()
