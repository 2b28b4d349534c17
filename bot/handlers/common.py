"""First contact, language, help: what every user meets whatever their role."""

from __future__ import annotations

from bot.core.context import Context
from bot.core.intents import MENU, Intent
from bot.core.types import Button, Reply
from bot.i18n import LANGUAGES

LANGUAGE_NAMES = {"vi": "🇻🇳 Tiếng Việt", "en": "🇬🇧 English"}
# Answered by the router before any route (Router.__call__), on every screen.
SWITCH_LANGUAGE = Intent(r"lang:([a-z]{2})")


def guess_language(client_language: str | None, default: str) -> str:
    """Telegram's language_code ("vi", "en-US") → one of ours."""
    code = (client_language or "").split("-")[0].lower()
    return code if code in LANGUAGES else default


def language_picker(ctx: Context) -> list[Reply]:
    """Asks for a language, in the language we guess (or the one already chosen)."""
    guess = ctx.user.language or guess_language(
        ctx.incoming.language, ctx.settings.default_language
    )
    t = ctx.app.catalogs.translator(guess)
    ordered = [guess] + [code for code in LANGUAGES if code != guess]
    buttons = [[Button(LANGUAGE_NAMES[code], SWITCH_LANGUAGE.action(code))] for code in ordered]
    return [Reply(t("language.choose"), buttons=buttons)]


def set_language(ctx: Context, language: str) -> str:
    """Stores the language and speaks it from now on; returns the note that says so."""
    ctx.user.language = language
    ctx.t = ctx.app.catalogs.translator(language)
    return ctx.t("language.set")


def with_language_switch(ctx: Context, replies: list[Reply]) -> list[Reply]:
    """A new user's first answer, with one small button per other language.

    The language was taken from the app without asking; the button is the
    way to change it on the spot (and /language any time later).
    """
    if any(b.action.startswith("lang:") for r in replies for row in r.buttons for b in row):
        return replies  # the language picker itself
    current = ctx.user.language
    row = [
        Button(LANGUAGE_NAMES[code], SWITCH_LANGUAGE.action(code))
        for code in LANGUAGES
        if code != current
    ]
    for reply in reversed(replies):
        if reply.text and reply.document is None and not reply.request_contact:
            reply.buttons = [*reply.buttons, row]
            return replies
    return [*replies, Reply(ctx.t("language.switch"), buttons=[row])]


def help_screen(ctx: Context) -> list[Reply]:
    t = ctx.t
    return [Reply(t("help.text"), buttons=[[Button(t("menu.back_to_menu"), MENU.action())]])]
