"""A thin aiohttp client of the Zalo Bot Platform API (bots made in Zalo Bot Creator).

Every method is `POST <api_url><token>/<method>` with a JSON body, answered
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": n,
"description": "..."}` (docs/zalo.md). getUpdates holds the request up to
`timeout` seconds and answers one update, or HTTP 408 when none came.

Errors never carry the URL (it holds the token): a `ZaloBotError` is an
answer from the platform, `NotSent` a request that never left this machine,
`MaybeSent` one that failed after it may have reached the platform.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import aiohttp

from bot.channels.telegram_http import NOT_SENT

IDLE = 408  # getUpdates: no update came within the timeout
CONNECT_TIMEOUT = 10.0
CALL_TIMEOUT = 30.0  # a send; getUpdates waits its own timeout on top


class ZaloBotError(Exception):
    """The platform answered with an error (HTTP status and Zalo's error_code)."""

    def __init__(self, method: str, status: int, code: int, description: str) -> None:
        super().__init__(f"{method}: {code} {description}".strip())
        self.method = method
        self.status = status
        self.code = code
        self.description = description


class NotSent(Exception):
    """No connection was made: the platform got nothing."""


class MaybeSent(Exception):
    """The request failed on its way or while waiting for the answer: it may have arrived."""


def unwrap(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """An update with or without the {ok, result} wrapper (webhooks send either)."""
    result = body.get("result")
    if "ok" in body and isinstance(result, Mapping):
        return result
    return body


class ZaloBotApi:
    def __init__(self, api_url: str, token: str) -> None:
        self._base = api_url
        self._token = token
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:  # never the token
        return f"ZaloBotApi({self._base!r})"

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=100, limit_per_host=100)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, payload: Mapping[str, Any] | None = None, *, hold: float = 0
    ) -> Any:
        """The method's result; raises ZaloBotError, NotSent or MaybeSent."""
        url = f"{self._base}{self._token}/{method}"
        limits = aiohttp.ClientTimeout(total=hold + CALL_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        try:
            async with self.session.post(url, json=dict(payload or {}), timeout=limits) as answer:
                status = answer.status
                raw = await answer.read()
        except NOT_SENT as error:
            raise NotSent(f"{method}: {type(error).__name__}") from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise MaybeSent(f"{method}: {type(error).__name__}") from None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if status == 200 and body.get("ok") is True:
            return body.get("result")
        code = body.get("error_code")
        description = str(body.get("description") or answer.reason or "")[:200]
        raise ZaloBotError(
            method, status, int(code) if isinstance(code, int) else status, description
        )

    async def get_me(self) -> Mapping[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, Mapping) else {}

    async def get_updates(self, hold: int) -> Mapping[str, Any] | None:
        """One update, or None when none came within `hold` seconds (HTTP 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(hold)}, hold=hold)
        except ZaloBotError as error:
            if IDLE in (error.status, error.code):
                return None
            raise
        return result if isinstance(result, Mapping) and result else None

    async def set_webhook(self, url: str, secret_token: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> Mapping[str, Any]:
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, Mapping) else {}

    async def send_message(self, chat_id: str, text: str) -> str | None:
        """The new message's id."""
        return _message_id(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> str | None:
        payload = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            payload["caption"] = caption
        return _message_id(await self.call("sendPhoto", payload))

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def download(self, url: str, max_bytes: int) -> bytes:
        """A photo the user sent (its URL on Zalo's servers), at most `max_bytes`."""
        if not url.startswith(("https://", "http://")):
            raise NotSent("download: not an http(s) URL")
        limits = aiohttp.ClientTimeout(total=CALL_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        try:
            async with self.session.get(url, timeout=limits) as answer:
                if answer.status != 200:
                    raise ZaloBotError("download", answer.status, answer.status, "")
                data = await answer.content.read(max_bytes + 1)
        except NOT_SENT as error:
            raise NotSent(f"download: {type(error).__name__}") from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise MaybeSent(f"download: {type(error).__name__}") from None
        return data  # one byte over the limit: the dispatcher refuses it by size


def _message_id(result: Any) -> str | None:
    if isinstance(result, Mapping) and result.get("message_id") is not None:
        return str(result["message_id"])
    return None
