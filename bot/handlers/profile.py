"""The producer's profile screen and its edit menu."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.intents import MENU, PROFILE, PROFILE_EDIT, PROFILE_FIELD
from bot.core.types import Button, Reply
from bot.flows.cards import producer_card
from bot.handlers.menu import main_menu
from storage.producers import producer_of_user

# Register-flow steps a producer can change, with their button labels.
EDITABLE = (
    ("name", "field.entity_name"),
    ("kind", "field.kind"),
    ("representative", "field.representative"),
    ("phone", "field.phone"),
    ("province", "field.place"),
    ("address", "field.address"),
    ("location", "field.location"),
    ("tax_code", "field.tax_code"),
    ("show_phone", "field.show_phone"),
    ("story", "field.producer_story"),
)


async def profile_view(ctx: Context, _target: int | None = None) -> list[Reply]:
    producer = await producer_of_user(ctx.session, ctx.user.id)
    if producer is None:
        return [Reply(ctx.t("profile.none"))] + await main_menu(ctx)
    t = ctx.t
    buttons = [
        [Button(t("button.edit"), PROFILE_EDIT.action())],
        [Button(t("menu.back_to_menu"), MENU.action())],
    ]
    return [Reply(producer_card(ctx, producer), buttons=buttons)]


def profile_edit_menu(ctx: Context) -> list[Reply]:
    t = ctx.t
    buttons = [[Button(t(label), PROFILE_FIELD.action(step))] for step, label in EDITABLE]
    buttons.append([Button(t("menu.back_to_menu"), PROFILE.action())])
    return [Reply(t("profile.choose_field"), buttons=buttons)]
