"""/officer CODE redeems an officer invite; without a code, a flow asks for it."""

from __future__ import annotations

from typing import Any

from bot.core import places
from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import MENU, goto
from bot.core.invite_codes import normalize_invite
from bot.core.types import Reply
from bot.flows.engine import Flow, Step
from bot.i18n import N_
from storage.officers import Redeemed, redeem_invite

REFUSALS = {
    Redeemed.UNKNOWN: N_("invite.unknown"),
    Redeemed.USED: N_("invite.used"),
    Redeemed.EXPIRED: N_("invite.expired"),
    Redeemed.OTHER_PROVINCE: N_("invite.other_province"),
    Redeemed.ALREADY: N_("invite.already"),
    Redeemed.ADMIN: N_("invite.admin"),
    Redeemed.TOO_MANY: N_("invite.too_many"),
}


async def redeem(ctx: Context, typed: str) -> list[Reply]:
    """Makes the user an officer if the code is good; otherwise says plainly why not."""
    t = ctx.t
    code = normalize_invite(typed)
    if code is None:
        return [Reply(t("invite.malformed"))] + await goto(ctx, MENU.action())
    result = await redeem_invite(ctx.session, ctx.user, code, now=ctx.now())
    province = places.province(result.province_code) if result.province_code else None
    name = province.name if province else "—"
    if result.outcome is Redeemed.OK:
        return [Reply(t("invite.welcome", province=name))] + await goto(ctx, MENU.action())
    mine = places.province(ctx.user.province_code) if ctx.user.province_code else None
    text = t(REFUSALS[result.outcome], province=name, mine=mine.name if mine else "—")
    return [Reply(text)] + await goto(ctx, MENU.action())


def _code(raw: str) -> str:
    code = normalize_invite(raw)
    if code is None:
        raise Invalid("invite.malformed")
    return code


STEPS = (Step("code", "invite.ask_code", parse=_code),)


async def _finish(ctx: Context, values: dict[str, Any], _target: int | None) -> list[Reply]:
    return await redeem(ctx, str(values["code"]))


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await goto(ctx, MENU.action())


OFFICER_CODE = Flow(
    name="officer_code", title="invite.flow_code", steps=STEPS, finish=_finish, exit=_exit
)
