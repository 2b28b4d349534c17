"""/link: one person, several channels; and where their notices go (/notices).

`/link` on one app shows a one-time code; `/link CODE` on the other joins the
two accounts into one person (storage/people.py). Whatever belongs to the
person — producer profile and products, officer role and province,
language, reminder and notice choices — stays on one primary account, so
nothing has to be merged. The code must be asked for on the account that
has a producer profile or role and typed on the other (never the reverse);
linking is refused when both have their own (docs/zalo.md, "Linking
Telegram and Zalo"). A wrong, expired or used code changes nothing; a few
wrong codes in a row and the account must wait.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import LINK, MENU, NOTICES_VIA
from bot.core.link_codes import new_link_code, normalize_link_code, spaced
from bot.core.types import Button, Reply
from bot.flows import broadcast_views as views
from bot.handlers.menu import main_menu
from bot.handlers.routing import Feature, Route
from bot.i18n import N_, Translator
from storage import people
from storage.audit import record
from storage.models import User
from storage.users import get_or_create_user

if TYPE_CHECKING:
    from bot.handlers.routes import Router

log = logging.getLogger(__name__)

CHANNEL_NAMES = {
    "telegram": N_("channel.telegram"),
    "zalo_bot": N_("channel.zalo_bot"),
    "zalo_oa": N_("channel.zalo_oa"),
    "console": N_("channel.console"),
}
LAST = "last"  # /notices: the app used last


def channel_name(t: Translator, channel: str) -> str:
    key = CHANNEL_NAMES.get(channel)
    return t(key) if key else channel


def _names(t: Translator, accounts: list[User]) -> str:
    return ", ".join(channel_name(t, account.channel) for account in accounts)


async def _account(ctx: Context) -> User:
    """The account this update came from (ctx.user is the person's primary account)."""
    incoming = ctx.incoming
    return await get_or_create_user(
        ctx.session, incoming.channel, incoming.user_id, incoming.user_name
    )


async def link_command(ctx: Context, args: str) -> list[Reply]:
    """/link shows a new code; /link CODE joins this account to the code's person."""
    if args.strip():
        return await _use_code(ctx, args)
    return await _code_screen(ctx)


async def _code_screen(ctx: Context) -> list[Reply]:
    t, config = ctx.t, ctx.settings.link
    code = new_link_code()
    await people.issue_code(
        ctx.session, await _account(ctx), code, ctx.now(), dt.timedelta(minutes=config.code_minutes)
    )
    text = t("link.code", code=spaced(code), count=config.code_minutes)
    mine = await people.accounts(ctx.session, ctx.user)
    if len(mine) > 1:
        text = t("link.linked_now", channels=_names(t, mine)) + "\n\n" + text
    return [Reply(text, buttons=[[Button(t("menu.back_to_menu"), MENU.action())]])]


async def _use_code(ctx: Context, typed: str) -> list[Reply]:
    t, config, now = ctx.t, ctx.settings.link, ctx.now()
    account = await _account(ctx)
    window = dt.timedelta(minutes=config.lock_minutes)
    if await people.failed_tries(ctx.session, account, now - window) >= config.max_tries:
        first = await people.oldest_try(ctx.session, account) or now
        wait = max(1, math.ceil((first + window - now).total_seconds() / 60))
        return [Reply(t("link.locked", count=wait))]
    code = normalize_link_code(typed)
    row = await people.take_code(ctx.session, code, now) if code else None
    if row is None:
        await people.record_failure(ctx.session, account, now)
        return [Reply(t("link.bad_code"))]
    issuer = await ctx.session.get(User, row.user_id)
    issuer_person = await _primary(ctx, issuer) if issuer is not None else None
    if issuer_person is None:
        return [Reply(t("link.bad_code"))]
    mine = ctx.user
    if issuer_person.id == mine.id:
        return [Reply(t("link.same_person"))]
    theirs_accounts = await people.accounts(ctx.session, issuer_person)
    mine_accounts = await people.accounts(ctx.session, mine)
    shared = {a.channel for a in theirs_accounts} & {a.channel for a in mine_accounts}
    if shared:
        channel = channel_name(t, sorted(shared)[0])
        return [Reply(t("link.same_channel", channel=channel))]
    if await people.has_own_data(ctx.session, mine):
        if await people.has_own_data(ctx.session, issuer_person):
            return [Reply(t("link.both_have_data"))]
        # The code must come from the side that has the products or the role, so that
        # nobody can talk a producer into typing a stranger's code and hand them over.
        return [Reply(t("link.wrong_way"))]
    primary, other = issuer_person, mine  # the account that asked for the code keeps it all
    await people.join(ctx.session, primary, other, account, now)
    await people.clear_failures(ctx.session, account)
    await record(
        ctx.session,
        primary.id,
        "linked",
        "user",
        other.id,
        after={"channel": account.channel},
        at=now,
    )
    log.info("accounts %s and %s linked", primary.id, other.id)
    ctx.user = primary  # the rest of this update acts as the person
    ctx.t = ctx.app.catalogs.translator(primary.language)
    everyone = await people.accounts(ctx.session, primary)
    note = ctx.t("link.done", channels=_names(ctx.t, everyone))
    return [Reply(note)] + await main_menu(ctx)


async def _primary(ctx: Context, account: User) -> User | None:
    if account.person_id is None:
        return account
    return await ctx.session.get(User, account.person_id)


# --- /notices: which channel -------------------------------------------------------


async def notices_screen(ctx: Context) -> list[Reply]:
    """/notices, with a choice of channel for a person who has several."""
    replies = views.notices_screen(ctx)
    mine = await people.accounts(ctx.session, ctx.user)
    if len(mine) < 2:
        return replies
    t = ctx.t
    target = await people.delivery_account(ctx.session, ctx.user)
    current = channel_name(t, target.channel)
    if ctx.user.notices_channel is None:
        line = t("notices.via_last_current", channel=current)
    else:
        line = t("notices.via_current", channel=current)
    rows = [
        [
            Button(
                t("notices.via_button", channel=channel_name(t, a.channel)),
                NOTICES_VIA.action(a.channel),
            )
        ]
        for a in mine
    ]
    rows.append([Button(t("notices.via_last_button"), NOTICES_VIA.action(LAST))])
    screen = replies[-1]
    screen.text = f"{screen.text}\n\n{line}"
    screen.buttons = screen.buttons[:-1] + rows + screen.buttons[-1:]
    return replies


async def _notices_via(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    choice = args[0]
    channel = None if choice == LAST else choice
    target = await people.choose_delivery(ctx.session, ctx.user, channel, await _account(ctx))
    name = channel_name(ctx.t, target.channel)
    if ctx.user.notices_channel is None:
        note = ctx.t("notices.via_set_last", channel=name)
    else:
        note = ctx.t("notices.via_set", channel=name)
    return [Reply(note)] + await notices_screen(ctx)


async def _link(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return await _code_screen(ctx)


FEATURE = Feature(
    routes=(
        Route(LINK, _link, commands=("link",)),
        Route(NOTICES_VIA, _notices_via),
    )
)
