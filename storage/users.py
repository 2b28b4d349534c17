"""Users and their preferences."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, User
from storage.states.roles import Role


async def get_or_create_user(
    session: AsyncSession, channel: str, external_id: str, display_name: str
) -> User:
    user = await session.scalar(
        select(User).where(User.channel == channel, User.external_id == external_id)
    )
    if user is None:
        user = User(
            channel=channel,
            external_id=external_id,
            display_name=display_name[:200],
            role=Role.USER,
        )
        session.add(user)
        await session.flush()
    return user


# Built once: every update runs it, and building the expression is most of its
# Python cost (the values go in as bound parameters).
_USER_AND_CONVERSATION = (
    select(User, Conversation)
    .outerjoin(
        Conversation,
        and_(
            Conversation.channel == bindparam("channel"),
            Conversation.chat_id == bindparam("chat_id"),
        ),
    )
    .where(User.channel == bindparam("channel"), User.external_id == bindparam("external_id"))
)


async def user_and_conversation(
    session: AsyncSession, channel: str, external_id: str, chat_id: str
) -> tuple[User | None, Conversation | None]:
    """A user and the conversation of one of their chats, in one query; either may be missing."""
    params = {"channel": channel, "chat_id": chat_id, "external_id": external_id}
    row = (await session.execute(_USER_AND_CONVERSATION, params)).first()
    if row is None:
        conversation = await session.get(Conversation, (channel, chat_id))
        return None, conversation
    return row[0], row[1]
