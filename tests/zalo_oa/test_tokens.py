"""The access token's rotation: one refresh token spent once, whatever the workers do."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from sqlalchemy import select

from bot.channels.zalo_oa_tokens import RefreshRefused, ZaloOATokens
from bot.core.channel_health import ChannelHealth
from storage import outbox
from storage.models import ChannelCredential, OutboxMessage
from storage.users import get_or_create_user
from tests.zalo_oa.conftest import ADMIN, OA


def second_worker(oa: OA) -> ZaloOATokens:
    """Another process's token source on the same database."""
    app = oa.runtime.app
    return ZaloOATokens(oa.runtime.db, oa.settings, app.clock, app.catalogs)


async def test_two_workers_refreshing_at_once_spend_the_refresh_token_once(oa: OA) -> None:
    oa.fake.refresh_delay = 0.3  # both are waiting on Zalo's answer at the same time
    first, second = oa.running.tokens, second_worker(oa)
    try:
        tokens = await asyncio.gather(first.access_token(), second.access_token())
    finally:
        await second.close()
    assert tokens[0] == tokens[1]
    assert oa.fake.refreshes == 1 and oa.fake.refresh_errors == 0
    async with oa.runtime.db.transaction() as session:
        row = await session.get(ChannelCredential, "zalo_oa")
        assert row is not None and row.access_token == tokens[0]
        assert row.refresh_token != oa.fake.refresh_token  # the new one Zalo gave


async def test_an_expired_token_mid_broadcast_is_refreshed_once_and_sending_goes_on(
    oa: OA,
) -> None:
    for user in ("a", "b", "c"):
        await oa.text(user, "/help")  # each opens their window
    refreshes = oa.fake.refreshes
    oa.fake.expire_access_tokens()
    async with oa.runtime.db.transaction() as session:
        for user in ("a", "b", "c"):
            person = await get_or_create_user(session, "zalo_oa", user, "")
            await outbox.enqueue(session, person, outbox.payload(f"Tin cho {user}"))
    await oa.running.worker.run_once()
    assert [oa.new(user)[-1].text for user in ("a", "b", "c")] == [
        "Tin cho a",
        "Tin cho b",
        "Tin cho c",
    ]
    assert oa.fake.refreshes == refreshes + 1
    assert oa.fake.refresh_errors == 0


async def test_a_refused_refresh_token_tells_the_admins_once_and_fails_readiness(oa: OA) -> None:
    async with oa.runtime.db.transaction() as session:
        await get_or_create_user(session, "telegram", ADMIN, "Admin")
    response = await oa.client.get("/readyz")
    assert response.status == 200
    oa.fake.revoke_refresh_tokens()
    oa.fake.expire_access_tokens()
    async with oa.runtime.db.transaction() as session:  # the stored token has expired too
        row = await session.get(ChannelCredential, "zalo_oa")
        assert row is not None
        row.access_expires_at = oa.clock()
    oa.running.tokens._token = None
    for _ in range(3):  # every later try is answered from the database, without Zalo
        with pytest.raises(RefreshRefused):
            await oa.running.tokens.access_token()
    assert oa.fake.refresh_errors == 1
    async with oa.runtime.db.transaction() as session:
        told = (await session.scalars(select(OutboxMessage))).all()
    assert len(told) == 1
    assert "OCOP_ZALO_OA_REFRESH_TOKEN" in told[0].payload["text"]
    assert told[0].channel == "telegram" and told[0].chat_id == ADMIN
    response = await oa.client.get("/readyz")
    assert response.status == 503
    assert "zalo_oa" in await response.text()
    # A restart with the same (spent) token stays not ready, and tells nobody again.
    await oa.restart()
    assert oa.health.not_ready() == {"zalo_oa": "token rejected"}
    async with oa.runtime.db.transaction() as session:
        assert len((await session.scalars(select(OutboxMessage))).all()) == 1


async def test_a_new_refresh_token_in_the_environment_replaces_the_chain(oa: OA) -> None:
    await oa.running.tokens.access_token()
    health = ChannelHealth()
    zalo = dataclasses.replace(oa.settings.zalo_oa, refresh_token="refresh-from-operator")
    settings = dataclasses.replace(oa.settings, zalo_oa=zalo)
    app = oa.runtime.app
    tokens = ZaloOATokens(oa.runtime.db, settings, app.clock, app.catalogs, health)
    assert await tokens.bootstrap()
    async with oa.runtime.db.transaction() as session:
        row = await session.get(ChannelCredential, "zalo_oa")
        assert row is not None and row.refresh_token == "refresh-from-operator"
    await tokens.close()
