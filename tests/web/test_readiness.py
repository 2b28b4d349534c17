"""/readyz: the database, its schema and each chat channel, for a load balancer."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text

from bot.core.channel_health import TOKEN_REJECTED, ChannelHealth
from bot.runtime import Runtime
from bot.web import create_app
from storage.schema import head_revision
from tests.conftest import Clock
from tests.web.conftest import Site


async def test_ready_without_channels(site: Site) -> None:
    response = await site.client.get("/readyz")
    assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
    assert await response.json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok"},
        "failed": [],
    }


async def test_channel_states(runtime: Runtime, clock: Clock) -> None:
    channels = ChannelHealth()
    channels.expect("telegram")
    app = create_app(
        runtime.settings,
        runtime.db,
        runtime.app.catalogs,
        runtime.app.media,
        clock,
        cache_seconds=0,
        channels=channels,
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    async with client:
        seen = []
        for change in (lambda: None, lambda: channels.failed("telegram", TOKEN_REJECTED)):
            change()
            response = await client.get("/readyz")
            body = await response.json()
            seen.append((response.status, body["checks"]["channel:telegram"], body["failed"]))
        channels.ready("telegram")
        response = await client.get("/readyz")
        assert seen == [
            (503, "starting", ["channel:telegram"]),
            (503, "token rejected", ["channel:telegram"]),
        ]
        assert response.status == 200 and (await response.json())["ready"] is True


async def test_an_old_schema_is_not_ready(site: Site) -> None:
    head = head_revision()
    async with site.runtime.db.transaction() as session:
        await session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        response = await site.client.get("/readyz")
        body = await response.json()
    finally:
        async with site.runtime.db.transaction() as session:
            await session.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
    assert response.status == 503
    assert body["checks"]["migrations"] == f"at 0001, newest {head}"
    assert body["failed"] == ["migrations"]
