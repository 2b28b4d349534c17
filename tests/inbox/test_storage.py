"""The inbox table's rules: a redelivery is stored once, a chat's updates are leased one at
a time in arrival order, chats side by side, and a dead worker's updates come back."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from storage import inbox
from storage.db import Database
from storage.models import InboxUpdate

NOW = dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def store(db: Database, key: str, chat: str) -> bool:
    async with db.transaction() as session:
        return await inbox.store(session, "telegram", key, chat, {"update_id": int(key)})


async def lease(db: Database, worker: str, now: dt.datetime = NOW, limit: int = 10) -> list[str]:
    async with db.transaction() as session:
        rows = await inbox.lease(session, worker=worker, now=now, until=now + LEASE, limit=limit)
        return [row.update_key for row in rows]


async def finish(db: Database, key: str, worker: str) -> None:
    async with db.transaction() as session:
        row_id = await session.scalar(select(InboxUpdate.id).where(InboxUpdate.update_key == key))
        assert row_id is not None
        assert await inbox.mark_handled(session, row_id, worker, {"replies": []}, NOW)
    async with db.transaction() as session:
        assert await inbox.begin_send(session, row_id, worker, NOW + LEASE) == {"replies": []}
    async with db.transaction() as session:
        assert await inbox.mark_sent(session, row_id, worker, NOW)


async def first_row(db: Database) -> InboxUpdate:
    async with db.read() as session:
        return await session.get_one(InboxUpdate, 1)


async def test_a_redelivered_update_is_stored_once(db: Database) -> None:
    assert await store(db, "1", "chat-a")
    assert not await store(db, "1", "chat-a")
    assert await lease(db, "w1") == ["1"]
    assert await lease(db, "w2") == []


async def test_a_chats_updates_are_leased_one_at_a_time_in_order(db: Database) -> None:
    for key, chat in [("1", "a"), ("2", "a"), ("3", "b"), ("4", "a"), ("5", "b")]:
        await store(db, key, chat)
    # One update per chat: the first of each; the others wait for it to be answered.
    assert await lease(db, "w1") == ["1", "3"]
    assert await lease(db, "w2") == []
    await finish(db, "1", "w1")
    assert await lease(db, "w2") == ["2"]  # chat b's next still waits for "3"
    await finish(db, "3", "w1")
    assert await lease(db, "w2") == ["5"]


async def test_a_dead_workers_update_is_taken_again_after_its_lease(db: Database) -> None:
    await store(db, "1", "a")
    await store(db, "2", "a")
    assert await lease(db, "w1") == ["1"]
    assert await lease(db, "w2", NOW + LEASE / 2) == []
    assert await lease(db, "w2", NOW + LEASE * 2) == ["1"]
    async with db.transaction() as session:
        # The first worker wakes up: its lease is gone, so it cannot mark it handled.
        assert not await inbox.mark_handled(session, 1, "w1", {"replies": []}, NOW)


async def test_replies_left_sending_by_a_dead_worker_are_never_sent_again(db: Database) -> None:
    await store(db, "1", "a")
    await store(db, "2", "a")
    assert await lease(db, "w1") == ["1"]
    async with db.transaction() as session:
        assert await inbox.mark_handled(session, 1, "w1", {"replies": [{"text": "hi"}]}, NOW)
    async with db.transaction() as session:
        assert await inbox.begin_send(session, 1, "w1", NOW + LEASE) is not None
    # w1 dies mid-send. Once its lease has run out the row is "unknown", and the chat goes on.
    later = NOW + LEASE * 2
    assert await lease(db, "w2", later) == []
    async with db.transaction() as session:
        assert await inbox.expire_sending(session, later) == 1
    assert await lease(db, "w2", later) == ["2"]
    async with db.transaction() as session:
        assert await inbox.depth(session) == {"pending": 0, "leased": 1, "handled": 0, "sending": 0}


async def test_a_handled_update_whose_worker_died_is_only_sent(db: Database) -> None:
    await store(db, "1", "a")
    assert await lease(db, "w1") == ["1"]
    async with db.transaction() as session:
        assert await inbox.mark_handled(session, 1, "w1", {"replies": [{"text": "hi"}]}, NOW)
    later = NOW + LEASE * 2
    async with db.transaction() as session:
        rows = await inbox.lease(session, worker="w2", now=later, until=later + LEASE, limit=5)
        assert [(row.status, row.attempts) for row in rows] == [(inbox.HANDLED, 1)]
    async with db.transaction() as session:
        assert await inbox.begin_send(session, 1, "w2", later + LEASE) == {
            "replies": [{"text": "hi"}]
        }


async def test_an_update_that_no_worker_finishes_is_given_up_and_the_chat_goes_on(
    db: Database,
) -> None:
    await store(db, "1", "a")
    await store(db, "2", "a")
    moment = NOW
    for _ in range(inbox.MAX_LEASES):  # each worker that takes it dies
        assert await lease(db, "w", moment) == ["1"]
        moment += LEASE * 2
    assert await lease(db, "w", moment) == ["2"]
    async with db.transaction() as session:
        failed = await session.scalar(select(InboxUpdate.status).where(InboxUpdate.id == 1))
    assert failed == inbox.FAILED


async def test_a_worker_goes_on_with_its_chat_before_marking_the_last_update_sent(
    db: Database,
) -> None:
    for key, chat in [("1", "a"), ("2", "a"), ("3", "b"), ("4", "a")]:
        await store(db, key, chat)
    assert await lease(db, "w1") == ["1", "3"]
    async with db.transaction() as session:
        assert await inbox.mark_handled(session, 1, "w1", {"replies": []}, NOW)
    async with db.transaction() as session:
        assert await inbox.begin_send(session, 1, "w1", NOW + LEASE) is not None
    row = await first_row(db)
    async with db.statements() as session:
        following = await inbox.lease_next(session, row, "w1", NOW + LEASE)
        assert following is not None
        assert (following.update_key, following.status, following.lease_owner) == (
            "2",
            inbox.LEASED,
            "w1",
        )
        assert following.attempts == 1
        assert following.payload == {"update_id": 2}
        if not db.is_sqlite:  # (on SQLite another worker's lease waits for this writer)
            # Committed by itself, before update 1 is marked sent: chat a's next
            # update is w1's already, so no other worker can take the chat in between.
            assert await lease(db, "w2") == []
        assert await inbox.mark_sent(session, 1, "w1", NOW)
    assert await lease(db, "w2") == []  # "4" waits for "2"; chat b's "3" is w1's


async def test_a_chat_with_nothing_waiting_has_no_next_update(db: Database) -> None:
    await store(db, "1", "a")
    await store(db, "2", "b")  # another chat's update is never the next one
    assert await lease(db, "w1", limit=1) == ["1"]
    row = await first_row(db)
    async with db.statements() as session:
        assert await inbox.lease_next(session, row, "w1", NOW + LEASE) is None
    assert await lease(db, "w2") == ["2"]


async def test_statements_each_commit_on_postgresql_and_share_a_transaction_on_sqlite(
    db: Database,
) -> None:
    await store(db, "1", "a")
    with pytest.raises(RuntimeError):
        async with db.statements() as session:
            assert await lease(db, "w1") == ["1"]
            assert await inbox.mark_handled(session, 1, "w1", {"replies": []}, NOW)
            raise RuntimeError("the worker fails after its statement")
    # PostgreSQL: the statement committed by itself (autocommit, no BEGIN or COMMIT
    # round trips); SQLite: one transaction, rolled back with the error.
    async with db.read() as session:
        status = await session.scalar(select(InboxUpdate.status).where(InboxUpdate.id == 1))
    assert status == (inbox.LEASED if db.is_sqlite else inbox.HANDLED)
