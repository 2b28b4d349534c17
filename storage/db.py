"""Engine, sessions and migrations.

This module is the one place where SQLite and PostgreSQL differ; everything
else speaks portable SQLAlchemy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import orjson
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    Connection,
    Dialect,
    Executable,
    Result,
    Select,
    Table,
    Update,
    event,
    inspect,
)
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from storage.sqlite_driver import (
    DIALECT_DRIVER,
    READ_ONLY,
    WRITER,
    LoopReader,
    OneHopConnection,
    OneHopDBAPI,
    WriterClaim,
    WriterLock,
    before_statement,
)

# LAST_WRITE marks a transaction's last statement, a write that must change
# exactly one row (storage/users.py `save_conversation`); on SQLite its COMMIT
# goes to the driver with it. Re-exported: callers need not know the driver.
from storage.sqlite_driver import LAST_WRITE as LAST_WRITE

_T = TypeVar("_T")
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Connections per engine. On SQLite a transaction keeps its connection while
# it queues for the write lock, so the pool is sized for a busy chat.
SQLITE_POOL = {"pool_size": 20, "max_overflow": 40}


class Executes(Protocol):
    """What runs a statement in a transaction: an `AsyncSession`, or a `Unit` (whose
    statements skip the ORM session). For storage functions that write with Core
    statements only, so either kind of caller can use them."""

    async def execute(
        self, statement: Executable, params: dict[str, Any] | None = None, /
    ) -> Result[Any]: ...


class Prepared:
    """A Core statement that a `Unit` runs straight on its DBAPI connection, for the
    statements every update runs (the chat's load and save): SQLAlchemy's work per
    execution (the compiled cache's lookup, an execution context, a result object)
    cost more CPU than the statements themselves (BENCHMARKS.md, "CPU per update").
    It is compiled once per dialect (and, for an UPDATE, per set of columns it
    sets), and its values go through the column types' own bind and result
    processors, as SQLAlchemy's execution would. Plain statements only: no
    expanding IN, no column defaults computed in Python, no RETURNING."""

    def __init__(self, statement: Select[Any] | Update) -> None:
        self.statement = statement
        self._compiled: dict[tuple[Dialect, tuple[str, ...] | None], _Compiled] = {}

    def compiled(self, dialect: Dialect, column_keys: tuple[str, ...] | None = None) -> _Compiled:
        key = (dialect, column_keys)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = _Compiled.of(self.statement, dialect, column_keys)
        return found


@dataclass(frozen=True)
class _Compiled:
    """A `Prepared` statement's SQL for one dialect, with its value conversions."""

    sql: str
    positional: bool
    names: tuple[str, ...]  # the bound parameters, in the SQL's order when positional
    binds: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...]  # one per selected column
    fixed: dict[str, Any]  # values written in the statement itself (`version + 1`)

    @classmethod
    def of(
        cls, statement: Select[Any] | Update, dialect: Dialect, column_keys: tuple[str, ...] | None
    ) -> _Compiled:
        compiled = statement.compile(
            dialect=dialect, column_keys=list(column_keys) if column_keys is not None else None
        )
        assert isinstance(compiled, SQLCompiler)
        if compiled.insert_prefetch or compiled.update_prefetch or compiled.returning:
            raise ValueError("Prepared: Python-side column defaults or RETURNING")
        names = tuple(compiled.positiontup or compiled.binds)
        binds = tuple(
            compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in names
        )
        columns = statement.selected_columns if isinstance(statement, Select) else ()
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        )
        fixed = {
            name: compiled.binds[name].effective_value
            for name in names
            if not compiled.binds[name].required
        }
        return cls(compiled.string, compiled.positional, names, binds, results, fixed)

    def arguments(self, params: dict[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = []
        for name, bind in zip(self.names, self.binds, strict=True):
            value = params[name] if name in params else self.fixed[name]
            values.append(value if bind is None else bind(value))
        return tuple(values) if self.positional else dict(zip(self.names, values, strict=True))

    def row(self, values: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            value if result is None else result(value)
            for value, result in zip(values, self.results, strict=True)
        )


class Unit:
    """One update's unit of work (`Database.unit()`): Core statements on its
    connection, and an ORM session joined to the same transaction, opened at its
    first use. Most steps of a conversation read and write only the chat's two
    rows, which go as Core statements: such an update never pays for a session.

    Each trip through SQLAlchemy's asyncio bridge does as much as it can: the
    first statement connects and begins with it, the last write commits and
    gives the connection back with it.
    """

    def __init__(
        self, engine: AsyncEngine, options: dict[str, Any], reader: LoopReader | None = None
    ) -> None:
        self._engine = engine
        self._options = options
        self._reader = reader
        self._connection: Connection | None = None
        self._session: AsyncSession | None = None
        self._adopted: list[object] = []
        self.finished = False  # committed and given back by `last_write`

    async def connect(self) -> None:
        """Connects and begins now, as the first statement would (for a caller that
        wants the session before any statement of its own)."""
        await greenlet_spawn(self._connect)

    async def execute(
        self,
        statement: Executable,
        params: dict[str, Any] | Sequence[dict[str, Any]] | None = None,
    ) -> Result[Any]:
        """A Core statement in the unit's transaction (the first connects and begins);
        a list of parameter sets runs it once for each."""
        return await greenlet_spawn(self._execute, statement, params)

    async def fetch_one(self, prepared: Prepared, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """A prepared query's first row (the first statement connects and begins).

        On SQLite, until the unit writes, the row is read on the event loop
        (`LoopReader`): the rows the unit's own connection would read then (outside
        a transaction, the latest committed), without a trip to its driver thread,
        which cost several times the read itself (BENCHMARKS.md, "CPU per update").
        """
        claim: WriterClaim | None = self._options.get(WRITER)
        if self._reader is not None and claim is not None and not claim.holds:
            compiled = prepared.compiled(self._engine.dialect)
            values = self._reader.fetch_one(compiled.sql, compiled.arguments(params))
            if values is not LoopReader.WAIT:
                if self._connection is None:
                    await greenlet_spawn(self._connect)  # the unit's, for what follows
                return None if values is None else compiled.row(values)
        return await greenlet_spawn(self._fetch_one, prepared, params)

    async def last_write(
        self, prepared: Prepared, params: dict[str, Any], column_keys: tuple[str, ...]
    ) -> int:
        """The transaction's last statement, a prepared write setting `column_keys`
        and meant to change one row: when it does, the transaction commits and the
        connection goes back, in the same trip; otherwise the unit stays open (to be
        rolled back). Its row count."""
        await self.flush()  # everything else first
        return await greenlet_spawn(self._last_write, prepared, params, column_keys)

    @property
    def session(self) -> AsyncSession:
        """The session, opened now if it is not yet, with the adopted objects in it
        (after the unit's first statement, which connects it)."""
        if self._session is None:
            if self._connection is None:
                raise RuntimeError("Unit.session before the unit's first statement or connect()")
            connection = AsyncConnection(self._engine, self._connection)
            self._session = AsyncSession(bind=connection, expire_on_commit=False)
            self._session.add_all(self._adopted)
        return self._session

    def adopt(self, *instances: object) -> None:
        """Detached mapped objects (loaded by Core) that belong in the session: added
        now if it is open, else when it opens."""
        self._adopted.extend(instances)
        if self._session is not None:
            self._session.add_all(instances)

    def release(self, instance: object) -> None:
        """Takes an adopted object out of the unit: the session never writes it."""
        self._adopted.remove(instance)
        if self._session is not None and instance in self._session:
            self._session.expunge(instance)

    async def flush(self) -> None:
        """Writes the session's pending changes, if it is open and has any; also the
        adopted objects changed while it was not (opening it for them)."""
        if self._session is None and not any(_changed(o) for o in self._adopted):
            return
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()

    def _connect(self) -> Connection:
        if self._connection is None:
            connection = self._engine.sync_engine.connect()
            if self._options:
                connection.execution_options(**self._options)
            connection.begin()
            self._connection = connection
        return self._connection

    def _execute(
        self, statement: Executable, params: dict[str, Any] | Sequence[dict[str, Any]] | None
    ) -> Result[Any]:
        return self._connect().execute(statement, params)

    def _fetch_one(self, prepared: Prepared, params: dict[str, Any]) -> tuple[Any, ...] | None:
        compiled = prepared.compiled(self._engine.dialect)
        cursor = self._cursor(compiled.sql, {})
        try:
            cursor.execute(compiled.sql, compiled.arguments(params))
            values = cursor.fetchone()
        finally:
            cursor.close()
        return None if values is None else compiled.row(values)

    def _last_write(
        self, prepared: Prepared, params: dict[str, Any], column_keys: tuple[str, ...]
    ) -> int:
        compiled = prepared.compiled(self._engine.dialect, column_keys)
        cursor = self._cursor(compiled.sql, {LAST_WRITE: True})
        try:
            cursor.execute(compiled.sql, compiled.arguments(params))
            rowcount: int = cursor.rowcount
        finally:
            cursor.close()
        if rowcount == 1:
            self._end(commit=True)
        return rowcount

    def _cursor(self, sql: str, options: dict[str, Any]) -> Any:
        """A DBAPI cursor on the unit's connection (connected and begun), with
        SQLite's transaction rules applied to `sql` as the dialect would."""
        dbapi_connection = self._connect().connection.dbapi_connection
        if isinstance(dbapi_connection, OneHopConnection):
            before_statement(dbapi_connection, sql, self._options | options, locks=False)
        return dbapi_connection.cursor()  # type: ignore[union-attr]

    def _end(self, *, commit: bool) -> None:
        """Commits or rolls back, then gives the connection back (in a greenlet)."""
        self.finished = True
        self._close_session()
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if commit:
                connection.commit()
            else:
                connection.rollback()
        finally:
            connection.close()

    def _close_session(self) -> None:
        # The transaction is the connection's: closing the joined session only
        # forgets its objects (no I/O), whether it committed or not.
        if self._session is not None:
            self._session.sync_session.close()
            self._session = None


def attribute_keys(cls: type[Any], table: Table) -> tuple[str, ...]:
    """The mapped class's attribute names for the table's columns, in the table's order."""
    mapper = inspect(cls)
    return tuple(mapper.get_property_by_column(column).key for column in table.columns)


def detached(cls: type[_T], keys: tuple[str, ...], values: Sequence[Any]) -> _T:
    """A mapped object from a row's values (`keys`: its attribute names, in the row's
    order), detached, as if loaded by a session now closed: what the ORM's loading
    does, without its per-query machinery."""
    instance: _T = inspect(cls).class_manager.new_instance()
    instance.__dict__.update(zip(keys, values, strict=True))
    make_transient_to_detached(instance)
    return instance


def _changed(instance: object) -> bool:
    state = inspect(instance)
    return state.modified or not state.has_identity


class Database:
    """Owns the engine; `transaction()` is the one way code gets a session to write with,
    `unit()` the dispatcher's per-update unit of work, `read()` a session that only reads."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: AsyncEngine = _create_engine(url, echo=echo, sqlite=self.is_sqlite)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; writers queue for it in the driver's
        # threads (storage/sqlite_driver.py WriterLock), not in SQLite's busy handler.
        self._writer_lock: WriterLock | None = (
            self.engine.dialect.dbapi.writer if self.is_sqlite else None  # type: ignore[union-attr]
        )
        # The chat's rows are read on the event loop before a unit writes (a file
        # database only: a second connection to ":memory:" would be another database).
        database = make_url(url).database if self.is_sqlite else None
        self._loop_reader = LoopReader(database) if database and database != ":memory:" else None
        # Reads share the engine's pool. On SQLite the option tells the dialect
        # (storage/sqlite_driver.py) to BEGIN deferred and refuse writes (a WAL
        # read is one snapshot anyway); on PostgreSQL the transaction is READ
        # ONLY and REPEATABLE READ, one snapshot too (both reset when the
        # connection goes back).
        readonly: dict[str, Any] = (
            {READ_ONLY: True}
            if self.is_sqlite
            else {"postgresql_readonly": True, "isolation_level": "REPEATABLE READ"}
        )
        self._reads = async_sessionmaker(
            self.engine.execution_options(**readonly), expire_on_commit=False, autoflush=False
        )
        self._autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error.

        On PostgreSQL it is a READ COMMITTED transaction. On SQLite, which has
        one writer at a time, it takes the writer (queued in the driver's
        thread, then `BEGIN IMMEDIATE`) only at its first write or its first
        `SELECT ... FOR UPDATE`, and holds it until its COMMIT or ROLLBACK
        is done in that thread; the plain reads before that see the latest
        committed data, as they would on PostgreSQL. So writers queue only
        for the short part that writes, and the next one goes on as soon as
        SQLite has committed, whatever the event loop is busy with. A
        statement with the LAST_WRITE option takes the COMMIT along to the
        driver, in one hand-over; nothing may follow it.
        """
        writer = None
        if self._writer_lock is None:
            session = self._sessions()
        else:
            # The session hands the option to the connection it begins with.
            writer = WriterClaim()
            session = self._sessions(execution_options={WRITER: writer})
        ended = False
        try:
            async with session.begin():
                yield session
            ended = True
        finally:
            if not ended and writer is not None and writer.connection is not None:
                writer.connection.give_back_writer()
            await _close(session)

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        """Like `transaction()` (the same commit, rollback and SQLite writer rules),
        but yielding a `Unit`: a connection, and a session only if something asks."""
        writer = WriterClaim() if self._writer_lock is not None else None
        unit = (
            Unit(self.engine, {WRITER: writer}, self._loop_reader)
            if writer is not None
            else Unit(self.engine, {})
        )
        ended = False
        try:
            yield unit
            if not unit.finished:
                await unit.flush()
                await greenlet_spawn(unit._end, commit=True)
            ended = True
        except BaseException:
            await greenlet_spawn(unit._end, commit=False)
            raise
        finally:
            unit._close_session()
            if not ended and writer is not None and writer.connection is not None:
                writer.connection.give_back_writer()

    @asynccontextmanager
    async def statements(self) -> AsyncIterator[Executes]:
        """Core statements that each commit on their own, for a statement or two that
        are each whole by themselves (the inbox worker's bookkeeping of every update).
        On PostgreSQL a connection in autocommit mode: no BEGIN and COMMIT round trips
        around each statement, and no ORM session. On SQLite, one `transaction()`
        (its writer rules; a commit there is no round trip)."""
        if self._writer_lock is not None:
            async with self.transaction() as session:
                yield session
        else:
            async with self._autocommit.connect() as connection:
                yield connection

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work: one consistent snapshot, never the write lock.

        On SQLite it neither queues on the in-process write lock nor takes
        SQLite's (a plain deferred `BEGIN`), so under WAL any number of reads
        run beside each other and beside the one writer; a statement that
        would write raises `sqlite3.OperationalError` (wrapped by SQLAlchemy
        as `sqlalchemy.exc.OperationalError`). On PostgreSQL it is a
        `READ ONLY`, `REPEATABLE READ` transaction (a read-only snapshot never
        fails to serialize). It always ends with a rollback: there is nothing
        to commit. Use it for pages and reports, never to change data.
        """
        async with self._reads() as session:
            yield session

    async def dispose(self) -> None:
        if self._loop_reader is not None:
            self._loop_reader.close()
        await self.engine.dispose()

    async def migrate(self) -> None:
        """Upgrades the schema to the newest Alembic revision.

        Alembic's env.py runs its own event loop, so it goes to a thread.
        """
        await asyncio.to_thread(upgrade, self.url)


async def _close(session: AsyncSession) -> None:
    """Closes a session whose transaction has ended.

    Once COMMIT or ROLLBACK has returned the connection to the pool, closing
    is plain Python (forgetting the loaded objects): done here directly,
    without the trip through SQLAlchemy's asyncio bridge that
    `AsyncSession.close()` takes. A session still holding a connection (the
    transaction's end itself failed) is closed the asynchronous way.
    """
    if session.sync_session.in_transaction():
        await session.close()
    else:
        session.sync_session.close()


def _json_text(value: Any) -> str:
    """A JSON column's text. orjson, several times faster than the json module, on
    the conversation's columns every update reads and writes; keys that are not
    strings become strings, as json.dumps makes them."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


_JSON_COLUMNS: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def _create_engine(url: str, *, echo: bool, sqlite: bool) -> AsyncEngine:
    if not sqlite:
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20, **_JSON_COLUMNS)
    parsed = make_url(url)
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        parsed.set(drivername=DIALECT_DRIVER),
        echo=echo,
        connect_args={"timeout": 30},
        module=OneHopDBAPI(),
        **SQLITE_POOL,
        **_JSON_COLUMNS,
    )

    # --- SQLite only ---------------------------------------------------
    # WAL lets readers run beside the writer; foreign keys are off by default
    # in SQLite. The driver begins nothing by itself (isolation_level None, set
    # as it connects: the pysqlite recipe from SQLAlchemy's documentation): the dialect of
    # storage/sqlite_driver.py sends each transaction's BEGIN with its first
    # statement, by the rules of `Database.transaction()` and `read()`.
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return engine


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
