"""What a producer is told when an officer acts on their products.

Each notice is queued in the outbox inside the officer's transaction, in
the producer's own language, with a button that leads to the next thing to
do. A producer without a chat account (seeded data) is simply not told.
"""

from __future__ import annotations

from collections import defaultdict

from bot.core import formatting
from bot.core.context import Context
from bot.core.intents import PRODUCT, PRODUCT_FIELD, STATUS
from bot.core.ocop import ListingStatus, listing_key
from bot.i18n import Translator
from storage import outbox
from storage.listings import ListingChange
from storage.models import Producer, Product, User

MAX_LINES = 40  # listing changes named in one notice; the rest are counted


async def _recipient(ctx: Context, producer: Producer) -> tuple[User, Translator] | None:
    if producer.user_id is None:
        return None
    user = await ctx.session.get(User, producer.user_id)
    if user is None:
        return None
    return user, ctx.app.catalogs.translator(user.language)


async def _enqueue(ctx: Context, user: User, text: str, button: tuple[str, str]) -> None:
    """Queues the notice in this transaction, due now by the app's clock."""
    message = outbox.payload(text, [[button]])
    await outbox.enqueue(ctx.session, user, message, not_before=ctx.now())


async def product_approved(ctx: Context, product: Product) -> None:
    found = await _recipient(ctx, product.producer)
    if found is None:
        return
    user, t = found
    text = t("review.notice_approved", name=product.name, code=product.code)
    if product.stars:
        text += "\n" + t(
            "review.notice_rating",
            stars=formatting.stars(product.stars),
            count=product.stars,
            number=product.cert_number or "—",
            expiry=formatting.iso_date(t, product.cert_expiry),
        )
    button = (t("review.notice_view"), PRODUCT.action(product.id))
    await _enqueue(ctx, user, text, button)


async def changes_requested(
    ctx: Context, product: Product, step: str, field_label: str, reason: str
) -> None:
    found = await _recipient(ctx, product.producer)
    if found is None:
        return
    user, t = found
    field = t(field_label)
    text = t(
        "review.notice_changes", name=product.name, code=product.code, field=field, reason=reason
    )
    button = (t("review.notice_fix", field=field), PRODUCT_FIELD.action(product.id, step))
    await _enqueue(ctx, user, text, button)


async def listings_changed(ctx: Context, changes: list[ListingChange]) -> int:
    """One notice per producer for a batch of changes; returns how many were queued."""
    by_producer: dict[int, list[ListingChange]] = defaultdict(list)
    for change in changes:
        by_producer[change.update.product.producer_id].append(change)
    queued = 0
    for producer_changes in by_producer.values():
        producer = producer_changes[0].update.product.producer
        found = await _recipient(ctx, producer)
        if found is None:
            continue
        user, t = found
        lines = [t("listings.notice_title")]
        for change in producer_changes[:MAX_LINES]:
            lines.append(_line(ctx, t, change))
        if len(producer_changes) > MAX_LINES:
            lines.append(t("listings.notice_more", count=len(producer_changes) - MAX_LINES))
        products = {change.update.product.id for change in producer_changes}
        action = STATUS.action(products.pop()) if len(products) == 1 else STATUS.action()
        button = (t("listings.notice_view"), action)
        await _enqueue(ctx, user, "\n".join(lines), button)
        queued += 1
    return queued


def _line(ctx: Context, t: Translator, change: ListingChange) -> str:
    product = change.update.product
    marketplace = ctx.settings.marketplace(change.update.marketplace)
    line = t(
        "listings.notice_line",
        name=product.name,
        code=product.code,
        marketplace=marketplace.name if marketplace else change.update.marketplace,
        status=t(listing_key(change.after["status"])),
    )
    if change.after["url"]:
        line += "\n    " + str(change.after["url"])
    if change.after["status"] == ListingStatus.REJECTED and change.after["reason"]:
        line += "\n    " + t("status.reason", reason=change.after["reason"])
    return line
