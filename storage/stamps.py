"""Serial stamps: printing a batch, finding a serial, recording each check of it.

A check is recorded as a `Scan` row (when and through what channel, never
who) and counted on the stamp itself, so "first check or not" is one
indexed UPDATE and never a count over millions of scans. The same person
checking again within minutes is not counted again: the scan keeps, for
those minutes only, a keyed hash that recognises them (bot/core/visitors.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.core.visitors import REPEAT_WINDOW, VisitorKeys
from bot.labels.serials import is_well_formed_serial, normalize_serial
from storage.models import Base, Product, Scan, Stamp, StampBatch

# Core tables for bulk and single-statement writes (no ORM bookkeeping).
_STAMPS = Base.metadata.tables["stamps"]
_SCANS = Base.metadata.tables["scans"]
CHANNELS = ("web", "telegram", "zalo_bot", "console")
CLIENTS = ("mobile", "desktop", "bot", "other")


@dataclass(frozen=True)
class ScanResult:
    """What one check found: the first check ever, or the count and since when.

    `repeat`: the same person checked within the last minutes and this check
    was not counted again; `first` then says whether theirs was the first.
    """

    first: bool
    count: int
    first_at: dt.datetime
    repeat: bool = False


def as_utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


async def create_batch(
    session: AsyncSession,
    product: Product,
    lot: str,
    production_date: dt.date,
    expiry_date: dt.date,
    serials: Sequence[str],
) -> StampBatch:
    """A batch and its stamps, inserted in one executemany (10,000 rows take milliseconds)."""
    canonical = [normalize_serial(serial) for serial in serials]
    if not all(is_well_formed_serial(serial) for serial in canonical):
        raise ValueError("malformed serial in batch")
    if len(set(canonical)) != len(canonical):
        raise ValueError("repeated serial in batch")
    batch = StampBatch(
        product_id=product.id,
        lot=lot,
        production_date=production_date,
        expiry_date=expiry_date,
        count=len(canonical),
    )
    session.add(batch)
    await session.flush()
    if canonical:
        # Core insert on the table: one statement, no 10,000 ORM objects to track.
        await session.execute(
            insert(_STAMPS),
            [
                {"serial": s, "batch_id": batch.id, "product_id": product.id, "scan_count": 0}
                for s in canonical
            ],
        )
    return batch


async def stamp_by_serial(session: AsyncSession, serial: str) -> Stamp | None:
    """The stamp with this serial (already normalised), or None: not one of ours."""
    return await session.scalar(select(Stamp).where(Stamp.serial == serial))


async def batch_of(session: AsyncSession, stamp: Stamp) -> StampBatch | None:
    return await session.get(StampBatch, stamp.batch_id)


async def record_scan(
    session: AsyncSession,
    stamp: Stamp,
    channel: str,
    client: str,
    now: dt.datetime,
    visitor: VisitorKeys | None = None,
) -> ScanResult:
    """Counts one check of `stamp` and stores when and how it came (no personal data).

    The count is bumped in the database (UPDATE … RETURNING, SQLite ≥ 3.35 and
    PostgreSQL alike), so two simultaneous checks never both see "first".
    With `visitor`, a check by the same person within REPEAT_WINDOW of their
    counted one is not counted again (the stamp's row is locked first, so
    two of their requests at once count once too), and visitor keys older
    than the window are erased from this stamp's scans.
    """
    if channel not in CHANNELS or client not in CLIENTS:
        raise ValueError(f"unknown channel or client: {channel!r}, {client!r}")
    now = as_utc(now)
    if visitor is not None:
        repeat = await _repeat(session, stamp, visitor, now)
        if repeat is not None:
            return repeat
    row = (
        await session.execute(
            update(Stamp)
            .where(Stamp.id == stamp.id)
            .values(
                scan_count=Stamp.scan_count + 1,
                first_scanned_at=func.coalesce(Stamp.first_scanned_at, now),
            )
            .returning(Stamp.scan_count, Stamp.first_scanned_at)
            .execution_options(synchronize_session=False)
        )
    ).one()
    count, first_at = int(row[0]), as_utc(row[1] or now)
    # Keep the loaded object truthful without marking it dirty (no second UPDATE).
    set_committed_value(stamp, "scan_count", count)
    set_committed_value(stamp, "first_scanned_at", first_at)
    await session.execute(
        insert(_SCANS).values(
            stamp_id=stamp.id,
            scanned_at=now,
            channel=channel,
            client=client,
            visitor=visitor.current if visitor is not None else None,
        )
    )
    return ScanResult(first=count == 1, count=count, first_at=first_at)


async def _repeat(
    session: AsyncSession, stamp: Stamp, visitor: VisitorKeys, now: dt.datetime
) -> ScanResult | None:
    """The stamp's standing if this visitor checked it within the window, else None."""
    locked = (
        await session.execute(
            select(Stamp.scan_count, Stamp.first_scanned_at)
            .where(Stamp.id == stamp.id)
            .with_for_update()
        )
    ).one()
    since = now - REPEAT_WINDOW
    await session.execute(
        update(Scan)
        .where(Scan.stamp_id == stamp.id, Scan.visitor.is_not(None), Scan.scanned_at < since)
        .values(visitor=None)
        .execution_options(synchronize_session=False)
    )
    seen = await session.scalar(
        select(Scan.id)
        .where(
            Scan.stamp_id == stamp.id,
            Scan.visitor.is_not(None),  # the partial index ix_scans_visitor_live
            Scan.visitor.in_(visitor.recent),
            Scan.scanned_at >= since,
        )
        .limit(1)
    )
    if seen is None or locked.first_scanned_at is None:
        return None
    count = int(locked.scan_count)
    return ScanResult(
        first=count == 1, count=count, first_at=as_utc(locked.first_scanned_at), repeat=True
    )
