"""The bot token never reaches the log, and a failing getMe at start is retried, not fatal.

Attack: the Bot API, or a proxy in front of it, answers an error page that
echoes the request path (`/bot<TOKEN>/getMe`); PTB quotes the page in its
error, and its InvalidToken quotes the token itself. Whatever library logs
it, in whatever form (raw, URL-encoded, inside a traceback), it is masked.
`ocop-bot run` keeps trying with a growing wait and /readyz says why it is
not ready, instead of exiting with a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

import bot.runtime
from bot import cli
from bot.config import Settings, load_settings
from bot.runtime import mask_secrets
from testkit.fake_bot_api import FakeBotAPI
from testkit.webhook_processes import free_port

TOKEN = "7012345678:AAH3kq9ZlXw2mPq4RsT8uV1yN6bC0dE5fGh"
SECRET_HALF = TOKEN.split(":")[1]
FORMS = (TOKEN, quote(TOKEN, safe=""), SECRET_HALF)


def leaked(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


@pytest.fixture
def masked() -> Iterator[None]:
    """The masking `configure_logging` installs, removed again after the test."""
    factory = logging.getLogRecordFactory()
    mask_secrets([TOKEN])
    yield
    logging.setLogRecordFactory(factory)
    bot.runtime._factory_installed = False  # undo the process-wide hook


def test_any_logger_any_form_is_masked(masked: None, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stream_records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stream_records.append(self.format(record))

    # A library logger with its own handler and no propagation: filters on the
    # root's handlers alone never see it.
    own = logging.getLogger("aiohttp.client.hostile")
    own.propagate = False
    own.addHandler(Collect())
    try:
        own.warning("GET %s failed", f"https://api.telegram.org/bot{TOKEN}/getMe")
        own.error("proxy said: %r", f"<h1>502</h1> /bot{quote(TOKEN, safe='')}/getUpdates".encode())
        try:
            raise ConnectionError(f"cannot reach /bot{TOKEN}/sendMessage")
        except ConnectionError:
            own.exception("send failed")
        own.info("stack", stack_info=True, extra={"token": TOKEN})
    finally:
        own.handlers.clear()
        own.propagate = True
    for name in ("telegram.ext.Updater", "asyncio", "aiohttp.server"):
        logging.getLogger(name).error("token %s in %s", SECRET_HALF, name)
    output = "\n".join(stream_records)
    assert len(stream_records) == 4
    assert "https://api.telegram.org/bot***/getMe" in output
    assert "ConnectionError: cannot reach /bot***/sendMessage" in output
    assert not leaked(output), output
    assert "token *** in asyncio" in caplog.text
    assert not leaked(caplog.text), caplog.text


@dataclasses.dataclass
class Gateway:
    """A proxy in front of the Bot API: down (an error page echoing the path) or forwarding."""

    upstream: str
    down: bool = True
    requests: int = 0
    third_request: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.requests == 3:
            self.third_request.set()
        if self.down:
            page = f"<html><body>502 Bad Gateway: {request.raw_path} ({quote(request.path)})"
            return web.Response(status=502, text=page, content_type="text/html")
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.upstream + request.raw_path,
                data=await request.read(),
                headers={"Content-Type": request.headers.get("Content-Type", "")},
            ) as answer,
        ):
            body = await answer.read()
            kind = answer.headers.get("Content-Type", "application/json").split(";")[0]
            return web.Response(status=answer.status, body=body, content_type=kind)


@pytest.fixture
async def gateway() -> AsyncIterator[tuple[Gateway, FakeBotAPI, str]]:
    async with FakeBotAPI(token=TOKEN) as api:
        proxy = Gateway(f"http://127.0.0.1:{api.port}")
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", proxy.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            yield proxy, api, f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


def run_settings(database_url: str, tmp_path: Path, api_url: str, token: str) -> Settings:
    port = free_port()
    settings = load_settings(
        environ={
            "OCOP_DATABASE_URL": database_url,
            "OCOP_MEDIA_DIR": str(tmp_path / "media"),
            "OCOP_TELEGRAM_TOKEN": token,
            "OCOP_TELEGRAM_API_URL": f"{api_url}/bot",
            "OCOP_TELEGRAM_FILE_URL": f"{api_url}/file/bot",
            "OCOP_WEB_PORT": str(port),
            "OCOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
    )
    return dataclasses.replace(settings, telegram_poll_timeout=1)


async def readiness(settings: Settings) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{settings.public_url}/readyz") as response,
    ):
        return response.status, await response.json()


async def until_ready(settings: Settings, want: str) -> dict[str, Any]:
    """Asks /readyz until the telegram check reads `want`; its last answer."""
    body: dict[str, Any] = {}
    async with asyncio.timeout(15):
        while body.get("checks", {}).get("channel:telegram") != want:
            with contextlib.suppress(aiohttp.ClientConnectionError):  # not listening yet
                _status, body = await readiness(settings)
            await asyncio.sleep(0.05)
    return body


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "CONNECT_FIRST_WAIT", 0.05)
    monkeypatch.setattr(cli, "CONNECT_MAX_WAIT", 0.2)


async def test_run_survives_an_error_page_that_echoes_the_token(
    database_url: str,
    tmp_path: Path,
    gateway: tuple[Gateway, FakeBotAPI, str],
    masked: None,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    proxy, api, url = gateway
    settings = run_settings(database_url, tmp_path, url, TOKEN)
    stop = asyncio.Event()
    run = asyncio.create_task(cli._run(settings, demo=False, stop=stop))
    try:
        body = await until_ready(settings, "platform not reachable")
        assert body["ready"] is False and "channel:telegram" in body["failed"]
        assert body["checks"]["database"] == "ok" and body["checks"]["migrations"] == "ok"
        async with asyncio.timeout(10):
            await proxy.third_request.wait()  # tried again, and again, without exiting
        assert not run.done()

        proxy.down = False  # the proxy recovers: the bot connects and answers
        await until_ready(settings, "ok")
        status, body = await readiness(settings)
        assert status == 200 and body == {
            "ready": True,
            "checks": {"database": "ok", "migrations": "ok", "channel:telegram": "ok"},
            "failed": [],
        }
        user = api.user(9001, "Lan", "en")
        api.send_text(user, "/start")
        assert await api.settle(user.id, quiet=0.3), "the bot answers once connected"
    finally:
        stop.set()
        await run
    tries = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
    assert len(tries) >= 2
    # The proxy's error page is a 5xx: a ServerError (a NetworkError), try 1.
    assert "Telegram: platform not reachable (ServerError, try 1" in tries[0]
    assert not leaked(caplog.text), caplog.text


async def test_run_with_a_rejected_token_waits_and_says_so(
    database_url: str,
    tmp_path: Path,
    masked: None,
    quick_retries: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with FakeBotAPI(token="7012345678:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") as api:
        settings = run_settings(database_url, tmp_path, f"http://127.0.0.1:{api.port}", TOKEN)
        stop = asyncio.Event()
        run = asyncio.create_task(cli._run(settings, demo=False, stop=stop))
        try:
            body = await until_ready(settings, "token rejected")
            assert body["failed"] == ["channel:telegram"]
            assert not run.done()
        finally:
            stop.set()
            await run  # ends cleanly when told to stop, between tries
    assert any("check OCOP_TELEGRAM_TOKEN" in r.getMessage() for r in caplog.records)
    assert not leaked(caplog.text), caplog.text
