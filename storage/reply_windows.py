"""Reply windows: a channel that only lets the bot answer for a while after the user's
last message, with at most so many messages (Zalo Official Account, docs/zalo.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ReplyWindow

_QUIET = {"synchronize_session": False}


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


async def opened(session: AsyncSession, channel: str, chat_id: str, now: dt.datetime) -> None:
    """The user wrote (or followed): the window starts again, with its full allowance."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(ReplyWindow).values(
        channel=channel, chat_id=chat_id, inbound_at=now, replies=0
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["channel", "chat_id"], set_={"inbound_at": now, "replies": 0}
        )
    )


async def claim(
    session: AsyncSession,
    channel: str,
    chat_id: str,
    now: dt.datetime,
    *,
    hours: float,
    cap: int,
    messages: int = 1,
) -> bool:
    """Takes `messages` from the user's allowance; False (nothing taken) when the window
    has closed or has fewer left. One UPDATE, so two senders never both take the last."""
    since = now - dt.timedelta(hours=hours)
    result = await session.execute(
        update(ReplyWindow)
        .where(
            ReplyWindow.channel == channel,
            ReplyWindow.chat_id == chat_id,
            ReplyWindow.inbound_at > since,
            ReplyWindow.replies + messages <= cap,
        )
        .values(replies=ReplyWindow.replies + messages)
        .execution_options(**_QUIET)
    )
    return _rowcount(result) == 1
