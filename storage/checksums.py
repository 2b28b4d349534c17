"""Row counts and checksums of every table, computed the same way on SQLite and PostgreSQL.

A backup's manifest records them, a restore and a copy to another engine
check against them. Each row is read through the model's column types and
normalised (times to UTC, JSON with sorted keys), hashed on its own, and
the row hashes are added up modulo 2**128: the sum does not depend on the
order rows come in, so neither an ORDER BY nor the engines' different
string collations can make two equal tables disagree.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from alembic.script import ScriptDirectory
from sqlalchemy import Table, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import alembic_config
from storage.models import Base

BATCH = 1000
_MODULUS = 2**128


@dataclass(frozen=True)
class TableSum:
    rows: int
    checksum: str  # 32 hex digits

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "checksum": self.checksum}


def tables() -> list[Table]:
    """Every table of the schema, parents before children (the order to copy them in)."""
    return list(Base.metadata.sorted_tables)


def normalised(value: Any) -> Any:
    """A column value as JSON that reads the same whichever engine it came from."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def row_digest(row: Any) -> int:
    encoded = json.dumps(
        [normalised(value) for value in row],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    return int.from_bytes(hashlib.blake2b(encoded, digest_size=16).digest(), "big")


async def table_sum(connection: AsyncConnection, table: Table) -> TableSum:
    rows, total = 0, 0
    result = await connection.stream(select(table))
    async for batch in result.partitions(BATCH):
        for row in batch:
            total = (total + row_digest(row)) % _MODULUS
            rows += 1
    return TableSum(rows, f"{total:032x}")


async def table_sums(connection: AsyncConnection) -> dict[str, TableSum]:
    """Every table's count and checksum, read on `connection` (one snapshot if it is in a
    read transaction)."""
    return {table.name: await table_sum(connection, table) for table in tables()}


async def existing_tables(connection: AsyncConnection) -> set[str]:
    return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def row_count(connection: AsyncConnection) -> int:
    """Rows in the schema's tables that exist; 0 for a new or merely migrated database."""
    present = await existing_tables(connection)
    total = 0
    for table in tables():
        if table.name in present:
            total += int(await connection.scalar(select(func.count()).select_from(table)) or 0)
    return total


async def schema_revision(connection: AsyncConnection) -> str | None:
    """The Alembic revision the database is at; None before the first migration."""
    if "alembic_version" not in await existing_tables(connection):
        return None
    value = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    return str(value) if value is not None else None


def head_revision() -> str | None:
    """The newest Alembic revision of this code."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()
