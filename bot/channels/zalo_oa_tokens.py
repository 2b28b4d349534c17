"""The Zalo OA access token, refreshed with a refresh token that works once.

Zalo's access token lasts about 25 hours; refreshing it spends the refresh
token (good for one use, about 3 months) and returns a new pair. The pair
lives in `channel_credentials`, and a refresh happens only with that row
locked (SELECT … FOR UPDATE; the writer on SQLite): a second worker waits,
then finds the fresh token the first one stored and spends nothing. The
environment's OCOP_ZALO_OA_REFRESH_TOKEN seeds the row on first start, and
replaces the stored chain only when the operator puts a different one there.

A refresh token Zalo refuses (revoked, expired, already spent) is marked in
the row; the admins get one message saying what to do, /readyz says the
channel is not ready, and nothing asks Zalo again until a new token is given
— no crash, no loop (docs/zalo.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import channel_health
from bot.core.channel_health import ChannelHealth
from bot.i18n import Catalogs
from storage import credentials, outbox
from storage.db import Database
from storage.models import ChannelCredential, User

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
MARGIN = dt.timedelta(minutes=5)  # a token this close to expiry is refreshed first
DEFAULT_LIFETIME = 90_000  # seconds (25 h) when Zalo's answer does not say
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class TokenUnavailable(Exception):
    """No access token can be had now (Zalo's OAuth server unreachable, or refused)."""


class RefreshRefused(TokenUnavailable):
    """Zalo refused the refresh token: an operator must give a new one."""


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class ZaloOATokens:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Callable[[], dt.datetime],
        catalogs: Catalogs,
        health: ChannelHealth | None = None,
        *,
        learnt: Callable[..., None] = lambda *_secrets: None,
    ) -> None:
        """`learnt` is told every token Zalo hands out, before it is stored: `run` masks
        them in the logs (bot.runtime.mask_more)."""
        self.db = db
        self.learnt = learnt
        self.settings = settings
        self.config = settings.zalo_oa
        self.clock = clock
        self.catalogs = catalogs
        self.health = health
        self._lock = asyncio.Lock()  # one refresh at a time in this process
        self._token: str | None = None
        self._expires = dt.datetime.min.replace(tzinfo=dt.UTC)
        self._session: aiohttp.ClientSession | None = None

    def __repr__(self) -> str:
        return "ZaloOATokens()"  # never the tokens

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # --- start -------------------------------------------------------------------

    async def bootstrap(self) -> bool:
        """Seeds the row from the environment on first start (or a new token there); False
        when the stored refresh token was refused and no new one is given."""
        given = self.config.refresh_token or ""
        async with self.db.transaction() as session:
            row = await credentials.locked(session, CHANNEL)
            if row is None:
                row = ChannelCredential(channel=CHANNEL)
                session.add(row)
            if given and row.bootstrap_sha256 != _sha256(given):
                row.refresh_token, row.bootstrap_sha256 = given, _sha256(given)
                row.access_token, row.access_expires_at, row.revoked_at = None, None, None
                row.updated_at = self.clock()
            refused = row.revoked_at is not None or not row.refresh_token
        if refused:
            self._not_ready()
        return not refused

    # --- tokens --------------------------------------------------------------------

    async def access_token(self) -> str:
        if self._token is not None and self._expires - MARGIN > self.clock():
            return self._token
        async with self.db.transaction() as session:
            row = await credentials.current(session, CHANNEL)
            if row is not None and self._usable(row):
                return self._keep(row)
        return await self.refresh(self._token or "")

    async def refresh(self, rejected: str) -> str:
        """A token other than `rejected`: the one another worker just stored, else a new one
        (the refresh token spent under the row lock)."""
        async with self._lock:
            refused: str | None = None
            async with self.db.transaction() as session:
                row = await credentials.locked(session, CHANNEL)
                if row is None or row.revoked_at is not None or not row.refresh_token:
                    self._not_ready()
                    raise RefreshRefused("no usable refresh token")
                if row.access_token != rejected and self._usable(row):
                    return self._keep(row)  # another worker refreshed it meanwhile
                answer = await self._ask_zalo(row.refresh_token)
                now = self.clock()
                if "access_token" in answer and "refresh_token" in answer:
                    lifetime = int(str(answer.get("expires_in") or DEFAULT_LIFETIME))
                    row.access_token = str(answer["access_token"])
                    row.refresh_token = str(answer["refresh_token"])
                    row.access_expires_at = now + dt.timedelta(seconds=lifetime)
                    row.updated_at = now
                    token = self._keep(row)
                    log.info("Zalo OA: access token refreshed, valid %d s", lifetime)
                else:
                    refused = str(answer.get("error_name") or answer.get("error") or "refused")
                    await self._refused(session, row, now)
            if refused is None:
                if self.health is not None:
                    self.health.ready(CHANNEL)
                return token
            log.error(
                "Zalo OA: the refresh token was refused (%s); set a new "
                "OCOP_ZALO_OA_REFRESH_TOKEN and restart",
                refused,
            )
            self._not_ready()
            raise RefreshRefused(refused)

    def _usable(self, row: ChannelCredential) -> bool:
        expires = row.access_expires_at
        if row.access_token is None or expires is None:
            return False
        if expires.tzinfo is None:  # SQLite hands back naive UTC
            expires = expires.replace(tzinfo=dt.UTC)
        return expires - MARGIN > self.clock()

    def _keep(self, row: ChannelCredential) -> str:
        assert row.access_token is not None and row.access_expires_at is not None
        expires = row.access_expires_at
        self.learnt(row.access_token, row.refresh_token or "")  # before a log line could quote them
        self._token = row.access_token
        self._expires = expires if expires.tzinfo else expires.replace(tzinfo=dt.UTC)
        return row.access_token

    def _not_ready(self) -> None:
        if self.health is not None:
            self.health.failed(CHANNEL, channel_health.TOKEN_REJECTED)

    async def _ask_zalo(self, refresh_token: str) -> dict[str, object]:
        """Zalo's OAuth answer: the new pair, or an error. Raises TokenUnavailable when no
        answer came (the refresh token may or may not have been spent)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=TIMEOUT)
        form = {
            "app_id": self.config.app_id or "",
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }
        url = self.config.oauth_url.rstrip("/") + "/v4/oa/access_token"
        try:
            async with self._session.post(
                url, data=form, headers={"secret_key": self.config.secret or ""}
            ) as response:
                if response.status >= 500:
                    raise TokenUnavailable(f"Zalo OAuth answered HTTP {response.status}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise TokenUnavailable(f"Zalo OAuth not reachable: {type(error).__name__}") from None
        return answer if isinstance(answer, dict) else {}

    async def _refused(
        self, session: AsyncSession, row: ChannelCredential, now: dt.datetime
    ) -> None:
        """Marks the row and queues one message to each admin (once per refused token)."""
        spent = _sha256(row.refresh_token or "")
        row.revoked_at, row.updated_at = now, now
        for admin in await self._admins(session):
            t = self.catalogs.translator(admin.language)
            await outbox.enqueue(
                session,
                admin,
                outbox.payload(t("zalo_oa.refresh_refused")),
                dedupe_key=f"zalo_oa:refused:{spent[:32]}:{admin.id}",
                not_before=now,
            )

    async def _admins(self, session: AsyncSession) -> list[User]:
        found = []
        for entry in self.settings.admins:
            channel, _, external = entry.rpartition(":")
            user = await session.scalar(
                select(User).where(
                    User.channel == (channel or "telegram"), User.external_id == external
                )
            )
            if user is not None:
                found.append(user)
        return found
