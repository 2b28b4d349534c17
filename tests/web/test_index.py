"""The page cache and the in-memory facts index, as production runs them (cache on)."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime import Runtime
from bot.web import create_app
from bot.web.state import STATE, WebState
from tests.conftest import Clock
from tests.web.conftest import free_port, seed


@pytest.fixture
async def cached(
    runtime: Runtime, clock: Clock
) -> AsyncIterator[tuple[TestClient[Any, Any], WebState]]:
    await seed(runtime)
    port = free_port()
    settings = dataclasses.replace(runtime.settings, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock)
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1", port=port))
    await client.start_server()
    state = app[STATE]
    assert state.index is not None
    for _ in range(200):
        if state.index.day is not None:
            break
        await asyncio.sleep(0.02)
    try:
        yield client, state
    finally:
        await client.close()


async def test_pages_come_from_the_index_and_the_cache(
    cached: tuple[TestClient[Any, Any], WebState],
) -> None:
    client, state = cached
    assert state.index is not None and state.index.by_code("7K3M9P") is not None
    assert state.index.by_gtin("8930000000019") is not None
    for _ in range(3):
        response = await client.get("/p/7K3M9P")
        assert response.status == 200 and "Chè búp Tân Cương" in await response.text()
    assert state.cache.hits == 2 and state.cache.misses == 1
    response = await client.get("/01/08930000000019")
    assert response.status == 200


async def test_a_product_added_after_indexing_is_found(
    runtime: Runtime, cached: tuple[TestClient[Any, Any], WebState]
) -> None:
    client, state = cached
    await seed(runtime, product={"code": "AB2CD3", "name": "Nón lá", "gtin": None})
    assert state.index is not None and state.index.by_code("AB2CD3") is None
    response = await client.get("/p/AB2CD3")
    assert response.status == 200 and "Nón lá" in await response.text()
    data = await (await client.get("/api/v1/products/AB2CD3")).json()
    assert data["name"] == "Nón lá"


async def test_reload_picks_up_changes_and_drops_rendered_pages(
    runtime: Runtime, cached: tuple[TestClient[Any, Any], WebState]
) -> None:
    client, state = cached
    await client.get("/p/7K3M9P")
    async with runtime.db.transaction() as session:
        from sqlalchemy import update

        from storage.models import Product

        await session.execute(update(Product).values(price_vnd=99_000))
    assert "125.000" in await (await client.get("/p/7K3M9P")).text()  # still cached
    assert state.index is not None
    await state.index.load()
    assert "99.000" in await (await client.get("/p/7K3M9P")).text()


async def test_a_new_day_is_not_served_from_yesterdays_index(
    clock: Clock, cached: tuple[TestClient[Any, Any], WebState]
) -> None:
    client, state = cached
    assert state.index is not None
    clock.now = dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)  # the next day in Vietnam
    assert state.index.by_code("7K3M9P") is None  # falls back to the database meanwhile
    response = await client.get("/p/7K3M9P")
    assert response.status == 200
    for _ in range(200):
        if state.index.day == dt.date(2026, 11, 25):
            break
        await asyncio.sleep(0.02)
    assert state.index.by_code("7K3M9P") is not None
