"""Consumers: "which OCOP producers are near me?"

Reached by /near, by a location shared outside any flow (Telegram's
attachment menu or the share key /near shows), or by coordinates typed as
text where the channel cannot share a location (Zalo, the console):
"10.7769, 106.7009". Answers with the nearest producers that have an
approved product and shared their location in /register, each with its
distance, best products and a link to its page; nothing needs the user
to be registered.
"""

from __future__ import annotations

from bot.core import formatting, places
from bot.core.context import Context
from bot.core.geo import coordinates, in_vietnam
from bot.core.intents import ORIGIN, Intent
from bot.core.types import Button, Reply
from bot.handlers.routing import Feature, Route
from storage.catalogue import Nearby, producers_near

NEAREST = 5  # producers listed
PRODUCTS_SHOWN = 2  # of each producer, by stars
MAX_BUTTONS = 5


def ask(ctx: Context) -> list[Reply]:
    """Asks for a location: the share key where the channel has one, else typed numbers."""
    if ctx.caps.location_request:
        return [Reply(ctx.t("near.ask"), request_location=ctx.t("button.share_location"))]
    return [Reply(ctx.t("near.ask_typed"))]


async def near_command(ctx: Context, args: str) -> list[Reply]:
    if args.strip():
        point = coordinates(args)
        if point is None:
            return [Reply(ctx.t("near.bad_point"))] + ask(ctx)
        return await answer(ctx, *point)
    return ask(ctx)


async def shared_location(ctx: Context) -> list[Reply]:
    """A location shared outside any flow."""
    location = ctx.incoming.location
    assert location is not None
    if not in_vietnam(location.latitude, location.longitude):
        return [Reply(ctx.t("near.outside"), remove_keyboard=True)]
    return await answer(ctx, location.latitude, location.longitude)


async def typed_point(ctx: Context) -> list[Reply] | None:
    """Coordinates typed as plain text; None when the text is not a point in Vietnam."""
    point = coordinates(ctx.incoming.text or "")
    return await answer(ctx, *point) if point is not None else None


async def answer(ctx: Context, lat: float, lon: float) -> list[Reply]:
    found = await producers_near(ctx.session, lat, lon, NEAREST)
    if not found:
        return [Reply(ctx.t("near.none"), remove_keyboard=True)]
    lines = [ctx.t("near.title")]
    buttons: list[list[Button]] = []
    for number, item in enumerate(found, start=1):
        lines.extend(_entry(ctx, number, item))
        if item.products and len(buttons) < MAX_BUTTONS:
            best = item.products[0]
            label = f"{best.name} {formatting.stars(best.stars)}".strip()
            buttons.append([Button(label, ORIGIN.action(best.code))])
    lines.append(ctx.t("near.map", url=f"{ctx.settings.public_url}/ban-do#11/{lat:.4f}/{lon:.4f}"))
    # The share key goes away with the answer (Telegram keeps it otherwise).
    return [Reply(ctx.t("near.found", count=len(found)), remove_keyboard=True)] + [
        Reply("\n".join(lines), buttons=buttons)
    ]


def _entry(ctx: Context, number: int, item: Nearby) -> list[str]:
    t = ctx.t
    producer = item.producer
    ward = places.ward(producer.ward_code)
    province = places.province(producer.province_code)
    where = ", ".join(p.name for p in (ward, province) if p is not None)
    distance = _distance(ctx, item.km)
    lines = ["", t("near.entry", number=number, name=producer.name, distance=distance)]
    if where:
        lines.append(f"   {where}")
    for product in item.products[:PRODUCTS_SHOWN]:
        lines.append(f"   • {product.name} {formatting.stars(product.stars)}".rstrip())
    if len(item.products) > PRODUCTS_SHOWN:
        lines.append("   " + t("near.more", count=len(item.products) - PRODUCTS_SHOWN))
    lines.append(f"   {ctx.settings.public_url}/nha-san-xuat/{producer.id}")
    return lines


def _distance(ctx: Context, km: float) -> str:
    if km < 1:
        return ctx.t("near.metres", count=max(10, int(round(km * 1000, -1))))
    return ctx.t("near.km", km=ctx.t.number(round(km, 1)))


async def _near(ctx: Context, _router: object, _args: tuple[str, ...]) -> list[Reply]:
    return ask(ctx)


FEATURE = Feature(routes=(Route(Intent(r"near"), _near),))
