"""Trainings (routes, commands and flows joined in routes.py).

Producers: /trainings lists their upcoming invitations; "Going" / "Not
going" answer one (from the invitation itself, a reminder, or the list).
These routes are open to anyone, so each checks that the invitation
belongs to the user pressing. Officers' side: training_officers.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import MENU, TRAINING_ANSWER, TRAININGS, Intent
from bot.core.types import Button, Reply
from bot.handlers import training_officers as officers
from bot.handlers.routing import Feature, Route
from bot.i18n import N_
from bot.scheduler import messages, plans
from bot.scheduler.notices import tell
from storage import trainings as store
from storage.jobs import aware
from storage.models import Training, TrainingInvite
from storage.officers import scope_of

if TYPE_CHECKING:
    from bot.handlers.routes import Router

TRAINING = Intent(r"training:(\d+)")

STATUS = {
    store.INVITED: N_("training.status_invited"),
    store.GOING: N_("training.status_going"),
    store.NOT_GOING: N_("training.status_not_going"),
    store.WAITING: N_("training.status_waiting"),
    store.ATTENDED: N_("training.status_attended"),
    store.ABSENT: N_("training.status_absent"),
}


def _back(ctx: Context) -> list[Button]:
    return [
        Button(ctx.t("button.back"), TRAININGS.action()),
        Button(ctx.t("menu.back_to_menu"), MENU.action()),
    ]


def _started(ctx: Context, training: Training) -> bool:
    return aware(training.starts_at) <= ctx.now()


# --- producers ------------------------------------------------------------------


async def _status_line(ctx: Context, invite: TrainingInvite) -> str:
    if invite.status == store.WAITING:
        place = await store.waiting_place(ctx.session, invite)
        return ctx.t("training.status_waiting_place", place=place)
    return ctx.t(STATUS[invite.status])


async def my_trainings(ctx: Context) -> list[Reply]:
    """Upcoming trainings the user is invited to, with their answer to each."""
    t = ctx.t
    upcoming = await store.upcoming_for(ctx.session, ctx.user.id, ctx.now())
    if not upcoming:
        return [
            Reply(
                t("training.none_upcoming"),
                buttons=[[Button(t("menu.back_to_menu"), MENU.action())]],
            )
        ]
    lines = [t("training.mine_title")]
    rows: list[list[Button]] = []
    for training, invite in upcoming:
        when = t.datetime(aware(training.starts_at))
        status = await _status_line(ctx, invite)
        lines.append(t("training.mine_line", when=when, topic=training.topic, status=status))
        rows.append([Button(f"{when} · {training.topic}"[:60], TRAINING.action(training.id))])
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    return [Reply("\n".join(lines), buttons=rows)]


async def invite_screen(ctx: Context, training: Training, invite: TrainingInvite) -> list[Reply]:
    t = ctx.t
    text = messages.training_card(t, training)
    text += "\n" + t("training.your_answer", status=await _status_line(ctx, invite))
    rows: list[list[Button]] = []
    if training.status == store.OPEN and not _started(ctx, training):
        answer = []
        if invite.status not in (store.GOING, store.WAITING):
            answer.append(
                Button(t("training.button_going"), TRAINING_ANSWER.action("going", training.id))
            )
        if invite.status != store.NOT_GOING:
            answer.append(
                Button(
                    t("training.button_not_going"), TRAINING_ANSWER.action("not_going", training.id)
                )
            )
        rows.append(answer)
    rows.append(_back(ctx))
    return [Reply(text, buttons=rows)]


async def _trainings(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    if scope_of(ctx.user) is not None:
        return await officers.officer_trainings(ctx)
    return await my_trainings(ctx)


async def _view(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    training = await store.get_training(ctx.session, int(args[0]))
    invite = await store.invite_of(ctx.session, training.id, ctx.user.id) if training else None
    if training is None or invite is None:
        return [Reply(ctx.t("training.not_invited"))] + await my_trainings(ctx)
    return await invite_screen(ctx, training, invite)


async def _answer(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Going / Not going, from the invitation, a reminder or the list."""
    t, going = ctx.t, args[0] == "going"
    training = await store.lock_training(ctx.session, int(args[1]))
    invite = await store.invite_of(ctx.session, training.id, ctx.user.id) if training else None
    if training is None or invite is None:  # a crafted action, or someone else's invitation
        return [Reply(t("training.not_invited"))] + await my_trainings(ctx)
    if training.status == store.CANCELLED:
        return [Reply(t("training.was_cancelled"))] + await my_trainings(ctx)
    if _started(ctx, training):
        return [Reply(t("training.already_started"))] + await my_trainings(ctx)
    now, config = ctx.now(), ctx.settings.reminders
    result = await store.answer(ctx.session, training, invite, going, now)
    if result.changed and result.status == store.GOING:
        await plans.plan_training(ctx.session, training, ctx.user.id, config, now)
    if result.changed and not going:
        await plans.unplan_training(ctx.session, training.id, ctx.user.id, "not_going", now)
    if result.promoted is not None:
        await plans.plan_training(ctx.session, training, result.promoted.user_id, config, now)
        await tell(ctx, training, result.promoted.user_id, messages.promoted, "promoted")
    key = {
        store.GOING: "training.answer_going",
        store.WAITING: "training.answer_waiting",
        store.NOT_GOING: "training.answer_not_going",
    }[result.status]
    waiting = result.status == store.WAITING
    place = await store.waiting_place(ctx.session, invite) if waiting else 0
    note = t(key, topic=training.topic, place=place)
    return [Reply(note)] + await invite_screen(ctx, training, invite)


FEATURE = Feature(
    routes=(
        Route(TRAININGS, _trainings, commands=("trainings",)),
        Route(TRAINING, _view),
        Route(TRAINING_ANSWER, _answer),
    ),
    parts=(officers.FEATURE,),
)
