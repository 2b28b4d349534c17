"""/register: the producer's profile (chủ thể OCOP), asked once and editable later."""

from __future__ import annotations

from typing import Any

from bot.core import geo, places
from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import MENU, PROFILE, goto
from bot.core.ocop import ENTITY_KINDS, kind_key
from bot.core.replies import noted
from bot.core.types import Reply
from bot.flows import parsers
from bot.flows.cards import producer_card
from bot.flows.engine import Choice, Flow, Step
from storage.models import Producer
from storage.producers import PROFILE_FIELDS, save_producer


def _kinds(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(kind, ctx.t(kind_key(kind))) for kind in ENTITY_KINDS]


def _yes_no(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(True, ctx.t("button.yes")), Choice(False, ctx.t("button.no"))]


def _search_provinces(_values: dict[str, Any], query: str) -> list[Choice]:
    return [Choice(p.code, p.name) for p in places.search(places.provinces(), query)]


def _search_wards(values: dict[str, Any], query: str) -> list[Choice]:
    found = places.search(places.wards(values["province"]), query)
    return [Choice(w.code, w.name) for w in found]


def _check_ward(_ctx: Context, values: dict[str, Any], ward: int) -> None:
    if places.ward_province(ward) != values.get("province"):
        raise Invalid("invalid.no_match", query=str(ward))


def _show_text(_ctx: Context, value: Any) -> str:
    return str(value)


def _typed_location(text: str) -> dict[str, float]:
    """Coordinates typed where the channel has no location key ("10.7769, 106.7009")."""
    point = geo.coordinates(text)
    if point is None:
        raise Invalid("invalid.location")
    return {"lat": point[0], "lon": point[1]}


def _show_location(_ctx: Context, value: Any) -> str:
    return f"{value['lat']:.5f}, {value['lon']:.5f}" if isinstance(value, dict) else ""


def _show_place(_ctx: Context, code: Any) -> str:
    place = places.province(code) or places.ward(code)
    return place.name if place else str(code)


# Leaves room for the rest of the profile card in one Telegram message (4,096).
STORY_MAX = 2000

STEPS = (
    Step("name", "register.ask_name", parse=parsers.text(2, 200), show=_show_text),
    Step("kind", "register.ask_kind", choices=_kinds, columns=1),
    Step(
        "representative", "register.ask_representative", parse=parsers.text(2, 100), show=_show_text
    ),
    Step("phone", "register.ask_phone", parse=parsers.phone, accepts="contact", show=_show_text),
    Step("province", "register.ask_province", search=_search_provinces, show=_show_place),
    Step(
        "ward",
        "register.ask_ward",
        search=_search_wards,
        follows=True,
        check=_check_ward,
        show=_show_place,
    ),
    Step(
        "address",
        "register.ask_address",
        parse=parsers.text(2, 300),
        optional=True,
        show=_show_text,
    ),
    # Puts the producer on the public OCOP map (docs/catalogue.md); without it
    # its products stay in the catalogue and the province's list.
    Step(
        "location",
        "register.ask_location",
        parse=_typed_location,
        accepts="location",
        optional=True,
        show=_show_location,
    ),
    Step(
        "tax_code", "register.ask_tax_code", parse=parsers.tax_code, optional=True, show=_show_text
    ),
    Step("show_phone", "register.ask_show_phone", choices=_yes_no),
    # Shown on the public producer page (bot/web); the same parser as a product's story.
    Step(
        "story",
        "register.ask_story",
        parse=parsers.text(10, STORY_MAX, multiline=True),
        optional=True,
        show=_show_text,
    ),
)


def to_fields(values: dict[str, Any]) -> dict[str, Any]:
    """Flow answers → producer columns."""
    location = values.get("location") or {}
    fields = {
        "name": values["name"],
        "kind": values["kind"],
        "representative": values["representative"],
        "phone": values["phone"],
        "province_code": values["province"],
        "ward_code": values["ward"],
        "address": values.get("address") or "",
        "latitude": location.get("lat"),
        "longitude": location.get("lon"),
        "tax_code": values.get("tax_code"),
        "show_phone": bool(values.get("show_phone")),
        "story": values.get("story"),
    }
    assert set(fields) == set(PROFILE_FIELDS)
    return fields


def from_producer(producer: Producer) -> dict[str, Any]:
    location = (
        {"lat": producer.latitude, "lon": producer.longitude}
        if producer.latitude is not None
        else None
    )
    return {
        "name": producer.name,
        "kind": producer.kind,
        "representative": producer.representative,
        "phone": producer.phone,
        "province": producer.province_code,
        "ward": producer.ward_code,
        "address": producer.address or None,
        "location": location,
        "tax_code": producer.tax_code,
        "show_phone": producer.show_phone,
        "story": producer.story,
    }


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    return producer_card(ctx, Producer(**to_fields(values)))


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    await save_producer(ctx.session, ctx.user.id, to_fields(values))
    if target is not None:
        return noted(ctx.t("register.updated"), await goto(ctx, PROFILE.action()))
    return noted(ctx.t("register.done"), await goto(ctx, MENU.action()))


async def _exit(ctx: Context, target: int | None) -> list[Reply]:
    return await (goto(ctx, PROFILE.action()) if target is not None else goto(ctx, MENU.action()))


REGISTER = Flow(
    name="register",
    title="flow.register",
    steps=STEPS,
    finish=_finish,
    exit=_exit,
    summary=_summary,
)
