"""Users and their preferences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, inspect, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from storage.db import Prepared, Unit, attribute_keys, detached
from storage.models import Conversation, User, utcnow
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


_USERS = cast(Table, User.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
# One Core query for the chat's two rows, built once (the values go in as bound
# parameters): a user's columns, then the conversation's (None when it has none).
_CHAT = Prepared(
    select(*_USERS.columns, *_CONVERSATIONS.columns)
    .select_from(_USERS)
    .outerjoin(
        _CONVERSATIONS,
        and_(
            _CONVERSATIONS.c.channel == bindparam("channel"),
            _CONVERSATIONS.c.chat_id == bindparam("chat_id"),
        ),
    )
    .where(
        _USERS.c.channel == bindparam("channel"), _USERS.c.external_id == bindparam("external_id")
    )
)
_CONVERSATION = Prepared(
    select(*_CONVERSATIONS.columns).where(
        _CONVERSATIONS.c.channel == bindparam("channel"),
        _CONVERSATIONS.c.chat_id == bindparam("chat_id"),
    )
)


_USER_KEYS = attribute_keys(User, _USERS)
_CONVERSATION_KEYS = attribute_keys(Conversation, _CONVERSATIONS)


async def load_chat(
    unit: Unit, channel: str, external_id: str, chat_id: str
) -> tuple[User | None, Conversation | None]:
    """A user and the conversation of one of their chats, in one Core query, as
    detached objects the unit adopts (they join its session if one opens); either
    may be missing."""
    params = {"channel": channel, "chat_id": chat_id, "external_id": external_id}
    row = await unit.fetch_one(_CHAT, params)
    values: Sequence[Any] | None
    if row is None:
        user, values = None, await unit.fetch_one(_CONVERSATION, params)
    else:
        user = detached(User, _USER_KEYS, row[: len(_USER_KEYS)])
        values = row[len(_USER_KEYS) :]
        unit.adopt(user)
    if values is None or values[0] is None:  # no conversation (its key is never NULL)
        return user, None
    conversation = detached(Conversation, _CONVERSATION_KEYS, values)
    unit.adopt(conversation)
    return user, conversation


# The conversation's save (`save_conversation`): the SET clause is the columns
# that changed, plus the version bump; the WHERE clause is the version check.
_SAVE_CONVERSATION = Prepared(
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.channel == bindparam("key_channel"),
        _CONVERSATIONS.c.chat_id == bindparam("key_chat_id"),
        _CONVERSATIONS.c.version == bindparam("key_version"),
    )
    .values(version=_CONVERSATIONS.c.version + 1)
)
# The columns a save may change (the key and the version are in the WHERE clause).
_CHANGEABLE = tuple(
    column.key
    for column in _CONVERSATIONS.columns
    if column.key not in ("channel", "chat_id", "version")
)


async def save_conversation(unit: Unit, conversation: Conversation) -> None:
    """The transaction's last write: the unit's pending changes, then the loaded
    conversation in one UPDATE under its version check (on SQLite, the COMMIT goes
    to the driver with it). A new conversation is left to the unit's flush (an INSERT).

    Raises `StaleDataError`, as the ORM's own version check would, when another
    worker saved the conversation since it was loaded; the caller's transaction
    then rolls back. The conversation leaves the unit (it is saved), and the
    transaction must write nothing more (on SQLite it is already committed).
    """
    state = inspect(conversation)
    if not state.has_identity:
        return
    unmodified = state.unmodified
    changed = tuple(key for key in _CHANGEABLE if key not in unmodified or key == "updated_at")
    params: dict[str, Any] = {key: getattr(conversation, key) for key in changed}
    if "updated_at" in unmodified:  # what the column's onupdate would set
        params["updated_at"] = utcnow()
    params.update(
        key_channel=conversation.channel,
        key_chat_id=conversation.chat_id,
        key_version=conversation.version,
    )
    unit.release(conversation)  # written here: nothing left for the flush
    if await unit.last_write(_SAVE_CONVERSATION, params, changed) != 1:
        raise StaleDataError(
            f"conversations row {params['key_channel']}/{params['key_chat_id']} was saved "
            f"by another worker (version {params['key_version']} no longer current)"
        )
