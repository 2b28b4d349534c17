"""Database.read(): a read-only session beside transaction(), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.runtime import Runtime
from storage.db import Database
from storage.models import Base, Producer

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


async def test_sqlite_read_takes_no_write_lock_and_transaction_still_does(
    runtime: Runtime,
) -> None:
    """read() opens with a deferred BEGIN, transaction() still with BEGIN IMMEDIATE:
    another connection can start writing during a read, but not during a transaction."""
    db = runtime.db
    if not db.is_sqlite:
        return
    await _add_producer(db)
    path = make_url(db.url).database
    assert path is not None

    def other_writer_can_begin() -> bool:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:  # database is locked
            return False
        finally:
            other.close()

    async with db.read() as session:
        await session.scalar(select(func.count()).select_from(Producer))
        assert await asyncio.to_thread(other_writer_can_begin)
    async with db.transaction() as session:
        await session.scalar(select(func.count()).select_from(Producer))
        assert not await asyncio.to_thread(other_writer_can_begin)


async def test_sqlite_reads_skip_the_in_process_write_lock(runtime: Runtime) -> None:
    db = runtime.db
    if not db.is_sqlite:
        return
    await _add_producer(db, "A")
    lock = db._write_lock
    assert lock is not None
    async with lock:  # a writer holds the lock (say, waiting on its own I/O)
        async with asyncio.timeout(5):
            assert await _names(db) == ["A"]


async def test_postgresql_read_is_a_read_only_transaction(runtime: Runtime) -> None:
    db = runtime.db
    if db.is_sqlite:
        return
    for _ in range(12):  # the pooled connections come back as they were
        async with db.read() as session:
            assert await session.scalar(text("SHOW transaction_read_only")) == "on"
            assert await session.scalar(text("SHOW transaction_isolation")) == "repeatable read"
        async with db.transaction() as session:
            assert await session.scalar(text("SHOW transaction_read_only")) == "off"
            assert await session.scalar(text("SHOW transaction_isolation")) == "read committed"
