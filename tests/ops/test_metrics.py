"""GET /metrics: off unless OCOP_METRICS_TOKEN is set, then Prometheus text for its holder.

Counters are per process and other tests move them too, so each check
reads the value before and after what it does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.core.dispatcher import Dispatcher
from bot.outbox.sender import Outcome
from bot.runtime import Runtime
from bot.web import create_app
from storage import inbox, outbox
from storage.models import ScheduledJob, User
from tests.conftest import Clock
from tests.helpers import Chat
from tests.outbox.conftest import FakeSender, make_worker
from tests.web.conftest import seed

TOKEN = "metrics-secret-4f1c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def serve(runtime: Runtime, clock: Clock, token: str | None) -> TestClient[Any, Any]:
    settings = dataclasses.replace(runtime.settings, metrics_token=token)
    app = create_app(
        settings, runtime.db, runtime.app.catalogs, runtime.app.media, clock, prerender=False
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def client(runtime: Runtime, clock: Clock) -> AsyncIterator[TestClient[Any, Any]]:
    client = await serve(runtime, clock, TOKEN)
    yield client
    await client.close()


async def scrape(client: TestClient[Any, Any]) -> Samples:
    response = await client.get("/metrics", headers=AUTH)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_are_off_without_a_token(runtime: Runtime, clock: Clock) -> None:
    client = await serve(runtime, clock, None)
    try:
        response = await client.get("/metrics", headers=AUTH)
        assert response.status == 404
    finally:
        await client.close()


async def test_metrics_need_the_token(client: TestClient[Any, Any]) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = await client.get("/metrics", headers=headers)
        assert response.status == 401
        assert "ocop_" not in await response.text()


async def test_updates_by_channel_and_outcome(
    runtime: Runtime, client: TestClient[Any, Any]
) -> None:
    before = await scrape(client)
    chat = Chat(runtime)
    await chat.say("/start")
    await chat.callback("zzzz:0")  # a button of a screen long gone
    failing = Dispatcher(runtime.app, runtime.db, router=_broken)
    await failing.handle(chat.incoming(text="/start"), chat.caps)
    after = await scrape(client)
    for outcome in ("ok", "stale", "error"):
        delta = value(after, "ocop_updates_total", channel="telegram", outcome=outcome) - value(
            before, "ocop_updates_total", channel="telegram", outcome=outcome
        )
        assert delta == 1, outcome
    count = "ocop_update_duration_seconds_count"
    assert value(after, count, channel="telegram") - value(before, count, channel="telegram") == 3


async def _broken(_ctx: Any) -> Any:
    raise RuntimeError("a handler bug")


async def test_outbox_depth_and_scheduler_lag_come_from_the_database(
    runtime: Runtime, client: TestClient[Any, Any], clock: Clock
) -> None:
    samples = await scrape(client)
    assert value(samples, "ocop_outbox_depth", status="pending") == 0
    assert value(samples, "ocop_scheduler_lag_seconds") == 0
    async with runtime.db.transaction() as session:
        user = User(channel="telegram", external_id="4242", display_name="P")
        session.add(user)
        await session.flush()
        for n in range(3):
            await outbox.enqueue(session, user, outbox.payload(f"notice {n}"), not_before=clock())
        session.add(
            ScheduledJob(
                kind="expiry",
                user_id=user.id,
                subject_id=1,
                step="30d",
                due_at=clock() - dt.timedelta(seconds=90),
                dedupe_key="expiry:1::30d:1",
            )
        )
    samples = await scrape(client)
    assert value(samples, "ocop_outbox_depth", status="pending") == 3
    assert value(samples, "ocop_outbox_depth", status="sending") == 0
    assert value(samples, "ocop_scheduler_lag_seconds") == 90


async def test_inbox_depth_counts_webhook_updates_not_yet_answered(
    runtime: Runtime, client: TestClient[Any, Any], clock: Clock
) -> None:
    assert value(await scrape(client), "ocop_inbox_depth", status="pending") == 0
    async with runtime.db.transaction() as session:
        for n in range(4):
            await inbox.store(session, "telegram", str(n), f"chat-{n % 2}", {"update_id": n})
    async with runtime.db.transaction() as session:
        now = clock()
        await inbox.lease(session, worker="w", now=now, until=now, limit=10)
    samples = await scrape(client)
    assert value(samples, "ocop_inbox_depth", status="leased") == 2  # one per chat
    assert value(samples, "ocop_inbox_depth", status="pending") == 2  # each behind its chat's
    assert value(samples, "ocop_inbox_depth", status="sending") == 0


async def test_sends_and_429s_of_the_outbox_worker(
    runtime: Runtime, client: TestClient[Any, Any], clock: Clock
) -> None:
    async with runtime.db.transaction() as session:
        users = [User(channel="telegram", external_id=str(500 + n)) for n in range(2)]
        session.add_all(users)
        await session.flush()
        for user in users:
            await outbox.enqueue(session, user, outbox.payload("hello"), not_before=clock())
    sender = FakeSender(script={"501": [Outcome.retry_after(3)]})
    before = await scrape(client)
    await make_worker(runtime, sender, clock).run_once()
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("ocop_outbox_sends_total", channel="telegram", outcome="sent") == 1
    assert delta("ocop_outbox_sends_total", channel="telegram", outcome="retry_after") == 1
    assert delta("ocop_outbox_rate_limited_total", channel="telegram") == 1
    assert value(after, "ocop_outbox_depth", status="pending") == 1  # waits out the 429


async def test_origin_page_requests_and_cache_hits(runtime: Runtime, clock: Clock) -> None:
    seeded = await seed(runtime)  # before the app starts: its index holds the product
    client = await serve(runtime, clock, TOKEN)
    try:
        before = await scrape(client)
        for _ in range(3):
            response = await client.get(f"/p/{seeded.code}")
            assert response.status == 200
        assert (await client.get("/p/NOSUCH")).status == 404
        after = await scrape(client)
    finally:
        await client.close()

    def delta(name: str) -> float:
        return value(after, name) - value(before, name)

    assert delta("ocop_origin_page_requests_total") == 4
    assert delta("ocop_page_cache_misses_total") == 1  # rendered once …
    assert delta("ocop_page_cache_hits_total") == 2  # … and served from the cache after
    assert value(after, "ocop_page_cache_pages") >= 1
