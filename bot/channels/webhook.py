"""What a channel that the platform calls by webhook provides to the web app.

Telegram (in webhook mode), the Zalo Bot Platform and Zalo Official
Accounts all POST one update per request to `/webhook/<name>`. The route
(bot/web/webhooks.py) checks the request with `authentic`, asks
`update_key` for the update's unique id (a redelivery has the same one),
and hands the parsed payload on; `to_incoming` turns it into the core's
`Incoming` where it is handled, and `deliver` sends the replies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Protocol

from bot.core.dispatcher import Dispatcher
from bot.core.types import Capabilities, Incoming, Reply

Payload = Mapping[str, Any]


class WebhookChannel(Protocol):
    @property
    def name(self) -> str:
        """Incoming.channel of its updates, and the last segment of its webhook URL."""
        ...

    @property
    def capabilities(self) -> Capabilities: ...

    def authentic(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether the request comes from the platform (secret header or signature).

        Must compare in constant time and never log the secret."""
        ...

    def update_key(self, payload: Payload) -> str | None:
        """The update's unique id on this channel; None for an update the bot ignores."""
        ...

    def to_incoming(self, payload: Payload) -> Incoming | None:
        """The parts of the update the core understands; None for the rest."""
        ...

    async def fetch(self, file_id: str) -> bytes:
        """The bytes of a file the user sent (FileRef.file_id)."""
        ...

    async def deliver(self, incoming: Incoming, replies: list[Reply]) -> None:
        """Sends the replies to the chat `incoming` came from, in order."""
        ...

    async def register_webhook(self, url: str) -> None:
        """Tells the platform to POST updates to `url` (with the secret, where it has one)."""
        ...


class InProcess:
    """Handles each webhook update in this process, in the background (one process, no
    inbox): the request is answered at once; the dispatcher keeps each chat in order.

    Redeliveries are not recognised here; the inbox (several workers) does that.
    """

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.tasks: set[asyncio.Task[None]] = set()

    async def receive(self, channel: WebhookChannel, key: str, payload: Payload) -> None:
        incoming = channel.to_incoming(payload)
        if incoming is None:
            return
        task = asyncio.create_task(self._handle(channel, incoming), name=f"webhook-{key}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _handle(self, channel: WebhookChannel, incoming: Incoming) -> None:
        async def send(replies: list[Reply]) -> None:
            await channel.deliver(incoming, replies)

        await self.dispatcher.handle(incoming, channel.capabilities, channel.fetch, send)

    async def drain(self) -> None:
        """Waits for the updates in hand (at shutdown)."""
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
