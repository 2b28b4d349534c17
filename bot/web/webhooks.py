"""POST /webhook/<channel>: updates that Telegram or Zalo push to the bot.

A request is checked first (`WebhookChannel.authentic`): without the right
secret or signature it gets 403, is logged (without the secret) and
nothing is processed. An authentic update is handed to `Webhooks.receive`
and answered 200 at once, so slow work never makes the platform retry.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web

from bot.channels.webhook import Payload, WebhookChannel

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # an update is a few KB; a photo arrives as a file id or URL

# What happens to an authentic update: handled in this process, or stored in
# the inbox for the workers. It must return quickly.
Receive = Callable[[WebhookChannel, str, Payload], Awaitable[None]]


@dataclass
class Webhooks:
    """The channels this process takes webhooks for, by name, and where updates go."""

    receive: Receive
    channels: dict[str, WebhookChannel] = field(default_factory=dict)

    def add(self, channel: WebhookChannel) -> None:
        self.channels[channel.name] = channel


WEBHOOKS = web.AppKey("webhooks", Webhooks)


async def update(request: web.Request) -> web.Response:
    webhooks = request.app[WEBHOOKS]
    name = request.match_info["channel"]
    channel = webhooks.channels.get(name)
    if channel is None:
        raise web.HTTPNotFound()
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=request.content_length)
    body = await request.read()
    if not channel.authentic(request.headers, body):
        log.warning("webhook %s: refused a request without the right secret or signature", name)
        raise web.HTTPForbidden()
    try:
        payload = json.loads(body)
    except ValueError:
        log.warning("webhook %s: a body that is not JSON", name)
        raise web.HTTPBadRequest() from None
    if not isinstance(payload, Mapping):
        raise web.HTTPBadRequest()
    key = channel.update_key(payload)
    if key is None:
        log.info("webhook %s: ignored an update the bot does not take", name)
        return web.json_response({"ok": True})
    await webhooks.receive(channel, key, payload)
    return web.json_response({"ok": True})


def add_webhook_routes(app: web.Application, webhooks: Webhooks) -> None:
    app[WEBHOOKS] = webhooks
    app.router.add_post("/webhook/{channel}", update)
