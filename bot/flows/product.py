"""/newproduct and product edits: everything an OCOP listing needs, step by step."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core import formatting, product_fields
from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import MENU, PHOTOS_ADD, PRODUCT, goto
from bot.core.ocop import (
    CERTIFICATIONS,
    CONSUMABLE_GROUPS,
    GROUPS,
    cert_key,
    group_key,
    subgroup_key,
)
from bot.core.types import Button, Reply
from bot.flows import parsers
from bot.flows.cards import product_card
from bot.flows.engine import Choice, Flow, Step
from bot.flows.ownership import owned_product
from storage.models import Certification, Product
from storage.producers import producer_id_of_user
from storage.products import add_product, update_product

UNITS = ("unit.box", "unit.bottle", "unit.pack", "unit.bag", "unit.jar", "unit.kg", "unit.piece")


def _groups(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(group, ctx.t(group_key(group))) for group in GROUPS]


def _subgroups(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    return [Choice(s, ctx.t(subgroup_key(s))) for s in GROUPS.get(values.get("group", ""), ())]


def _stars(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    rated = [
        Choice(n, ctx.t("product.n_stars", stars=formatting.stars(n), count=n)) for n in range(1, 6)
    ]
    return [*rated, Choice(0, ctx.t("product.not_rated"))]


def _units(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(ctx.t(key), ctx.t(key)) for key in UNITS]


def _certifications(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(kind, ctx.t(cert_key(kind))) for kind in CERTIFICATIONS]


def _rated(values: dict[str, Any]) -> bool:
    return bool(values.get("stars"))


def _consumable(values: dict[str, Any]) -> bool:
    return values.get("group") in CONSUMABLE_GROUPS


def _check_subgroup(_ctx: Context, values: dict[str, Any], subgroup: str) -> None:
    if subgroup not in GROUPS.get(values.get("group", ""), ()):
        raise Invalid("flow.use_buttons")


def _check_cert_date(ctx: Context, _values: dict[str, Any], value: str) -> None:
    if dt.date.fromisoformat(value) > ctx.today():
        raise Invalid("invalid.date_future")


def _check_stars(_ctx: Context, _values: dict[str, Any], value: int) -> None:
    if not 0 <= value <= 5:
        raise Invalid("invalid.stars")


def _show_text(_ctx: Context, value: Any) -> str:
    return str(value)


def _show_price(ctx: Context, value: Any) -> str:
    return ctx.t.money(int(value))


def _show_net(ctx: Context, value: Any) -> str:
    return formatting.quantity(ctx.t, value["amount"], value["unit"])


def _show_weight(ctx: Context, value: Any) -> str:
    return formatting.quantity(ctx.t, int(value), "g")


def _show_dimensions(ctx: Context, value: Any) -> str:
    return formatting.dimensions(ctx.t, list(value))


def _show_shelf_life(ctx: Context, value: Any) -> str:
    return formatting.shelf_life(ctx.t, str(value))


def _show_date(ctx: Context, value: Any) -> str:
    return formatting.iso_date(ctx.t, str(value))


def _show_certificate(ctx: Context, value: Any) -> str:
    return f"{value['number']} — {formatting.iso_date(ctx.t, value['expiry'])}"


def _cert_step(kind: str) -> Step:
    def applies(values: dict[str, Any]) -> bool:
        return kind in (values.get("certs") or [])

    def params(ctx: Context, _values: dict[str, Any]) -> dict[str, object]:
        return {"name": ctx.t(cert_key(kind))}

    return Step(
        f"cert_{kind}",
        "product.ask_cert_details",
        parse=parsers.certificate,
        when=applies,
        follows=True,
        params=params,
        show=_show_certificate,
    )


def _steps(max_text: int, max_long: int, max_price: int) -> tuple[Step, ...]:
    return (
        Step("name", "product.ask_name", parse=parsers.text(2, 200), show=_show_text),
        Step("group", "product.ask_group", choices=_groups, columns=1),
        Step(
            "subgroup",
            "product.ask_subgroup",
            choices=_subgroups,
            columns=1,
            follows=True,
            check=_check_subgroup,
        ),
        Step(
            "stars",
            "product.ask_stars",
            parse=parsers.stars,
            choices=_stars,
            columns=3,
            check=_check_stars,
        ),
        Step(
            "cert_number",
            "product.ask_cert_number",
            parse=parsers.code(64),
            when=_rated,
            follows=True,
            show=_show_text,
        ),
        Step(
            "cert_date",
            "product.ask_cert_date",
            parse=parsers.date,
            when=_rated,
            follows=True,
            check=_check_cert_date,
            show=_show_date,
        ),
        Step(
            "description",
            "product.ask_description",
            parse=parsers.text(10, max_long, multiline=True),
            show=_show_text,
        ),
        Step(
            "story",
            "product.ask_story",
            parse=parsers.text(10, max_long, multiline=True),
            optional=True,
            show=_show_text,
        ),
        Step("price", "product.ask_price", parse=parsers.price(max_price), show=_show_price),
        Step(
            "unit",
            "product.ask_unit",
            parse=parsers.text(1, 32),
            choices=_units,
            columns=4,
            show=_show_text,
        ),
        Step("net", "product.ask_net", parse=parsers.net_quantity, show=_show_net),
        Step(
            "package_weight",
            "product.ask_package_weight",
            parse=parsers.weight_grams,
            show=_show_weight,
        ),
        Step(
            "dimensions",
            "product.ask_dimensions",
            parse=parsers.dimensions_mm,
            show=_show_dimensions,
        ),
        Step(
            "shelf_life",
            "product.ask_shelf_life",
            parse=parsers.shelf_life,
            optional=True,
            show=_show_shelf_life,
        ),
        Step(
            "ingredients",
            "product.ask_ingredients",
            parse=parsers.text(2, max_text),
            when=_consumable,
            show=_show_text,
        ),
        Step("certs", "product.ask_certs", choices=_certifications, multi=True, columns=2),
        *(_cert_step(kind) for kind in CERTIFICATIONS),
        Step(
            "growing_area",
            "product.ask_growing_area",
            parse=parsers.code(64),
            optional=True,
            show=_show_text,
        ),
        Step("gtin", "product.ask_gtin", parse=parsers.gtin13, optional=True, show=_show_text),
    )


def to_columns(values: dict[str, Any]) -> dict[str, Any]:
    """Flow answers → product columns (certifications separately, see `to_certifications`)."""
    return product_fields.to_columns(values)


def to_certifications(values: dict[str, Any]) -> list[tuple[str, str, dt.date | None]]:
    result: list[tuple[str, str, dt.date | None]] = []
    for kind in values.get("certs") or []:
        details = values.get(f"cert_{kind}")
        if details:
            result.append((kind, details["number"], dt.date.fromisoformat(details["expiry"])))
    return result


def from_product(product: Product) -> dict[str, Any]:
    """Product → flow answers, so an edit starts from what is stored."""
    values = product_fields.from_columns(product)
    values["certs"] = [c.kind for c in product.certifications]
    for cert in product.certifications:
        values[f"cert_{cert.kind}"] = {
            "number": cert.number,
            "expiry": cert.expiry.isoformat() if cert.expiry else None,
        }
    return values


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    preview = Product(code="", **to_columns(values))
    preview.certifications = [
        Certification(kind=k, number=n, expiry=e) for k, n, e in to_certifications(values)
    ]
    return product_card(ctx, preview)


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    t = ctx.t
    producer_id = await producer_id_of_user(ctx.unit, ctx.user.id)
    if producer_id is None:
        return [Reply(t("product.need_profile"))] + await goto(ctx, MENU.action())
    if target is not None:
        product = await owned_product(ctx, target)
        if product is None:
            return [Reply(t("product.not_found"))] + await goto(ctx, MENU.action())
        await update_product(
            ctx.session, product, to_columns(values), to_certifications(values), now=ctx.now()
        )
        return [Reply(t("product.updated"))] + await goto(ctx, PRODUCT.action(product.id))
    columns = to_columns(values)
    product_id, code = await add_product(
        ctx.unit, producer_id, columns, to_certifications(values), now=ctx.now()
    )
    buttons = [
        [Button(t("product.add_photos"), PHOTOS_ADD.action(product_id))],
        [
            Button(t("product.view"), PRODUCT.action(product_id)),
            Button(t("menu.back_to_menu"), MENU.action()),
        ],
    ]
    return [Reply(t("product.created", name=columns["name"], code=code), buttons=buttons)]


async def _exit(ctx: Context, target: int | None) -> list[Reply]:
    product = await owned_product(ctx, target) if target is not None else None
    return await goto(ctx, PRODUCT.action(product.id) if product else MENU.action())


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


def product_flow(
    max_text: int = 1000, max_long: int = 3000, max_price: int = 1_000_000_000
) -> Flow:
    return Flow(
        name="product",
        title="flow.product",
        steps=_steps(max_text, max_long, max_price),
        finish=_finish,
        exit=_exit,
        summary=_summary,
    )
