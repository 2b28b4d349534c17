"""A thin aiohttp client for the Zalo Official Account API v3 (no SDK).

* POST {api}/v3.0/oa/message/cs: a consultation (customer service) message;
* POST {api}/v2.0/oa/upload/image and /upload/file: an attachment id or token;
* a user's photo is downloaded from the URL its event carries.

Every call carries the access token in the `access_token` header. An answer
saying the token is invalid or expired proves nothing was sent: the client
asks the token source for a fresh one (refreshing it once, under the row
lock) and makes the same call again, once. That is what keeps a broadcast
going when the token expires in its middle.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import aiohttp

from bot.config import ZaloOASettings

log = logging.getLogger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=60, connect=10)
# Zalo's answers about the access token (the safe reading of its error table:
# docs/zalo.md): any of them means the call did nothing.
TOKEN_ERRORS = frozenset({-216, -220, -124, -14012})


class TokenSource(Protocol):
    async def access_token(self) -> str: ...

    async def refresh(self, rejected: str) -> str:
        """A token other than `rejected`: another worker's fresh one, or a refreshed one."""
        ...


class ZaloOAError(Exception):
    """Zalo answered with an error code (nothing was sent)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo OA error {code}: {message}")
        self.code = code


class ZaloOAHTTPError(Exception):
    """An HTTP status other than 200 (the body is not Zalo's JSON answer)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class ZaloOAClient:
    def __init__(self, settings: ZaloOASettings, tokens: TokenSource) -> None:
        self.api = settings.api_url.rstrip("/")
        self.tokens = tokens
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, user_id: str, message: dict[str, Any]) -> str:
        """Sends one consultation message; its message_id."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        data = await self._call("/v3.0/oa/message/cs", json=body)
        return str(data.get("message_id", ""))

    async def upload_image(self, content: bytes, name: str, mime: str) -> str:
        """Uploads a JPG or PNG (Zalo takes up to 1 MB); its attachment_id."""
        data = await self._upload("/v2.0/oa/upload/image", content, name, mime)
        return str(data["attachment_id"])

    async def upload_file(self, content: bytes, name: str, mime: str) -> str:
        """Uploads a PDF, DOC or DOCX (up to 5 MB); the token a file message carries."""
        data = await self._upload("/v2.0/oa/upload/file", content, name, mime)
        return str(data["token"])

    async def download(self, url: str) -> bytes:
        """A file a user sent (its event carries a URL on Zalo's servers)."""
        if not url.startswith(("https://", "http://")):
            raise ValueError("not a web address")
        async with self.session.get(url) as response:
            if response.status != 200:
                raise ZaloOAHTTPError(response.status)
            return await response.read()

    async def _upload(self, path: str, content: bytes, name: str, mime: str) -> dict[str, Any]:
        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("file", content, filename=name, content_type=mime)
            return data

        return await self._call(path, form=form)

    async def _call(
        self, path: str, *, json: dict[str, Any] | None = None, form: Any = None
    ) -> dict[str, Any]:
        token = await self.tokens.access_token()
        try:
            return await self._post(path, token, json, form)
        except ZaloOAError as error:
            if error.code not in TOKEN_ERRORS:
                raise
            log.info("Zalo OA: the access token was refused (%s); refreshing it", error.code)
        token = await self.tokens.refresh(token)
        return await self._post(path, token, json, form)

    async def _post(
        self, path: str, token: str, json: dict[str, Any] | None, form: Any
    ) -> dict[str, Any]:
        async with self.session.post(
            self.api + path,
            json=json,
            data=form() if form is not None else None,
            headers={"access_token": token},
        ) as response:
            if response.status != 200:
                raise ZaloOAHTTPError(response.status)
            answer = await response.json(content_type=None)
        code = int(answer.get("error", 0) or 0)
        if code != 0:
            raise ZaloOAError(code, str(answer.get("message", "")))
        data = answer.get("data") or {}
        return data if isinstance(data, dict) else {}
