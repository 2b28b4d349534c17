"""Serial anti-counterfeit stamps: how many, which lot, its dates, which sticker sheet.

The batch is stored when the producer confirms; its PDF is drawn after the
transaction commits (10,000 stamps take seconds) and sent as a file.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.config import Settings
from bot.core import formatting
from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import LABEL, MENU, goto
from bot.core.text import clean
from bot.core.types import Reply
from bot.flows import parsers
from bot.flows.engine import Choice, Flow, Step
from bot.flows.labelling import fonts, mark_labelled
from bot.flows.ownership import owned_product
from bot.flows.parsers import Parser
from bot.labels.stamps import BatchRefused, StampCaptions, render_stamps_pdf, stamp_batch
from storage.stamps import create_batch

NAME = "stamps"


def stamp_count(max_stamps: int) -> Parser:
    """How many stamps: a whole number from 1 to the batch limit ("1.000" reads as 1000)."""

    def parse(raw: str) -> int:
        value = clean(raw).replace(".", "").replace(",", "").replace(" ", "")
        if not value:
            raise Invalid("invalid.empty")
        if not value.lstrip("-").isdigit():
            raise Invalid("invalid.number")
        count = int(value)
        if not 1 <= count <= max_stamps:
            raise Invalid("stamps.count_range", max=max_stamps)
        return count

    return parse


def _not_future(ctx: Context, _values: dict[str, Any], value: str) -> None:
    if dt.date.fromisoformat(value) > ctx.today():
        raise Invalid("stamps.production_future")


def _after_production(_ctx: Context, values: dict[str, Any], value: str) -> None:
    if dt.date.fromisoformat(value) <= dt.date.fromisoformat(values["produced"]):
        raise Invalid("stamps.expiry_before_production")


def _layouts(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [
        Choice(sheet.id, ctx.t("label.sheet", layout=sheet.id, count=sheet.per_page))
        for sheet in ctx.settings.labels.sheets
    ]


def _show(_ctx: Context, value: Any) -> str:
    return str(value)


def _show_date(ctx: Context, value: Any) -> str:
    return formatting.iso_date(ctx.t, str(value))


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    t = ctx.t
    return t(
        "stamps.summary",
        count=values["count"],
        lot=values["lot"],
        produced=formatting.iso_date(t, values["produced"]),
        expires=formatting.iso_date(t, values["expires"]),
        layout=values["layout"],
    )


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    t = ctx.t
    product = await owned_product(ctx, target or 0)
    layout = ctx.settings.labels.sheet(values["layout"])
    if product is None or layout is None:
        return [Reply(t("product.not_found"))] + await goto(ctx, MENU.action())
    produced = dt.date.fromisoformat(values["produced"])
    expires = dt.date.fromisoformat(values["expires"])
    try:
        stamps = stamp_batch(
            values["count"],
            product_name=product.name,
            code=product.code,
            lot=values["lot"],
            production_date=produced,
            expiry_date=expires,
            public_url=ctx.settings.public_url,
            max_stamps=ctx.settings.labels.max_stamps,
        )
    except BatchRefused as refused:  # the flow's own checks make this rare
        return [Reply(t(f"stamps.refused.{refused.reason}"))] + await goto(
            ctx, LABEL.action(product.id)
        )
    await create_batch(
        ctx.session, product, values["lot"], produced, expires, [s.serial for s in stamps]
    )
    mark_labelled(ctx, product)
    files = fonts(ctx)
    captions = StampCaptions(
        t("stamps.caption_lot"), t("stamps.caption_produced"), t("stamps.caption_expires")
    )
    return [
        Reply(
            t("stamps.ready", count=len(stamps), name=product.name),
            make_document=lambda: render_stamps_pdf(
                stamps, layout, fonts=files, captions=captions, max_stamps=len(stamps)
            ),
            document_name=f"tem-{product.code}-{len(stamps)}.pdf",
        ),
        *await goto(ctx, LABEL.action(product.id)),
    ]


async def _exit(ctx: Context, target: int | None) -> list[Reply]:
    product = await owned_product(ctx, target) if target is not None else None
    return await goto(ctx, LABEL.action(product.id) if product else MENU.action())


def stamps_flow(settings: Settings) -> Flow:
    limit = settings.labels.max_stamps
    return Flow(
        name=NAME,
        title="flow.stamps",
        steps=(
            Step("count", "stamps.ask_count", parse=stamp_count(limit), show=_show),
            Step("lot", "stamps.ask_lot", parse=parsers.code(32), show=_show),
            Step(
                "produced",
                "stamps.ask_produced",
                parse=parsers.date,
                check=_not_future,
                show=_show_date,
            ),
            Step(
                "expires",
                "stamps.ask_expires",
                parse=parsers.date,
                check=_after_production,
                show=_show_date,
            ),
            Step("layout", "stamps.ask_layout", choices=_layouts, columns=1),
        ),
        finish=_finish,
        exit=_exit,
        summary=_summary,
    )
