"""`ocop-bot copy-data --to URL`: a SQLite installation moves to PostgreSQL (and back).

Every table's row count and checksum match on both sides, and the target
goes on working: new rows get fresh ids, not ones the copy already used.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from bot import backups
from bot.config import Settings
from bot.runtime import Runtime
from storage.checksums import table_sums
from storage.db import Database
from storage.models import Photo, User
from storage.transfer import TransferError, copy_database
from storage.users import get_or_create_user
from tests.conftest import POSTGRES_URL
from tests.ops.conftest import Writer


@pytest.fixture
def other_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the other engine: PostgreSQL for a SQLite test, and back."""
    if not database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'copy' / 'ocop.db'}"
        return
    name = f"ocop_copy_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES_URL).set(drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)

    async def run(sql: str) -> None:
        connection = await asyncpg.connect(dsn, timeout=5)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        pytest.fail(f"PostgreSQL not reachable at {POSTGRES_URL}: {error}")
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def sums(url: str) -> dict[str, tuple[int, str]]:
    db = Database(url)
    try:
        async with db.read() as session:
            found = await table_sums(await session.connection())
    finally:
        await db.dispose()
    return {name: (table.rows, table.checksum) for name, table in found.items()}


async def test_copy_moves_every_row_and_the_target_goes_on(
    runtime: Runtime,
    settings: Settings,
    writer: Writer,
    other_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await backups.copy_data(settings, other_url) == 0
    out = capsys.readouterr().out
    assert "Every table's row count and checksum match" in out
    source, target = await sums(settings.database_url), await sums(other_url)
    assert source == target
    assert source["users"][0] >= 7 and source["photos"][0] == 3 and source["products"][0] == 1

    target_db = Database(other_url)
    try:
        async with target_db.transaction() as session:
            largest = await session.scalar(select(func.max(User.id)))
            user = await get_or_create_user(session, "telegram", "777777", "New after the move")
        assert user.id > int(largest or 0)
    finally:
        await target_db.dispose()


async def test_copy_refuses_a_target_with_rows_unless_forced(
    runtime: Runtime,
    settings: Settings,
    writer: Writer,
    other_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await backups.copy_data(settings, other_url) == 0
    await writer.step()
    await writer.step()  # the source has moved on
    capsys.readouterr()
    assert await backups.copy_data(settings, other_url) == 2
    assert "already holds" in capsys.readouterr().out
    assert await sums(settings.database_url) != await sums(other_url)
    assert await backups.copy_data(settings, other_url, force=True) == 0
    assert await sums(settings.database_url) == await sums(other_url)


async def test_checksums_differ_when_one_value_does(
    runtime: Runtime, settings: Settings, writer: Writer, other_url: str
) -> None:
    source, target = await copy_database(settings.database_url, other_url)
    assert source == target
    db = Database(other_url)
    try:
        async with db.transaction() as session:
            await session.execute(update(Photo).where(Photo.position == 2).values(width=241))
    finally:
        await db.dispose()
    after = await sums(other_url)
    assert after["photos"] != (source["photos"].rows, source["photos"].checksum)
    assert after["users"] == (source["users"].rows, source["users"].checksum)


async def test_copy_refuses_the_same_database(settings: Settings) -> None:
    with pytest.raises(TransferError, match="same database"):
        await copy_database(settings.database_url, settings.database_url)
