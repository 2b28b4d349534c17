"""A loopback fake of the Zalo Official Account API v3 and its OAuth v4 server.

It behaves as the documented platform does, errors included (docs/zalo.md):

* OAuth: POST /v4/oa/access_token with app_id, grant_type=refresh_token and
  the secret_key header returns a new access token and a new refresh token;
  the refresh token is good once: spending it again gets -14014.
* POST /v3.0/oa/message/cs with a known access token sends a consultation
  message; an unknown or expired token gets -216. The reply window: only
  within `window_hours` of the user's last event, at most `cap` messages
  (-230 after the window, -232 beyond the cap). Texts over 2,000 characters,
  more than 5 buttons or a button title over 100 characters get -201.
* POST /v2.0/oa/upload/image (JPG/PNG ≤ 1 MB) and /upload/file (PDF, DOC,
  DOCX ≤ 5 MB) return an attachment id or a file token.
* `event(...)` makes a signed webhook event (X-ZEvent-Signature) as Zalo
  would POST it, and opens that user's window; `photo_url` hosts a photo a
  user "sends".

Everything sent is kept in `sent`, in order, for tests to read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import itertools
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.channels.zalo_oa_signature import HEADER, signature

INVALID_TOKEN = -216
INVALID_REFRESH = -14014
BAD_PARAMETER = -201
OUT_OF_WINDOW = -230
OVER_CAP = -232
MAX_TEXT = 2000
MAX_BUTTONS = 5
MAX_TITLE = 100


@dataclass
class Sent:
    user_id: str
    message: dict[str, Any]

    @property
    def text(self) -> str:
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        payload = self.message.get("attachment", {}).get("payload", {})
        return list(payload.get("buttons", []))

    @property
    def image(self) -> bytes | None:
        elements = self.message.get("attachment", {}).get("payload", {}).get("elements", [])
        return elements[0].get("content") if elements else None


@dataclass
class FakeZaloOA:
    app_id: str = "4291763606161179100"
    app_secret: str = "fake-app-secret"
    oa_secret: str = "fake-oa-secret"
    refresh_token: str = "refresh-0"
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    window_hours: float = 48.0
    cap: int = 8
    lifetime: int = 90_000
    sent: list[Sent] = field(default_factory=list)
    refused: list[tuple[str, int]] = field(default_factory=list)  # (user, error) not sent
    refreshes: int = 0  # refresh tokens spent
    refresh_errors: int = 0
    refresh_delay: float = 0.0  # seconds the OAuth server takes (to widen races)
    url: str = ""

    def __post_init__(self) -> None:
        self._refresh = {self.refresh_token}
        self._access: set[str] = set()
        self._issued: list[str] = []
        self._arrived = asyncio.Event()
        self._windows: dict[str, tuple[dt.datetime, int]] = {}
        self._uploads: dict[str, bytes] = {}
        self._files: dict[str, bytes] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None

    # --- running ----------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v2.0/oa/upload/image", self._upload_image)
        app.router.add_post("/v2.0/oa/upload/file", self._upload_file)
        app.router.add_get("/files/{name}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]  # the port the OS chose for port 0
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests do -------------------------------------------------------------

    def event(
        self,
        event_name: str,
        user_id: str,
        *,
        text: str | None = None,
        attachment: dict[str, Any] | None = None,
        at: dt.datetime | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook event as Zalo POSTs it: body and headers, signed (with `secret`, a
        forger's, if given). A user's event opens their window."""
        when = at or self.clock()
        timestamp = str(int(when.timestamp() * 1000))
        payload: dict[str, Any] = {
            "app_id": self.app_id,
            "user_id_by_app": "app-" + user_id,
            "event_name": event_name,
            "timestamp": timestamp,
        }
        if event_name in ("follow", "unfollow"):
            payload.update(oa_id="oa-1", follower={"id": user_id}, source="testing")
        else:
            message: dict[str, Any] = {"msg_id": secrets.token_hex(16)}
            if text is not None:
                message["text"] = text
            if attachment is not None:
                message["attachments"] = [attachment]
            payload.update(sender={"id": user_id}, recipient={"id": "oa-1"}, message=message)
        if event_name != "unfollow":
            self._windows[user_id] = (when, 0)
        body = json.dumps(payload, ensure_ascii=False).encode()
        mac = signature(self.app_id, body, timestamp, secret or self.oa_secret)
        return body, {HEADER: mac, "Content-Type": "application/json"}

    def photo_url(self, content: bytes) -> str:
        name = hashlib.sha256(content).hexdigest()[:16] + ".jpg"
        self._files[name] = content
        return f"{self.url}/files/{name}"

    def expire_access_tokens(self) -> None:
        """Every access token stops working (as after ~25 hours)."""
        self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        self._refresh.clear()

    def set_window(self, user_id: str, inbound_at: dt.datetime, used: int = 0) -> None:
        self._windows[user_id] = (inbound_at, used)

    async def wait_for(self, user_id: str) -> list[Sent]:
        """What `user_id` has been sent, once there is something (wrap it in a timeout)."""
        while not self.to(user_id):
            self._arrived.clear()
            await self._arrived.wait()
        return self.to(user_id)

    def issued(self) -> list[str]:
        """Every token handed out so far (access and refresh)."""
        return [*self._issued]

    def to(self, user_id: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.user_id == user_id]

    # --- OAuth ----------------------------------------------------------------------

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if (
            request.headers.get("secret_key") != self.app_secret
            or form.get("app_id") != self.app_id
        ):
            self.refresh_errors += 1
            return web.json_response({"error": -14002, "error_name": "Invalid app secret"})
        token = str(form.get("refresh_token", ""))
        if form.get("grant_type") != "refresh_token" or token not in self._refresh:
            self.refresh_errors += 1
            return web.json_response(
                {
                    "error": INVALID_REFRESH,
                    "error_name": "Invalid refresh token",
                    "error_description": "refresh token is invalid or used",
                }
            )
        self._refresh.discard(token)
        self.refreshes += 1
        access, refresh = f"access-{secrets.token_hex(8)}", f"refresh-{secrets.token_hex(8)}"
        self._access.add(access)
        self._refresh.add(refresh)
        self._issued += [access, refresh]
        return web.json_response(
            {"access_token": access, "refresh_token": refresh, "expires_in": str(self.lifetime)}
        )

    # --- the OA API ------------------------------------------------------------------

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("access_token", "") in self._access

    @staticmethod
    def _error(code: int, message: str) -> web.Response:
        return web.json_response({"error": code, "message": message})

    async def _cs(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return self._error(INVALID_TOKEN, "Access token is invalid")
        body = await request.json()
        user = str(body.get("recipient", {}).get("user_id", ""))
        message = body.get("message", {})
        problem = self._invalid(message)
        if problem:
            self.refused.append((user, BAD_PARAMETER))
            return self._error(BAD_PARAMETER, problem)
        inbound, used = self._windows.get(user, (None, 0))
        if inbound is None or self.clock() - inbound > dt.timedelta(hours=self.window_hours):
            self.refused.append((user, OUT_OF_WINDOW))
            return self._error(OUT_OF_WINDOW, "User has not interacted with the OA lately")
        if used >= self.cap:
            self.refused.append((user, OVER_CAP))
            return self._error(OVER_CAP, "Reply quota of this interaction is used up")
        self._windows[user] = (inbound, used + 1)
        elements = message.get("attachment", {}).get("payload", {}).get("elements", [])
        for element in elements:  # keep the image itself, for tests to look at
            element["content"] = self._uploads.get(element.get("attachment_id", ""))
        self.sent.append(Sent(user, message))
        self._arrived.set()
        return web.json_response(
            {"error": 0, "message": "Success", "data": {"message_id": f"m{next(self._ids)}"}}
        )

    @staticmethod
    def _invalid(message: dict[str, Any]) -> str:
        text = message.get("text")
        if text is not None and (not isinstance(text, str) or len(text) > MAX_TEXT):
            return "text is too long"
        buttons = message.get("attachment", {}).get("payload", {}).get("buttons", [])
        if len(buttons) > MAX_BUTTONS:
            return "too many buttons"
        if any(len(str(button.get("title", ""))) > MAX_TITLE for button in buttons):
            return "button title is too long"
        if text is None and "attachment" not in message:
            return "empty message"
        return ""

    async def _upload(self, request: web.Request, kinds: tuple[str, ...], limit: int) -> Any:
        if not self._authorised(request):
            return self._error(INVALID_TOKEN, "Access token is invalid")
        form = await request.post()
        file = form.get("file")
        if not isinstance(file, web.FileField):
            return self._error(BAD_PARAMETER, "no file")
        content = file.file.read()
        if file.content_type not in kinds or len(content) > limit:
            return self._error(BAD_PARAMETER, "file type or size not supported")
        key = secrets.token_hex(12)
        self._uploads[key] = content
        return key

    async def _upload_image(self, request: web.Request) -> web.Response:
        key = await self._upload(request, ("image/jpeg", "image/png"), 1024 * 1024)
        if isinstance(key, web.Response):
            return key
        return web.json_response({"error": 0, "data": {"attachment_id": key}})

    async def _upload_file(self, request: web.Request) -> web.Response:
        kinds = (
            "application/pdf",
            "application/msword",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        key = await self._upload(request, kinds, 5 * 1024 * 1024)
        if isinstance(key, web.Response):
            return key
        return web.json_response({"error": 0, "data": {"token": key}})

    async def _file(self, request: web.Request) -> web.Response:
        content = self._files.get(request.match_info["name"])
        if content is None:
            raise web.HTTPNotFound()
        return web.Response(body=content, content_type="image/jpeg")
