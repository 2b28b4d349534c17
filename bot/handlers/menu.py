"""The main menu, fitted to who the user is and what they left unfinished."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.intents import (
    BROADCAST_NEW,
    EXPORT,
    FIND,
    HELP,
    INVITE_NEW,
    LANGUAGE,
    LISTINGS,
    PRODUCT_NEW,
    PRODUCTS,
    PROFILE,
    REGISTRATION,
    REMINDERS,
    RESUME_FLOW,
    REVIEW,
    STATS,
    STATUS,
    TRAININGS,
)
from bot.core.types import Button, Reply
from storage.producers import producer_of_user
from storage.states.roles import Role


async def main_menu(
    ctx: Context, _target: int | None = None, *, intro: str | None = None
) -> list[Reply]:
    """Shows the menu; drafts saved with "later" come first, to be resumed.

    Someone who is not a producer is most likely a consumer: their menu says
    how to look a product up, `intro` (if given) in place of the welcome.
    """
    t = ctx.t
    rows: list[list[Button]] = []
    for name, draft in ctx.conversation.drafts.items():
        title_key = str(draft["title"])
        rows.append([Button(t("menu.resume", title=t(title_key)), RESUME_FLOW.action(name))])
    producer = await producer_of_user(ctx.session, ctx.user.id)
    if producer is None:
        text = intro or t("menu.title_new")
        rows.append([Button(t("menu.find"), FIND.action("help"))])
        rows.append([Button(t("menu.register"), REGISTRATION.action())])
    else:
        text = t("menu.title", name=producer.name)
        rows += [
            [
                Button(t("menu.new_product"), PRODUCT_NEW.action()),
                Button(t("menu.products"), PRODUCTS.action()),
            ],
            [
                Button(t("menu.status"), STATUS.action()),
                Button(t("menu.profile"), PROFILE.action()),
            ],
            [
                Button(t("menu.trainings"), TRAININGS.action()),
                Button(t("menu.reminders"), REMINDERS.action()),
            ],
        ]
    rows += officer_rows(ctx)
    rows.append(
        [Button(t("menu.language"), LANGUAGE.action()), Button(t("menu.help"), HELP.action())]
    )
    return [Reply(text, buttons=rows)]


def officer_rows(ctx: Context) -> list[list[Button]]:
    """Officers' and admins' entries; their routes check the role again when pressed."""
    t, role = ctx.t, ctx.user.role
    rows: list[list[Button]] = []
    if role in (Role.OFFICER, Role.ADMIN):
        rows += [
            [
                Button(t("menu.review"), REVIEW.action()),
                Button(t("menu.listings"), LISTINGS.action()),
            ],
            [
                Button(t("menu.broadcast"), BROADCAST_NEW.action()),
                Button(t("menu.stats"), STATS.action()),
            ],
            [
                Button(t("menu.export"), EXPORT.action()),
                Button(t("menu.trainings"), TRAININGS.action()),
            ],
        ]
    if role == Role.ADMIN:
        rows.append([Button(t("menu.invite"), INVITE_NEW.action())])
    return rows
