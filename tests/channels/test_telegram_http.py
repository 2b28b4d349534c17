"""bot/channels/telegram_http.py: PTB's requests over aiohttp, and what its errors mean."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from telegram import InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_http import AiohttpRequest, ServerError
from bot.channels.telegram_sender import outcome_of

TOKEN = "123456:SECRET-token-never-in-messages"


class Server:
    """A loopback HTTP server that records requests and can be told to stall."""

    def __init__(self) -> None:
        self.seen: list[dict[str, object]] = []
        self.arrived = asyncio.Event()
        self.stall = 0.0
        self.status = 200  # a 5xx: answered as a gateway in front of the Bot API would
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        form = await request.post()
        fields: dict[str, object] = {}
        for name, value in form.items():
            if isinstance(value, web.FileField):
                fields[name] = (value.filename, value.file.read(), value.content_type)
            else:
                fields[name] = value
        self.seen.append({"path": request.path, "method": request.method, **fields})
        self.arrived.set()
        if self.stall:
            await asyncio.sleep(self.stall)
        if self.status >= 500:
            return web.Response(status=self.status, text="<html>upstream trouble</html>")
        return web.json_response({"ok": True, "result": True})


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", state.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    state.url = f"http://127.0.0.1:{port}/bot{TOKEN}"
    yield state
    await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    made = AiohttpRequest(
        connection_pool_size=1, read_timeout=0.3, connect_timeout=0.1, pool_timeout=0.2
    )
    await made.initialize()
    yield made
    await made.shutdown()


def _data(**values: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in values.items()])


async def test_parameters_and_files_arrive(server: Server, request_: AiohttpRequest) -> None:
    status, body = await request_.do_request(
        f"{server.url}/sendMessage", "POST", _data(chat_id=42, text="Chè búp Tân Cương")
    )
    assert (status, body) == (200, b'{"ok": true, "result": true}')
    photo = InputFile(b"\x89PNG fake", filename="nhan.png")
    await request_.do_request(f"{server.url}/sendPhoto", "POST", _data(chat_id=42, photo=photo))
    text, upload = server.seen
    assert text["text"] == "Chè búp Tân Cương" and text["chat_id"] == "42"
    assert upload["photo"] == ("nhan.png", b"\x89PNG fake", "image/png")


async def test_no_connection_means_nothing_was_sent(request_: AiohttpRequest) -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as caught:
        await request_.do_request(f"http://127.0.0.1:{port}/bot{TOKEN}/sendMessage", "POST")
    assert outcome_of(caught.value).kind == "retry"  # the outbox may send it again
    assert TOKEN not in str(caught.value)


async def test_a_slow_answer_is_a_timeout_of_unknown_outcome(
    server: Server, request_: AiohttpRequest
) -> None:
    server.stall = 2.0
    with pytest.raises(TimedOut) as caught:
        await request_.do_request(f"{server.url}/sendMessage", "POST", _data(chat_id=1, text="a"))
    assert len(server.seen) == 1  # it arrived: Telegram may have delivered it
    assert outcome_of(caught.value).kind == "unknown"


async def test_no_free_connection_is_a_timeout_with_nothing_sent(
    server: Server, request_: AiohttpRequest
) -> None:
    server.stall = 1.0
    first = asyncio.create_task(
        request_.do_request(
            f"{server.url}/sendMessage", "POST", _data(chat_id=1, text="a"), read_timeout=5
        )
    )
    await server.arrived.wait()
    with pytest.raises(TimedOut) as caught:  # the pool's one connection is busy
        await request_.do_request(f"{server.url}/sendMessage", "POST", _data(chat_id=2, text="b"))
    assert outcome_of(caught.value).kind == "retry"
    assert await first == (200, b'{"ok": true, "result": true}')
    assert [seen["chat_id"] for seen in server.seen] == ["1"]


async def test_requests_need_initialize() -> None:
    with pytest.raises(RuntimeError):
        await AiohttpRequest().do_request("http://127.0.0.1:9/x", "POST")


@pytest.mark.parametrize(
    ("status", "kind"),
    [(503, "retry"), (500, "unknown"), (502, "unknown"), (504, "unknown")],
)
async def test_a_5xx_keeps_its_status_and_only_503_is_sent_again(
    server: Server, request_: AiohttpRequest, status: int, kind: str
) -> None:
    server.status = status
    with pytest.raises(ServerError) as caught:
        await request_.do_request(f"{server.url}/sendMessage", "POST", _data(chat_id=1, text="a"))
    assert caught.value.status == status
    assert "upstream trouble" in str(caught.value)
    # 503 says the request was not handled; the others may come after Telegram acted on it.
    assert outcome_of(caught.value).kind == kind
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "answer", "error", "outcome"),
    [
        (
            429,
            {"description": "Too Many Requests", "parameters": {"retry_after": 5}},
            RetryAfter,
            "retry_after",
        ),
        (403, {"description": "Forbidden: bot was blocked by the user"}, Forbidden, "blocked"),
        (400, {"description": "Bad Request: chat not found"}, BadRequest, "failed"),
    ],
)
async def test_direct_calls_fail_as_ptb_requests_do(
    status: int,
    answer: dict[str, object],
    error: type[Exception],
    outcome: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bot's replies skip telegram.Bot: the same answer must still mean the same outcome."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # as the running bot does (TelegramSender)
    seen: list[object] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response({"ok": False, "error_code": status, **answer}, status=status)

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    request = AiohttpRequest()
    await request.initialize()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/bot{TOKEN}/sendMessage"
        with pytest.raises(error) as raised:
            await request.call(url, {"chat_id": 7, "text": "Xin chào", "reply_markup": None})
        assert outcome_of(raised.value).kind == outcome
        assert seen == [{"chat_id": 7, "text": "Xin chào"}]  # JSON, None left out
    finally:
        await request.shutdown()
        await runner.cleanup()


async def test_direct_calls_return_the_raw_result_and_upload_files(server: Server) -> None:
    request = AiohttpRequest()
    await request.initialize()
    try:
        result = await request.call(
            f"{server.url}/sendPhoto",
            {
                "chat_id": 7,
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "t:0"}]]},
            },
            {"photo": ("photo", b"\x89PNG...", "application/octet-stream")},
        )
    finally:
        await request.shutdown()
    assert result is True
    [seen] = server.seen
    assert seen["chat_id"] == "7"
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "t:0"}]]}
    assert json.loads(seen["reply_markup"]) == markup  # a JSON field of the form
    assert seen["photo"] == ("photo", b"\x89PNG...", "application/octet-stream")
