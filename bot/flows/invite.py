"""/invite: an admin picks a province and gets a one-time officer code for it.

The code is shown once, here; only its hash is stored.
"""

from __future__ import annotations

from typing import Any

from bot.core import places
from bot.core.context import Context
from bot.core.intents import ADMIN, MENU, goto
from bot.core.invite_codes import DEEP_LINK_PREFIX, spaced
from bot.core.types import Reply
from bot.flows.engine import Choice, Flow, Step
from bot.flows.officer_scope import back_to_menu
from storage.officers import create_invite


def _search_provinces(_values: dict[str, Any], query: str) -> list[Choice]:
    return [Choice(p.code, p.name) for p in places.search(places.provinces(), query)]


def _show_place(_ctx: Context, code: Any) -> str:
    place = places.province(code)
    return place.name if place else str(code)


STEPS = (Step("province", "invite.ask_province", search=_search_provinces, show=_show_place),)


async def _finish(ctx: Context, values: dict[str, Any], _target: int | None) -> list[Reply]:
    t = ctx.t
    if ctx.user.role != ADMIN:  # the role may have changed while the flow ran
        return [Reply(t("denied"))] + await goto(ctx, MENU.action())
    province = places.province(int(values["province"]))
    if province is None:
        return await goto(ctx, MENU.action())
    hours = ctx.settings.invite_hours
    code, invite = await create_invite(
        ctx.session, ctx.user, province.code, now=ctx.now(), hours=hours
    )
    link = f"https://t.me/{ctx.settings.telegram_bot_username}?start={DEEP_LINK_PREFIX}{code}"
    text = t(
        "invite.created",
        province=province.name,
        code=spaced(code),
        until=t.datetime(invite.expires_at),
        link=link,
    )
    return [Reply(text, buttons=[back_to_menu(ctx)])]


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await goto(ctx, MENU.action())


INVITE = Flow(name="invite", title="invite.flow_invite", steps=STEPS, finish=_finish, exit=_exit)
