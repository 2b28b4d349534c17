"""Moves every row from one database to another (SQLite to PostgreSQL, as a province grows).

The target is migrated to the newest schema first and must hold no rows
(or is emptied when the caller says so). Tables go parents first, in
batches, in one transaction on the target, read from one snapshot of the
source; PostgreSQL's id sequences are then moved past the copied ids, so
new rows do not collide with them. Counts and checksums of both sides are
compared afterwards (storage/checksums.py).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import Integer, Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.backup import database_rows
from storage.checksums import BATCH, TableSum, row_count, schema_revision, table_sums, tables
from storage.db import Database, upgrade


class TransferError(Exception):
    """Something the operator must fix; the message says what."""


async def copy_database(
    source_url: str, target_url: str, *, force: bool = False
) -> tuple[dict[str, TableSum], dict[str, TableSum]]:
    """Copies every row; returns the source's and the target's counts and checksums."""
    if source_url == target_url:
        raise TransferError("the source and the target are the same database")
    if await database_rows(source_url) == 0:
        raise TransferError("the source database holds no rows: check OCOP_DATABASE_URL")
    source, target = Database(source_url), Database(target_url)  # a SQLite folder is made
    try:
        await asyncio.to_thread(upgrade, source_url)
        await asyncio.to_thread(upgrade, target_url)
        async with target.read() as session:
            rows = await row_count(await session.connection())
        if rows and not force:
            raise TransferError(
                f"the target already holds {rows} rows: copy into an empty database, "
                "or add --force to replace them"
            )
        async with source.read() as reading, target.transaction() as writing:
            source_connection = await reading.connection()
            target_connection = await writing.connection()
            if rows:
                await _empty(target_connection)
            for table in tables():
                await _copy_table(source_connection, target_connection, table)
            if not target.is_sqlite:
                await _reset_sequences(target_connection)
            source_sums = await table_sums(source_connection)
        async with target.read() as session:
            target_sums = await table_sums(await session.connection())
            if await schema_revision(await session.connection()) is None:
                raise TransferError("the target has no schema revision after migrating")
    finally:
        await source.dispose()
        await target.dispose()
    return source_sums, target_sums


async def _empty(connection: AsyncConnection) -> None:
    for table in reversed(tables()):  # children first
        await connection.execute(delete(table))


async def _copy_table(source: AsyncConnection, target: AsyncConnection, table: Table) -> int:
    copied = 0
    result = await source.stream(select(table))
    async for batch in result.partitions(BATCH):
        rows = [_portable(table, row._mapping) for row in batch]
        await target.execute(table.insert(), rows)
        copied += len(rows)
    return copied


def _portable(table: Table, row: Any) -> dict[str, Any]:
    """SQLite hands times back without their zone; they are stored in UTC."""
    values = dict(row)
    for column in table.columns:
        value = values.get(column.key)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            values[column.key] = value.replace(tzinfo=dt.UTC)
    return values


async def _reset_sequences(connection: AsyncConnection) -> None:
    """Each integer id's sequence continues after the largest copied id."""
    for table in tables():
        keys = list(table.primary_key.columns)
        if len(keys) != 1 or not isinstance(keys[0].type, Integer):
            continue
        key = keys[0]
        largest = await connection.scalar(select(func.max(key)))
        sequence = await connection.scalar(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": key.name},
        )
        if sequence is None:
            continue
        await connection.execute(
            text("SELECT setval(CAST(:sequence AS regclass), :value, :called)"),
            {"sequence": sequence, "value": largest or 1, "called": largest is not None},
        )
