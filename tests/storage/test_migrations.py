"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from bot.runtime import Runtime
from storage.models import Base
from tests.helpers import SQLITE_ONLY


async def test_migrations_match_models(runtime: Runtime) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection)
        return list(compare_metadata(context, Base.metadata))

    async with runtime.db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


@SQLITE_ONLY
async def test_sqlite_pragmas(runtime: Runtime) -> None:
    async with runtime.db.engine.connect() as connection:
        journal = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
        timeout = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert (journal, foreign_keys, timeout) == ("wal", 1, 30000)
