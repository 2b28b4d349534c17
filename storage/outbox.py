"""Queueing messages for delivery: notices, broadcasts and reminders alike.

Enqueueing happens inside the update's transaction, so a message exists if
and only if the change that caused it was committed; the outbox worker
(bot/outbox/) delivers it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, User, utcnow


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
    kind: str = "notice",
    dedupe_key: str | None = None,
    not_before: dt.datetime | None = None,
    broadcast_id: int | None = None,
) -> OutboxMessage | None:
    """Queues one message to `user`'s chat; None if `dedupe_key` was queued before."""
    if dedupe_key is not None:
        existing = await session.scalar(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return None
    row = OutboxMessage(
        kind=kind,
        broadcast_id=broadcast_id,
        user_id=user.id,
        channel=user.channel,
        chat_id=user.external_id,  # private chats: the chat is the user
        payload=message,
        dedupe_key=dedupe_key,
        status="pending",
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
    """The action behind button `index` of a delivered message, if it was sent to this user."""
    row = await session.get(OutboxMessage, outbox_id)
    if row is None or row.user_id != user_id:
        return None
    actions = button_actions(row.payload)
    return actions[index] if 0 <= index < len(actions) else None
