"""storage/sqlite_driver.py: one hand-over to aiosqlite's thread per statement."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import sqlite_driver
from storage.db import LAST_WRITE, Database, Prepared
from storage.sqlite_driver import LoopReader, _run_statement

ITEMS = Table(
    "items",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("name", String(20), unique=True),
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with database.engine.begin() as connection:
        await connection.run_sync(ITEMS.metadata.create_all)
    yield database
    await database.dispose()


def count_trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, the name of each call handed to a driver thread, in order."""
    trips: list[str] = []
    original = sqlite_driver._hand_over

    async def counted(connection: aiosqlite.Connection, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(args[0].__name__ if fn is sqlite_driver._end else fn.__name__)
        return await original(connection, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver, "_hand_over", counted)
    return trips


async def test_each_statement_is_one_trip_to_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    trips = count_trips(monkeypatch)
    async with db.read() as session:
        await session.execute(text("SELECT 1"))  # opens the read (BEGIN: one trip)
        trips.clear()
        assert list(await session.scalars(select(ITEMS.c.name))) == []
        assert trips == ["_run_statement"]  # not cursor + execute + fetchall + close


async def test_a_transaction_is_its_statements_and_one_commit(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A committed transaction costs one trip per statement plus the COMMIT: no
    ROLLBACK when its connection goes back to the pool, nothing to end when it only
    read (it never began), and a read's BEGIN goes with its first statement."""
    async with db.transaction() as session:  # open the pool's connection first
        await session.execute(select(ITEMS.c.id))
    trips = count_trips(monkeypatch)
    async with db.transaction() as session:
        await session.execute(select(ITEMS.c.id))
        await session.execute(insert(ITEMS).values(name="chè"))
    assert trips == ["_run_statement", "_run_statement", "commit"]
    trips.clear()
    async with db.transaction() as session:
        assert list(await session.scalars(select(ITEMS.c.name))) == ["chè"]
    assert trips == ["_run_statement"]
    trips.clear()
    async with db.read() as session:
        assert list(await session.scalars(select(ITEMS.c.name))) == ["chè"]
    assert trips == ["_run_statement", "rollback"]  # BEGIN with the SELECT, ROLLBACK
    trips.clear()
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(insert(ITEMS).values(name="chè"))
    assert trips == ["_run_statement", "rollback"]


async def test_rows_rowcount_lastrowid_and_executemany(db: Database) -> None:
    async with db.transaction() as session:
        result = await session.execute(insert(ITEMS).values(name="chè"))
        assert result.inserted_primary_key == (1,)  # from lastrowid
        await session.execute(insert(ITEMS), [{"name": "mật ong"}, {"name": "nước mắm"}])
        changed = await session.execute(update(ITEMS).where(ITEMS.c.id > 1).values(name=None))
        assert changed.rowcount == 2
    async with db.read() as session:
        rows = (await session.execute(text("SELECT id, name FROM items ORDER BY id"))).all()
    assert [tuple(row) for row in rows] == [(1, "chè"), (2, None), (3, None)]


async def test_driver_errors_keep_their_kind(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="chè"))
    with pytest.raises(IntegrityError):
        async with db.transaction() as session:
            await session.execute(insert(ITEMS).values(name="chè"))
    async with db.read() as session:  # the failed transaction left nothing behind
        assert list(await session.scalars(select(ITEMS.c.name))) == ["chè"]


def test_a_read_left_open_on_a_pooled_connection_does_not_fail_the_next_write() -> None:
    # A read's deferred BEGIN whose task was cancelled before aiosqlite's thread ran it
    # is still open when the connection goes back to the pool (its ROLLBACK was skipped).
    raw = sqlite3.connect(":memory:", isolation_level=None)
    raw.execute("CREATE TABLE notes (body TEXT)")
    raw.execute("BEGIN")
    raw.execute("SELECT count(*) FROM notes").fetchall()
    _run_statement(raw, "INSERT INTO notes VALUES (?)", ("kept",), False, "BEGIN IMMEDIATE")
    raw.commit()
    assert raw.execute("SELECT body FROM notes").fetchall() == [("kept",)]


SLOW_COUNT = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT count(*) FROM c"
)


def test_a_statement_still_running_when_its_loop_closes_raises_nothing(tmp_path: Path) -> None:
    """At shutdown a task can be cancelled while SQLite still runs its statement, and
    the loop closed before the statement ends: the driver's thread must then drop the
    result quietly (aiosqlite's own hand-over raised "Event loop is closed" from its
    thread) and still end when the connection is closed."""
    errors: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: errors.append(args.exc_value)
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'slow.db'}")
    try:
        loop = asyncio.new_event_loop()

        async def count() -> None:
            async with database.read() as session:
                await session.execute(text(SLOW_COUNT))

        task = loop.create_task(count())
        loop.run_until_complete(asyncio.sleep(0.2))  # the count is running in the thread
        workers = [t for t in threading.enumerate() if "_connection_worker_thread" in t.name]
        assert workers and not task.done()
        while not task.done():  # a shutdown that does not wait: cancelled until it gives up
            task.cancel()
            loop.run_until_complete(asyncio.sleep(0.05))
        loop.close()  # the count is still running in the thread
        asyncio.run(database.dispose())
        for worker in workers:
            worker.join(timeout=30)
        assert not any(worker.is_alive() for worker in workers)
        assert errors == []
    finally:
        threading.excepthook = previous


async def test_a_last_write_takes_its_commit_along(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction's last write (LAST_WRITE, one row changed) and its COMMIT are one
    trip; nothing may run after it, as it would run outside the transaction."""
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="chè"))
    trips = count_trips(monkeypatch)
    last = update(ITEMS).where(ITEMS.c.id == 1).execution_options(**{LAST_WRITE: True})
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="mật ong"))
        assert (await session.execute(last.values(name="chè xanh"))).rowcount == 1  # type: ignore[attr-defined]
    assert trips == ["_run_statement", "_run_statement"]  # no trip of its own for COMMIT
    async with db.read() as session:
        assert list(await session.scalars(select(ITEMS.c.name))) == ["chè xanh", "mật ong"]
    for after in (select(ITEMS.c.name), insert(ITEMS).values(name="nước mắm")):
        with pytest.raises(DBAPIError, match="last"):
            async with db.transaction() as session:
                await session.execute(last.values(name="chè"))
                await session.execute(after)
    async with db.read() as session:  # each last write committed; nothing after it ran
        assert list(await session.scalars(select(ITEMS.c.name))) == ["chè", "mật ong"]


async def test_a_last_write_that_changes_no_row_is_rolled_back(db: Database) -> None:
    """Its transaction stays open (the caller's version check raises), and the rollback
    undoes it with the writes before it; the next writer goes ahead."""
    last = update(ITEMS).where(ITEMS.c.id == 99).execution_options(**{LAST_WRITE: True})
    with pytest.raises(LookupError):
        async with db.transaction() as session:
            await session.execute(insert(ITEMS).values(name="chè"))
            if (await session.execute(last.values(name="x"))).rowcount != 1:  # type: ignore[attr-defined]
                raise LookupError("stale")
    async with asyncio.timeout(5):
        async with db.transaction() as session:
            await session.execute(insert(ITEMS).values(name="mật ong"))
    async with db.read() as session:
        assert list(await session.scalars(select(ITEMS.c.name))) == ["mật ong"]


async def test_no_engine_event_listeners(db: Database) -> None:
    """The transaction rules live in the dialect: with no engine event listener,
    SQLAlchemy skips its event dispatch on every statement."""
    assert not db.engine.sync_engine._has_events
    assert db.engine.dialect.name == "sqlite"


BY_ID = Prepared(select(ITEMS.c.id, ITEMS.c.name).where(ITEMS.c.id == bindparam("id")))
RENAME = Prepared(update(ITEMS).where(ITEMS.c.id == bindparam("key")))


async def test_a_units_reads_before_it_writes_stay_on_the_event_loop(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit's prepared read before its first write goes to no driver thread; its
    last write goes with its BEGIN and COMMIT in one trip: one trip per update."""
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="chè"))
    trips = count_trips(monkeypatch)
    async with db.unit() as unit:
        assert await unit.fetch_one(BY_ID, {"id": 1}) == (1, "chè")
        assert await unit.fetch_one(BY_ID, {"id": 2}) is None
        assert trips == []
        assert await unit.last_write(RENAME, {"key": 1, "name": "chè xanh"}, ("name",)) == 1
    assert trips == ["_run_statement"]
    async with db.read() as session:
        assert list(await session.scalars(select(ITEMS.c.name))) == ["chè xanh"]


async def test_after_its_first_write_a_unit_reads_its_own_transaction(db: Database) -> None:
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="chè"))
    async with db.unit() as unit:
        await unit.execute(update(ITEMS).where(ITEMS.c.id == 1).values(name="chưa lưu"))
        assert await unit.fetch_one(BY_ID, {"id": 1}) == (1, "chưa lưu")  # not committed yet
        # Meanwhile the loop's own reader sees only what is committed.
        reader = db._loop_reader
        assert reader is not None
        assert reader.fetch_one("SELECT name FROM items WHERE id = 1", ()) == ("chè",)


async def test_a_read_that_would_wait_goes_to_the_thread_instead(
    db: Database, tmp_path: Path
) -> None:
    """Another connection holding the database exclusively: the loop's reader does not
    wait (it would stop every chat of the process), and says so at once."""
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="chè"))
    reader = db._loop_reader
    assert reader is not None
    reader.close()  # it opens again at its next read
    await db.engine.dispose()  # exclusive mode under WAL needs the file to itself
    holder = sqlite3.connect(tmp_path / "driver.db", isolation_level=None, timeout=5)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("UPDATE items SET name = 'khóa' WHERE id = 1")
        holder.execute("COMMIT")  # exclusive mode keeps the lock after the commit
        started = time.perf_counter()
        assert reader.fetch_one("SELECT name FROM items", ()) is LoopReader.WAIT
        assert time.perf_counter() - started < 1
    finally:
        holder.close()
    assert reader.fetch_one("SELECT name FROM items", ()) == ("khóa",)


async def test_a_unit_whose_loop_read_would_wait_reads_in_the_thread(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name="chè"))
    reader = db._loop_reader
    assert reader is not None
    monkeypatch.setattr(reader, "fetch_one", lambda *_: LoopReader.WAIT)
    trips = count_trips(monkeypatch)
    async with db.unit() as unit:
        assert await unit.fetch_one(BY_ID, {"id": 1}) == (1, "chè")
    assert trips == ["_run_statement"]


def test_the_loop_reader_answers_only_its_own_thread(tmp_path: Path) -> None:
    path = tmp_path / "reader.db"
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE t (x INTEGER)")
    reader = LoopReader(str(path))
    try:
        assert reader.fetch_one("SELECT count(*) FROM t", ()) == (0,)
        elsewhere: list[object] = []
        thread = threading.Thread(target=lambda: elsewhere.append(reader.fetch_one("SELECT 1", ())))
        thread.start()
        thread.join()
        assert elsewhere == [LoopReader.WAIT]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.fetch_one("INSERT INTO t VALUES (1)", ())
    finally:
        reader.close()


def test_a_connection_still_opening_when_its_loop_closes_raises_nothing(
    tmp_path: Path,
) -> None:
    """A shutdown (or a test's end) may close the loop while a driver thread is still
    opening a connection for it: the thread then hands the connection to nobody and
    stops, instead of raising "Event loop is closed" into the void."""
    gate = threading.Event()

    def slow_connector() -> sqlite3.Connection:
        gate.wait(5)
        return sqlite3.connect(tmp_path / "late.db")

    connection = aiosqlite.Connection(slow_connector, 64)
    connection._thread.start()
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(sqlite_driver._open(connection))
        loop.run_until_complete(asyncio.sleep(0.05))  # the connector has begun
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    finally:
        loop.close()
    gate.set()
    connection._thread.join(5)
    assert not connection._thread.is_alive()  # stopped, and raised nothing
