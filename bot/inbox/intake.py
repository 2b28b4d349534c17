"""Webhook updates into the inbox: stored at once (a redelivery changes nothing), so the
platform gets its 200 before any slow work; the workers do the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.channels.webhook import Payload, WebhookChannel
from storage import inbox
from storage.db import Database

log = logging.getLogger(__name__)


class Intake:
    """`Webhooks.receive` in webhook mode (bot/web/webhooks.py)."""

    def __init__(self, db: Database, on_stored: Callable[[], None] | None = None) -> None:
        self.db = db
        self.on_stored = on_stored  # wakes a worker in this process, if there is one

    async def receive(self, channel: WebhookChannel, key: str, payload: Payload) -> None:
        incoming = channel.to_incoming(payload)
        if incoming is None:
            return  # nothing the bot handles (a bot's own message, an unknown kind)
        async with self.db.transaction() as session:
            stored = await inbox.store(session, channel.name, key, incoming.chat_id, dict(payload))
        if not stored:
            log.info("webhook %s: update %s delivered again; already stored", channel.name, key)
        elif self.on_stored is not None:
            self.on_stored()
