"""bot/channels/telegram_polling.py: the bot's own getUpdates loop.

Against the loopback fake Bot API (testkit/fake_bot_api.py) where it behaves
like Telegram, and a scripted server where a failure must come at a given
moment: updates in order and bounded, confirmed at stop; network errors,
409, 429 and a rejected token each handled as Telegram needs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from types import SimpleNamespace
from typing import Any, cast

import pytest
from aiohttp import web

from bot.channels import telegram_polling
from bot.channels.telegram import TelegramChannel
from bot.channels.telegram_http import AiohttpRequest
from bot.channels.telegram_polling import Poller
from bot.config import Settings, load_settings
from bot.core import channel_health
from bot.core.channel_health import ChannelHealth
from bot.core.dispatcher import ChatLocks, Dispatcher
from bot.core.types import Capabilities, Incoming, Reply
from testkit.fake_bot_api import FakeBotAPI

Update = Mapping[str, Any]
WAIT = 5.0  # seconds a step may take at most


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as the poller sets it, kept to the test
    monkeypatch.setattr(telegram_polling, "POLL_FIRST_WAIT", 0.01)
    monkeypatch.setattr(telegram_polling, "POLL_MAX_WAIT", 0.04)
    monkeypatch.setattr(telegram_polling, "CONFLICT_WAIT", 0.02)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI() as fake:
        yield fake


def _settings(api: FakeBotAPI) -> Settings:
    """The project's settings, with the bot pointed at the loopback fake."""
    return load_settings(
        environ={
            "OCOP_TELEGRAM_TOKEN": api.token,
            "OCOP_TELEGRAM_API_URL": api.base_url,
            "OCOP_TELEGRAM_FILE_URL": api.file_base_url,
        }
    )


class Handled:
    """The updates a poller handed over, in order, and a way to wait for them."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.changed = asyncio.Condition()

    async def __call__(self, update: Update) -> None:
        async with self.changed:
            self.ids.append(int(update["update_id"]))
            self.changed.notify_all()

    async def until(self, count: int) -> list[int]:
        async with asyncio.timeout(WAIT), self.changed:
            await self.changed.wait_for(lambda: len(self.ids) >= count)
        return self.ids


@asynccontextmanager
async def polling(
    url: str, handle: Callable[[Update], Awaitable[None]], **options: Any
) -> AsyncIterator[Poller]:
    request = AiohttpRequest(connection_pool_size=1)
    options = {"timeout": 1, "concurrency": 16, **options}
    poller = Poller(url, request, handle, **options)
    await poller.start()
    try:
        yield poller
    finally:
        await poller.stop()
        await request.shutdown()


def bot_url(api: FakeBotAPI) -> str:
    return f"{api.base_url}{api.token}"


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - state of the fake server or the poller
            await asyncio.sleep(0.01)


# --- with the fake Bot API -------------------------------------------------------


async def test_updates_are_handed_over_in_order_and_confirmed_at_stop(api: FakeBotAPI) -> None:
    hoa = api.user(7001, "Hoa")
    sent = [api.send_text(hoa, f"tin {n}") for n in range(3)]
    handled = Handled()
    api.webhook_url = "https://old.example/webhook"  # polling first removes a webhook
    async with polling(bot_url(api), handled) as poller:
        assert await handled.until(3) == [u["update_id"] for u in sent]
        later = api.send_text(hoa, "tin 3")
        assert (await handled.until(4))[-1] == later["update_id"]
        assert poller.offset == later["update_id"] + 1
    assert api.webhook_url == ""
    asked = [params for method, params in api.requests if method == "getUpdates"]
    assert asked[-1] == {"offset": later["update_id"] + 1, "timeout": 0, "limit": 1}
    assert api.pending_update_count == 0  # a restart does not get them again
    deleted = [params for method, params in api.requests if method == "deleteWebhook"]
    assert deleted == [{"drop_pending_updates": False}]


async def test_updates_in_hand_finish_before_stop_returns(api: FakeBotAPI) -> None:
    hoa = api.user(7001, "Hoa")
    started, finished = Handled(), Handled()

    async def slow(update: Update) -> None:
        await started(update)
        await asyncio.sleep(0.2)
        await finished(update)

    async with polling(bot_url(api), slow):
        api.send_text(hoa, "một")
        api.send_text(hoa, "hai")
        await started.until(2)
    assert len(finished.ids) == 2
    assert api.pending_update_count == 0


async def test_at_most_the_configured_number_of_updates_are_in_hand(api: FakeBotAPI) -> None:
    users = [api.user(7000 + n, "Hoa") for n in range(6)]
    gate, in_hand, most = asyncio.Event(), [0], [0]
    handled = Handled()

    async def held(update: Update) -> None:
        in_hand[0] += 1
        most[0] = max(most[0], in_hand[0])
        await gate.wait()
        in_hand[0] -= 1
        await handled(update)

    async with polling(bot_url(api), held, concurrency=2):
        for user in users:
            api.send_text(user, "xin chào")
        await until(lambda: in_hand[0] == 2)
        await asyncio.sleep(0.1)  # the poller waits for a free slot meanwhile
        assert in_hand[0] == 2
        gate.set()
        assert len(await handled.until(6)) == 6
    assert most[0] == 2


async def test_an_update_that_fails_is_logged_and_polling_goes_on(
    api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    hoa = api.user(7001, "Hoa")
    handled = Handled()
    broken = api.send_text(hoa, "hỏng")

    async def handle(update: Update) -> None:
        if update["update_id"] == broken["update_id"]:
            raise RuntimeError("a bug")
        await handled(update)

    async with polling(bot_url(api), handle):
        fine = api.send_text(hoa, "ổn")
        assert await handled.until(1) == [fine["update_id"]]
    assert f"Telegram update {broken['update_id']}: handling failed" in caplog.text
    assert api.pending_update_count == 0


# --- the channel: a chat's updates keep their order -------------------------------


class RecordingDispatcher:
    """The dispatcher's contract for a channel: `handle` takes the chat's FIFO lock
    (bot/core/dispatcher.py ChatLocks) before anything else, then works a while."""

    def __init__(self) -> None:
        self.locks = ChatLocks()
        self.order: list[str] = []
        self.db = None
        self.app = SimpleNamespace(clock=lambda: dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        self.done = asyncio.Event()

    async def handle(
        self,
        incoming: Incoming,
        caps: Capabilities,
        fetch: object = None,
        send: Callable[[list[Reply]], Awaitable[None]] | None = None,
    ) -> list[Reply]:
        async with self.locks.hold((incoming.channel, incoming.chat_id)):
            self.order.append(incoming.callback or incoming.text or "")
            await asyncio.sleep(0.05)  # a transaction
            if len(self.order) == 3:
                self.done.set()
            return []


async def test_a_button_and_a_text_in_one_batch_are_handled_in_their_order(
    api: FakeBotAPI,
) -> None:
    """The button's spinner is stopped (answerCallbackQuery) without letting the text,
    which came after it in the same getUpdates answer, take the chat first."""
    lan = api.user(7001, "Lan", "vi")
    asked = api.send_text(lan, "/start")
    api.press_data(lan, asked["message"], "lang:en")  # all wait for the first getUpdates
    last = api.send_text(lan, "HTX Chè Xanh")
    settings = _settings(api)
    dispatcher = RecordingDispatcher()
    channel = TelegramChannel(settings, cast(Dispatcher, dispatcher))
    channel.poll_timeout = 1
    await channel.start()
    try:
        async with asyncio.timeout(WAIT):
            await dispatcher.done.wait()
        await until(lambda: len(api.callback_answers) == 1)  # the spinner stopped
    finally:
        await channel.stop()
    assert dispatcher.order == ["/start", "lang:en", "HTX Chè Xanh"]
    batches = [p for m, p in api.requests if m == "getUpdates"]
    assert batches[1]["offset"] == last["update_id"] + 1  # the first getUpdates brought all


# --- failures, from a scripted server ---------------------------------------------


class Scripted:
    """Answers getUpdates from a script of (status, body), then with nothing."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, Any]]] = []
        self.asked: list[dict[str, Any]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        method = request.path.rsplit("/", 1)[-1]
        if method != "getUpdates":
            return web.json_response({"ok": True, "result": True})
        self.asked.append(await request.json())
        if self.script:
            status, body = self.script.pop(0)
            return web.json_response(body, status=status)
        await asyncio.sleep(0.02)
        return web.json_response({"ok": True, "result": []})


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    state = Scripted()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    async with AsyncExitStack() as stack:
        runner = web.AppRunner(app)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state.url = f"http://127.0.0.1:{runner.addresses[0][1]}/bot1:T"
        yield state


def text_update(update_id: int) -> dict[str, Any]:
    user = {"id": 7001, "is_bot": False, "first_name": "Lan"}
    message = {"message_id": 1, "from": user, "chat": {"id": 7001, "type": "private"}}
    return {"update_id": update_id, "message": {**message, "date": 1, "text": "hi"}}


def error(status: int, description: str, **parameters: int) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


async def test_conflict_and_server_errors_are_waited_out(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    conflict = error(409, "Conflict: terminated by other getUpdates request")
    scripted.script = [conflict, conflict, conflict, error(502, "Bad Gateway")] * 2
    scripted.script.append((200, {"ok": True, "result": [text_update(41)]}))
    handled = Handled()
    async with polling(scripted.url, handled):
        assert await handled.until(1) == [41]
    assert caplog.text.count("409 Conflict") == 2  # once per run of them, not per try
    assert "answers again" in caplog.text


async def test_flood_control_waits_its_retry_after(scripted: Scripted) -> None:
    scripted.script = [
        error(429, "Too Many Requests: retry after 1", retry_after=1),
        (200, {"ok": True, "result": [text_update(7)]}),
    ]
    handled = Handled()
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with polling(scripted.url, handled):
        await handled.until(1)
        waited = loop.time() - began
    assert 1.0 <= waited < WAIT


async def test_network_errors_are_retried_and_logged_once(
    api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}/bot{api.token}"
    handled = Handled()
    caplog.set_level(logging.INFO)
    async with polling(dead, handled) as poller:
        await until(lambda: caplog.text.count("getUpdates") >= 1)
        await asyncio.sleep(0.3)  # several tries, 10 ms doubling up to 40 ms apart
        assert caplog.text.count("Telegram getUpdates: ") == 1
        poller.url = bot_url(api)  # the network is back
        sent = api.send_text(api.user(7001, "Hoa"), "xin chào")
        assert await handled.until(1) == [sent["update_id"]]
    assert "answers again" in caplog.text


async def test_a_token_rejected_while_polling_stops_it_and_readyz_says_so(
    api: FakeBotAPI, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _settings(api)
    health = ChannelHealth()
    health.ready("telegram")  # getMe accepted the token
    channel = TelegramChannel(settings, cast(Dispatcher, RecordingDispatcher()))
    channel.poll_timeout = 1
    await channel.start(health)
    try:
        api.token = "123456:REVOKED"  # revoked by BotFather meanwhile: 401
        assert channel.poller is not None
        poller = channel.poller
        await until(lambda: not poller.running)
        assert health.not_ready() == {"telegram": channel_health.TOKEN_REJECTED}
    finally:
        await channel.stop()
    assert "token rejected by getUpdates" in caplog.text
    assert api.token not in caplog.text and "123456:TEST" not in caplog.text


async def test_a_malformed_answer_or_update_does_not_stop_polling(
    scripted: Scripted, caplog: pytest.LogCaptureFixture
) -> None:
    scripted.script = [
        (200, {"ok": True, "result": {"update_id": 1}}),  # no list
        (200, {"ok": True, "result": [{"no": "id"}, {"update_id": 8, "message": "?"}]}),
        (200, {"ok": True, "result": [text_update(9)]}),
    ]
    handled = Handled()
    async with polling(scripted.url, handled):
        assert await handled.until(2) == [8, 9]
        await until(lambda: scripted.asked[-1].get("offset") == 10)
    assert "a result that is no list" in caplog.text
    assert "an update without an id, ignored" in caplog.text
