"""Bot API calls through aiohttp: the bot's own (`AiohttpRequest.call`: replies,
getUpdates, answerCallbackQuery) and python-telegram-bot's, instead of httpx.

PTB makes its HTTP calls through a `BaseRequest`; this one uses aiohttp,
which the web app already depends on. Per request it costs the event loop
a fraction of httpx's CPU (C-accelerated HTTP parsing, and a connection
pool that does not rescan every connection each time), and the bot
process spends most of its CPU on Bot API calls. Errors keep PTB's
meaning (`TimedOut`, `NetworkError`), and those raised before a request
left this machine carry an `aiohttp` cause the senders can tell apart; a
5xx answer is a `ServerError` (a `NetworkError`) that keeps its status
(bot/channels/telegram_sender.py, `outcome_of`).
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import aiohttp
import orjson
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import BaseRequest, RequestData

# Failures with nothing sent: no connection was made (or none was free).
NOT_SENT: tuple[type[BaseException], ...] = (
    aiohttp.ClientConnectorError,
    aiohttp.ConnectionTimeoutError,
)
# 5xx answers that say the request was not handled: 503 Service Unavailable
# ("unable to handle the request", RFC 9110). 500, 502 and 504 come after the
# request reached a server that may have acted on it.
NOT_HANDLED_STATUSES = frozenset({503})


class ServerError(NetworkError):
    """A 5xx answer from the Bot API or a gateway in front of it, with its status."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{description} ({status})")
        self.status = status

    @property
    def not_handled(self) -> bool:
        return self.status in NOT_HANDLED_STATUSES


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one `aiohttp.ClientSession` (opened by `initialize`).

    Timeouts follow PTB's HTTPXRequest: `pool_timeout` + `connect_timeout`
    to get a connection, `read_timeout` between reads of the answer (PTB
    adds the long-poll time to it for getUpdates). aiohttp has no write
    timeout; `write_timeout` is accepted and not used.
    """

    def __init__(
        self,
        *,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
                # Bot API URLs are used as given (the token contains a colon).
                requote_redirect_url=False,
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        write_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        connect_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
        pool_timeout: float | object | None = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        return await self._exchange(method, url, _body(request_data), read, connect, pool)

    async def call(
        self,
        url: str,
        params: Mapping[str, object],
        files: Mapping[str, InputUpload] | None = None,
        *,
        read_timeout: float | None = None,
    ) -> Any:
        """One Bot API method, answered with its raw `result`; failures raise PTB's errors.

        The bot's own replies go this way rather than through `telegram.Bot`: no
        keyboard objects built and serialised, and the sent message is not parsed
        back into a `Message` nobody reads (a third of the bot's CPU per update).
        `params` are JSON values (None left out); `files` are uploads by field name;
        `read_timeout` replaces this client's (a long poll waits longer for its answer).
        """
        fields = {name: value for name, value in params.items() if value is not None}
        body: aiohttp.FormData | bytes
        if files:
            body = aiohttp.FormData()
            for name, value in fields.items():
                body.add_field(
                    name, value if isinstance(value, str) else orjson.dumps(value).decode()
                )
            for name, (filename, content, mime) in files.items():
                body.add_field(name, content, filename=filename, content_type=mime)
        else:
            body = orjson.dumps(fields)
        status, answer = await self._exchange(
            "POST",
            url,
            body,
            self._read_timeout if read_timeout is None else read_timeout,
            self._connect_timeout,
            self._pool_timeout,
            json_body=not files,
        )
        return _result(status, answer)

    async def _exchange(
        self,
        method: str,
        url: str,
        body: aiohttp.FormData | bytes | None,
        read: float | None,
        connect: float | None,
        pool: float | None,
        *,
        json_body: bool = False,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=None if connect is None or pool is None else connect + pool,
            sock_connect=connect,
            sock_read=read,
        )
        headers = _JSON_HEADERS if json_body else None
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                body_read = await response.read()
        except aiohttp.ConnectionTimeoutError as error:
            raise TimedOut("Timed out getting a connection; nothing was sent") from error
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            # The class name helps where the message is empty; the URL (it
            # holds the bot token) is left out of the message.
            message = str(error).replace(url, "<Bot API URL>")
            raise NetworkError(f"aiohttp.{type(error).__name__}: {message}") from error
        if response.status >= 500:
            raise ServerError(response.status, _description(body_read))
        return response.status, body_read


# An upload: file name, content, MIME type (PTB's InputFile.field_tuple).
InputUpload = tuple[str | None, bytes, str]
_JSON_HEADERS = {"Content-Type": "application/json"}


def _result(status: int, body: bytes) -> Any:
    """The `result` of a Bot API answer, or the error PTB's own requests raise for it
    (BaseRequest's rules: retry_after and migrate_to_chat_id first, then the status)."""
    try:
        answer = orjson.loads(body)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise NetworkError(f"Invalid server response ({status})")
    if 200 <= status <= 299:
        return answer.get("result")
    description = str(answer.get("description") or _phrase(status))
    parameters = answer.get("parameters") or {}
    if parameters.get("migrate_to_chat_id"):
        raise ChatMigrated(int(parameters["migrate_to_chat_id"]))
    if parameters.get("retry_after"):
        raise RetryAfter(int(parameters["retry_after"]))
    error = _ERRORS.get(status)
    if error is None:
        raise NetworkError(f"{description} ({status})")
    raise error(description)


_ERRORS: dict[int, type[TelegramError]] = {
    HTTPStatus.FORBIDDEN: Forbidden,
    HTTPStatus.UNAUTHORIZED: InvalidToken,
    HTTPStatus.NOT_FOUND: InvalidToken,
    HTTPStatus.BAD_REQUEST: BadRequest,
    HTTPStatus.CONFLICT: Conflict,
}


def _phrase(status: int) -> str:
    try:
        return f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        return f"Unknown HTTPError ({status})"


def _description(body: bytes) -> str:
    """The Bot API's description of an error, else the start of what a gateway answered."""
    try:
        answer = orjson.loads(body)
    except ValueError:
        return body[:100].decode(errors="replace").strip() or "server error"
    return str(answer.get("description", "")) if isinstance(answer, dict) else "server error"


def _given(value: float | object | None, default: float | None) -> float | None:
    """PTB's DEFAULT_NONE means "the default of this request object"."""
    if isinstance(value, (int, float)) or value is None:
        return value
    return default


def _body(request_data: RequestData | None) -> aiohttp.FormData | None:
    """Form fields for the parameters, and a multipart body when files go up."""
    if request_data is None:
        return None
    files = request_data.multipart_data
    if not files:
        fields = request_data.json_parameters
        return aiohttp.FormData(fields) if fields else None
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in files.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
