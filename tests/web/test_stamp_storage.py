"""storage/stamps.py: bulk batches and the atomic scan counter."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from sqlalchemy import func, select

from bot.core.visitors import visitor_keys
from bot.labels.serials import new_serials
from bot.runtime import Runtime
from storage.models import Product, Scan, Stamp
from storage.stamps import create_batch, record_scan, stamp_by_serial
from tests.conftest import Clock
from tests.web.conftest import seed


async def test_batch_of_ten_thousand_is_fast(runtime: Runtime) -> None:
    seeded = await seed(runtime)
    serials = new_serials(10_000)
    started = time.perf_counter()
    async with runtime.db.transaction() as session:
        product = await session.get(Product, seeded.product_id)
        assert product is not None
        batch = await create_batch(
            session, product, "L1", dt.date(2026, 1, 1), dt.date(2027, 1, 1), serials
        )
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, elapsed  # about 0.2 s here; 10,000 ORM objects took several
    assert batch.count == 10_000
    async with runtime.db.transaction() as session:
        stored = await session.scalar(select(func.count()).where(Stamp.batch_id == batch.id))
        stamp = await stamp_by_serial(session, serials[1234])
    assert stored == 10_000
    assert stamp is not None and stamp.scan_count == 0 and stamp.first_scanned_at is None


async def test_batch_refuses_malformed_or_repeated_serials(runtime: Runtime) -> None:
    seeded = await seed(runtime)
    good = new_serials(2)
    for serials in ([*good, "NOTASERIAL"], [good[0], good[0]]):
        with pytest.raises(ValueError):
            async with runtime.db.transaction() as session:
                product = await session.get(Product, seeded.product_id)
                assert product is not None
                await create_batch(
                    session, product, "L1", dt.date(2026, 1, 1), dt.date(2027, 1, 1), serials
                )


async def test_record_scan_counts_and_keeps_the_first_time(runtime: Runtime, clock: Clock) -> None:
    seeded = await seed(runtime, stamps=1)
    results = []
    for _ in range(3):
        async with runtime.db.transaction() as session:
            stamp = await stamp_by_serial(session, seeded.serials[0])
            assert stamp is not None
            results.append(await record_scan(session, stamp, "telegram", "mobile", clock()))
            assert stamp.scan_count == results[-1].count
        clock.advance(minutes=5)
    assert [(r.first, r.count) for r in results] == [(True, 1), (False, 2), (False, 3)]
    assert {r.first_at for r in results} == {dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)}
    async with runtime.db.transaction() as session:
        rows = (await session.execute(select(Scan.channel, Scan.client))).all()
    assert [tuple(row) for row in rows] == [("telegram", "mobile")] * 3


async def test_simultaneous_checks_see_one_first(runtime: Runtime, clock: Clock) -> None:
    seeded = await seed(runtime, stamps=1)

    async def check() -> bool:
        async with runtime.db.transaction() as session:
            stamp = await stamp_by_serial(session, seeded.serials[0])
            assert stamp is not None
            return (await record_scan(session, stamp, "web", "mobile", clock())).first

    firsts = await asyncio.gather(*(check() for _ in range(10)))
    assert sorted(firsts) == [False] * 9 + [True]


async def test_record_scan_refuses_unknown_channel_or_client(
    runtime: Runtime, clock: Clock
) -> None:
    seeded = await seed(runtime, stamps=1)
    async with runtime.db.transaction() as session:
        stamp = await stamp_by_serial(session, seeded.serials[0])
        assert stamp is not None
        with pytest.raises(ValueError):
            await record_scan(session, stamp, "web", "Mozilla/5.0 full agent", clock())


async def test_the_same_visitor_within_the_window_counts_once(
    runtime: Runtime, clock: Clock
) -> None:
    seeded = await seed(runtime, stamps=1)

    async def check(who: str) -> tuple[bool, int, bool]:
        async with runtime.db.transaction() as session:
            stamp = await stamp_by_serial(session, seeded.serials[0])
            assert stamp is not None
            keys = visitor_keys("secret", who, stamp.id, clock())
            result = await record_scan(session, stamp, "web", "mobile", clock(), keys)
            return result.first, result.count, result.repeat

    assert await check("web:a") == (True, 1, False)
    clock.advance(minutes=9, seconds=59)  # across a bucket boundary, still within the window
    assert await check("web:a") == (True, 1, True)
    assert await check("web:b") == (False, 2, False)
    clock.advance(minutes=10)
    assert await check("web:a") == (False, 3, False)
    # One visitor's simultaneous requests count once, whatever the database.
    clock.advance(minutes=30)
    results = await asyncio.gather(*(check("web:c") for _ in range(8)))
    assert sorted(repeat for _first, _count, repeat in results) == [False] + [True] * 7
    assert {count for _first, count, _repeat in results} == {4}


def test_visitor_keys_name_no_one() -> None:
    now = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    keys = visitor_keys("secret", "telegram:123456789", 7, now)
    assert len(keys.current) == 32 and "123456789" not in keys.current
    assert keys.recent[0] == keys.current and len(set(keys.recent)) == 2
    assert visitor_keys("secret", "telegram:123456789", 8, now).current != keys.current
    assert visitor_keys("other", "telegram:123456789", 7, now).current != keys.current
    later = visitor_keys("secret", "telegram:123456789", 7, now + dt.timedelta(minutes=10))
    assert later.recent[1] == keys.current and later.current != keys.current
