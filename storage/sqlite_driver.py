"""SQLAlchemy's aiosqlite adapter, one hand-over to the driver's thread per statement.

aiosqlite runs each SQLite connection in a thread of its own, and every call
on it is a hand-over: queue the call, wake the thread, wait for the event
loop to pick the result up. SQLAlchemy's adapter makes three or four of
them per statement (open a cursor, execute, fetch, close). On a busy event
loop each one waits its turn behind every other ready task, and a
transaction holding SQLite's single writer waits with it. This adapter runs
the whole statement - cursor, execute, fetch, close - in one hand-over;
nothing else changes (same aiosqlite connections, same SQL, same errors).

`OneHopDialect` (SQLAlchemy's aiosqlite dialect with this adapter) also applies
the transaction rules of storage/db.py's `Database` to each statement on its
way to the driver. Used by storage/db.py for SQLite only. It is the one module
that leans on other libraries' internals: SQLAlchemy's aiosqlite adapter
classes and their private members, aiosqlite's thread queue `_tx`, its
connector, `_conn` and its stop sentinel (to hand work over without tying it
to a loop that may have closed at shutdown: see `_send`), and a statement's
`_for_update_arg` (`locks_rows`). A version with only public APIs (the stock
adapter through `async_creator`) cost about 9% more CPU per update in the
closed-loop bench (BENCHMARKS.md, "SQLite driver"), so instead both libraries
are pinned exactly in pyproject.toml and tests/storage/test_pins.py fails the
moment an installed version differs from its pin: an upgrade is a deliberate
change, made with this module's tests (tests/storage/test_sqlite_driver.py).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import aiosqlite
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import await_only

Outcome = tuple[Any, list[Any], int, int | None]
# The BEGIN of a transaction that writes: the driver's thread takes the writer first.
IMMEDIATE = "BEGIN IMMEDIATE"
# The execution option that marks a connection of `Database.read()` on SQLite.
READ_ONLY = "ocop_read_only"
# The execution option that carries a `Database.transaction()`'s `WriterClaim` on SQLite.
WRITER = "ocop_writer"
# The execution option of a transaction's last statement, a write that must change
# exactly one row (storage/users.py `save_conversation`): on SQLite the COMMIT goes to
# the driver together with it, in one hand-over, when it does.
LAST_WRITE = "ocop_last_write"
# What a read may run on SQLite: queries, and the BEGIN that opens them.
_READ_STATEMENTS = ("SELECT", "WITH", "BEGIN", "EXPLAIN", "VALUES")

T = TypeVar("T")


async def _hand_over(connection: aiosqlite.Connection, function: Callable[..., T], *args: Any) -> T:
    """Runs `function(*args)` in the connection's thread and waits for its result.
    Every trip to the thread for a statement goes through here (tests count them here).
    """
    if not connection._running or connection._connection is None:
        raise ValueError("Connection closed")
    return await _send(connection, function, *args)


async def _open(connection: aiosqlite.Connection) -> None:
    """Runs the connection's connector in its thread: aiosqlite's `_connect`, with the
    result handed back as `_send` hands it."""
    try:
        connection._connection = await _send(connection, connection._connector)
    except BaseException:
        connection._running = False
        connection._tx.put_nowait((None, lambda: aiosqlite.core._STOP_RUNNING_SENTINEL))
        raise


def _send(
    connection: aiosqlite.Connection, function: Callable[..., T], *args: Any
) -> asyncio.Future[T]:
    """Queues `function(*args)` for the connection's thread; the future gets its result.

    What aiosqlite's `_execute` does, except that the thread hands the result
    back only to a loop that is still open: when the awaiting task is cancelled
    at shutdown and the loop closes before the call ends, aiosqlite's thread
    would raise `RuntimeError: Event loop is closed` into nowhere.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def run() -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (function(*args), None)
        except BaseException as error:  # handed to the awaiting task, as aiosqlite does
            outcome = (None, error)
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
            loop.call_soon_threadsafe(_settle, future, *outcome)

    connection._tx.put_nowait((None, run))
    return future


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting task was cancelled
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _stop(connection: aiosqlite.Connection, writer: WriterLock, owner: object) -> None:
    """Closes the SQLite connection and ends its thread, waiting for neither:
    `aiosqlite.Connection.stop()` ties a future to `get_event_loop()`, which
    outside a running loop (the pool's clean-up of a connection lost at
    shutdown) may be a closed one, and the thread would raise on it."""
    raw, connection._connection = connection._connection, None
    connection._running = False

    def close_and_stop() -> object:
        if raw is not None:
            _end(raw.close, writer, owner)  # a second close is a no-op
        return aiosqlite.core._STOP_RUNNING_SENTINEL

    connection._tx.put_nowait((None, close_and_stop))


class WriterLock:
    """SQLite's one writer, taken and given back in the drivers' threads.

    A transaction takes it in the hand-over that carries its `BEGIN IMMEDIATE`
    (blocking that connection's thread while another transaction writes), and
    gives it back in the hand-over of its COMMIT or ROLLBACK, the moment SQLite
    is done. The next writer, blocked in its own thread, goes on at once. An
    asyncio lock, passed on through the event loop, left the database idle at
    every hand-over until a busy loop came round to the next writer's task;
    in the closed-loop bench that, not CPU, capped the bot's updates per
    second (BENCHMARKS.md). Queueing here rather than in SQLite's busy
    handler keeps writers from sleeping and polling.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()  # makes release's check-and-release one step
        self._owner: object | None = None

    def acquire(self, owner: object) -> None:
        if self._owner is owner:  # only its own thread sets it to itself
            return
        self._lock.acquire()
        with self._guard:
            self._owner = owner

    def release(self, owner: object) -> None:
        """Gives the writer back if `owner` holds it; otherwise does nothing."""
        with self._guard:
            if self._owner is not owner:
                return
            self._owner = None
            self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


def _end(end: Callable[[], None], writer: WriterLock, owner: object) -> None:
    """In the driver's thread: COMMIT or ROLLBACK, then the writer goes back."""
    try:
        end()
    finally:
        writer.release(owner)


def _run_statement(
    raw: sqlite3.Connection,
    operation: str,
    parameters: Any,
    many: bool,
    begin: str | None,
    commit: bool = False,
    writer: WriterLock | None = None,
    owner: object = None,
) -> Outcome:
    """In aiosqlite's thread: `begin` if given (taking `writer` first, for `owner`), then
    the statement and its rows, with the cursor closed again; then, if `commit` and the
    statement changed exactly one row, COMMIT and give the writer back (otherwise the
    transaction stays open for the caller to roll back)."""
    cursor = raw.cursor()
    try:
        if begin is not None:
            if raw.in_transaction:
                # Only a read's deferred BEGIN can be open here (a writing transaction
                # begins with this statement): one whose awaiting task was cancelled
                # before the thread ran it, so the pool's ROLLBACK was skipped. It
                # holds a read snapshot only; end it rather than fail the write.
                raw.rollback()
            if writer is not None:
                writer.acquire(owner)
            try:
                cursor.execute(begin)
            except BaseException:
                if writer is not None:
                    writer.release(owner)
                raise
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        if commit and cursor.rowcount == 1:
            if writer is None:
                raw.commit()
            else:
                _end(raw.commit, writer, owner)
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A DBAPI cursor whose statements each take one trip to aiosqlite's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No driver cursor is opened here (that would be a trip of its own).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    def close(self) -> None:
        self._rows.clear()

    async def _async_soft_close(self) -> None:
        return None  # nothing is open between statements

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        return self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_only(self._run_async(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _run_async(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted: OneHopConnection = self._adapt_connection  # type: ignore[assignment]
        begin, adapted.begin_with_next = adapted.begin_with_next, None
        commit, adapted.commit_with_next = adapted.commit_with_next, False
        if adapted.committed:
            # It would run outside the transaction, which its caller believes open.
            raise sqlite3.ProgrammingError(
                "a statement after the transaction's last one, which committed it"
            )
        raw = connection._conn
        # Only a writing transaction takes the writer (a read's deferred BEGIN never
        # does); its last write gives it back with the COMMIT.
        writer = adapted.writer if begin == IMMEDIATE or commit else None
        async with adapted._execute_mutex:
            outcome = await _hand_over(
                connection,
                _run_statement,
                raw,
                operation,
                parameters,
                many,
                begin,
                commit,
                writer,
                adapted,
            )
        adapted.committed = commit and outcome[2] == 1
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """`begin_with_next`: a BEGIN to run in the same hand-over as the next statement
    (`IMMEDIATE` takes the writer first);
    `commit_with_next`: a COMMIT to run in the same hand-over after it, if it changes
    exactly one row (a transaction's last statement: `committed` then refuses any
    other until SQLAlchemy's own COMMIT or ROLLBACK, which finds nothing to end)."""

    __slots__ = ("begin_with_next", "commit_with_next", "committed", "writer")

    def __init__(self, dbapi: Any, connection: Any, writer: WriterLock) -> None:
        super().__init__(dbapi, connection)
        self.begin_with_next: str | None = None
        self.commit_with_next = False
        self.committed = False
        self.writer = writer

    def commit(self) -> None:
        self.committed = False
        if self.in_transaction():
            self._call(_end, self._connection._conn.commit, self.writer, self)

    def rollback(self) -> None:
        self.begin_with_next, self.commit_with_next, self.committed = None, False, False
        if self.in_transaction():
            self._call(_end, self._connection._conn.rollback, self.writer, self)

    def give_back_writer(self) -> None:
        """Queues, without waiting, a hand-over that gives the writer back if this
        connection still holds it: after a transaction ended by an error or a
        cancellation, a statement that took the writer may still be on its way to
        the thread, with its ROLLBACK skipped (it had not begun when it was due)."""
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        if connection._running:
            connection._tx.put_nowait((None, partial(self.writer.release, self)))

    def close(self) -> None:
        try:
            await_only(self._terminate_graceful_close())
        except Exception as error:
            self._handle_exception(error)

    async def _terminate_graceful_close(self) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        raw = connection._connection
        if raw is None:
            return
        try:
            await _hand_over(connection, _end, raw.close, self.writer, self)
        finally:
            _stop(connection, self.writer, self)

    def _terminate_force_close(self) -> None:
        _stop(self._connection, self.writer, self)  # type: ignore[arg-type]

    def _call(self, function: Callable[..., object], *args: Any) -> None:
        try:
            await_only(_hand_over(self._connection, function, *args))  # type: ignore[arg-type]
        except Exception as error:
            self._handle_exception(error)

    def in_transaction(self) -> bool:
        """Whether COMMIT or ROLLBACK has anything to end. When not (the pool's
        rollback of a connection whose transaction committed, a transaction
        that only read and never began), the trip to the thread is skipped.
        Read from the event loop: safe, as nothing else runs on the
        connection meanwhile (SQLAlchemy uses one connection at a time)."""
        raw: sqlite3.Connection | None = self._connection._connection
        return raw is not None and raw.in_transaction

    _cursor_cls = OneHopCursor  # type: ignore[assignment]  # (a subclass; mypy infers the exact base)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give `create_async_engine(..., module=...)`."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.writer = WriterLock()  # one per engine: SQLite has one writer per file

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        """An aiosqlite connection opened as `aiosqlite.connect` opens one, except that
        its thread hands the new connection back only to a loop that is still open
        (see `_hand_over`: a connection still opening when a test's or a shutdown's
        loop closes), and in autocommit mode from the start (the driver begins
        nothing by itself; set later, it would be a trip of its own)."""
        connection = aiosqlite.connect(*arg, **{"isolation_level": None, **kw})
        connection._thread.daemon = True  # as SQLAlchemy's adapter makes it
        connection._thread.start()
        await_only(_open(connection))
        return OneHopConnection(self, connection, self.writer)


def locks_rows(context: Any) -> bool:
    """A `SELECT ... FOR UPDATE`: SQLite renders no FOR UPDATE, so it takes the writer."""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    return getattr(statement, "_for_update_arg", None) is not None


class LoopReader:
    """A read-only SQLite connection of the event loop's own thread, for short reads
    that cost less than a trip to a driver thread: the chat's rows, by key, that every
    update reads before its transaction writes (storage/db.py `Unit.fetch_one`).
    Outside a transaction each read sees the latest committed rows, as the unit's
    own connection would; WAL lets it read beside the writer. A read that would
    have to wait (SQLITE_BUSY, e.g. another process recovering the WAL) does not
    block the loop: it returns `WAIT`, and the caller takes the driver's thread.
    So does a call from another thread than the one that first used it."""

    WAIT = object()

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None
        self._thread: int | None = None

    def fetch_one(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any]) -> Any:
        """The first row (a tuple), None, or `WAIT`."""
        if self._thread is None:
            self._thread = threading.get_ident()
        elif self._thread != threading.get_ident():
            return self.WAIT
        try:
            if self._connection is None:
                self._connection = self._open()
            cursor = self._connection.execute(sql, parameters)
            try:
                return cursor.fetchone()
            finally:
                cursor.close()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in (
                sqlite3.SQLITE_BUSY,
                sqlite3.SQLITE_LOCKED,
            ):
                return self.WAIT
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        # timeout 0: SQLITE_BUSY at once instead of waiting on the event loop.
        connection = sqlite3.connect(self._path, timeout=0, isolation_level=None)
        connection.execute("PRAGMA query_only=ON")
        return connection


@dataclass
class WriterClaim:
    """One transaction's claim on the single writer (`WriterLock`, taken in the
    driver's thread with its `BEGIN IMMEDIATE`), carried by the WRITER option."""

    connection: OneHopConnection | None = None  # set at the first write
    last_written: bool = False  # a LAST_WRITE went to the driver: no write may follow

    @property
    def holds(self) -> bool:
        return self.connection is not None


class OneHopDialect(SQLiteDialect_aiosqlite):
    """SQLAlchemy's aiosqlite dialect, with statements going through
    storage/sqlite_driver.py (one hand-over to aiosqlite's thread each instead of
    three or four) and the transaction rules of `Database` applied as each
    statement goes to the driver:

    * `Database.read()`: a deferred BEGIN goes with the first statement (a WAL
      snapshot, never the write lock), and a statement that would write raises;
    * `Database.transaction()` and `unit()`: nothing begins until the first write
      or `SELECT ... FOR UPDATE`, which goes with `BEGIN IMMEDIATE` (the thread
      takes the writer first), so a transaction never has to upgrade a read
      snapshot, which fails outright when another writer committed since; a
      LAST_WRITE takes its COMMIT along.

    Done here rather than in engine event listeners: with one listener, every
    statement goes through SQLAlchemy's engine event dispatch.
    """

    supports_statement_cache = True  # it compiles as its parent does

    def do_execute(self, cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        _gate(cursor, statement, context)
        cursor.execute(statement, parameters)

    def do_execute_no_params(self, cursor: Any, statement: str, context: Any = None) -> None:
        _gate(cursor, statement, context)
        cursor.execute(statement)

    def do_executemany(
        self, cursor: Any, statement: str, parameters: Any, context: Any = None
    ) -> None:
        _gate(cursor, statement, context)
        cursor.executemany(statement, parameters)


# What storage/db.py puts in the engine's URL to get the dialect above (the
# operator's URL stays sqlite+aiosqlite).
DIALECT_DRIVER = "sqlite+ocop_onehop"
registry.register("sqlite.ocop_onehop", __name__, "OneHopDialect")


def _gate(cursor: Any, statement: str, context: Any) -> None:
    """`OneHopDialect`'s check of a statement about to go to the driver: see there."""
    options = context.execution_options if context is not None else {}
    before_statement(cursor._adapt_connection, statement, options, locks=locks_rows(context))


def before_statement(
    connection: OneHopConnection, statement: str, options: Mapping[str, Any], *, locks: bool
) -> None:
    """The rules of `OneHopDialect` for a statement about to go to `connection`'s
    driver, under the execution `options` of its transaction (`locks`: a `SELECT ...
    FOR UPDATE`). Also for statements run on the DBAPI connection directly
    (storage/db.py `Prepared`)."""
    reads = statement.lstrip()[:7].upper().startswith(_READ_STATEMENTS)
    if options.get(READ_ONLY):
        if not reads:
            raise sqlite3.OperationalError(
                "attempt to write in a read-only transaction (Database.read())"
            )
        if not connection.in_transaction():
            connection.begin_with_next = "BEGIN"  # deferred: a snapshot at this read
        return
    writer: WriterClaim | None = options.get(WRITER)
    if writer is None:
        return
    if writer.last_written and not reads:
        raise sqlite3.ProgrammingError("a write after the transaction's last write")
    if not writer.holds and (not reads or locks):
        # The transaction's first write: it goes to the driver's thread with
        # BEGIN IMMEDIATE, and the thread takes the writer before it.
        writer.connection = connection
        connection.begin_with_next = IMMEDIATE
    if options.get(LAST_WRITE):
        # Its COMMIT goes to the driver with it, and the writer is given back
        # in the same hand-over.
        connection.commit_with_next = True
        writer.last_written = True
