"""Broadcasts and notices (routes, commands and flows joined in routes.py).

Officers compose, preview, send or schedule, list and stop broadcasts; the
role is checked by the router, the province and the draft's owner by the
screens (bot/flows/broadcast_views.py). Anyone may turn non-essential
notices off and on again with /notices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import (
    BROADCAST_ATTACH,
    BROADCAST_AUDIENCE,
    BROADCAST_CANCEL,
    BROADCAST_DETACH,
    BROADCAST_DISCARD,
    BROADCAST_EDIT,
    BROADCAST_NEW,
    BROADCAST_PREVIEW,
    BROADCAST_SCHEDULE,
    BROADCAST_SEND,
    BROADCAST_STOP,
    BROADCASTS,
    NOTICES,
    NOTICES_SET,
)
from bot.core.types import Reply
from bot.flows import broadcast_views as views
from bot.flows import engine
from bot.flows.broadcast import (
    ATTACHING,
    BROADCAST,
    FILTER_STEPS,
    SCHEDULE,
    from_draft,
    start_attach,
    start_values,
)
from bot.handlers import linking
from bot.handlers.menu import main_menu
from bot.handlers.routing import Feature, Route

if TYPE_CHECKING:
    from bot.handlers.routes import Router


async def _new(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if BROADCAST.name in ctx.conversation.drafts:
        return await engine.resume(ctx, BROADCAST)
    values = start_values(ctx)
    if values is None:
        return [Reply(ctx.t("broadcast.no_province"))] + await main_menu(ctx)
    return await engine.start(ctx, BROADCAST, values=values)


async def _list(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await views.list_screen(ctx)


async def _preview(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    draft = await views.own_draft(ctx, int(args[0]))
    return await views.preview(ctx, draft) if draft else await views.not_found(ctx)


async def _send(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    draft = await views.own_draft(ctx, int(args[0]))
    return await views.confirm(ctx, draft, None) if draft else await views.not_found(ctx)


async def _schedule(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    draft = await views.own_draft(ctx, int(args[0]))
    if draft is None:
        return await views.not_found(ctx)
    return await engine.start(ctx, SCHEDULE, values={}, target=draft.id)


async def _attach(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    draft = await views.own_draft(ctx, int(args[0]))
    return await start_attach(ctx, draft) if draft else await views.not_found(ctx)


async def _detach(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    draft = await views.own_draft(ctx, int(args[0]))
    if draft is None:
        return await views.not_found(ctx)
    draft.attachment_kind = draft.attachment_sha256 = draft.attachment_name = None
    return [Reply(ctx.t("broadcast.detached"))] + await views.preview(ctx, draft)


async def _edit(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    return await _rerun(ctx, int(args[0]), ["text"])


async def _audience(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    return await _rerun(ctx, int(args[0]), FILTER_STEPS)


async def _rerun(ctx: Context, draft_id: int, steps: list[str]) -> list[Reply]:
    """Asks some steps again on the draft's answers, then shows its preview again."""
    draft = await views.own_draft(ctx, draft_id)
    values = start_values(ctx)
    if draft is None or values is None:
        return await views.not_found(ctx)
    answers = from_draft(draft, everywhere=bool(values["_everywhere"]))
    return await engine.start(ctx, BROADCAST, values=answers, only=steps, target=draft.id)


async def _discard(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    draft = await views.own_draft(ctx, int(args[0]))
    if draft is None:
        return await views.not_found(ctx)
    await ctx.session.delete(draft)
    return [Reply(ctx.t("broadcast.discarded"))] + await main_menu(ctx)


async def _cancel(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    broadcast = await views.reachable(ctx, int(args[0]))
    return await views.stop_confirm(ctx, broadcast) if broadcast else await views.not_found(ctx)


async def _stop(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    broadcast = await views.reachable(ctx, int(args[0]))
    return await views.stop(ctx, broadcast) if broadcast else await views.not_found(ctx)


async def _notices(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await linking.notices_screen(ctx)


async def _notices_set(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    ctx.user.notices_opt_out = args[0] == "off"
    key = "notices.turned_off" if ctx.user.notices_opt_out else "notices.turned_on"
    return [Reply(ctx.t(key))] + await linking.notices_screen(ctx)


FEATURE = Feature(
    routes=(
        Route(BROADCAST_NEW, _new, commands=("broadcast",)),
        Route(BROADCASTS, _list, commands=("broadcasts",)),
        Route(BROADCAST_PREVIEW, _preview),
        Route(BROADCAST_SEND, _send),
        Route(BROADCAST_SCHEDULE, _schedule),
        Route(BROADCAST_ATTACH, _attach),
        Route(BROADCAST_DETACH, _detach),
        Route(BROADCAST_EDIT, _edit),
        Route(BROADCAST_AUDIENCE, _audience),
        Route(BROADCAST_DISCARD, _discard),
        Route(BROADCAST_CANCEL, _cancel),
        Route(BROADCAST_STOP, _stop),
        Route(NOTICES, _notices, commands=("notices",)),
        Route(NOTICES_SET, _notices_set),
    ),
    flows=(BROADCAST, SCHEDULE),
    collectors=(ATTACHING,),
)
