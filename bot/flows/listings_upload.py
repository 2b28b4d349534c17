"""Uploading a listings CSV: one step that takes the file (or its lines pasted as text).

A refused file changes nothing; the report says what to fix line by line
and the step asks for the corrected file again.
"""

from __future__ import annotations

from typing import Any

from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.intents import LISTINGS, goto
from bot.core.text import nfc
from bot.core.types import Reply
from bot.flows import engine
from bot.flows.engine import Flow, Step
from bot.flows.listings_import import import_listings
from bot.flows.officer_scope import back_to_menu, not_reachable, officer_scope

SPREADSHEETS = (".xlsx", ".xls", ".ods")
PASTED_NAME = "(pasted)"


def _pasted(raw: str) -> str:
    """CSV lines typed or pasted into the chat instead of a file."""
    if not raw.strip():
        raise Invalid("invalid.empty")
    return nfc(raw)


def _params(ctx: Context, _values: dict[str, Any]) -> dict[str, object]:
    marketplaces = ", ".join(m.id for m in ctx.settings.marketplaces)
    return {"max": ctx.settings.limits.max_csv_rows, "marketplaces": marketplaces}


STEPS = (Step("file", "listings.ask_file", parse=_pasted, accepts="document", params=_params),)


def _content(ctx: Context, value: Any) -> tuple[bytes, str]:
    """The file's bytes and name; raises Invalid for what cannot be a CSV file."""
    if isinstance(value, str):
        return value.encode("utf-8"), PASTED_NAME
    document = ctx.incoming.document
    name = (document.name if document else None) or "listings.csv"
    if name.lower().endswith(SPREADSHEETS):
        raise Invalid("listings.csv_spreadsheet")
    if ctx.incoming.file_bytes is None:
        limit = ctx.settings.media.max_photo_bytes // (1024 * 1024)
        raise Invalid("listings.csv_too_large", max_mb=limit)
    return ctx.incoming.file_bytes, name


async def _finish(ctx: Context, values: dict[str, Any], _target: int | None) -> list[Reply]:
    if officer_scope(ctx) is None:
        return await not_reachable(ctx)
    try:
        data, name = _content(ctx, values["file"])
    except Invalid as error:
        return [Reply(ctx.t(error.key, **error.params))] + await engine.start(ctx, UPLOAD)
    outcome = await import_listings(ctx, data, name)
    if outcome.applied:
        outcome.replies[0].buttons = [back_to_menu(ctx)]  # the report text, not its file
        return outcome.replies
    return outcome.replies + await engine.start(ctx, UPLOAD)  # send the corrected file


async def _exit(ctx: Context, _target: int | None) -> list[Reply]:
    return await goto(ctx, LISTINGS.action())


UPLOAD = Flow(
    name="listings_upload", title="listings.flow_upload", steps=STEPS, finish=_finish, exit=_exit
)
