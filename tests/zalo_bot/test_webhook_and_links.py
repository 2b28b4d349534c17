"""Webhook mode (POST /webhook/zalo_bot with the secret), file links, and the API's
errors as the channel and the outbox read them."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.channels.webhook import InProcess
from bot.channels.zalo_bot import ZaloBotChannel
from bot.channels.zalo_bot_api import ZaloBotError
from bot.channels.zalo_bot_errors import outcome_of, token_refused
from bot.channels.zalo_bot_sender import ZaloBotSender
from bot.core.file_links import file_links
from bot.outbox import sender as outcomes
from bot.outbox.attachments import AttachmentStore
from bot.outbox.sender import Outgoing
from bot.runtime import build_runtime
from bot.web import create_app
from bot.web.webhooks import Webhooks
from testkit.fake_zalo_bot import FakeZaloBot
from tests.conftest import Clock
from tests.e2e.conftest import picture
from tests.zalo_bot.conftest import UNLIMITED, ZaloE2E


@dataclasses.dataclass
class Hooked:
    api: FakeZaloBot
    channel: ZaloBotChannel
    zalo: ZaloE2E


@pytest.fixture
async def hooked(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[Hooked]:
    """The bot in webhook mode: the web app takes POST /webhook/zalo_bot."""
    async with FakeZaloBot() as api:
        zalo = ZaloE2E(api, database_url, tmp_path / "media", clock)
        from bot.config import load_settings

        settings = load_settings(environ=zalo.environ())
        settings = dataclasses.replace(
            settings,
            webhook=True,
            zalo_bot=dataclasses.replace(settings.zalo_bot, limits=UNLIMITED),
        )
        runtime = await build_runtime(settings, migrate=False, clock=clock)
        channel = ZaloBotChannel(settings, runtime.dispatcher)
        in_process = InProcess(runtime.dispatcher)
        webhooks = Webhooks(in_process.receive)
        webhooks.add(channel)
        app = create_app(
            settings,
            runtime.db,
            runtime.app.catalogs,
            runtime.app.media,
            clock,
            cache_seconds=0,
            prerender=False,
            webhooks=webhooks,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", zalo.web_port).start()
        await channel.register_webhook(f"{zalo.public_url}/webhook/zalo_bot")
        try:
            yield Hooked(api, channel, zalo)
        finally:
            await in_process.drain()
            await channel.stop()
            await runner.cleanup()
            await runtime.close()


async def test_webhook_takes_updates_with_the_secret_and_refuses_the_rest(
    hooked: Hooked, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    api = hooked.api
    assert api.webhook_url.endswith("/webhook/zalo_bot") and len(api.webhook_secret) >= 8
    hoa = api.user("z1001")
    update = api._message(hoa, "message.text.received", text="/start")

    assert await api.post_webhook(update, "a-wrong-secret") == 403
    assert await api.post_webhook(update, None) == 403
    assert "refused a request without the right secret" in caplog.text
    assert api.webhook_secret not in caplog.text
    assert api.outputs == []  # nothing processed

    assert await api.post_webhook(update, api.webhook_secret, wrap=False) == 200
    await api.wait_for(1, within=15)
    assert "OCOP" in api.outputs[0]["text"]
    wrapped = api._message(hoa, "message.text.received", text="/help")
    assert await api.post_webhook(wrapped, api.webhook_secret) == 200  # {ok, result} body
    await api.wait_for(2, within=15)

    seen = len(api.outputs)
    unknown = api._message(hoa, "user.typing.started")
    assert await api.post_webhook(unknown, api.webhook_secret) == 200
    assert "ignored an update of kind 'user.typing.started'" in caplog.text
    assert len(api.outputs) == seen


async def test_polling_skips_idle_408s_and_unknown_events(zalo: ZaloE2E) -> None:
    hoa = zalo.chat("z1001")
    await zalo.api.send_event(hoa.user, "message.reaction.received")  # ignored, logged
    calls = len(zalo.api.calls)
    screen = await hoa.send("/start")
    assert screen and "OCOP" in screen.text
    assert zalo.api.calls.count("getUpdates") >= 1 and len(zalo.api.calls) > calls


async def test_file_links_work_expire_and_refuse_tampering(zalo: ZaloE2E) -> None:
    links = file_links(zalo.settings, zalo.runtime.app.media.root, zalo.clock)
    data = picture(5, image_format="PNG")
    url = await links.publish(data, "nhãn 40x30.png")
    status, body, mime = await zalo.fetch(url)
    assert (status, body, mime) == (200, data, "image/png")

    token = url.split("/f/")[1].split("/")[0]
    sha, expiry, sig = token.split(".")
    tampered = [
        url.replace(sig, ("A" if sig[0] != "A" else "B") + sig[1:]),  # the signature
        url.replace(f".{expiry}.", f".{int(expiry) + 3600}."),  # a later expiry
        url.rsplit("/", 1)[0] + "/other.png",  # another name
        url.replace(sha, "0" * 64),  # another file
    ]
    for bad in tampered:
        status, _body, _mime = await zalo.fetch(bad)
        assert status == 404, bad

    zalo.clock.advance(hours=zalo.settings.file_link_hours + 1)
    status, page, _mime = await zalo.fetch(url)
    assert status == 410
    assert "expired" in page.decode() or "hết hạn" in page.decode()


async def test_the_outbox_sends_on_zalo_and_reads_its_errors(zalo: ZaloE2E) -> None:
    api = zalo.api
    attachments = AttachmentStore(zalo.runtime.app.media)
    sender = ZaloBotSender(
        zalo.channel.api, attachments, zalo.channel.links, zalo.settings.zalo_bot.limits
    )
    photo = await attachments.store_photo(picture(9))
    long = ("Thông báo tập huấn OCOP cho các chủ thể. " * 80).strip()
    outcome = await sender.send("z1", Outgoing(long, [[("Dừng", "n:1:0")]], photo))
    assert outcome.kind == outcomes.SENT
    sent = api.sent("z1")
    assert sent[0]["method"] == "sendPhoto" and len(sent) >= 3  # photo, then the text in pieces
    status, _body, mime = await zalo.fetch(sent[0]["photo"])
    assert (status, mime) == (200, "image/jpeg")
    text = " ".join(" ".join(o["text"] for o in sent[1:]).split())
    assert text == " ".join(long.split()) + " 1. Dừng"  # its button as a numbered entry

    pdf = await attachments.store_document(b"%PDF-1.4 plan", "ke-hoach.pdf", "application/pdf")
    assert (await sender.send("z2", Outgoing("Kế hoạch", [], pdf))).kind == outcomes.SENT
    status, body, _mime = await zalo.fetch(api.sent("z2")[0]["text"].split("\n")[-1])
    assert (status, body) == (200, b"%PDF-1.4 plan")

    api.blocked.add("z3")
    assert (await sender.send("z3", Outgoing("Xin chào"))).kind == outcomes.BLOCKED
    api.rate_limit = 0
    assert (await sender.send("z4", Outgoing("Xin chào"))).kind == outcomes.RETRY_AFTER
    api.rate_limit = None
    # Progress edits: none while running, the final report once.
    assert (await sender.edit("z5", "m1", "Đang gửi 10/100", [[("Dừng", "n:1:0")]])).kind == "sent"
    assert api.sent("z5") == []
    assert (await sender.edit("z5", "m1", "Đã gửi xong", [])).kind == outcomes.SENT
    assert [o["text"] for o in api.sent("z5")] == ["Đã gửi xong"]
    api.errors.clear()  # the 403 and 429 above were asked for


def test_error_mapping() -> None:
    refused = ZaloBotError("getMe", 401, 401, "Unauthorized")
    assert token_refused(refused) and outcome_of(refused).kind == outcomes.FAILED
    assert outcome_of(ZaloBotError("sendMessage", 503, 503, "")).kind == outcomes.RETRY
    assert outcome_of(ZaloBotError("sendMessage", 502, 502, "")).kind == outcomes.UNKNOWN
    assert outcome_of(ZaloBotError("sendMessage", 200, 429, "")).kind == outcomes.RETRY_AFTER


async def test_a_refused_token_keeps_the_process_up_and_not_ready(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    """getMe refused: /readyz says why, the web app stays up, stop ends it cleanly."""
    import asyncio

    from bot.cli import _run
    from bot.config import load_settings

    async with FakeZaloBot() as api:
        zalo = ZaloE2E(api, database_url, tmp_path / "media", clock)
        environ = {**zalo.environ(), "OCOP_ZALO_BOT_TOKEN": "1:wrong"}
        settings = dataclasses.replace(
            load_settings(environ=environ), web_port=zalo.web_port, web_host="127.0.0.1"
        )
        stop = asyncio.Event()
        task = asyncio.create_task(_run(settings, False, stop))
        body = ""
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                await asyncio.sleep(0.1)
                try:
                    async with session.get(f"{zalo.public_url}/readyz") as answer:
                        body = await answer.text()
                        if "token rejected" in body:
                            break
                except aiohttp.ClientConnectionError:
                    continue
        stop.set()
        await task
        assert "token rejected" in body and "zalo_bot" in body
        assert {e["error_code"] for e in api.errors} == {401}
