"""Asking a producer to change a product: which field, and why.

The producer is told at once, with a button that opens exactly that field
of the product form.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import REVIEW, goto
from bot.core.ocop import CONSUMABLE_GROUPS
from bot.core.types import Reply
from bot.flows import parsers, producer_notices
from bot.flows.engine import Choice, Flow, Step
from bot.flows.product import EDITABLE
from bot.flows.reviewing import leave_review_flow, product_to_decide
from storage.reviews import request_changes

LABELS = dict(EDITABLE)
MAX_REASON = 500


def _fields(ctx: Context, values: dict[str, Any]) -> list[Choice]:
    consumable = values.get("group") in CONSUMABLE_GROUPS
    return [
        Choice(step, ctx.t(label))
        for step, label in EDITABLE
        if step != "ingredients" or consumable
    ]


def _check_field(_ctx: Context, _values: dict[str, Any], value: str) -> None:
    if value not in LABELS:
        raise Invalid("flow.use_buttons")


def _show_text(_ctx: Context, value: Any) -> str:
    return str(value)


STEPS = (
    Step("field", "review.ask_field", choices=_fields, check=_check_field, columns=2),
    Step("reason", "review.ask_reason", parse=parsers.text(5, MAX_REASON), show=_show_text),
)


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    t = ctx.t
    label = LABELS[values["field"]]
    return t(
        "review.confirm_changes",
        name=values.get("product", ""),
        code=values.get("code", ""),
        field=t(label),
        reason=values["reason"],
    )


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    product = await product_to_decide(ctx, target, values.get("submitted_at"))
    if isinstance(product, list):
        return product
    step, reason = values["field"], values["reason"]
    await request_changes(ctx.session, product, ctx.user, step, reason, now=ctx.now())
    await producer_notices.changes_requested(ctx, product, step, LABELS[step], reason)
    done = Reply(ctx.t("review.changes_sent", name=product.name, code=product.code))
    return [done] + await goto(ctx, REVIEW.action())


CHANGES = Flow(
    name="review_changes",
    title="review.flow_changes",
    steps=STEPS,
    finish=_finish,
    exit=leave_review_flow,
    summary=_summary,
)
