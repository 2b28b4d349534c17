"""Database.read(): a read-only session beside transaction(), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading

import aiosqlite
import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.runtime import Runtime
from storage import sqlite_driver
from storage.db import Database
from storage.models import Base, Producer
from tests.helpers import POSTGRESQL_ONLY, SQLITE_ONLY

PRODUCER = {
    "name": "HTX Chè Tân Cương Xanh",
    "name_folded": "htx che tan cuong xanh",
    "kind": "cooperative",
    "representative": "Nguyễn Thị Hoa",
    "phone": "+84912345678",
    "province_code": 19,
    "ward_code": 5503,
}


async def _add_producer(db: Database, name: str = "HTX") -> int:
    async with db.transaction() as session:
        producer = Producer(**{**PRODUCER, "name": name})
        session.add(producer)
        await session.flush()
        return producer.id


async def _rename(db: Database, producer_id: int, name: str) -> None:
    async with db.transaction() as session:
        await session.execute(update(Producer).where(Producer.id == producer_id).values(name=name))


async def _names(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.scalars(select(Producer.name).order_by(Producer.id)))


async def test_read_sees_what_was_committed(runtime: Runtime) -> None:
    db = runtime.db
    await _add_producer(db, "A")
    await _add_producer(db, "B")
    assert await _names(db) == ["A", "B"]
    async with db.read() as session:
        producer = await session.scalar(select(Producer).where(Producer.name == "A"))
    assert producer is not None and producer.kind == "cooperative"  # usable after the read


async def test_reads_do_not_wait_for_a_writer(runtime: Runtime) -> None:
    """While a transaction holds the write lock with uncommitted work, reads run and
    see the last committed state (WAL on SQLite, MVCC on PostgreSQL)."""
    db = runtime.db
    producer_id = await _add_producer(db, "before")
    writing, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with db.transaction() as session:
            await session.execute(
                update(Producer).where(Producer.id == producer_id).values(name="after")
            )
            writing.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await writing.wait()
    try:
        async with asyncio.timeout(5):
            names = await asyncio.gather(*(_names(db) for _ in range(8)))
        assert names == [["before"]] * 8
    finally:
        release.set()
        await task
    assert await _names(db) == ["after"]


async def test_a_read_is_one_snapshot(runtime: Runtime) -> None:
    db = runtime.db
    await _add_producer(db, "A")
    async with db.read() as session:
        first = await session.scalar(select(func.count()).select_from(Producer))
        await _add_producer(db, "B")  # committed meanwhile
        again = await session.scalar(select(func.count()).select_from(Producer))
    assert first == again == 1
    assert await _names(db) == ["A", "B"]


async def test_writes_in_a_read_fail_and_change_nothing(runtime: Runtime) -> None:
    db = runtime.db
    producer_id = await _add_producer(db, "A")
    with pytest.raises(DBAPIError):
        async with db.read() as session:
            session.add(Producer(**{**PRODUCER, "name": "B"}))
            await session.flush()
    with pytest.raises(DBAPIError):
        async with db.read() as session:
            await session.execute(
                update(Producer).where(Producer.id == producer_id).values(name="changed")
            )
    with pytest.raises(DBAPIError):
        async with db.read() as session:
            await session.execute(insert(Base.metadata.tables["producers"]).values(**PRODUCER))
    assert await _names(db) == ["A"]


async def test_transactions_still_write_after_reads(runtime: Runtime) -> None:
    """The read-only mark stays with read(): pooled connections come back writable."""
    db = runtime.db
    for number in range(12):  # more than the pool holds, so connections are reused
        async with db.read() as session:
            await session.execute(text("SELECT 1"))
        await _add_producer(db, f"P{number}")
    assert len(await _names(db)) == 12


def _other_writer_can_begin(db: Database) -> bool:
    """Whether another connection could start writing right now (SQLite)."""
    path = make_url(db.url).database
    assert path is not None
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # database is locked
        return False
    finally:
        other.close()


@SQLITE_ONLY
async def test_sqlite_transaction_takes_the_write_lock_at_its_first_write(
    runtime: Runtime,
) -> None:
    """read() never takes SQLite's write lock; transaction() takes it at its first
    write (or SELECT ... FOR UPDATE) and holds it until the commit."""
    db = runtime.db
    producer_id = await _add_producer(db)

    async with db.read() as session:
        await session.scalar(select(func.count()).select_from(Producer))
        assert await asyncio.to_thread(_other_writer_can_begin, db)
    async with db.transaction() as session:
        await session.scalar(select(func.count()).select_from(Producer))
        assert await asyncio.to_thread(_other_writer_can_begin, db)  # only read so far
        await session.execute(
            update(Producer).where(Producer.id == producer_id).values(name="changed")
        )
        assert not await asyncio.to_thread(_other_writer_can_begin, db)
    assert await asyncio.to_thread(_other_writer_can_begin, db)  # committed: free again
    async with db.transaction() as session:
        await session.scalar(select(Producer).where(Producer.id == producer_id).with_for_update())
        assert not await asyncio.to_thread(_other_writer_can_begin, db)
    assert await _names(db) == ["changed"]


@SQLITE_ONLY
async def test_sqlite_writers_queue_and_an_error_frees_the_lock(runtime: Runtime) -> None:
    """A second writer waits at its first write until the first commits; a transaction
    that fails after writing rolls back and lets the next writer in."""
    db = runtime.db
    producer_id = await _add_producer(db, "A")
    first_wrote, finish_first = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def first() -> None:
        async with db.transaction() as session:
            await session.execute(
                update(Producer).where(Producer.id == producer_id).values(name="first")
            )
            first_wrote.set()
            await finish_first.wait()
            order.append("first commits")

    async def second() -> None:
        await first_wrote.wait()
        async with db.transaction() as session:
            # reads while the first holds the lock: the last committed name
            assert await session.scalar(select(Producer.name)) == "A"
            await session.execute(
                update(Producer).where(Producer.id == producer_id).values(name="second")
            )
            order.append("second wrote")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_wrote.wait()
    await asyncio.sleep(0.05)
    assert order == []  # the second is queued at its write
    finish_first.set()
    async with asyncio.timeout(5):
        await asyncio.gather(*tasks)
    assert order == ["first commits", "second wrote"]
    assert await _names(db) == ["second"]

    with pytest.raises(RuntimeError):
        async with db.transaction() as session:
            await session.execute(
                update(Producer).where(Producer.id == producer_id).values(name="lost")
            )
            raise RuntimeError("boom")
    async with asyncio.timeout(5):  # the lock came back: this write does not hang
        await _add_producer(db, "B")
    assert await _names(db) == ["second", "B"]


@SQLITE_ONLY
async def test_sqlite_next_writer_waits_in_its_thread_not_on_the_event_loop(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a slow COMMIT (a WAL checkpoint, a busy disk) holds the writer, the next
    writer waits for it in its own connection's thread: the event loop goes on serving
    reads, and the next write goes ahead as soon as the COMMIT is done."""
    db = runtime.db
    producer_id = await _add_producer(db, "A")
    lock = db._writer_lock
    assert lock is not None
    committing, disk = asyncio.Event(), threading.Event()
    loop = asyncio.get_running_loop()
    original = sqlite_driver._hand_over

    async def slow_first_commit(connection: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        committing_now = fn is sqlite_driver._end and args[0].__name__ == "commit"
        if committing_now and not disk.is_set():
            end = fn

            def fn(*args, **kwargs):  # type: ignore[no-untyped-def]  # in the driver's thread
                loop.call_soon_threadsafe(committing.set)
                disk.wait(5)
                return end(*args, **kwargs)

        return await original(connection, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver, "_hand_over", slow_first_commit)

    first = asyncio.create_task(_rename(db, producer_id, "first"))
    async with asyncio.timeout(5):
        await committing.wait()
    second = asyncio.create_task(_rename(db, producer_id, "second"))
    await asyncio.sleep(0.1)
    assert not first.done() and not second.done()  # the second waits for the writer
    assert lock.locked()
    async with asyncio.timeout(5):  # ... and the loop is free meanwhile
        assert await _names(db) == ["A"]
    disk.set()
    async with asyncio.timeout(5):
        await asyncio.gather(first, second)
    assert await _names(db) == ["second"]
    assert not lock.locked()


@SQLITE_ONLY
async def test_sqlite_reads_never_wait_for_the_writer(runtime: Runtime) -> None:
    db = runtime.db
    await _add_producer(db, "A")
    lock = db._writer_lock
    assert lock is not None
    holder = object()  # another transaction writing (say, waiting on its own I/O)
    lock.acquire(holder)
    try:
        async with asyncio.timeout(5):
            assert await _names(db) == ["A"]
    finally:
        lock.release(holder)


@SQLITE_ONLY
async def test_sqlite_a_cancelled_writer_gives_the_writer_back(runtime: Runtime) -> None:
    """A transaction cancelled while its first write waits for the writer (or is on its
    way to the thread) leaves nothing held: the next writers go ahead."""
    db = runtime.db
    producer_id = await _add_producer(db, "A")
    lock = db._writer_lock
    assert lock is not None
    holder = object()
    lock.acquire(holder)  # the cancelled one queues behind this

    waiting = asyncio.create_task(_rename(db, producer_id, "cancelled"))
    await asyncio.sleep(0.1)
    waiting.cancel()
    await asyncio.sleep(0.1)
    lock.release(holder)  # its statement now runs in the thread, then gives the writer back
    async with asyncio.timeout(10):
        with pytest.raises(asyncio.CancelledError):
            await waiting
    async with asyncio.timeout(10):
        await _rename(db, producer_id, "next")
        await _rename(db, producer_id, "after")
    assert await _names(db) == ["after"]
    assert not lock.locked()


@POSTGRESQL_ONLY
async def test_postgresql_read_is_a_read_only_transaction(runtime: Runtime) -> None:
    db = runtime.db
    for _ in range(12):  # the pooled connections come back as they were
        async with db.read() as session:
            assert await session.scalar(text("SHOW transaction_read_only")) == "on"
            assert await session.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        async with db.transaction() as session:
            assert await session.scalar(text("SHOW transaction_read_only")) == "off"
            assert await session.scalar(text("SHOW transaction_isolation")) == "read committed"
