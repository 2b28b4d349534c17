"""storage/users.py `save_conversation`: the conversation's save under its version check."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from bot.runtime import Runtime
from storage.models import Conversation, User
from storage.users import get_or_create_user, save_conversation, user_and_conversation


async def _start(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        user = await get_or_create_user(session, "telegram", "42", "Hoa")
        session.add(
            Conversation(
                channel="telegram",
                chat_id="42",
                user_id=user.id,
                step="name",
                data={"values": {}},
                drafts={},
                actions={},
                token="",
            )
        )


async def _stored(runtime: Runtime) -> tuple[Conversation, User]:
    async with runtime.db.read() as session:
        conversation = await session.get(Conversation, ("telegram", "42"))
        user = await session.scalar(select(User).where(User.external_id == "42"))
    assert conversation is not None and user is not None
    return conversation, user


async def test_a_save_writes_the_changes_and_the_next_version(runtime: Runtime) -> None:
    await _start(runtime)
    async with runtime.db.transaction() as session:
        user, conversation = await user_and_conversation(session, "telegram", "42", "42")
        assert user is not None and conversation is not None
        user.language = "vi"  # the session's other changes are written first
        conversation.step = "group"
        conversation.data = {"values": {"name": "Chè"}}
        await save_conversation(session, conversation)
    stored, user = await _stored(runtime)
    assert (stored.step, stored.data, stored.version) == ("group", {"values": {"name": "Chè"}}, 2)
    assert user.language == "vi"


async def test_a_stale_save_raises_and_keeps_nothing_of_its_transaction(
    runtime: Runtime,
) -> None:
    """Another worker saved the conversation after this one loaded it: StaleDataError, as
    the dispatcher retries on, and none of this transaction's writes are kept."""
    await _start(runtime)
    with pytest.raises(StaleDataError):
        async with runtime.db.transaction() as session:
            user, conversation = await user_and_conversation(session, "telegram", "42", "42")
            assert user is not None and conversation is not None
            async with runtime.db.transaction() as other:  # the other worker, first
                _, theirs = await user_and_conversation(other, "telegram", "42", "42")
                assert theirs is not None
                theirs.step = "stars"
                await save_conversation(other, theirs)
            user.language = "vi"
            conversation.step = "group"
            await save_conversation(session, conversation)
    stored, user = await _stored(runtime)
    assert (stored.step, stored.version) == ("stars", 2)
    assert user.language is None
