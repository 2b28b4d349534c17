"""Setting one product's listing on one marketplace: status, link, and a reason if rejected."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import LISTINGS, LISTINGS_FIND, LISTINGS_PRODUCT, goto
from bot.core.listings import MAX_REASON, MIN_REASON, listing_url, needs_reason, needs_url
from bot.core.ocop import LISTING_STATUSES, ListingStatus, listing_key
from bot.core.types import Button, Reply
from bot.flows import parsers, producer_notices
from bot.flows.engine import Choice, Flow, Step
from bot.flows.officer_scope import back_to_menu, not_reachable, officer_product
from storage.listings import ListingUpdate, apply_listing_updates
from storage.models import Product

REMOVE = "-"  # typed instead of a link: remove the stored one


def _current(values: dict[str, Any], marketplace: str | None) -> dict[str, Any]:
    return dict(values.get("current", {}).get(marketplace or "", {}))


def _marketplace_name(ctx: Context, marketplace_id: str | None) -> str:
    marketplace = ctx.settings.marketplace(marketplace_id or "")
    return marketplace.name if marketplace else str(marketplace_id)


def _marketplaces(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    choices = []
    for marketplace in ctx.settings.marketplaces:
        status = _current(values, marketplace.id).get("status", ListingStatus.NOT_STARTED)
        label = f"{marketplace.name} · {ctx.t(listing_key(status))}"
        choices.append(Choice(marketplace.id, label))
    return choices


def _statuses(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(status, ctx.t(listing_key(status))) for status in LISTING_STATUSES]


def _check_marketplace(ctx: Context, _values: dict[str, Any], value: str) -> None:
    if ctx.settings.marketplace(value) is None:
        raise Invalid("flow.use_buttons")


def _check_status(_ctx: Context, _values: dict[str, Any], value: str) -> None:
    if value not in LISTING_STATUSES:
        raise Invalid("flow.use_buttons")


def _url(raw: str) -> str:
    return "" if raw.strip() == REMOVE else listing_url(raw)


def _status(values: dict[str, Any]) -> ListingStatus:
    """The status answered (not yet answered: not started, which asks for nothing more)."""
    return ListingStatus(values.get("status") or ListingStatus.NOT_STARTED)


def _asks_url(values: dict[str, Any]) -> bool:
    return needs_url(_status(values))


def _asks_reason(values: dict[str, Any]) -> bool:
    return needs_reason(_status(values))


def _where(ctx: Context, values: dict[str, Any]) -> dict[str, object]:
    """Prompt parameters: which product, which marketplace, and the link stored now."""
    marketplace = values.get("marketplace")
    stored = _current(values, marketplace).get("url")
    return {
        "name": values.get("product", ""),
        "marketplace": _marketplace_name(ctx, marketplace),
        "now": "\n" + ctx.t("flow.current_value", value=stored) if stored else "",
    }


def _show_text(_ctx: Context, value: Any) -> str:
    return str(value)


STEPS = (
    Step(
        "marketplace",
        "listings.ask_marketplace",
        choices=_marketplaces,
        check=_check_marketplace,
        params=_where,
        columns=1,
    ),
    Step("status", "listings.ask_status", choices=_statuses, check=_check_status, params=_where),
    Step("url", "listings.ask_url", parse=_url, when=_asks_url, optional=True, params=_where),
    Step(
        "reason",
        "listings.ask_reason",
        parse=parsers.text(MIN_REASON, MAX_REASON),
        when=_asks_reason,
        show=_show_text,
    ),
)


def _link(values: dict[str, Any]) -> str | None:
    """The link the listing will have: typed, kept (skipped), removed ("-"), or none."""
    if not needs_url(_status(values)):
        return None
    typed = values.get("url")
    if typed is None:
        return _current(values, values.get("marketplace")).get("url")
    return str(typed) or None


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    t = ctx.t
    status = _status(values)
    lines = [
        t(
            "listings.confirm",
            name=values.get("product", ""),
            code=values.get("code", ""),
            marketplace=_marketplace_name(ctx, values.get("marketplace")),
            status=t(listing_key(status)),
        )
    ]
    link = _link(values)
    if link:
        lines.append(t("listings.confirm_url", url=link))
    elif _current(values, values.get("marketplace")).get("url"):
        lines.append(t("listings.confirm_no_url"))
    if needs_reason(status) and values.get("reason"):
        lines.append(t("status.reason", reason=values["reason"]))
    return "\n".join(lines)


def to_update(product: Product, values: dict[str, Any]) -> ListingUpdate:
    """The answers as a listing update (a link not asked for is removed)."""
    status = _status(values)
    url: str | None = values.get("url") if needs_url(status) else ""
    reason = values.get("reason") if needs_reason(status) else None
    return ListingUpdate(product, str(values["marketplace"]), status, url, reason)


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
        [Button(t("listings.another_marketplace"), LISTINGS_PRODUCT.action(product_id))],
        [Button(t("listings.another_product"), LISTINGS_FIND.action()), *back_to_menu(ctx)],
    ]


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    product = await officer_product(ctx, target or 0)
    if product is None:
        return await not_reachable(ctx)
    update = to_update(product, values)
    changes = await apply_listing_updates(ctx.session, ctx.user, [update], now=ctx.now())
    await producer_notices.listings_changed(ctx, changes)
    key = "listings.saved" if changes else "listings.unchanged"
    text = ctx.t(
        key,
        name=product.name,
        marketplace=_marketplace_name(ctx, update.marketplace),
        status=ctx.t(listing_key(update.status)),
    )
    return [Reply(text, buttons=after_saving(ctx, product.id))]


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await goto(ctx, LISTINGS.action())


LISTING = Flow(
    name="listing",
    title="listings.flow_listing",
    steps=STEPS,
    finish=_finish,
    exit=_exit,
    summary=_summary,
)
