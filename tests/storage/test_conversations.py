"""storage/users.py `load_chat` and `save_conversation` in a `Database.unit()`: the
chat's two rows by Core, the save under the conversation's version check, and an
ORM session only when something asks for one."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm.exc import StaleDataError

from bot.runtime import Runtime
from storage.db import Prepared
from storage.models import Conversation, Producer, User
from storage.producers import producer_id_of_user, save_producer
from storage.users import get_or_create_user, load_chat, save_conversation
from tests.helpers import PRODUCER_FIELDS


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


async def test_the_chat_loads_as_the_orm_would_load_it(runtime: Runtime) -> None:
    await _start(runtime)
    stored, stored_user = await _stored(runtime)
    async with runtime.db.unit() as unit:
        user, conversation = await load_chat(unit, "telegram", "42", "42")
        assert user is not None and conversation is not None
        for mapped, loaded in ((stored_user, user), (stored, conversation)):
            columns = inspect(type(mapped)).column_attrs
            assert {c.key: getattr(loaded, c.key) for c in columns} == {
                c.key: getattr(mapped, c.key) for c in columns
            }
        # Loaded as clean: nothing to write until something changes.
        assert not inspect(user).modified and not inspect(conversation).modified
        assert inspect(user).detached and inspect(conversation).detached
    async with runtime.db.unit() as unit:
        assert await load_chat(unit, "telegram", "nobody", "nobody") == (None, None)
        # A conversation whose user is another account's (a group chat, say) loads alone.
        alone_user, alone = await load_chat(unit, "telegram", "nobody", "42")
        assert alone_user is None and alone is not None and alone.step == "name"


async def test_a_save_writes_the_changes_and_the_next_version(runtime: Runtime) -> None:
    await _start(runtime)
    async with runtime.db.unit() as unit:
        user, conversation = await load_chat(unit, "telegram", "42", "42")
        assert user is not None and conversation is not None
        user.language = "vi"  # the unit's other changes are written first
        conversation.step = "group"
        conversation.data = {"values": {"name": "Chè"}}
        await save_conversation(unit, conversation)
        assert unit.finished  # the last write committed it
    stored, user = await _stored(runtime)
    assert (stored.step, stored.data, stored.version) == ("group", {"values": {"name": "Chè"}}, 2)
    assert user.language == "vi"


async def test_a_step_that_asks_for_nothing_more_opens_no_session(runtime: Runtime) -> None:
    await _start(runtime)
    async with runtime.db.unit() as unit:
        _, conversation = await load_chat(unit, "telegram", "42", "42")
        assert conversation is not None
        conversation.step = "group"
        await save_conversation(unit, conversation)
        assert unit._session is None
    stored, _ = await _stored(runtime)
    assert stored.step == "group"


async def test_the_session_takes_in_the_chat_and_sees_what_the_step_changed(
    runtime: Runtime,
) -> None:
    """A handler that queries through the session gets the loaded user (one object per
    row), and the user's changes are flushed before the conversation's save."""
    await _start(runtime)
    async with runtime.db.unit() as unit:
        user, conversation = await load_chat(unit, "telegram", "42", "42")
        assert user is not None and conversation is not None
        user.display_name = "Hoa Nguyễn"
        assert await unit.session.get(User, user.id) is user
        await save_producer(unit.session, user.id, dict(PRODUCER_FIELDS, name="HTX Chè Tân Cương"))
        conversation.step = "group"
        await save_conversation(unit, conversation)
    stored, user = await _stored(runtime)
    assert (stored.step, stored.version, user.display_name) == ("group", 2, "Hoa Nguyễn")
    async with runtime.db.read() as session:
        producer = await session.scalar(select(Producer).where(Producer.user_id == user.id))
    assert producer is not None and producer.name == "HTX Chè Tân Cương"


async def test_whether_the_producer_exists_is_read_without_a_session(runtime: Runtime) -> None:
    """/newproduct and the product's save only need the profile's id: read like the
    chat's rows, no session opened; a profile the unit's session just saved counts."""
    await _start(runtime)
    async with runtime.db.unit() as unit:
        user, conversation = await load_chat(unit, "telegram", "42", "42")
        assert user is not None and conversation is not None
        assert await producer_id_of_user(unit, user.id) is None
        assert unit._session is None
        await save_producer(unit.session, user.id, dict(PRODUCER_FIELDS, name="HTX Chè Tân Cương"))
        saved = await producer_id_of_user(unit, user.id)
        await save_conversation(unit, conversation)
    async with runtime.db.read() as session:
        producer = await session.scalar(select(Producer).where(Producer.user_id == user.id))
    assert producer is not None and saved == producer.id
    async with runtime.db.unit() as unit:
        assert await producer_id_of_user(unit, user.id) == producer.id
        assert await producer_id_of_user(unit, user.id + 1000) is None
        assert unit._session is None


async def test_a_new_conversation_is_inserted_at_the_end(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        await get_or_create_user(session, "telegram", "42", "Hoa")
    async with runtime.db.unit() as unit:
        user, conversation = await load_chat(unit, "telegram", "42", "42")
        assert user is not None and conversation is None
        conversation = Conversation(
            channel="telegram", chat_id="42", user_id=user.id, data={}, drafts={}, actions={}
        )
        unit.adopt(conversation)
        conversation.step = "name"
        await save_conversation(unit, conversation)  # nothing to update: the unit inserts it
        assert not unit.finished
    stored, _ = await _stored(runtime)
    assert (stored.step, stored.version) == ("name", 1)


async def test_a_stale_save_raises_and_keeps_nothing_of_its_transaction(
    runtime: Runtime,
) -> None:
    """Another worker saved the conversation after this one loaded it: StaleDataError, as
    the dispatcher retries on, and none of this transaction's writes are kept."""
    await _start(runtime)
    with pytest.raises(StaleDataError):
        async with runtime.db.unit() as unit:
            user, conversation = await load_chat(unit, "telegram", "42", "42")
            assert user is not None and conversation is not None
            async with runtime.db.unit() as other:  # the other worker, first
                _, theirs = await load_chat(other, "telegram", "42", "42")
                assert theirs is not None
                theirs.step = "stars"
                await save_conversation(other, theirs)
            user.language = "vi"
            conversation.step = "group"
            await save_conversation(unit, conversation)
    stored, user = await _stored(runtime)
    assert (stored.step, stored.version) == ("stars", 2)
    assert user.language is None


async def test_an_error_in_the_step_rolls_everything_back(runtime: Runtime) -> None:
    await _start(runtime)
    with pytest.raises(ValueError):
        async with runtime.db.unit() as unit:
            user, conversation = await load_chat(unit, "telegram", "42", "42")
            assert user is not None
            user.language = "en"
            await unit.flush()  # written inside the transaction...
            raise ValueError("the step failed")
    _, user = await _stored(runtime)
    assert user.language is None  # ...and rolled back with it
    # The connection went back and the writer is free: the next unit writes at once.
    async with runtime.db.unit() as unit:
        _, conversation = await load_chat(unit, "telegram", "42", "42")
        assert conversation is not None
        conversation.step = "group"
        await save_conversation(unit, conversation)
    stored, _ = await _stored(runtime)
    assert stored.step == "group"


async def test_the_session_needs_the_unit_connected(runtime: Runtime) -> None:
    async with runtime.db.unit() as unit:
        with pytest.raises(RuntimeError, match="first statement"):
            unit.session  # noqa: B018  (the property opens it)
        await unit.connect()
        assert await unit.session.scalar(select(User.id).limit(1)) is None


async def test_a_save_that_leaves_the_time_alone_still_stamps_it(runtime: Runtime) -> None:
    """As the column's onupdate would: the row says when it last changed."""
    await _start(runtime)
    before, _ = await _stored(runtime)
    async with runtime.db.unit() as unit:
        _, conversation = await load_chat(unit, "telegram", "42", "42")
        assert conversation is not None
        conversation.step = "group"  # updated_at left as loaded
        await save_conversation(unit, conversation)
    after, _ = await _stored(runtime)
    assert after.step == "group" and after.version == 2
    assert after.updated_at > before.updated_at


async def test_a_prepared_statement_refuses_what_it_cannot_run_alone(runtime: Runtime) -> None:
    """`Prepared` runs plain statements only: an UPDATE that would need a column
    default computed in Python (here `updated_at`'s onupdate) is refused, not run
    without it."""
    dialect = runtime.db.engine.dialect
    statement = Prepared(update(Conversation).where(Conversation.chat_id == bindparam("c")))
    with pytest.raises(ValueError, match="Python-side column defaults"):
        statement.compiled(dialect, ("step",))
    assert "updated_at" in statement.compiled(dialect, ("step", "updated_at")).sql


async def test_json_columns_keep_what_the_json_module_kept(runtime: Runtime) -> None:
    """The JSON columns' text comes from orjson; what it stores reads back as the json
    module's would have: keys that are not strings come back as strings, Vietnamese
    text whole."""
    await _start(runtime)
    async with runtime.db.unit() as unit:
        _, conversation = await load_chat(unit, "telegram", "42", "42")
        assert conversation is not None
        conversation.data = {"values": {1: "Chè Thái Nguyên", "giá": 120_000, "ok": None}}
        await save_conversation(unit, conversation)
    stored, _ = await _stored(runtime)
    assert stored.data == {"values": {"1": "Chè Thái Nguyên", "giá": 120_000, "ok": None}}
