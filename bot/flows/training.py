"""/newtraining: an officer sets up a training course, then its invitations go out.

Topic, time (Vietnam time, stored UTC), place or online link, seats, and
the audience, chosen with the very filter steps of /broadcast (only the
questions are worded for trainings). Saving creates the training, one
invitation per producer the filters select, and an invitation job each;
the scheduler sends them (quiet hours and /reminders choices apply).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import MENU, TRAINING_MANAGE, goto
from bot.core.text import clean
from bot.core.types import Button, Reply
from bot.flows import parsers
from bot.flows.broadcast import (
    BROADCAST,
    FILTER_STEPS,
    local_time,
    start_values,
    to_audience,
    to_utc,
)
from bot.flows.broadcast_views import describe
from bot.flows.engine import Flow, Step, start
from bot.i18n import N_
from bot.scheduler import plans
from storage import trainings as store
from storage.audience import Audience, recipients
from storage.audit import record
from storage.officers import scope_of

MAX_DAYS_AHEAD = 365
MAX_SEATS = 10_000
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)

# The broadcast's filter steps, asked in words about a training.
PROMPTS = {
    "province": N_("training.ask_province"),
    "ward": N_("training.ask_ward"),
    "groups": N_("training.ask_groups"),
    "stars": N_("training.ask_stars"),
    "kinds": N_("training.ask_kinds"),
    "not_live_on": N_("training.ask_not_live_on"),
    "missing": N_("training.ask_missing"),
}


def place_or_link(raw: str) -> dict[str, str]:
    """An address ("Hội trường UBND xã Tân Cương") or an online link (https://…)."""
    value = clean(raw)
    if _URL.match(value):
        if len(value) > 500:
            raise Invalid("invalid.too_long", max=500, length=len(value))
        return {"url": value}
    return {"place": parsers.text(3, 300)(value)}


def seats(raw: str) -> int:
    digits = clean(raw).replace(".", "").replace(",", "").replace(" ", "")
    if not digits.isdigit() or not 1 <= int(digits) <= MAX_SEATS:
        raise Invalid("training.seats_invalid", max=MAX_SEATS)
    return int(digits)


def _check_time(ctx: Context, _values: dict[str, Any], local: str) -> None:
    when = to_utc(ctx, local)
    if when <= ctx.now() + dt.timedelta(minutes=10):
        raise Invalid("training.time_past")
    if when > ctx.now() + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid("training.time_far", days=MAX_DAYS_AHEAD)


def _show_text(_ctx: Context, value: Any) -> str:
    return str(value)


def _show_time(ctx: Context, value: Any) -> str:
    return ctx.t.datetime(to_utc(ctx, str(value)))


def _show_place(_ctx: Context, value: Any) -> str:
    return str(value.get("place") or value.get("url") or "")


def _show_seats(ctx: Context, value: Any) -> str:
    return ctx.t.number(int(value))


STEPS = (
    Step("topic", "training.ask_topic", parse=parsers.text(5, 200), show=_show_text),
    Step("at", "training.ask_time", parse=local_time, check=_check_time, show=_show_time),
    Step("where", "training.ask_place", parse=place_or_link, show=_show_place),
    Step("seats", "training.ask_seats", parse=seats, show=_show_seats),
    *(dataclasses.replace(BROADCAST.step(name), prompt=PROMPTS[name]) for name in FILTER_STEPS),
)


def audience_of(ctx: Context, values: dict[str, Any]) -> Audience | None:
    """The filters, with the officer's own province (never one from the answers);
    essential, since invitations follow the /reminders choices, not notice opt-outs."""
    scope = scope_of(ctx.user)
    if scope is None:
        return None
    province = values.get("province") if scope.province_code is None else scope.province_code
    return dataclasses.replace(to_audience(values, province), essential=True)


def _summary(ctx: Context, values: dict[str, Any]) -> str:
    t = ctx.t
    where = values["where"]
    lines = [
        t("training.card_topic", topic=values["topic"]),
        t("training.card_when", when=_show_time(ctx, values["at"])),
        t("training.card_online", url=where["url"])
        if "url" in where
        else t("training.card_place", place=where["place"]),
        t("training.card_seats", capacity=t.number(int(values["seats"]))),
    ]
    audience = audience_of(ctx, values)
    if audience is not None:
        # describe()'s last line is about essential notices, which trainings have not.
        lines += [t("training.invited_are"), *describe(ctx, audience)[:-1]]
    return "\n".join(lines)


async def _finish(ctx: Context, values: dict[str, Any], _target: int | None) -> list[Reply]:
    """Creates the training and its invitations; with nobody to invite, asks the filters again."""
    t = ctx.t
    audience = audience_of(ctx, values)
    if audience is None:  # no longer an officer
        return [Reply(t("denied"))] + await goto(ctx, MENU.action())
    query = recipients(audience).subquery()
    invited = list(await ctx.session.scalars(select(query.c.id)))
    if not invited:
        return [Reply(t("training.nobody"))] + await start(
            ctx, TRAINING, values=values, only=list(FILTER_STEPS)
        )
    now = ctx.now()
    training = await store.create_training(
        ctx.session,
        officer_id=ctx.user.id,
        province_code=audience.province,
        topic=values["topic"],
        starts_at=to_utc(ctx, values["at"]),
        place=values["where"].get("place"),
        url=values["where"].get("url"),
        capacity=int(values["seats"]),
        audience=audience.to_json(),
        now=now,
    )
    await store.invite_users(ctx.session, training, invited, now)
    await plans.plan_invitations(ctx.session, training, invited, now)
    after = {"topic": training.topic, "invited": len(invited), "audience": training.audience}
    await record(
        ctx.session, ctx.user.id, "training.create", "training", training.id, after=after, at=now
    )
    buttons = [
        [Button(t("training.button_manage"), TRAINING_MANAGE.action(training.id))],
        [Button(t("menu.back_to_menu"), MENU.action())],
    ]
    text = t("training.created", id=training.id, count=t.number(len(invited)))
    return [Reply(text, buttons=buttons)]


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await goto(ctx, MENU.action())


TRAINING = Flow(
    name="training",
    title="flow.training",
    steps=STEPS,
    finish=_finish,
    exit=_exit,
    summary=_summary,
)


def new_training_values(ctx: Context) -> dict[str, Any] | None:
    """The answers a new training starts with (the officer's province); None for no province."""
    return start_values(ctx)
