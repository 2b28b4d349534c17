"""Approving a product under review, optionally recording its OCOP rating.

Stars may be skipped (the rating stays as it is); when stars are given,
the recognition decision's number and date follow, and the certificate
runs 36 months from that date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.core import formatting
from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import REVIEW, goto
from bot.core.ocop import CERTIFICATE_MONTHS
from bot.core.types import Reply
from bot.flows import parsers, producer_notices
from bot.flows.engine import Choice, Flow, Step
from bot.flows.reviewing import leave_review_flow, product_to_decide
from storage.reviews import Rating, approve


def _stars(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [
        Choice(n, ctx.t("product.n_stars", stars=formatting.stars(n), count=n))
        for n in (3, 4, 5, 1, 2)
    ]


def _rated(values: dict[str, Any]) -> bool:
    return bool(values.get("stars"))


def _check_date(ctx: Context, _values: dict[str, Any], value: str) -> None:
    if dt.date.fromisoformat(value) > ctx.today():
        raise Invalid("invalid.date_future")


def _show_text(_ctx: Context, value: Any) -> str:
    return str(value)


def _show_date(ctx: Context, value: Any) -> str:
    return formatting.iso_date(ctx.t, str(value))


STEPS = (
    Step(
        "stars",
        "review.ask_stars",
        parse=parsers.stars,
        choices=_stars,
        optional=True,
        columns=3,
    ),
    Step(
        "cert_number",
        "product.ask_cert_number",
        parse=parsers.code(64),
        when=_rated,
        show=_show_text,
    ),
    Step(
        "cert_date",
        "product.ask_cert_date",
        parse=parsers.date,
        when=_rated,
        check=_check_date,
        show=_show_date,
    ),
)


def rating(values: dict[str, Any]) -> Rating | None:
    """The answers as a rating, or None when the officer left the stars as they were."""
    if not values.get("stars"):
        return None
    decided = dt.date.fromisoformat(values["cert_date"])
    return Rating(
        stars=int(values["stars"]),
        cert_number=str(values["cert_number"]),
        cert_date=decided,
        cert_expiry=formatting.add_months(decided, CERTIFICATE_MONTHS),
    )


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    t = ctx.t
    name, code = values.get("product", ""), values.get("code", "")
    given = rating(values)
    if given is None:
        return t("review.confirm_approve_unrated", name=name, code=code)
    return t(
        "review.confirm_approve",
        name=name,
        code=code,
        stars=formatting.stars(given.stars),
        count=given.stars,
        number=given.cert_number,
        date=t.date(given.cert_date),
        expiry=t.date(given.cert_expiry),
    )


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    product = await product_to_decide(ctx, target, values.get("submitted_at"))
    if isinstance(product, list):
        return product
    await approve(ctx.session, product, ctx.user, rating(values), now=ctx.now())
    await producer_notices.product_approved(ctx, product)
    done = Reply(ctx.t("review.approved", name=product.name, code=product.code))
    return [done] + await goto(ctx, REVIEW.action())


APPROVE = Flow(
    name="review_approve",
    title="review.flow_approve",
    steps=STEPS,
    finish=_finish,
    exit=leave_review_flow,
    summary=_summary,
)
