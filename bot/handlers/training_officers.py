"""Trainings as officers run them: /newtraining, the province's list, attendance, cancelling.

The router checks the officer role; every handler here also checks the
training's province against the officer's own (`officer_training`), so a
crafted action cannot reach another province's training.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import MENU, TRAINING_MANAGE, TRAININGS, Intent
from bot.core.types import Button, Reply
from bot.flows import engine
from bot.flows.training import TRAINING, new_training_values
from bot.handlers.menu import main_menu
from bot.handlers.routing import OFFICER, Feature, Route
from bot.scheduler import messages, plans
from bot.scheduler.notices import tell
from storage import trainings as store
from storage.audit import record
from storage.jobs import aware
from storage.models import Training
from storage.officers import scope_of

if TYPE_CHECKING:
    from bot.handlers.routes import Router

TRAINING_NEW = Intent(r"training:new", OFFICER)
TRAINING_ATTENDANCE = Intent(r"training:attendance:(\d+)(?::(\d+))?", OFFICER)  # page
TRAINING_MARK = Intent(r"training:mark:(\d+)(?::(\d+))?", OFFICER)  # invite, page
TRAINING_ATTENDANCE_DONE = Intent(r"training:attendance_done:(\d+)", OFFICER)
TRAINING_CANCEL = Intent(r"training:cancel:(\d+)", OFFICER)
TRAINING_CANCEL_YES = Intent(r"training:cancel_yes:(\d+)", OFFICER)

ATTENDANCE_PAGE = 20
MARKS = {store.ATTENDED: "✅", store.ABSENT: "❌", store.GOING: "⬜"}


def _back(ctx: Context, back: str | None = None) -> list[Button]:
    """Back (to `back`, or the trainings list) and the menu."""
    return [
        Button(ctx.t("button.back"), back or TRAININGS.action()),
        Button(ctx.t("menu.back_to_menu"), MENU.action()),
    ]


def _started(ctx: Context, training: Training) -> bool:
    return aware(training.starts_at) <= ctx.now()


async def officer_training(ctx: Context, training_id: int) -> Training | None:
    """The training if this officer may manage it: their province's, or any for an admin.
    Another province's is refused and audited, like a product out of scope."""
    scope = scope_of(ctx.user)
    training = await store.get_training(ctx.session, training_id)
    if scope is None or training is None:
        return None
    if scope.province_code is not None and training.province_code != scope.province_code:
        after = {"action": ctx.action, "reason": "province"}
        await record(
            ctx.session, ctx.user.id, "denied", "training", training_id, after=after, at=ctx.now()
        )
        return None
    return training


async def _not_found(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("training.not_found"))] + await officer_trainings(ctx)


async def officer_trainings(ctx: Context) -> list[Reply]:
    """The province's trainings from a week ago on, soonest first, and a button for a new one."""
    t = ctx.t
    scope = scope_of(ctx.user)
    if scope is None:
        return [Reply(t("training.no_province"))] + await main_menu(ctx)
    since = ctx.now() - dt.timedelta(days=7)
    found = await store.trainings_in(ctx.session, scope.province_code, since=since)
    lines = [t("training.officer_title")] if found else [t("training.officer_none")]
    rows = [[Button(t("training.button_new"), TRAINING_NEW.action())]]
    for training in found:
        when = t.datetime(aware(training.starts_at))
        mark = "🚫 " if training.status == store.CANCELLED else ""
        lines.append(f"• {mark}{when} — {training.topic}")
        rows.append(
            [Button(f"{mark}{when} · {training.topic}"[:60], TRAINING_MANAGE.action(training.id))]
        )
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    return [Reply("\n".join(lines), buttons=rows)]


async def manage_screen(ctx: Context, training: Training) -> list[Reply]:
    """The training as its officer sees it: answers so far, and what can be done now."""
    t = ctx.t
    counts = await store.counts(ctx.session, training.id)
    text = messages.training_card(t, training)
    text += "\n" + t("training.card_seats", capacity=t.number(training.capacity))
    text += "\n" + t(
        "training.counts",
        going=counts.get(store.GOING, 0)
        + counts.get(store.ATTENDED, 0)
        + counts.get(store.ABSENT, 0),
        waiting=counts.get(store.WAITING, 0),
        not_going=counts.get(store.NOT_GOING, 0),
        invited=counts.get(store.INVITED, 0),
    )
    if counts.get(store.ATTENDED) or counts.get(store.ABSENT):
        text += "\n" + t(
            "training.attendance_counts",
            attended=counts.get(store.ATTENDED, 0),
            absent=counts.get(store.ABSENT, 0),
        )
    rows: list[list[Button]] = []
    if training.status == store.CANCELLED:
        text += "\n" + t("training.is_cancelled")
    elif _started(ctx, training):
        rows.append(
            [Button(t("training.button_attendance"), TRAINING_ATTENDANCE.action(training.id))]
        )
    else:
        rows.append([Button(t("training.button_cancel"), TRAINING_CANCEL.action(training.id))])
    rows.append(_back(ctx))
    return [Reply(text, buttons=rows)]


async def _new(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if TRAINING.name in ctx.conversation.drafts:
        return await engine.resume(ctx, TRAINING)
    values = new_training_values(ctx)
    if values is None:
        return [Reply(ctx.t("training.no_province"))] + await main_menu(ctx)
    return await engine.start(ctx, TRAINING, values=values)


async def _manage(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    training = await officer_training(ctx, int(args[0]))
    return await manage_screen(ctx, training) if training else await _not_found(ctx)


async def attendance_screen(ctx: Context, training: Training, page: int = 0) -> list[Reply]:
    """Everyone who took a seat, a button each: press to mark present or absent."""
    t = ctx.t
    people = await store.registrants(ctx.session, training.id)
    pages = max(1, (len(people) - 1) // ATTENDANCE_PAGE + 1)
    page = max(0, min(page, pages - 1))
    shown = people[page * ATTENDANCE_PAGE : (page + 1) * ATTENDANCE_PAGE]
    rows = [
        [Button(f"{MARKS[invite.status]} {name}"[:60], TRAINING_MARK.action(invite.id, page))]
        for invite, name in shown
    ]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(
                Button(t("button.previous"), TRAINING_ATTENDANCE.action(training.id, page - 1))
            )
        if page < pages - 1:
            nav.append(Button(t("button.next"), TRAINING_ATTENDANCE.action(training.id, page + 1)))
        rows.append(nav)
    rows.append(
        [Button(t("training.button_attendance_done"), TRAINING_ATTENDANCE_DONE.action(training.id))]
    )
    rows.append(_back(ctx, TRAINING_MANAGE.action(training.id)))
    text = t("training.attendance_title", topic=training.topic, count=len(people))
    return [Reply(text if people else t("training.attendance_nobody"), buttons=rows)]


async def _attendance(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    training = await officer_training(ctx, int(args[0]))
    if training is None:
        return await _not_found(ctx)
    if not _started(ctx, training) or training.status == store.CANCELLED:
        return [Reply(ctx.t("training.not_started_yet"))] + await manage_screen(ctx, training)
    return await attendance_screen(ctx, training, int(args[1] or 0))


async def _mark(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Present ↔ absent for one registrant (the first press marks present)."""
    invite = await store.get_invite(ctx.session, int(args[0]))
    training = await officer_training(ctx, invite.training_id) if invite else None
    if invite is None or training is None or invite.status not in store.REGISTERED:
        return await _not_found(ctx)
    if not _started(ctx, training):
        return [Reply(ctx.t("training.not_started_yet"))] + await manage_screen(ctx, training)
    invite.status = store.ABSENT if invite.status == store.ATTENDED else store.ATTENDED
    return await attendance_screen(ctx, training, int(args[1] or 0))


async def _attendance_done(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Those not marked present were absent; the register is recorded in the audit log."""
    training = await officer_training(ctx, int(args[0]))
    if training is None or not _started(ctx, training):
        return await _not_found(ctx)
    await store.close_attendance(ctx.session, training.id)
    counts = await store.counts(ctx.session, training.id)
    after = {"attended": counts.get(store.ATTENDED, 0), "absent": counts.get(store.ABSENT, 0)}
    await record(
        ctx.session,
        ctx.user.id,
        "training.attendance",
        "training",
        training.id,
        after=after,
        at=ctx.now(),
    )
    return [Reply(ctx.t("training.attendance_saved", **after))] + await manage_screen(ctx, training)


async def _cancel(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    training = await officer_training(ctx, int(args[0]))
    if training is None or training.status == store.CANCELLED or _started(ctx, training):
        return await _not_found(ctx)
    t = ctx.t
    rows = [
        [Button(t("training.button_cancel_yes"), TRAINING_CANCEL_YES.action(training.id))],
        _back(ctx, TRAINING_MANAGE.action(training.id)),
    ]
    return [Reply(t("training.cancel_confirm", topic=training.topic), buttons=rows)]


async def _cancel_yes(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Cancels: no more reminders or invitations; those going or waiting are told."""
    training = await officer_training(ctx, int(args[0]))
    if training is None or training.status == store.CANCELLED or _started(ctx, training):
        return await _not_found(ctx)
    now = ctx.now()
    training.status = store.CANCELLED
    await plans.unplan_training(ctx.session, training.id, None, "cancelled", now)
    holders = await store.holding_seats(ctx.session, training.id)
    for invite in holders:
        await tell(ctx, training, invite.user_id, messages.cancelled, "cancelled")
    await record(
        ctx.session,
        ctx.user.id,
        "training.cancel",
        "training",
        training.id,
        after={"told": len(holders)},
        at=now,
    )
    note = ctx.t("training.cancelled", topic=training.topic, count=len(holders))
    return [Reply(note)] + await manage_screen(ctx, training)


FEATURE = Feature(
    routes=(
        Route(TRAINING_NEW, _new, commands=("newtraining",)),
        Route(TRAINING_MANAGE, _manage),
        Route(TRAINING_ATTENDANCE, _attendance),
        Route(TRAINING_MARK, _mark),
        Route(TRAINING_ATTENDANCE_DONE, _attendance_done),
        Route(TRAINING_CANCEL, _cancel),
        Route(TRAINING_CANCEL_YES, _cancel_yes),
    ),
    flows=(TRAINING,),
)
