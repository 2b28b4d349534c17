"""/officer without a code: asks for it, then redeems it."""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.invite_codes import normalize_invite
from bot.core.types import Reply
from bot.flows.engine import Flow, Step
from bot.handlers.invites import CODE_FLOW, redeem
from bot.handlers.menu import main_menu


def _code(raw: str) -> str:
    code = normalize_invite(raw)
    if code is None:
        raise Invalid("invite.malformed")
    return code


STEPS = (Step("code", "invite.ask_code", parse=_code),)


async def _finish(ctx: Context, values: dict[str, Any], _target: int | None) -> list[Reply]:
    return await redeem(ctx, str(values["code"]))


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await main_menu(ctx)


OFFICER_CODE = Flow(
    name=CODE_FLOW, title="invite.flow_code", steps=STEPS, finish=_finish, exit=_exit
)
