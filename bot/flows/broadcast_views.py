"""Broadcast screens: the preview, the confirmation that queues it, the list, the stop.

Shared by the composing flows (bot/flows/broadcast.py) and the routes
(bot/handlers/broadcasts.py). Every screen re-checks the officer's province:
a draft belongs to the officer who wrote it, and a running broadcast may be
stopped by officers of its province and by admins.
"""

from __future__ import annotations

import datetime as dt

from bot.core import places
from bot.core.context import Context
from bot.core.intents import (
    BROADCAST_ATTACH,
    BROADCAST_AUDIENCE,
    BROADCAST_CANCEL,
    BROADCAST_DETACH,
    BROADCAST_DISCARD,
    BROADCAST_EDIT,
    BROADCAST_NEW,
    BROADCAST_SCHEDULE,
    BROADCAST_SEND,
    BROADCAST_STOP,
    BROADCASTS,
    MENU,
    NOTICES_SET,
    goto,
)
from bot.core.ocop import group_key, kind_key
from bot.core.types import Button, Reply
from bot.i18n import LANGUAGES
from bot.outbox.attachments import AttachmentStore, of_broadcast
from bot.outbox.progress import progress_text
from storage import audience as audiences
from storage import outbox
from storage.audience import Audience
from storage.audit import record
from storage.models import Broadcast
from storage.officers import scope_of

MAX_TEXT = 4096
MAX_CAPTION = 1024
SNIPPET = 60  # characters of a broadcast's text in the list


def _length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


async def own_draft(ctx: Context, broadcast_id: int | None) -> Broadcast | None:
    """The user's own draft, while they are still an officer."""
    if broadcast_id is None or scope_of(ctx.user) is None:
        return None
    draft = await outbox.get_broadcast(ctx.session, broadcast_id)
    if draft is None or draft.status != outbox.DRAFT or draft.officer_id != ctx.user.id:
        return None
    return draft


async def reachable(ctx: Context, broadcast_id: int) -> Broadcast | None:
    """A broadcast of the officer's province (any, for an admin)."""
    scope = scope_of(ctx.user)
    broadcast = await outbox.get_broadcast(ctx.session, broadcast_id)
    if scope is None or broadcast is None or broadcast.status == outbox.DRAFT:
        return None
    if scope.province_code is not None and broadcast.province_code != scope.province_code:
        return None
    return broadcast


async def not_found(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t("broadcast.not_found"))] + await goto(ctx, MENU.action())


# --- preview -----------------------------------------------------------------


async def preview(ctx: Context, draft: Broadcast) -> list[Reply]:
    """The message exactly as recipients will get it, then who gets it and what to do."""
    t = ctx.t
    audience = Audience.from_json(draft.audience)
    count = await audiences.count(ctx.session, audience)
    lines = [t("broadcast.preview_count", count=t.number(count)), *describe(ctx, audience)]
    if count == 0:
        lines.append(t("broadcast.no_audience"))
    rows: list[list[Button]] = []
    if count:
        rows.append(
            [
                Button(t("broadcast.send_now"), BROADCAST_SEND.action(draft.id)),
                Button(t("broadcast.schedule"), BROADCAST_SCHEDULE.action(draft.id)),
            ]
        )
    if draft.attachment_sha256 is None:
        rows.append([Button(t("broadcast.attach"), BROADCAST_ATTACH.action(draft.id))])
    else:
        rows.append([Button(t("broadcast.detach"), BROADCAST_DETACH.action(draft.id))])
    rows.append(
        [
            Button(t("broadcast.edit_text"), BROADCAST_EDIT.action(draft.id)),
            Button(t("broadcast.edit_audience"), BROADCAST_AUDIENCE.action(draft.id)),
        ]
    )
    rows.append([Button(t("broadcast.discard"), BROADCAST_DISCARD.action(draft.id))])
    return [
        Reply(t("broadcast.preview_title")),
        await as_sent(ctx, draft),
        Reply("\n".join(lines), buttons=rows),
    ]


async def as_sent(ctx: Context, draft: Broadcast) -> Reply:
    attachment = of_broadcast(draft)
    if attachment is None:
        return Reply(draft.text)
    store = AttachmentStore(ctx.app.media)
    if attachment.kind == "photo":
        return Reply(draft.text, photo=store.path(attachment))
    data = await store.read(attachment)
    return Reply(draft.text, document=data, document_name=attachment.name)


def describe(ctx: Context, audience: Audience) -> list[str]:
    """The filters in words, one line each."""
    t = ctx.t
    province = places.province(audience.province) if audience.province is not None else None
    lines = [
        t("broadcast.f_province", name=province.name)
        if province
        else t("broadcast.f_all_provinces")
    ]
    ward = places.ward(audience.ward) if audience.ward is not None else None
    if ward is not None:
        lines.append(t("broadcast.f_ward", name=ward.name))
    if audience.groups:
        names = ", ".join(t(group_key(group)) for group in audience.groups)
        lines.append(t("broadcast.f_groups", names=names))
    if audience.stars:
        names = ", ".join(
            t("broadcast.n_stars", count=n) if n else t("broadcast.not_rated")
            for n in sorted(audience.stars)
        )
        lines.append(t("broadcast.f_stars", names=names))
    if audience.kinds:
        lines.append(
            t("broadcast.f_kinds", names=", ".join(t(kind_key(k)) for k in audience.kinds))
        )
    marketplace = ctx.settings.marketplace(audience.not_live_on or "")
    if marketplace is not None:
        lines.append(t("broadcast.f_not_live_on", name=marketplace.name))
    if audience.missing:
        lines.append(t("broadcast.f_missing", what=t(f"broadcast.missing_{audience.missing}")))
    lines.append(t("broadcast.f_essential") if audience.essential else t("broadcast.f_optional"))
    return lines


# --- confirming ---------------------------------------------------------------


async def confirm(ctx: Context, draft: Broadcast, when: dt.datetime | None) -> list[Reply]:
    """Queues the draft now (`when` None) or for `when`; refuses what may not go."""
    t = ctx.t
    scope = scope_of(ctx.user)
    if scope is None or not (
        scope.province_code is None or scope.province_code == draft.province_code
    ):
        return [Reply(t("denied"))] + await goto(ctx, MENU.action())
    limit = MAX_CAPTION if draft.attachment_sha256 else MAX_TEXT
    if _length(draft.text) > limit:
        key = "broadcast.caption_too_long" if draft.attachment_sha256 else "broadcast.text_too_long"
        return [Reply(t(key, length=t.number(_length(draft.text)), max=t.number(limit)))] + (
            await preview(ctx, draft)
        )
    audience = Audience.from_json(draft.audience)
    count = await audiences.count(ctx.session, audience)
    if count == 0:
        return [Reply(t("broadcast.no_audience"))] + await preview(ctx, draft)
    now = ctx.now()
    start = when or now
    await _queue_progress(ctx, draft, count, start)
    total = await outbox.queue_broadcast(
        ctx.session,
        draft,
        audiences.recipients(audience),
        _recipient_payloads(ctx, audience.essential),
        default_language=ctx.settings.default_language,
        not_before=start,
        now=now,
    )
    action = "broadcast.scheduled" if when else "broadcast.sent"
    after = {"total": total, "at": start.isoformat(), "audience": draft.audience}
    await record(ctx.session, ctx.user.id, action, "broadcast", draft.id, after=after, at=now)
    if when is None:
        text = t("broadcast.queued", id=draft.id, count=t.number(total))
    else:
        text = t(
            "broadcast.scheduled_for", id=draft.id, count=t.number(total), when=t.datetime(start)
        )
    return [Reply(text)] + await goto(ctx, MENU.action())


async def _queue_progress(ctx: Context, draft: Broadcast, count: int, start: dt.datetime) -> None:
    """The officer's progress message, queued first so it leaves before the broadcast."""
    t = ctx.t
    text = progress_text(t, draft.id, count, {}, "sending")
    stop = (t("broadcast.stop_button"), BROADCAST_CANCEL.action(draft.id))
    await outbox.enqueue(
        ctx.session,
        ctx.user,
        outbox.payload(text, [[stop]]),
        kind=outbox.PROGRESS,
        dedupe_key=f"broadcast:{draft.id}:progress",
        not_before=start,
        broadcast_id=draft.id,
    )


def _recipient_payloads(ctx: Context, essential: bool) -> dict[str, dict[str, object]]:
    """Per language: a non-essential notice carries a button to turn such notices off."""
    payloads: dict[str, dict[str, object]] = {}
    for language in LANGUAGES:
        t = ctx.app.catalogs.translator(language)
        buttons = [] if essential else [[(t("notices.off_button"), NOTICES_SET.action("off"))]]
        payloads[language] = outbox.payload("", buttons)
    return payloads


# --- the list, and stopping ------------------------------------------------------


async def list_screen(ctx: Context) -> list[Reply]:
    t = ctx.t
    scope = scope_of(ctx.user)
    if scope is None:
        return [Reply(t("broadcast.no_province"))] + await goto(ctx, MENU.action())
    found = await outbox.recent_broadcasts(
        ctx.session, scope.province_code, everywhere=scope.province_code is None
    )
    lines = [t("broadcast.list_title")] if found else [t("broadcast.list_empty")]
    rows: list[list[Button]] = []
    for broadcast in found:
        counts = await outbox.broadcast_counts(ctx.session, broadcast.id)
        lines.append(_line(ctx, broadcast, counts))
        if broadcast.status in (outbox.SCHEDULED, outbox.SENDING_BROADCAST):
            label = t("broadcast.stop_one", id=broadcast.id)
            rows.append([Button(label, BROADCAST_CANCEL.action(broadcast.id))])
    rows.append(
        [
            Button(t("broadcast.new"), BROADCAST_NEW.action()),
            Button(t("broadcast.refresh"), BROADCASTS.action()),
        ]
    )
    rows.append([Button(t("menu.back_to_menu"), MENU.action())])
    return [Reply("\n\n".join(lines), buttons=rows)]


def _line(ctx: Context, broadcast: Broadcast, counts: dict[str, int]) -> str:
    t = ctx.t
    when = broadcast.scheduled_at or broadcast.created_at
    snippet = broadcast.text if len(broadcast.text) <= SNIPPET else broadcast.text[:SNIPPET] + "…"
    return t(
        "broadcast.list_line",
        id=broadcast.id,
        status=t(f"broadcast.status_{broadcast.status}"),
        when=t.datetime(_aware(when)),
        sent=t.number(counts.get(outbox.SENT, 0)),
        total=t.number(broadcast.total),
        failed=t.number(counts.get(outbox.FAILED, 0) + counts.get(outbox.UNKNOWN, 0)),
        blocked=t.number(counts.get(outbox.BLOCKED, 0)),
        text=snippet.replace("\n", " "),
    )


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands times back without their zone; they are stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


async def stop_confirm(ctx: Context, broadcast: Broadcast) -> list[Reply]:
    t = ctx.t
    counts = await outbox.broadcast_counts(ctx.session, broadcast.id)
    text = t(
        "broadcast.stop_ask",
        id=broadcast.id,
        sent=t.number(counts.get(outbox.SENT, 0)),
        total=t.number(broadcast.total),
    )
    buttons = [
        [Button(t("broadcast.stop_yes"), BROADCAST_STOP.action(broadcast.id))],
        [Button(t("broadcast.stop_no"), BROADCASTS.action())],
    ]
    return [Reply(text, buttons=buttons)]


async def stop(ctx: Context, broadcast: Broadcast) -> list[Reply]:
    """Cancels what has not gone yet; the worker reports once the messages in flight land."""
    t = ctx.t
    if broadcast.status not in (outbox.SCHEDULED, outbox.SENDING_BROADCAST):
        return [Reply(t("broadcast.not_running", id=broadcast.id))] + await list_screen(ctx)
    cancelled = await outbox.cancel_broadcast(ctx.session, broadcast)
    counts = await outbox.broadcast_counts(ctx.session, broadcast.id)
    progress = await outbox.progress_row(ctx.session, broadcast.id)
    if not counts.get(outbox.SENDING) and (progress is None or progress.status != outbox.SENT):
        # Nothing left in flight and no progress message to close: done here.
        await outbox.finish_broadcast(ctx.session, broadcast.id, counts, ctx.now())
    after = {"cancelled": cancelled, "sent": counts.get(outbox.SENT, 0)}
    await record(
        ctx.session,
        ctx.user.id,
        "broadcast.cancelled",
        "broadcast",
        broadcast.id,
        after=after,
        at=ctx.now(),
    )
    text = t(
        "broadcast.stopped",
        id=broadcast.id,
        cancelled=t.number(cancelled),
        sent=t.number(counts.get(outbox.SENT, 0)),
    )
    return [Reply(text)] + await list_screen(ctx)


# --- a producer's notices ------------------------------------------------------------


def notices_screen(ctx: Context) -> list[Reply]:
    t = ctx.t
    if ctx.user.notices_opt_out:
        text, button = t("notices.are_off"), Button(t("notices.turn_on"), NOTICES_SET.action("on"))
    else:
        text, button = t("notices.are_on"), Button(t("notices.turn_off"), NOTICES_SET.action("off"))
    return [Reply(text, buttons=[[button], [Button(t("menu.back_to_menu"), MENU.action())]])]
