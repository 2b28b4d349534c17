"""A loopback fake of the Zalo Bot Platform API, faithful to its documented behaviour.

* `POST /bot<token>/<method>` with a JSON body; another token: 401.
* getUpdates: one update per call, held up to `timeout` seconds, HTTP 408
  when none came; no offset (an update is gone once answered). While a
  webhook is set it refuses (400), as the platform does.
* setWebhook {url, secret_token (8-256 characters)}: updates are then POSTed
  to the URL with the secret in X-Bot-Api-Secret-Token; deleteWebhook,
  getWebhookInfo.
* sendMessage (text 1-2,000 characters), sendPhoto (photo: a URL; caption
  up to 2,000), sendChatAction. Anything else in a body (reply_markup…) is
  recorded, so a test can see that no buttons were ever sent.
* Optional limits (token buckets): past `rate_limit` sends a second in all or
  `chat_rate` a second to one chat, 429; chats in `blocked`, 403.
* Photos the users send are served by the fake at /photos/<n>.jpg (the
  platform hands the bot a URL).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

JSONDict = dict[str, Any]
TOKEN = "1234567890:zalo-fake-token"
MAX_TEXT = 2000


@dataclass(frozen=True)
class ZaloUser:
    id: str
    name: str


@dataclass
class FakeZaloBot:
    token: str = TOKEN
    rate_limit: float | None = None  # sends a second, all chats together; None: no limit
    chat_rate: float | None = None  # sends a second to one chat
    blocked: set[str] = field(default_factory=set)
    host: str = "127.0.0.1"
    port: int = 0
    outputs: list[JSONDict] = field(default_factory=list)  # every accepted send, in order
    errors: list[JSONDict] = field(default_factory=list)  # every refused call
    calls: list[str] = field(default_factory=list)  # every method asked for
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_refusals: int = 0  # updates the bot's webhook answered with something but 200
    too_many: int = 0  # 429s answered

    def __post_init__(self) -> None:
        # For the benchmarks: called with each accepted send and its time; set on a poll.
        self.on_output: Callable[[JSONDict, float], None] | None = None
        self.polled = asyncio.Event()
        self._updates: asyncio.Queue[JSONDict] = asyncio.Queue()
        self._ids = itertools.count(1)
        self._photos: dict[str, bytes] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # key: (tokens, when counted)
        self._seen: dict[str, int] = defaultdict(int)  # per chat: outputs already settled
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    # --- server -------------------------------------------------------------

    async def __aenter__(self) -> FakeZaloBot:
        app = web.Application()
        app.router.add_post("/{prefix}/{method}", self._method)
        app.router.add_get("/photos/{name}", self._photo)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the port the OS chose for port 0
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """OCOP_ZALO_BOT_API_URL: the token and the method follow."""
        return f"http://{self.host}:{self.port}/bot"

    # --- the API --------------------------------------------------------------

    async def _method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if request.match_info["prefix"] != f"bot{self.token}":
            return self._error(method, 401, "Unauthorized")
        try:
            body = await request.json() if request.can_read_body else {}
        except ValueError:
            return self._error(method, 400, "Bad Request: body is not JSON")
        if not isinstance(body, dict):
            return self._error(method, 400, "Bad Request")
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._error(method, 404, "Not Found: no such method")
        if method == "getUpdates":
            return await self._api_getUpdates(body, request)
        answer: web.Response = await handler(body)
        return answer

    async def _api_getMe(self, body: JSONDict) -> web.Response:
        return _ok(
            {"id": "1459232241454765289", "account_name": "bot.ocop", "can_join_groups": False}
        )

    async def _api_getUpdates(self, body: JSONDict, request: web.Request) -> web.Response:
        self.polled.set()
        if self.webhook_url:
            return self._error("getUpdates", 400, "Bad Request: webhook is set")
        hold = float(body.get("timeout", 30))
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline:
            transport = request.transport
            if transport is None or transport.is_closing():
                return web.Response(status=499)  # the poller left: its update stays queued
            if not self._updates.empty():
                return _ok(self._updates.get_nowait())
            await asyncio.sleep(0.01)
        return web.json_response(
            {"ok": False, "error_code": 408, "description": "Request Timeout"}, status=408
        )

    async def _api_setWebhook(self, body: JSONDict) -> web.Response:
        url, secret = body.get("url"), body.get("secret_token")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            return self._error("setWebhook", 400, "Bad Request: url")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return self._error("setWebhook", 400, "Bad Request: secret_token")
        self.webhook_url, self.webhook_secret = url, secret
        return _ok({"url": url, "updated_at": _now_ms()})

    async def _api_deleteWebhook(self, body: JSONDict) -> web.Response:
        self.webhook_url = self.webhook_secret = ""
        return _ok({"url": "", "updated_at": _now_ms()})

    async def _api_getWebhookInfo(self, body: JSONDict) -> web.Response:
        return _ok({"url": self.webhook_url, "updated_at": _now_ms()})

    async def _api_sendMessage(self, body: JSONDict) -> web.Response:
        text = body.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return self._error("sendMessage", 400, "Bad Request: text must be 1-2000 characters")
        return await self._send("sendMessage", body)

    async def _api_sendPhoto(self, body: JSONDict) -> web.Response:
        photo, caption = body.get("photo"), body.get("caption", "")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            return self._error("sendPhoto", 400, "Bad Request: photo must be a URL")
        if not isinstance(caption, str) or len(caption) > MAX_TEXT:
            return self._error("sendPhoto", 400, "Bad Request: caption")
        return await self._send("sendPhoto", body)

    async def _api_sendChatAction(self, body: JSONDict) -> web.Response:
        if body.get("action") not in ("typing", "upload_photo"):
            return self._error("sendChatAction", 400, "Bad Request: action")
        return web.json_response({"ok": True})

    async def _send(self, method: str, body: JSONDict) -> web.Response:
        chat = str(body.get("chat_id", ""))
        if not chat:
            return self._error(method, 400, "Bad Request: chat_id")
        if chat in self.blocked:
            return self._error(method, 403, "Forbidden: the user cannot receive messages")
        if self._over_limit(chat):
            self.too_many += 1
            return self._error(method, 429, "Too Many Requests")
        message_id = f"m{next(self._ids)}"
        output = {**body, "method": method, "chat_id": chat, "message_id": message_id}
        output.setdefault("text", body.get("caption", ""))
        if self.on_output is not None:
            self.on_output(output, time.perf_counter())
        async with self._changed:
            self.outputs.append(output)
            self._changed.notify_all()
        return _ok({"message_id": message_id, "date": _now_ms()})

    def _over_limit(self, chat: str) -> bool:
        """Token buckets, as the Telegram fake's: `rate_limit` may leave at once, then that
        many a second; one chat gets one message, then `chat_rate` a second."""
        now = time.monotonic()
        buckets = [("", self.rate_limit), (chat, self.chat_rate)]
        for key, rate in buckets:
            if rate is not None and self._take(key, rate, now) < 1:
                return True
        for key, rate in buckets:
            if rate is not None:
                tokens, _at = self._buckets[key]
                self._buckets[key] = (tokens - 1, now)
        return False

    def _take(self, key: str, rate: float, now: float) -> float:
        if rate <= 0:
            return 0.0  # nothing goes (a test's way to get a 429)
        burst = max(rate, 1.0) if key == "" else 1.0
        tokens, at = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + (now - at) * rate)
        self._buckets[key] = (tokens, now)
        return tokens

    def _error(self, method: str, code: int, description: str) -> web.Response:
        self.errors.append({"method": method, "error_code": code, "description": description})
        return web.json_response(
            {"ok": False, "error_code": code, "description": description}, status=code
        )

    async def _photo(self, request: web.Request) -> web.Response:
        data = self._photos.get(request.match_info["name"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/jpeg")

    # --- users ----------------------------------------------------------------

    def user(self, user_id: str, name: str = "Hoa") -> ZaloUser:
        return ZaloUser(user_id, name)

    def _message(self, user: ZaloUser, event: str, **fields: Any) -> JSONDict:
        message = {
            "from": {"id": user.id, "display_name": user.name, "is_bot": False},
            "chat": {"id": user.id, "chat_type": "PRIVATE"},
            "message_id": f"u{next(self._ids)}",
            "date": _now_ms(),
            **fields,
        }
        return {"event_name": event, "message": message}

    async def deliver(self, update: JSONDict) -> JSONDict:
        """To the bot: by webhook when one is set, else queued for getUpdates."""
        if not self.webhook_url:
            await self._updates.put(update)
            return update
        status = await self.post_webhook(update, self.webhook_secret)
        if status != 200:
            self.webhook_refusals += 1
        return update

    async def post_webhook(self, update: JSONDict, secret: str | None, *, wrap: bool = True) -> int:
        """POSTs an update to the registered webhook (with this secret; None: no header)."""
        if self._client is None:
            self._client = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Bot-Api-Secret-Token"] = secret
        body = {"ok": True, "result": update} if wrap else update
        async with self._client.post(
            self.webhook_url, data=json.dumps(body), headers=headers
        ) as answer:
            return answer.status

    def queue_text(self, user: ZaloUser, text: str) -> JSONDict:
        """A text for getUpdates, without waiting (the benchmarks' users)."""
        update = self._message(user, "message.text.received", text=text)
        self._updates.put_nowait(update)
        return update

    async def send_text(self, user: ZaloUser, text: str) -> JSONDict:
        return await self.deliver(self._message(user, "message.text.received", text=text))

    async def send_image(self, user: ZaloUser, data: bytes) -> JSONDict:
        name = f"{next(self._ids)}.jpg"
        self._photos[name] = data
        url = f"http://{self.host}:{self.port}/photos/{name}"
        return await self.deliver(self._message(user, "message.image.received", photo_url=url))

    async def send_sticker(self, user: ZaloUser) -> JSONDict:
        return await self.deliver(
            self._message(user, "message.sticker.received", sticker="0e078a2fb66a5f34067b")
        )

    async def send_event(self, user: ZaloUser, event: str) -> JSONDict:
        return await self.deliver(self._message(user, event))

    @property
    def pending(self) -> int:
        return self._updates.qsize()

    # --- what the bot sent ---------------------------------------------------

    def sent(self, chat: str) -> list[JSONDict]:
        return [output for output in self.outputs if output["chat_id"] == chat]

    def take_new(self, chat: str) -> list[JSONDict]:
        """The outputs to `chat` since the last call."""
        outputs = self.sent(chat)
        new = outputs[self._seen[chat] :]
        self._seen[chat] = len(outputs)
        return new

    async def wait_for(self, count: int, within: float = 30.0) -> None:
        """Until at least `count` outputs were sent in all."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.outputs) >= count)


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _now_ms() -> int:
    return int(time.time() * 1000)
