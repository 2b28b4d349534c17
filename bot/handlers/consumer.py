"""Consumers: where does a product come from, and is this stamp genuine?

Reached by /origin CODE, /find NAME, a code or serial typed as plain text,
the deep links /start p_CODE and /start s_SERIAL, or a photo of a label or
barcode. Nothing here needs the user to be registered.
"""

from __future__ import annotations

from bot.core import formatting, places
from bot.core.context import Context
from bot.core.intents import FIND, MENU, ORIGIN
from bot.core.ocop import GROUPS, ListingStatus, cert_key, group_key, kind_key
from bot.core.scanning import Target, target_in_codes, target_in_text
from bot.core.text import clean, fold
from bot.core.types import Button, Reply
from bot.core.visitors import visitor_keys
from bot.handlers import find_filters
from bot.handlers.routing import Feature, Route
from bot.i18n import LANGUAGES
from bot.labels.serials import SERIAL_LENGTH, format_serial, normalize_serial
from bot.labels.urls import product_url
from storage.catalogue import find_products
from storage.models import Product
from storage.origin import origin_by_code, origin_by_gtin, origin_by_id
from storage.search import search_products
from storage.stamps import record_scan, stamp_by_serial

PAGE_SIZE = 5


def looks_like_serial(text: str) -> bool:
    value = normalize_serial(text[:40])
    return len(value) == SERIAL_LENGTH and value.isalnum() and value.isascii()


MAX_QUERY = 100


def origin_card(ctx: Context, product: Product) -> list[Reply]:
    """The consumer's view of a product: photo, stars, producer, place, where to buy, link."""
    t = ctx.t
    producer = product.producer
    province = places.province(producer.province_code)
    ward = places.ward(producer.ward_code)
    lines = [t("origin.title", name=product.name)]
    if product.stars:
        stars = formatting.stars(product.stars)
        lines.append(t("origin.stars", stars=stars, count=product.stars))
        if product.cert_expiry and product.cert_expiry < ctx.today():
            lines.append(t("card.certificate_expired"))
    lines.append(t("origin.group", group=t(group_key(product.group))))
    lines.append(t("origin.producer", name=producer.name, kind=t(kind_key(producer.kind))))
    lines.append(
        t(
            "origin.place",
            ward=ward.name if ward else "—",
            province=province.name if province else "—",
        )
    )
    if product.certifications:
        names = ", ".join(t(cert_key(c.kind)) for c in product.certifications)
        lines.append(t("origin.certifications", names=names))
    live = [listing for listing in product.listings if listing.status == ListingStatus.LIVE]
    if live:
        lines.append(t("origin.where_to_buy"))
        for listing in live:
            marketplace = ctx.settings.marketplace(listing.marketplace)
            name = marketplace.name if marketplace else listing.marketplace
            lines.append(f"• {name}" + (f": {listing.url}" if listing.url else ""))
    lines.append(t("origin.link", url=product_url(ctx.settings.public_url, product.code)))
    buttons = [
        [
            Button(t("origin.find_more"), FIND.action("help")),
            Button(t("menu.back_to_menu"), MENU.action()),
        ]
    ]
    replies = []
    if product.photos:
        replies.append(Reply("", photo=ctx.app.media.thumbnail_path(product.photos[0].sha256)))
    return [*replies, Reply("\n".join(lines), buttons=buttons)]


async def show_target(ctx: Context, target: Target) -> list[Reply]:
    t = ctx.t
    if target.kind == "stamp":
        return await check_stamp(ctx, target.value, target.gtin)
    if target.kind == "gtin":
        product = await origin_by_gtin(ctx.session, target.value)
    else:
        product = await origin_by_code(ctx.session, target.value)
    if product is None:
        return [Reply(t("origin.unknown_code", code=target.value))]
    return origin_card(ctx, product)


async def check_stamp(ctx: Context, serial: str, gtin: str | None = None) -> list[Reply]:
    """Records the check and says whether the stamp is genuine, or checked before.

    A serial printed under another product's barcode is not ours: a copied
    serial on a fake product must not count a check on the real stamp.
    """
    t = ctx.t
    stamp = await stamp_by_serial(ctx.session, serial)
    if stamp is not None and gtin is not None:
        owner = await origin_by_id(ctx.session, stamp.product_id)
        stamp = stamp if owner is not None and owner.gtin == gtin else None
    if stamp is None:
        return [Reply(t("stamp.unknown", serial=format_serial(serial)))]
    # The same person asking again within minutes counts once (bot/core/visitors.py).
    who = f"{ctx.incoming.channel}:{ctx.incoming.user_id}"
    visitor = visitor_keys(ctx.settings.check_secret, who, stamp.id, ctx.now())
    result = await record_scan(ctx.session, stamp, ctx.incoming.channel, "bot", ctx.now(), visitor)
    if result.first:
        verdict = t("stamp.genuine_first", serial=format_serial(serial))
    else:
        verdict = t(
            "stamp.checked_before",
            serial=format_serial(serial),
            count=result.count,
            since=t.datetime(result.first_at),
        )
    product = await origin_by_id(ctx.session, stamp.product_id)
    return [Reply(verdict)] + (origin_card(ctx, product) if product else [])


async def origin_command(ctx: Context, args: str) -> list[Reply]:
    if not args.strip():
        return [Reply(ctx.t("origin.ask_code"))]
    target = target_in_text(args, ctx.settings.public_url)
    if target is None:
        return [Reply(ctx.t("origin.bad_code"))]
    return await show_target(ctx, target)


async def start_payload(ctx: Context, payload: str) -> list[Reply] | None:
    """Deep links: /start p_CODE and /start s_SERIAL; None when the payload is not ours."""
    kind, _, value = payload.partition("_")
    if kind == "p" and value:
        target = target_in_text(value, ctx.settings.public_url)
        if target is None or target.kind != "product":
            return [Reply(ctx.t("origin.bad_code"))]
        return await show_target(ctx, target)
    if kind == "s" and value:
        target = target_in_text(value, ctx.settings.public_url)
        if target is None or target.kind != "stamp":
            return [Reply(ctx.t("stamp.malformed"))]
        return await check_stamp(ctx, target.value)
    return None


async def typed_text(ctx: Context) -> list[Reply] | None:
    """A code, serial or barcode number typed as plain text; None when it is none of those."""
    text = ctx.incoming.text or ""
    target = target_in_text(text, ctx.settings.public_url)
    # Six letters may be a word ("market") rather than a code: names first
    # when no product has that code.
    typed_code = target is not None and target.kind == "product" and "://" not in text
    if (
        target is not None
        and typed_code
        and await origin_by_code(ctx.session, target.value) is None
    ):
        return await find_if_any(ctx, text) or await show_target(ctx, target)
    if target is not None:
        return await show_target(ctx, target)
    if looks_like_serial(text):  # the right shape, a wrong character: a typo, or a fake
        return [Reply(ctx.t("stamp.malformed"))]
    return None


async def photo(ctx: Context) -> list[Reply]:
    """A photo of a label, stamp or barcode: decoded, then looked up."""
    picture = ctx.incoming.picture  # decoded by the dispatcher, before this transaction
    if picture is None or picture.problem == "too_large":
        return [Reply(ctx.t("scan.too_large"))]
    if picture.problem == "busy":
        return [Reply(ctx.t("photo.wait"))]
    target, found_any = target_in_codes(picture.codes, ctx.settings.public_url)
    if target is not None:
        return await show_target(ctx, target)
    if found_any:
        return [Reply(ctx.t("scan.foreign_code"))]
    return [Reply(ctx.t("scan.no_code"))]


async def find_command(ctx: Context, args: str) -> list[Reply]:
    query = clean(args)[:MAX_QUERY]
    if not fold(query):
        return [Reply(ctx.t("find.ask"))]
    ctx.conversation.data = {**ctx.conversation.data, "find": query}
    return await find_page(ctx, 0)


async def find_if_any(ctx: Context, text: str) -> list[Reply] | None:
    """Plain text that names products: the search results; None when nothing matches."""
    query = clean(text)[:MAX_QUERY]
    if len(fold(query)) < 3:
        return None
    _products, total = await search_products(ctx.session, fold(query), limit=1)
    return await find_command(ctx, query) if total else None


async def find_page(ctx: Context, page: int) -> list[Reply]:
    t = ctx.t
    query = str(ctx.conversation.data.get("find", ""))
    if not query:
        return [Reply(t("find.ask"))]
    # The catalogue's filters, typed in words: "bánh tráng tỉnh Tây Ninh 4 sao shopee".
    found = find_filters.split_filters(query, ctx.settings.marketplaces, _group_names(ctx))
    products, total = await find_products(
        ctx.session,
        found.words,
        found.filters,
        offset=page * PAGE_SIZE,
        limit=PAGE_SIZE,
        approved_only=False,
    )
    if total == 0:
        return [Reply(t("find.none", query=query))]
    pages = (total - 1) // PAGE_SIZE + 1
    lines = [t("find.title", query=query, count=total, page=page + 1, pages=pages)]
    if found.any:
        lines.append(t("find.filtered", filters=find_filters.describe(ctx, found)))
    rows: list[list[Button]] = []
    for product in products:
        title = f"{product.name} {formatting.stars(product.stars)}".strip()
        lines.append(f"• {title} — {product.producer.name}")
        rows.append([Button(title, ORIGIN.action(product.code))])
    nav = []
    if page > 0:
        nav.append(Button(t("button.previous"), FIND.action(page - 1)))
    if page < pages - 1:
        nav.append(Button(t("button.next"), FIND.action(page + 1)))
    if nav:
        rows.append(nav)
    return [Reply("\n".join(lines), buttons=rows)]


def _group_names(ctx: Context) -> dict[str, list[str]]:
    """Each OCOP group's names in every language, as a /find filter may name it."""
    translators = [ctx.app.catalogs.translator(language) for language in LANGUAGES]
    return {group: [t(group_key(group)) for t in translators] for group in GROUPS}


async def _origin(ctx: Context, _router: object, args: tuple[str, ...]) -> list[Reply]:
    return await show_target(ctx, Target("product", args[0]))


async def _find(ctx: Context, _router: object, args: tuple[str, ...]) -> list[Reply]:
    if args[0] == "help":
        return [Reply(ctx.t("find.ask"))]
    return await find_page(ctx, int(args[0]))


FEATURE = Feature(
    routes=(
        Route(ORIGIN, _origin),
        Route(FIND, _find),
    ),
)
