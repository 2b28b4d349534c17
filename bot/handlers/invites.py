"""Becoming an officer: admins issue invite codes (/invite), users redeem them.

A code is redeemed with `/officer CODE`, by typing it after `/officer`, or
through the deep link t.me/<bot>?start=o_CODE (`start_payload`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core import places
from bot.core.context import Context
from bot.core.invite_codes import DEEP_LINK_PREFIX, normalize_invite
from bot.core.types import Reply
from bot.flows import engine
from bot.handlers.menu import main_menu
from bot.handlers.routing import ADMIN, Route
from bot.i18n import N_
from storage.officers import Redeemed, redeem_invite

if TYPE_CHECKING:
    from bot.handlers.routes import Router

INVITE_FLOW = "invite"
CODE_FLOW = "officer_code"
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
        return [Reply(t("invite.malformed"))] + await main_menu(ctx)
    result = await redeem_invite(ctx.session, ctx.user, code, now=ctx.now())
    province = places.province(result.province_code) if result.province_code else None
    name = province.name if province else "—"
    if result.outcome is Redeemed.OK:
        return [Reply(t("invite.welcome", province=name))] + await main_menu(ctx)
    mine = places.province(ctx.user.province_code) if ctx.user.province_code else None
    text = t(REFUSALS[result.outcome], province=name, mine=mine.name if mine else "—")
    return [Reply(text)] + await main_menu(ctx)


async def start_payload(ctx: Context, payload: str) -> list[Reply] | None:
    """Answers `/start o_CODE`; None for other deep links (someone else's to answer)."""
    if not payload.startswith(DEEP_LINK_PREFIX):
        return None
    return await redeem(ctx, payload)


# --- actions ------------------------------------------------------------------


async def _invite(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await engine.start(ctx, router.flows[INVITE_FLOW])


async def _redeem(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    command = ctx.incoming.command
    typed = command[1] if command and command[0] == "officer" else ""
    if typed:
        return await redeem(ctx, typed)
    return await engine.start(ctx, router.flows[CODE_FLOW])


ROUTES = [
    Route(r"invite:new", _invite, ADMIN),
    Route(r"officer:redeem", _redeem),  # anyone may try a code; the code decides
]
COMMANDS = {"invite": "invite:new", "officer": "officer:redeem"}
