"""The facts index and the page cache as production runs them: pages without the
database, and every kind of change in the chat showing on the page after a refresh."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, insert, select, update

from bot.runtime import Runtime
from bot.web import create_app
from bot.web.state import STATE, WebState
from storage.models import Base, Certification, Listing, Photo, Producer, Product
from testkit.webhook_processes import free_port
from tests.conftest import Clock
from tests.web.conftest import seed

Cached = tuple[TestClient[Any, Any], WebState]


async def _serve(
    runtime: Runtime, clock: Clock, **options: Any
) -> tuple[TestClient[Any, Any], WebState]:
    port = free_port()
    settings = dataclasses.replace(runtime.settings, public_url=f"http://127.0.0.1:{port}")
    app = create_app(
        settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock, **options
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    state = app[STATE]
    assert state.index is not None
    for _ in range(250):
        if state.index.loaded:
            break
        await asyncio.sleep(0.02)
    assert state.index.loaded
    return client, state


@pytest.fixture
async def cached(runtime: Runtime, clock: Clock) -> AsyncIterator[Cached]:
    await seed(
        runtime,
        photos=2,
        certifications=(("vietgap", "VG-001", dt.date(2027, 1, 1)),),
        listings=(("shopee", "live", "https://shopee.vn/x"),),
    )
    client, state = await _serve(runtime, clock, prerender=False)
    try:
        yield client, state
    finally:
        await client.close()


async def _text(client: TestClient[Any, Any], path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return await response.text()


async def _product_id(runtime: Runtime, code: str = "7K3M9P") -> int:
    async with runtime.db.read() as session:
        product_id = await session.scalar(select(Product.id).where(Product.code == code))
    assert product_id is not None
    return product_id


async def test_pages_come_from_the_index_and_the_cache(cached: Cached) -> None:
    client, state = cached
    assert state.index is not None and state.index.by_code("7K3M9P") is not None
    assert state.index.by_gtin("8930000000019") is not None
    for _ in range(3):
        assert "Chè búp Tân Cương" in await _text(client, "/p/7K3M9P")
    assert state.cache.hits == 2 and state.cache.misses == 1
    await _text(client, "/01/08930000000019")  # the same page, by barcode
    assert state.cache.hits == 3 and state.cache.misses == 1
    await _text(client, "/p/7k3-m9p")  # written otherwise, the same page
    assert state.cache.hits == 4


async def test_a_product_added_after_indexing_is_found_then_indexed(
    runtime: Runtime, cached: Cached
) -> None:
    client, state = cached
    assert state.index is not None
    await seed(runtime, product={"code": "AB2CD3", "name": "Nón lá", "gtin": None})
    assert state.index.by_code("AB2CD3") is None
    assert "Nón lá" in await _text(client, "/p/AB2CD3")  # read from the database
    data = await (await client.get("/api/v1/products/AB2CD3")).json()
    assert data["name"] == "Nón lá"
    # Not kept: nothing would drop it if the product changed before the index has it.
    assert ("p", "AB2CD3", "vi") not in state.cache and ("api", "AB2CD3") not in state.cache
    assert await state.index.refresh() == 1
    assert state.index.by_code("AB2CD3") is not None
    await _text(client, "/p/AB2CD3")
    assert ("p", "AB2CD3", "vi") in state.cache


async def test_unchanged_products_keep_their_facts_and_pages(
    runtime: Runtime, cached: Cached
) -> None:
    client, state = cached
    assert state.index is not None
    facts = state.index.by_code("7K3M9P")
    body = await _text(client, "/p/7K3M9P")
    await seed(runtime, product={"code": "AB2CD3", "name": "Nón lá", "gtin": None})
    assert await state.index.refresh() == 1  # only the new product is read
    assert await state.index.refresh() == 0
    await state.index.load()  # the hourly full read changes nothing either
    assert state.index.by_code("7K3M9P") is facts
    assert await _text(client, "/p/7K3M9P") == body
    assert state.cache.misses == 1  # still the page rendered first


async def test_a_product_change_shows_after_a_refresh(runtime: Runtime, cached: Cached) -> None:
    client, state = cached
    assert state.index is not None
    assert "125.000" in await _text(client, "/p/7K3M9P")
    async with runtime.db.transaction() as session:
        await session.execute(update(Product).values(price_vnd=99_000))
    await _text(client, "/p/7K3M9P?lang=en")
    await client.get("/api/v1/products/7K3M9P")
    assert "125.000" in await _text(client, "/p/7K3M9P")  # until the index looks
    assert await state.index.refresh() == 1
    for key in (("p", "7K3M9P", "vi"), ("p", "7K3M9P", "en"), ("api", "7K3M9P")):
        assert key not in state.cache  # every page of the product went with its old facts
    html = await _text(client, "/p/7K3M9P")
    assert "99.000" in html and "125.000" not in html
    assert (await (await client.get("/api/v1/products/7K3M9P")).json())["price_vnd"] == 99_000


async def test_producer_listing_photo_and_certification_changes_show(
    runtime: Runtime, cached: Cached
) -> None:
    client, state = cached
    index = state.index
    assert index is not None
    product_id = await _product_id(runtime)

    async with runtime.db.transaction() as session:
        await session.execute(update(Producer).values(name="HTX Trà Xanh Mới"))
    assert await index.refresh() == 1
    assert "HTX Trà Xanh Mới" in await _text(client, "/p/7K3M9P")

    async with runtime.db.transaction() as session:
        await session.execute(update(Listing).values(status="paused"))
    assert await index.refresh() == 1
    assert "https://shopee.vn/x" not in await _text(client, "/p/7K3M9P")

    before = index.by_code("7K3M9P")
    assert before is not None and len(before.photos) == 2
    async with runtime.db.transaction() as session:  # a new cover: photos have no timestamp
        photos = (await session.scalars(select(Photo).order_by(Photo.position))).all()
        photos[0].position, photos[1].position = 1, 0
    assert await index.refresh() == 1
    after = index.by_code("7K3M9P")
    assert after is not None and after.photos == (before.photos[1], before.photos[0])

    async with runtime.db.transaction() as session:  # neither have certifications
        await session.execute(
            insert(Base.metadata.tables["certifications"]).values(
                product_id=product_id, kind="haccp", number="H-77", expiry=None
            )
        )
    assert await index.refresh() == 1
    assert "H-77" in await _text(client, "/p/7K3M9P")

    async with runtime.db.transaction() as session:
        await session.execute(delete(Certification).where(Certification.kind == "vietgap"))
    assert await index.refresh() == 1
    assert "VG-001" not in await _text(client, "/p/7K3M9P")
    assert await index.refresh() == 0


async def test_unpublished_and_deleted_products_go(runtime: Runtime, cached: Cached) -> None:
    client, state = cached
    index = state.index
    assert index is not None
    await seed(runtime, product={"code": "AB2CD3", "name": "Nón lá", "gtin": None})
    await index.refresh()
    async with runtime.db.transaction() as session:
        await session.execute(
            update(Product).where(Product.code == "7K3M9P").values(review_status="draft")
        )
    await index.refresh()
    assert index.by_code("7K3M9P") is None and index.by_gtin("8930000000019") is None
    assert (await client.get("/p/7K3M9P")).status == 404
    async with runtime.db.transaction() as session:
        await session.execute(delete(Product).where(Product.code == "AB2CD3"))
    await index.refresh()
    assert index.by_code("AB2CD3") is None and len(index) == 0
    assert (await client.get("/p/AB2CD3")).status == 404


async def test_a_barcode_belongs_to_the_oldest_product(runtime: Runtime, cached: Cached) -> None:
    client, state = cached
    index = state.index
    assert index is not None
    await seed(runtime, product={"code": "AB2CD3", "name": "Nón lá"})  # the same GTIN
    await index.refresh()
    facts = index.by_gtin("8930000000019")
    assert facts is not None and facts.code == "7K3M9P"
    async with runtime.db.transaction() as session:
        await session.execute(update(Product).where(Product.code == "7K3M9P").values(gtin=None))
    await index.refresh()
    facts = index.by_gtin("8930000000019")
    assert facts is not None and facts.code == "AB2CD3"
    assert "Nón lá" in await _text(client, "/01/08930000000019")


async def test_a_new_day_recomputes_expiry_in_memory(
    runtime: Runtime, clock: Clock, cached: Cached
) -> None:
    client, state = cached
    index = state.index
    assert index is not None
    async with runtime.db.transaction() as session:  # valid until today, 23/11/2026
        await session.execute(update(Product).values(cert_expiry=dt.date(2026, 11, 23)))
    await index.refresh()
    html = await _text(client, "/p/7K3M9P")
    assert "Còn hiệu lực" in html and "Hết hiệu lực" not in html
    clock.now = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)  # 00:00 on the 24th in Vietnam
    facts = index.by_code("7K3M9P")
    assert index.day == dt.date(2026, 11, 24)
    assert facts is not None and facts.cert_expired
    assert "Hết hiệu lực" in await _text(client, "/p/7K3M9P")


async def test_changes_show_by_themselves_within_the_refresh_interval(
    runtime: Runtime, clock: Clock
) -> None:
    await seed(runtime)
    client, _ = await _serve(runtime, clock, cache_seconds=0.05)
    try:
        assert "125.000" in await _text(client, "/p/7K3M9P")
        async with runtime.db.transaction() as session:
            await session.execute(update(Product).values(price_vnd=99_000))
        for _ in range(100):
            if "99.000" in await _text(client, "/p/7K3M9P"):
                break
            await asyncio.sleep(0.02)
        assert "99.000" in await _text(client, "/p/7K3M9P")
    finally:
        await client.close()


async def test_pages_are_rendered_ahead(runtime: Runtime, clock: Clock) -> None:
    await seed(runtime)
    client, state = await _serve(runtime, clock)
    try:
        for _ in range(100):
            if len(state.cache):
                break
            await asyncio.sleep(0.02)
        assert "Chè búp Tân Cương" in await _text(client, "/p/7K3M9P")
        assert (state.cache.hits, state.cache.misses) == (1, 0)  # rendered before it was asked
        await _text(client, "/p/7K3M9P?lang=en")  # other languages on their first request
        assert state.cache.misses == 1
        async with runtime.db.transaction() as session:
            await session.execute(update(Product).values(price_vnd=99_000))
        assert state.index is not None and await state.index.refresh() == 1
        for _ in range(100):
            if ("p", "7K3M9P", "vi") in state.cache:  # dropped by the refresh, rendered again
                break
            await asyncio.sleep(0.02)
        assert "99.000" in await _text(client, "/p/7K3M9P")
        assert (state.cache.hits, state.cache.misses) == (2, 1)
    finally:
        await client.close()
