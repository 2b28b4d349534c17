"""`ocop-bot run` with only a Zalo Official Account configured: the webhook is served on the
web app's port, events are answered, /readyz says the OA is ready, and no secret is logged."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from collections.abc import Iterator

import aiohttp
import pytest

from bot import cli, runtime
from bot.config import Settings
from testkit.fake_zalo_oa import FakeZaloOA


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def masked(oa_settings: Settings) -> Iterator[None]:
    """The masking `ocop-bot run` installs (configure_logging), removed after the test."""
    factory = logging.getLogRecordFactory()
    zalo = oa_settings.zalo_oa
    runtime.mask_secrets([zalo.secret or "", zalo.webhook_secret or "", zalo.refresh_token or ""])
    yield
    logging.setLogRecordFactory(factory)
    runtime._factory_installed = False


async def test_run_serves_the_zalo_oa_webhook(
    oa_settings: Settings, masked: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the database driver quotes every statement's values
    fake = FakeZaloOA()  # the real clock: `run` checks signatures against it
    await fake.start()
    port = free_port()
    zalo = dataclasses.replace(oa_settings.zalo_oa, api_url=fake.url, oauth_url=fake.url)
    settings = dataclasses.replace(
        oa_settings,
        zalo_oa=zalo,
        telegram_token=None,
        web_port=port,
        public_url=f"http://127.0.0.1:{port}",
    )
    stop = asyncio.Event()
    run = asyncio.create_task(cli._run(settings, demo=False, stop=stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(20):
                while True:
                    try:
                        async with http.get(base + "/readyz") as response:
                            if response.status == 200:
                                break
                    except aiohttp.ClientConnectionError:
                        pass
                    await asyncio.sleep(0.1)
            body, headers = fake.event("user_send_text", "lan", text="/help")
            async with http.post(base + "/webhook/zalo_oa", data=body, headers=headers) as response:
                assert response.status == 200
            forged, headers = fake.event("user_send_text", "lan", text="/help", secret="x")
            async with http.post(base + "/webhook/zalo_oa", data=forged, headers=headers) as r:
                assert r.status == 403
            async with asyncio.timeout(20):
                answered = await fake.wait_for("lan")
        assert answered[0].text  # answered through the consultation API
        assert not run.done()
    finally:
        stop.set()
        await run
        await fake.stop()
    issued = fake.issued()  # the tokens Zalo gave while running, stored in the database
    assert issued
    for secret in (fake.app_secret, fake.oa_secret, fake.refresh_token, *issued):
        assert secret not in caplog.text
