"""Becoming an officer: admins issue invite codes (/invite), users redeem them.

A code is redeemed with `/officer CODE`, by typing it after `/officer`, or
through the deep link t.me/<bot>?start=o_CODE (`start_payload`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import INVITE_NEW, Intent
from bot.core.invite_codes import DEEP_LINK_PREFIX
from bot.core.types import Reply
from bot.flows import engine
from bot.flows.invite import INVITE
from bot.flows.officer_code import OFFICER_CODE, redeem
from bot.handlers.routing import Feature, Route

if TYPE_CHECKING:
    from bot.handlers.routes import Router


async def start_payload(ctx: Context, payload: str) -> list[Reply] | None:
    """Answers `/start o_CODE`; None for other deep links (someone else's to answer)."""
    if not payload.startswith(DEEP_LINK_PREFIX):
        return None
    return await redeem(ctx, payload)


# --- actions ------------------------------------------------------------------


async def _invite(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await engine.start(ctx, router.flows[INVITE.name])


async def _redeem(ctx: Context, router: Router, _args: tuple[str, ...]) -> list[Reply]:
    command = ctx.incoming.command
    typed = command[1] if command and command[0] == "officer" else ""
    if typed:
        return await redeem(ctx, typed)
    return await engine.start(ctx, router.flows[OFFICER_CODE.name])


FEATURE = Feature(
    routes=(
        Route(INVITE_NEW, _invite, commands=("invite",)),
        # Anyone may try a code; the code decides.
        Route(Intent(r"officer:redeem"), _redeem, commands=("officer",)),
    ),
    flows=(INVITE, OFFICER_CODE),
)
