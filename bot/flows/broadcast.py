"""/broadcast: an officer composes a notice — text, audience, importance — then previews it.

`BROADCAST` asks the text and the filters; its finish saves a draft and
shows the preview (bot/flows/broadcast_views.py), where the officer
sends now, schedules (`SCHEDULE` asks the time), adds a photo or file
(`attach`, a one-step flow of its own because the engine reads typed text
and buttons only), edits, or discards.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from bot.core import places
from bot.core.context import Context
from bot.core.errors import Invalid
from bot.core.flow_actions import FLOW_BACK, FLOW_CANCEL, FLOW_LATER
from bot.core.intents import BROADCAST_PREVIEW, MENU, goto
from bot.core.ocop import ENTITY_KINDS, GROUPS, group_key, kind_key
from bot.core.text import clean, has_word_character, only_invisible, visible
from bot.core.types import Button, Reply
from bot.flows import broadcast_views as views
from bot.flows.collector import Collector
from bot.flows.engine import Choice, Flow, Step, complaint
from bot.outbox.attachments import AttachmentStore
from storage import outbox
from storage.audience import MISSING, Audience
from storage.models import Broadcast
from storage.officers import scope_of

MAX_TEXT = 4096  # Telegram's message limit
MAX_CAPTION = 1024  # Telegram's limit for the text that goes with a photo or file
MAX_DAYS_AHEAD = 90
FILTER_STEPS = ["province", "ward", "groups", "stars", "kinds", "not_live_on", "missing"]
ATTACH = "broadcast_attach"


def length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def message_text(raw: str) -> str:
    """The notice as typed: line breaks kept, spaces at line ends trimmed, at most 4096."""
    lines = [line.rstrip() for line in visible(raw, multiline=True).strip().splitlines()]
    value = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    if not value:
        if only_invisible(raw):
            raise Invalid("invalid.invisible")
        raise Invalid("invalid.empty")
    if not has_word_character(value):
        raise Invalid("invalid.no_letters")
    if length(value) > MAX_TEXT:
        raise Invalid("broadcast.text_too_long", length=length(value), max=MAX_TEXT)
    return value


_WHEN = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\s+(\d{1,2})[:hg](\d{2})$")


def local_time(raw: str) -> str:
    """ "24/11/2026 08:30" (Vietnam time) → "2026-11-24T08:30", no time zone yet."""
    match = _WHEN.match(clean(raw).lower())
    if not match:
        raise Invalid("broadcast.time_format")
    day, month, year, hour, minute = (int(part) for part in match.groups())
    try:
        return dt.datetime(year, month, day, hour, minute).isoformat(timespec="minutes")
    except ValueError as error:
        raise Invalid("broadcast.time_format") from error


def to_utc(ctx: Context, local: str) -> dt.datetime:
    return dt.datetime.fromisoformat(local).replace(tzinfo=ctx.t.tz).astimezone(dt.UTC)


def _check_time(ctx: Context, _values: dict[str, Any], local: str) -> None:
    when = to_utc(ctx, local)
    if when <= ctx.now() + dt.timedelta(minutes=1):
        raise Invalid("broadcast.time_past")
    if when > ctx.now() + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise Invalid("broadcast.time_far", days=MAX_DAYS_AHEAD)


# --- choices ------------------------------------------------------------------


def _groups(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(group, ctx.t(group_key(group))) for group in GROUPS]


def _stars(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    rated = [Choice(n, ctx.t("broadcast.n_stars", count=n)) for n in range(1, 6)]
    return [*rated, Choice(0, ctx.t("broadcast.not_rated"))]


def _kinds(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(kind, ctx.t(kind_key(kind))) for kind in ENTITY_KINDS]


def _marketplaces(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(m.id, m.name) for m in ctx.settings.marketplaces]


def _missing(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(what, ctx.t(f"broadcast.missing_{what}")) for what in MISSING]


def _yes_no(ctx: Context, _values: dict[str, Any]) -> list[Choice]:
    return [Choice(True, ctx.t("button.yes")), Choice(False, ctx.t("button.no"))]


def _search_provinces(_values: dict[str, Any], query: str) -> list[Choice]:
    return [Choice(p.code, p.name) for p in places.search(places.provinces(), query)]


def _search_wards(values: dict[str, Any], query: str) -> list[Choice]:
    found = places.search(places.wards(int(values["province"])), query)
    return [Choice(w.code, w.name) for w in found]


def _everywhere(values: dict[str, Any]) -> bool:
    return bool(values.get("_everywhere"))


def _has_province(values: dict[str, Any]) -> bool:
    return values.get("province") is not None


def _check_ward(_ctx: Context, values: dict[str, Any], ward: int) -> None:
    if places.ward_province(ward) != values.get("province"):
        raise Invalid("invalid.no_match", query=str(ward))


def _show_text(_ctx: Context, value: Any) -> str:
    text = str(value)
    return text if len(text) <= 300 else text[:300] + "…"


def _show_place(_ctx: Context, code: Any) -> str:
    place = places.province(code) or places.ward(code)
    return place.name if place else str(code)


def _check_caption(_ctx: Context, values: dict[str, Any], text: str) -> None:
    """A draft with a photo or file sends its text as the caption: 1024 at most."""
    if values.get("_attached") and length(text) > MAX_CAPTION:
        raise Invalid("broadcast.caption_too_long", length=length(text), max=MAX_CAPTION)


STEPS = (
    Step("text", "broadcast.ask_text", parse=message_text, check=_check_caption, show=_show_text),
    Step(
        "province",
        "broadcast.ask_province",
        search=_search_provinces,
        optional=True,
        when=_everywhere,
        show=_show_place,
    ),
    Step(
        "ward",
        "broadcast.ask_ward",
        search=_search_wards,
        optional=True,
        when=_has_province,
        check=_check_ward,
        show=_show_place,
    ),
    Step("groups", "broadcast.ask_groups", choices=_groups, multi=True, columns=1),
    Step("stars", "broadcast.ask_stars", choices=_stars, multi=True, columns=3),
    Step("kinds", "broadcast.ask_kinds", choices=_kinds, multi=True, columns=1),
    Step("not_live_on", "broadcast.ask_not_live_on", choices=_marketplaces, optional=True),
    Step("missing", "broadcast.ask_missing", choices=_missing, optional=True, columns=1),
    Step("essential", "broadcast.ask_essential", choices=_yes_no),
)


def start_values(ctx: Context) -> dict[str, Any] | None:
    """The answers a new broadcast starts with: the officer's province; None if they have none."""
    scope = scope_of(ctx.user)
    if scope is None:
        return None
    if scope.province_code is None:
        return {"_everywhere": True, "province": None}
    return {"_everywhere": False, "province": scope.province_code}


def from_draft(broadcast: Broadcast, everywhere: bool) -> dict[str, Any]:
    audience = Audience.from_json(broadcast.audience)
    return {
        "_everywhere": everywhere,
        "_attached": broadcast.attachment_sha256 is not None,
        "text": broadcast.text,
        "province": audience.province,
        "ward": audience.ward,
        "groups": list(audience.groups),
        "stars": list(audience.stars),
        "kinds": list(audience.kinds),
        "not_live_on": audience.not_live_on,
        "missing": audience.missing,
        "essential": audience.essential,
    }


def to_audience(values: dict[str, Any], province: int | None) -> Audience:
    return Audience(
        province=province,
        ward=values.get("ward") if province is not None else None,
        groups=tuple(values.get("groups") or ()),
        stars=tuple(values.get("stars") or ()),
        kinds=tuple(values.get("kinds") or ()),
        not_live_on=values.get("not_live_on"),
        missing=values.get("missing"),
        essential=bool(values.get("essential")),
    )


async def _finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    """Saves the draft (a new one, or the one being edited) and shows its preview."""
    scope = scope_of(ctx.user)
    if scope is None:  # no longer an officer
        return [Reply(ctx.t("denied"))] + await goto(ctx, MENU.action())
    # An officer's province comes from their account, never from the answers.
    province = values.get("province") if scope.province_code is None else scope.province_code
    audience = to_audience(values, province)
    draft = await views.own_draft(ctx, target) if target is not None else None
    if draft is None:
        draft = await outbox.create_draft(
            ctx.session,
            officer_id=ctx.user.id,
            province_code=province,
            text=values["text"],
            audience=audience.to_json(),
            essential=audience.essential,
            now=ctx.now(),
        )
    else:
        draft.text, draft.audience = values["text"], audience.to_json()
        draft.province_code, draft.essential = province, audience.essential
    return await views.preview(ctx, draft)


async def _exit(ctx: Context, target: int | None) -> list[Reply]:
    draft = await views.own_draft(ctx, target) if target is not None else None
    return await (views.preview(ctx, draft) if draft is not None else goto(ctx, MENU.action()))


BROADCAST = Flow(name="broadcast", title="flow.broadcast", steps=STEPS, finish=_finish, exit=_exit)


# --- scheduling -------------------------------------------------------------------


async def _schedule_finish(ctx: Context, values: dict[str, Any], target: int | None) -> list[Reply]:
    draft = await views.own_draft(ctx, target) if target is not None else None
    if draft is None:
        return [Reply(ctx.t("broadcast.not_found"))] + await goto(ctx, MENU.action())
    return await views.confirm(ctx, draft, to_utc(ctx, values["at"]))


SCHEDULE = Flow(
    name="broadcast_at",
    title="flow.broadcast_at",
    steps=(Step("at", "broadcast.ask_time", parse=local_time, check=_check_time),),
    finish=_schedule_finish,
    exit=_exit,
)


# --- attaching a photo or a file: a one-step flow outside the engine ---------------


async def start_attach(ctx: Context, draft: Broadcast) -> list[Reply]:
    ctx.conversation.flow, ctx.conversation.step = ATTACH, "collect"
    ctx.conversation.data = {"target": draft.id}
    return attach_prompt(ctx)


def attach_prompt(ctx: Context) -> list[Reply]:
    t = ctx.t
    target = ctx.conversation.data.get("target")
    limit = ctx.settings.media.max_photo_bytes // (1024 * 1024)
    back = Button(t("button.back"), BROADCAST_PREVIEW.action(target))
    return [Reply(t("broadcast.ask_attachment", max_mb=limit), buttons=[[back]])]


async def handle_attach(ctx: Context) -> list[Reply]:
    """Stores the photo or file sent and goes back to the preview."""
    draft = await views.own_draft(ctx, int(ctx.conversation.data.get("target", 0)))
    if draft is None or ctx.action in (
        FLOW_BACK.action(),
        FLOW_CANCEL.action(),
        FLOW_LATER.action(),
    ):
        _leave(ctx)
        return await (views.preview(ctx, draft) if draft is not None else goto(ctx, MENU.action()))
    try:
        await _store(ctx, draft)
    except Invalid as error:
        return [complaint(ctx, error)] + attach_prompt(ctx)
    _leave(ctx)
    return [Reply(ctx.t("broadcast.attached"))] + await views.preview(ctx, draft)


async def _store(ctx: Context, draft: Broadcast) -> None:
    incoming = ctx.incoming
    ref = incoming.photo or incoming.document
    limit = ctx.settings.media.max_photo_bytes
    if ref is None:
        raise Invalid("broadcast.send_file")
    if (ref.size or 0) > limit or incoming.file_bytes is None or incoming.picture is None:
        raise Invalid("photo.too_large", max_mb=limit // (1024 * 1024))
    if length(draft.text) > MAX_CAPTION:
        raise Invalid("broadcast.caption_too_long", length=length(draft.text), max=MAX_CAPTION)
    store = AttachmentStore(ctx.app.media)
    if incoming.photo is not None:
        attachment = await store.store_photo(incoming.picture)
    else:
        attachment = await store.store_document(incoming.file_bytes, ref.name, ref.mime)
    draft.attachment_kind = attachment.kind
    draft.attachment_sha256 = attachment.sha256
    draft.attachment_name = attachment.name


def _leave(ctx: Context) -> None:
    ctx.conversation.flow, ctx.conversation.step, ctx.conversation.data = None, None, {}


async def _show_attach(ctx: Context) -> list[Reply]:
    return attach_prompt(ctx)


ATTACHING = Collector(ATTACH, handle_attach, _show_attach)
