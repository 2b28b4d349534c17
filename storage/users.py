"""Users and their preferences."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from storage.db import LAST_WRITE
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


_CONVERSATIONS = cast(Table, Conversation.__table__)
# The conversation's save (`save_conversation`): the SET clause is the columns
# passed as parameters, plus the version bump; the WHERE clause is the version check.
_SAVE_CONVERSATION = (
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.channel == bindparam("key_channel"),
        _CONVERSATIONS.c.chat_id == bindparam("key_chat_id"),
        _CONVERSATIONS.c.version == bindparam("key_version"),
    )
    .values(version=_CONVERSATIONS.c.version + 1)
    .execution_options(**{LAST_WRITE: True})
)
# The columns a save may change (the key and the version are in the WHERE clause).
_CHANGEABLE = tuple(
    column.key
    for column in _CONVERSATIONS.columns
    if column.key not in ("channel", "chat_id", "version")
)


async def save_conversation(session: AsyncSession, conversation: Conversation) -> None:
    """The transaction's last write: the session's pending changes, then the loaded
    conversation in one UPDATE under its version check (on SQLite, the COMMIT goes
    to the driver with it). A new conversation is left to the commit's INSERT.

    Raises `StaleDataError`, as the ORM's own version check would, when another
    worker saved the conversation since it was loaded; the caller's transaction
    then rolls back. The conversation leaves the session (it is saved), and the
    transaction must write nothing more (on SQLite it is already committed).
    """
    state = inspect(conversation)
    if not state.persistent:
        return
    unmodified = state.unmodified
    params: dict[str, Any] = {
        key: getattr(conversation, key) for key in _CHANGEABLE if key not in unmodified
    }
    params.update(
        key_channel=conversation.channel,
        key_chat_id=conversation.chat_id,
        key_version=conversation.version,
    )
    session.expunge(conversation)  # written here: nothing left for the flush
    if session.new or session.dirty or session.deleted:
        await session.flush()  # everything else first: this is the last write
    result = await session.execute(_SAVE_CONVERSATION, params)
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleDataError(
            f"conversations row {params['key_channel']}/{params['key_chat_id']} was saved "
            f"by another worker (version {params['key_version']} no longer current)"
        )
