"""/review: the officer's queue of products waiting, and one product under review.

Approving and asking for changes are flows (bot/flows/approve.py,
bot/flows/changes.py); these screens only read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import places
from bot.core.context import Context
from bot.core.intents import REVIEW, REVIEW_OPEN, Intent
from bot.core.ocop import ReviewStatus
from bot.core.readiness import checklist, missing_fields
from bot.core.types import Button, Reply
from bot.flows import engine
from bot.flows.approve import APPROVE
from bot.flows.cards import product_card
from bot.flows.changes import CHANGES
from bot.flows.officer_scope import back_to_menu, not_reachable, officer_product, officer_scope
from bot.flows.reviewing import is_own, stamp
from bot.handlers.routing import OFFICER, Feature, Route
from bot.i18n import N_
from storage.models import Product
from storage.officers import as_utc
from storage.reviews import pending_count, review_queue

if TYPE_CHECKING:
    from bot.handlers.routes import Router

PAGE_SIZE = 8
REVIEW_APPROVE = Intent(r"review:approve:(\d+)", OFFICER)
REVIEW_CHANGES = Intent(r"review:changes:(\d+)", OFFICER)
STATUS_KEYS = {
    ReviewStatus.PENDING: N_("review.status_pending"),
    ReviewStatus.APPROVED: N_("review.status_approved"),
    ReviewStatus.CHANGES_REQUESTED: N_("review.status_changes_requested"),
}


async def queue_screen(ctx: Context, page: int = 0) -> list[Reply]:
    """Pending products of the officer's province, the longest waiting first."""
    t = ctx.t
    scope = officer_scope(ctx)
    if scope is None:
        return await not_reachable(ctx)
    total = await pending_count(ctx.session, scope)
    if total == 0:
        return [Reply(t("review.queue_empty"), buttons=[back_to_menu(ctx)])]
    pages = (total - 1) // PAGE_SIZE + 1
    page = max(0, min(page, pages - 1))
    products = await review_queue(ctx.session, scope, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    lines = [t("review.queue_title", count=total)]
    rows: list[list[Button]] = []
    for number, product in enumerate(products, start=page * PAGE_SIZE + 1):
        submitted = product.submitted_at
        waiting = t.date(as_utc(submitted).astimezone(t.tz).date()) if submitted else "—"
        lines.append(
            t(
                "review.queue_line",
                number=number,
                name=product.name,
                code=product.code,
                producer=product.producer.name,
                since=waiting,
            )
        )
        rows.append([Button(f"{number}. {product.name}", REVIEW_OPEN.action(product.id))])
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(Button(t("button.previous"), REVIEW.action(page - 1)))
        if page < pages - 1:
            nav.append(Button(t("button.next"), REVIEW.action(page + 1)))
        rows.append(nav)
        lines.append(t("products.page", page=page + 1, pages=pages))
    rows.append(back_to_menu(ctx))
    return [Reply("\n".join(lines), buttons=rows)]


def review_card(ctx: Context, product: Product) -> list[Reply]:
    """The product as the officer judges it: cover photo, card, producer, readiness."""
    t = ctx.t
    status = t(STATUS_KEYS.get(product.review_status, "review.status_pending"))
    blocks = [t("review.card_status", status=status), product_card(ctx, product)]
    if product.review_status == ReviewStatus.CHANGES_REQUESTED and product.review_reason:
        blocks.append(t("review.card_last_request", reason=product.review_reason))
    blocks.append(_producer_line(ctx, product))
    blocks.append(_readiness(ctx, product))
    buttons = [
        [
            Button(t("review.approve"), REVIEW_APPROVE.action(product.id)),
            Button(t("review.ask_changes"), REVIEW_CHANGES.action(product.id)),
        ],
        [Button(t("review.back_to_queue"), REVIEW.action()), *back_to_menu(ctx)],
    ]
    replies = []
    if product.photos:
        cover = product.photos[0]
        replies.append(Reply("", photo=ctx.app.media.path(cover.sha256, cover.mime)))
    return [*replies, Reply("\n\n".join(blocks), buttons=buttons)]


def _producer_line(ctx: Context, product: Product) -> str:
    producer = product.producer
    ward = places.ward(producer.ward_code)
    province = places.province(producer.province_code)
    return ctx.t(
        "review.card_producer",
        name=producer.name,
        phone=producer.phone,
        ward=ward.name if ward else "—",
        province=province.name if province else "—",
    )


def _readiness(ctx: Context, product: Product) -> str:
    t = ctx.t
    missing = missing_fields(product)
    if missing:
        lines = [t("product.missing", fields=", ".join(t(key) for key in missing))]
    else:
        lines = [t("product.complete")]
    lines.append(t("product.photo_count", count=len(product.photos)))
    # Marketplaces that lack the same things share a line.
    lacking: dict[tuple[str, ...], list[str]] = {}
    for marketplace in ctx.settings.marketplaces:
        failing = tuple(t(c.key, **c.params) for c in checklist(product, marketplace) if not c.ok)
        lacking.setdefault(failing, []).append(marketplace.name)
    for failing, names in lacking.items():
        if failing:
            lines.append(
                t("review.not_ready_on", marketplace=", ".join(names), missing="; ".join(failing))
            )
        else:
            lines.append(t("review.ready_on", marketplace=", ".join(names)))
    return "\n".join(lines)


# --- actions ------------------------------------------------------------------


async def _queue(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    return await queue_screen(ctx, int(args[0]) if args and args[0] else 0)


async def _open(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await officer_product(ctx, int(args[0]))
    return review_card(ctx, product) if product else await not_reachable(ctx)


async def _approve(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await officer_product(ctx, int(args[0]))
    if product is None:
        return await not_reachable(ctx)
    if is_own(ctx, product):
        return own_product(ctx, product)
    flow = router.flows[APPROVE.name]
    return await engine.start(ctx, flow, values=_values(product), target=product.id)


async def _changes(ctx: Context, router: Router, args: tuple[str, ...]) -> list[Reply]:
    product = await officer_product(ctx, int(args[0]))
    if product is None:
        return await not_reachable(ctx)
    if is_own(ctx, product):
        return own_product(ctx, product)
    flow = router.flows[CHANGES.name]
    return await engine.start(ctx, flow, values=_values(product), target=product.id)


def _values(product: Product) -> dict[str, object]:
    """What the review flows start from: the product as the officer saw it."""
    return {
        "product": product.name,
        "code": product.code,
        "group": product.group,
        "submitted_at": stamp(product),
    }


def own_product(ctx: Context, product: Product) -> list[Reply]:
    return [Reply(ctx.t("review.own_product"))] + review_card(ctx, product)


FEATURE = Feature(
    routes=(
        Route(REVIEW, _queue, commands=("review",)),
        Route(REVIEW_OPEN, _open),
        Route(REVIEW_APPROVE, _approve),
        Route(REVIEW_CHANGES, _changes),
    ),
    flows=(APPROVE, CHANGES),
)
