"""Queueing messages for delivery: notices, broadcasts and reminders alike.

Enqueueing happens inside the update's transaction, so a message exists if
and only if the change that caused it was committed; the outbox worker
(bot/outbox/) delivers it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import (
    JSON,
    CursorResult,
    DateTime,
    Select,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage import people
from storage.models import Broadcast, OutboxMessage, User, utcnow
from storage.states.delivery import BroadcastStatus, OutboxKind, OutboxStatus


def payload(
    text: str, buttons: list[list[tuple[str, str]]] | None = None, **extra: Any
) -> dict[str, Any]:
    """A message as stored: text, buttons as (label, action) rows, attachments in `extra`."""
    rows = [[{"label": label, "action": action} for label, action in row] for row in buttons or []]
    return {"text": text, "buttons": rows, **extra}


async def enqueue(
    session: AsyncSession,
    user: User,
    message: dict[str, Any],
    *,
    kind: OutboxKind = OutboxKind.NOTICE,
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    broadcast_id: int | None = None,
) -> OutboxMessage | None:
    """Queues one message to `user`'s chat; None if `dedupe_key` was queued before.

    A person with several channels gets it once, on the account their
    notices go to (storage/people.py).
    """
    if dedupe_key is not None:
        existing = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return None
    user = await people.delivery_account(session, user)
    row = OutboxMessage(
        kind=kind,
        broadcast_id=broadcast_id,
        user_id=user.id,
        channel=user.channel,
        chat_id=user.external_id,  # private chats: the chat is the user
        payload=message,
        dedupe_key=dedupe_key,
        status=PENDING,
        not_before=not_before or utcnow(),
        attempts=0,
    )
    session.add(row)
    await session.flush()
    return row


def button_actions(message: dict[str, Any]) -> list[str]:
    """The actions of a stored message's buttons, in the order their indexes count."""
    return [button["action"] for row in message.get("buttons", []) for button in row]


async def notice_action(
    session: AsyncSession, outbox_id: int, user_id: int, index: int
) -> str | None:
    """The action behind button `index` of a delivered message, if it was sent to this user
    (to any account of their person)."""
    row = await session.get(OutboxMessage, outbox_id)
    if row is None or not await people.same_person(session, row.user_id, user_id):
        return None
    actions = button_actions(row.payload)
    return actions[index] if 0 <= index < len(actions) else None


async def notice_after(
    session: AsyncSession, user_id: int, channel: str, chat_id: str, since: dt.datetime | None
) -> list[str]:
    """The button actions of the newest message with buttons delivered to this account's
    chat after `since` (the chat's last screen); [] when there is none. For channels that
    show a notice's buttons as a numbered list (docs/zalo.md)."""
    query = select(OutboxMessage.payload).where(
        OutboxMessage.user_id == user_id,
        OutboxMessage.channel == channel,
        OutboxMessage.chat_id == chat_id,
        OutboxMessage.status == SENT,
    )
    if since is not None:
        query = query.where(OutboxMessage.sent_at > since)
    newest = query.order_by(OutboxMessage.sent_at.desc(), OutboxMessage.id.desc()).limit(20)
    for message in await session.scalars(newest):
        actions = button_actions(message)
        if actions:
            return actions
    return []


# --- delivery: leasing, marking, recovering --------------------------------
# The worker (bot/outbox/worker.py) moves each row through
#   pending → leased → sending → sent | failed | blocked | unknown | pending (retry)
# and never sends a row it did not move from "leased" to "sending" itself,
# in a committed transaction, before the API call. See docs/outbox.md.

# The states (storage/states/delivery.py) under the names callers use.
PENDING = OutboxStatus.PENDING
LEASED = OutboxStatus.LEASED
SENDING = OutboxStatus.SENDING
SENT = OutboxStatus.SENT
FAILED = OutboxStatus.FAILED
BLOCKED = OutboxStatus.BLOCKED
CANCELLED = OutboxStatus.CANCELLED
DROPPED = OutboxStatus.DROPPED
UNKNOWN = OutboxStatus.UNKNOWN
OUT_WINDOW = OutboxStatus.OUT_WINDOW  # the channel's reply window had closed (Zalo OA): never sent
OPEN = (PENDING, LEASED, SENDING)

BROADCAST = OutboxKind.BROADCAST
PROGRESS = OutboxKind.PROGRESS
REPORT = OutboxKind.REPORT


def _rowcount(result: Any) -> int:
    return int(cast(CursorResult[Any], result).rowcount)


_QUIET = {"synchronize_session": False}  # plain UPDATEs: no ORM objects to keep in step


async def lease(
    session: AsyncSession,
    *,
    worker: str,
    channel: str,
    now: dt.datetime,
    until: dt.datetime,
    limit: int,
) -> list[OutboxMessage]:
    """Takes up to `limit` due rows of `channel` for `worker`, oldest first.

    Due: pending and not before now, or leased by a worker whose lease ran
    out (a leased row was never attempted, so taking it again is safe).
    Rows to users who blocked the bot, and non-essential broadcasts to users
    who opted out since they were queued, are settled here without sending.
    """
    due = or_(
        and_(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now),
        and_(OutboxMessage.status == LEASED, OutboxMessage.lease_until < now),
    )
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.channel == channel, due)
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
        # PostgreSQL: several processes lease at once, and SKIP LOCKED lets
        # each take rows no other transaction holds, without waiting. SQLite
        # has no row locks: FOR UPDATE there takes its single writer
        # (storage/db.py), which serialises leases.
        .with_for_update(skip_locked=True)
    )
    rows = list(await session.scalars(query))
    if not rows:
        return []
    users = {
        user.id: user
        for user in await session.scalars(
            select(User).where(User.id.in_({row.user_id for row in rows}))
        )
    }
    # Opting out is the person's choice, kept on their primary account.
    primary_ids = {user.person_id for user in users.values() if user.person_id is not None}
    primaries = {
        user.id: user
        for user in (
            await session.scalars(select(User).where(User.id.in_(primary_ids)))
            if primary_ids
            else []
        )
    }
    optional = set(
        await session.scalars(
            select(Broadcast.id).where(
                Broadcast.id.in_({row.broadcast_id for row in rows if row.broadcast_id}),
                Broadcast.essential.is_(False),
            )
        )
    )
    leased: list[OutboxMessage] = []
    for row in rows:
        user = users.get(row.user_id)
        person = primaries.get(user.person_id or 0, user) if user is not None else None
        if user is not None and user.blocked_at is not None:
            row.status, row.leased_by, row.lease_until = BLOCKED, None, None
        elif (
            row.kind == BROADCAST
            and row.broadcast_id in optional
            and person
            and person.notices_opt_out
        ):
            row.status, row.leased_by, row.lease_until = DROPPED, None, None
        else:
            row.status, row.leased_by, row.lease_until = LEASED, worker, until
            leased.append(row)
    await session.flush()
    return leased


async def begin_send(session: AsyncSession, row_id: int, worker: str, until: dt.datetime) -> bool:
    """Marks a leased row "sending"; False if it is no longer this worker's to send.

    Committed before the API call: whatever happens next, this row is never
    sent again (at most once).
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == LEASED,
            OutboxMessage.leased_by == worker,
        )
        .values(status=SENDING, lease_until=until, attempts=OutboxMessage.attempts + 1)
        .execution_options(**_QUIET)
    )
    return _rowcount(result) == 1


async def settle(
    session: AsyncSession,
    row: OutboxMessage,
    worker: str,
    status: OutboxStatus,
    now: dt.datetime,
    *,
    error: str | None = None,
    retry_at: dt.datetime | None = None,
    message_id: str | None = None,
) -> bool:
    """Records what a send came to; False if the row was taken from this worker meanwhile.

    `status` PENDING puts it back for another try at `retry_at` (the API
    refused it, so it was not delivered). BLOCKED also marks the user, so
    nothing more is sent to them. A sent PROGRESS row tells its broadcast
    which message to edit.
    """
    values: dict[str, Any] = {"status": status, "leased_by": None, "lease_until": None}
    if status == SENT:
        values["sent_at"] = now
    if status == PENDING:
        values["not_before"] = retry_at or now
    if error is not None:
        values["error"] = error[:300]
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row.id,
            OutboxMessage.status == SENDING,
            OutboxMessage.leased_by == worker,
        )
        .values(**values)
        .execution_options(**_QUIET)
    )
    if _rowcount(result) != 1:
        return False
    if status == BLOCKED:
        await session.execute(
            update(User)
            .where(User.id == row.user_id, User.blocked_at.is_(None))
            .values(blocked_at=now)
            .execution_options(**_QUIET)
        )
    if status == SENT and row.kind == PROGRESS and row.broadcast_id is not None:
        await session.execute(
            update(Broadcast)
            .where(Broadcast.id == row.broadcast_id)
            .values(progress_chat=row.chat_id, progress_message=message_id)
            .execution_options(**_QUIET)
        )
    return True


async def block_user(
    session: AsyncSession, channel: str, external_id: str, now: dt.datetime
) -> bool:
    """The user blocked the bot (an interactive reply got 403): kept from audiences until they
    write again. False if unknown or already marked."""
    result = await session.execute(
        update(User)
        .where(User.channel == channel, User.external_id == external_id, User.blocked_at.is_(None))
        .values(blocked_at=now)
        .execution_options(**_QUIET)
    )
    return _rowcount(result) == 1


async def release(
    session: AsyncSession, row_ids: list[int], worker: str, not_before: dt.datetime | None = None
) -> None:
    """Gives leased rows back unattempted (the worker is stopping, pausing, or the chat is busy)."""
    if not row_ids:
        return
    values: dict[str, Any] = {"status": PENDING, "leased_by": None, "lease_until": None}
    if not_before is not None:
        values["not_before"] = not_before
    await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(row_ids),
            OutboxMessage.status == LEASED,
            OutboxMessage.leased_by == worker,
        )
        .values(**values)
        .execution_options(**_QUIET)
    )


async def expire_sending(session: AsyncSession, now: dt.datetime) -> int:
    """Rows left "sending" by a worker that died: "unknown", never sent again."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, OutboxMessage.lease_until < now)
        .values(status=UNKNOWN, leased_by=None, error="worker stopped during the send")
        .execution_options(**_QUIET)
    )
    return _rowcount(result)


# --- broadcasts ---------------------------------------------------------------
# Draft → (queued) scheduled | sending → done, or cancelled. Queuing writes one
# outbox row per recipient in a single INSERT … SELECT, so the audience is
# fixed at confirmation; blocked and opted-out users are checked again when
# each row is leased.

DRAFT = BroadcastStatus.DRAFT
SCHEDULED = BroadcastStatus.SCHEDULED
SENDING_BROADCAST = BroadcastStatus.SENDING
DONE = BroadcastStatus.DONE
CANCELLED_BROADCAST = BroadcastStatus.CANCELLED


async def create_draft(
    session: AsyncSession,
    *,
    officer_id: int | None,
    province_code: int | None,
    text: str,
    audience: dict[str, Any],
    essential: bool,
    now: dt.datetime,
) -> Broadcast:
    broadcast = Broadcast(
        officer_id=officer_id,
        province_code=province_code,
        text=text,
        audience=audience,
        essential=essential,
        status=DRAFT,
        total=0,
        sent=0,
        failed=0,
        blocked=0,
        created_at=now,
    )
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get_broadcast(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def recent_broadcasts(
    session: AsyncSession, province_code: int | None, *, everywhere: bool, limit: int = 10
) -> list[Broadcast]:
    """Newest first, drafts left out: all of them for admins, else one province's."""
    query = select(Broadcast).where(Broadcast.status != DRAFT)
    if not everywhere:
        query = query.where(Broadcast.province_code == province_code)
    return list(await session.scalars(query.order_by(Broadcast.id.desc()).limit(limit)))


async def queue_broadcast(
    session: AsyncSession,
    broadcast: Broadcast,
    recipients: Select[int, str, str, str | None, int],
    messages: dict[str, dict[str, Any]],
    *,
    default_language: str,
    not_before: dt.datetime,
    now: dt.datetime,
) -> int:
    """One pending row per recipient, each with the payload of their language; returns how many.

    `recipients` selects (id, channel, external_id, language, account_id) of users
    (storage/audience.py; the row goes to account_id, on channel and external_id);
    `messages` maps a language to the stored payload (its buttons' labels are
    in that language; the text itself is read from the broadcast when sent).
    """
    chosen = recipients.subquery()
    language = func.coalesce(chosen.c.language, default_language)
    others = [code for code in messages if code != default_language]
    for code, message in messages.items():
        speaks = language == code if code != default_language else language.not_in(others)
        rows = select(
            literal(BROADCAST),
            literal(broadcast.id),
            chosen.c.account_id,
            chosen.c.channel,
            chosen.c.external_id,
            literal(message, JSON),
            literal(PENDING),
            literal(not_before, DateTime(timezone=True)),
            literal(0),
            literal(now, DateTime(timezone=True)),
        ).where(speaks)
        columns = [
            "kind",
            "broadcast_id",
            "user_id",
            "channel",
            "chat_id",
            "payload",
            "status",
            "not_before",
            "attempts",
            "created_at",
        ]
        await session.execute(insert(OutboxMessage).from_select(columns, rows))
    total = await session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.kind == BROADCAST)
    )
    broadcast.total = int(total or 0)
    broadcast.scheduled_at = not_before
    broadcast.status = SCHEDULED if not_before > now else SENDING_BROADCAST
    await session.flush()
    return broadcast.total


async def cancel_broadcast(session: AsyncSession, broadcast: Broadcast) -> int:
    """Stops a broadcast: rows not yet attempted are cancelled; returns how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast.id,
            OutboxMessage.status.in_((PENDING, LEASED)),
        )
        .values(status=CANCELLED, leased_by=None, lease_until=None)
        .execution_options(**_QUIET)
    )
    broadcast.status = CANCELLED_BROADCAST
    await session.flush()
    return _rowcount(result)


async def broadcast_counts(session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """Recipients' rows by status."""
    result = await session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.kind == BROADCAST)
        .group_by(OutboxMessage.status)
    )
    return {status: int(count) for status, count in result}


async def start_due_broadcasts(session: AsyncSession, now: dt.datetime) -> int:
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.status == SCHEDULED, Broadcast.scheduled_at <= now)
        .values(status=SENDING_BROADCAST)
        .execution_options(**_QUIET)
    )
    return _rowcount(result)


async def unfinished_broadcasts(session: AsyncSession) -> list[Broadcast]:
    """Broadcasts sending, or cancelled and not yet reported."""
    return list(
        await session.scalars(
            select(Broadcast)
            .where(
                Broadcast.finished_at.is_(None),
                Broadcast.status.in_((SENDING_BROADCAST, CANCELLED_BROADCAST)),
            )
            .order_by(Broadcast.id)
        )
    )


async def progress_row(session: AsyncSession, broadcast_id: int) -> OutboxMessage | None:
    return await session.scalar(
        select(OutboxMessage).where(
            OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.kind == PROGRESS
        )
    )


async def claim_progress_edit(
    session: AsyncSession, row_id: int, now: dt.datetime, next_at: dt.datetime
) -> bool:
    """True for the one worker that may edit the progress message now.

    A sent progress row's `lease_until` holds the earliest time of its next
    edit; this conditional UPDATE moves it on, so of several workers only
    one edits, and no more often than the configured interval.
    """
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id == row_id,
            OutboxMessage.status == SENT,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now),
        )
        .values(lease_until=next_at)
        .execution_options(**_QUIET)
    )
    return _rowcount(result) == 1


async def finish_broadcast(
    session: AsyncSession, broadcast_id: int, counts: dict[str, int], now: dt.datetime
) -> bool:
    """Closes a broadcast with its totals; True for the one caller that did."""
    result = await session.execute(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None))
        .values(
            finished_at=now,
            status=case((Broadcast.status == SENDING_BROADCAST, DONE), else_=Broadcast.status),
            sent=counts.get(SENT, 0),
            failed=counts.get(FAILED, 0) + counts.get(UNKNOWN, 0),
            blocked=counts.get(BLOCKED, 0),
        )
        .execution_options(**_QUIET)
    )
    return _rowcount(result) == 1
