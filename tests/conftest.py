"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL is at OCOP_TEST_POSTGRES_URL (default: the local server's `test`
database). Where it cannot be reached the PostgreSQL half is skipped on a
developer's machine, and fails under CI=true, where it must be there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.config import Settings, load_settings
from bot.runtime import Runtime, build_runtime
from storage.db import upgrade
from storage.models import Base

pytest_plugins = ["tests.actions"]  # every_action_routed, used by the journeys

POSTGRES_URL = os.environ.get(
    "OCOP_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TABLES = tuple(Base.metadata.tables)


class Clock:
    """A clock tests can move: runtime code reads time only through it."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating each time is slow)."""
    path = tmp_path_factory.mktemp("template") / "ocop.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated once."""
    name = f"ocop_test_{uuid.uuid4().hex[:8]}"
    admin = _asyncpg_dsn(POSTGRES_URL)

    async def create() -> None:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{name}"')
        finally:
            await connection.close()

    try:
        asyncio.run(create())
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        message = f"PostgreSQL not reachable at {POSTGRES_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url

    async def drop() -> None:
        connection = await asyncpg.connect(admin, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()

    asyncio.run(drop())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "ocop.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")

    async def truncate() -> None:
        connection = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            await connection.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()

    asyncio.run(truncate())
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        environ={"OCOP_DATABASE_URL": database_url, "OCOP_MEDIA_DIR": str(tmp_path / "media")}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC))  # 10:00 in Vietnam


@pytest.fixture
async def runtime(settings: Settings, clock: Clock) -> AsyncIterator[Runtime]:
    built = await build_runtime(settings, migrate=False, clock=clock)
    yield built
    await built.close()
