"""Users and their preferences."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import User


async def get_or_create_user(
    session: AsyncSession, channel: str, external_id: str, display_name: str
) -> User:
    user = await session.scalar(
        select(User).where(User.channel == channel, User.external_id == external_id)
    )
    if user is None:
        user = User(
            channel=channel, external_id=external_id, display_name=display_name[:200], role="user"
        )
        session.add(user)
        await session.flush()
    return user
