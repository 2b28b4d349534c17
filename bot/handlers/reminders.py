"""/reminders: each kind of reminder on or off (routes, commands and flows joined in routes.py).

The choice lives in users.reminders_off ({"training": true, …}); the
scheduler reads it when each reminder is due, so turning a kind off stops
the ones already planned too, and turning it on again lets later ones go.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import MENU, REMINDERS, REMINDERS_SWITCH
from bot.core.types import Button, Reply
from bot.handlers.routing import Feature, Route
from bot.i18n import N_
from bot.scheduler.kinds import is_off
from storage.states.jobs import PREFERENCES

if TYPE_CHECKING:
    from bot.handlers.routes import Router

LABELS = {
    "training": N_("reminders.kind_training"),
    "incomplete": N_("reminders.kind_incomplete"),
    "expiry": N_("reminders.kind_expiry"),
}


def reminders_screen(ctx: Context) -> list[Reply]:
    """Each kind with its state, and a button that switches it."""
    t = ctx.t
    lines = [t("reminders.title")]
    rows: list[list[Button]] = []
    for kind in PREFERENCES:
        name = t(LABELS[kind])
        if is_off(ctx.user.reminders_off, kind):
            lines.append(t("reminders.line_off", name=name))
            rows.append(
                [Button(t("reminders.turn_on", name=name), REMINDERS_SWITCH.action("on", kind))]
            )
        else:
            lines.append(t("reminders.line_on", name=name))
            rows.append(
                [Button(t("reminders.turn_off", name=name), REMINDERS_SWITCH.action("off", kind))]
            )
    config = ctx.settings.reminders
    lines.append(
        t(
            "reminders.footer",
            start=config.quiet_start.strftime("%H:%M"),
            end=config.quiet_end.strftime("%H:%M"),
            cap=config.weekly_cap,
        )
    )
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    return [Reply("\n".join(lines), buttons=rows)]


async def _screen(ctx: Context, _router: Router, _args: tuple[str, ...]) -> list[Reply]:
    return reminders_screen(ctx)


async def _switch(ctx: Context, _router: Router, args: tuple[str, ...]) -> list[Reply]:
    """Turns one kind on or off; a new dict, so the ORM sees the JSON change."""
    state, kind = args
    off = dict(ctx.user.reminders_off or {})
    if state == "off":
        off[kind] = True
    else:
        off.pop(kind, None)
    ctx.user.reminders_off = off
    key = "reminders.turned_off" if state == "off" else "reminders.turned_on"
    return [Reply(ctx.t(key, name=ctx.t(LABELS[kind])))] + reminders_screen(ctx)


FEATURE = Feature(
    routes=(
        Route(REMINDERS, _screen, commands=("reminders",)),
        Route(REMINDERS_SWITCH, _switch),
    ),
)
