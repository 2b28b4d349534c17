"""Engine, sessions and migrations.

This module is the one place where SQLite and PostgreSQL differ; everything
else speaks portable SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The execution option that marks a connection of `Database.read()` on SQLite.
READ_ONLY = "ocop_read_only"
# What a read may run on SQLite: queries, and the BEGIN that opens them.
_READ_STATEMENTS = ("SELECT", "WITH", "BEGIN", "EXPLAIN", "VALUES")


class Database:
    """Owns the engine; `transaction()` is the one way code gets a session to write with,
    `read()` a session that only reads."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self.engine: AsyncEngine = _create_engine(url, echo=echo, sqlite=self.is_sqlite)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; queueing writers here, in-process,
        # is cheaper and fairer than letting them spin on the busy timeout.
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        # Reads share the engine's pool. On SQLite the option tells the hooks
        # below to BEGIN deferred and refuse writes (a WAL read is one snapshot
        # anyway); on PostgreSQL the transaction is READ ONLY and REPEATABLE
        # READ, one snapshot too (both reset when the connection goes back).
        readonly: dict[str, Any] = (
            {READ_ONLY: True}
            if self.is_sqlite
            else {"postgresql_readonly": True, "isolation_level": "REPEATABLE READ"}
        )
        self._reads = async_sessionmaker(
            self.engine.execution_options(**readonly), expire_on_commit=False, autoflush=False
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on any error."""
        if self._write_lock is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._sessions() as session, session.begin():
            yield session

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
        await self.engine.dispose()

    async def migrate(self) -> None:
        """Upgrades the schema to the newest Alembic revision.

        Alembic's env.py runs its own event loop, so it goes to a thread.
        """
        await asyncio.to_thread(upgrade, self.url)


def _create_engine(url: str, *, echo: bool, sqlite: bool) -> AsyncEngine:
    if not sqlite:
        return create_async_engine(url, echo=echo, pool_size=10, max_overflow=20)
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

    # --- SQLite only ---------------------------------------------------
    # WAL lets readers run beside the writer; foreign keys are off by
    # default in SQLite; BEGIN IMMEDIATE takes the write lock up front so
    # two writers queue on the busy timeout instead of failing to upgrade
    # a read lock (the pysqlite recipe from SQLAlchemy's documentation).
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            # Database.read(): a deferred BEGIN takes a WAL snapshot at the
            # first SELECT and never the write lock.
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _refuse_writes_in_reads(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if connection.get_execution_options().get(READ_ONLY) and not statement.lstrip()[
            :7
        ].upper().startswith(_READ_STATEMENTS):
            raise sqlite3.OperationalError(
                "attempt to write in a read-only transaction (Database.read())"
            )

    return engine


def alembic_config(url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
