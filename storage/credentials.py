"""A channel's rotating OAuth tokens, read under a row lock while they are spent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChannelCredential


async def locked(session: AsyncSession, channel: str) -> ChannelCredential | None:
    """The channel's row, locked until the transaction ends (the writer, on SQLite): a
    second worker waits here and then sees the tokens the first one stored."""
    return await session.scalar(
        select(ChannelCredential)
        .where(ChannelCredential.channel == channel)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def current(session: AsyncSession, channel: str) -> ChannelCredential | None:
    """The channel's row, without a lock (to read a token another worker stored)."""
    return await session.get(ChannelCredential, channel, populate_existing=True)
