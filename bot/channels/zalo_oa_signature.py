"""X-ZEvent-Signature: how a Zalo Official Account webhook event proves where it comes from.

Zalo signs each event with mac = sha256(app_id + body + timestamp + OA secret
key), hex, sent as "mac=<hex>"; app_id and timestamp (milliseconds) are the
event's own fields. An event whose timestamp is more than `max_age` seconds
away from our clock is refused too, so a captured request cannot be played
again later (docs/zalo.md).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

HEADER = "X-ZEvent-Signature"


def signature(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    digest = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode())
    return "mac=" + digest.hexdigest()


def event_time(body: bytes) -> tuple[str, str] | None:
    """The event's (app_id, timestamp) fields, as signed; None if the body has none."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, Mapping):
        return None
    app_id, timestamp = payload.get("app_id"), payload.get("timestamp")
    if not isinstance(app_id, str | int) or not isinstance(timestamp, str | int):
        return None
    return str(app_id), str(timestamp)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    *,
    app_id: str,
    secret: str,
    now: float,
    max_age: float,
) -> bool:
    """Signed by our OA's secret, for our app, and recent: compared in constant time."""
    given = headers.get(HEADER, "")
    fields = event_time(body)
    if not given or fields is None:
        return False
    event_app, timestamp = fields
    expected = signature(event_app, body, timestamp, secret)
    signed = hmac.compare_digest(given.encode(), expected.encode())
    if not signed or not hmac.compare_digest(event_app.encode(), app_id.encode()):
        return False
    try:
        sent = int(timestamp) / 1000
    except ValueError:
        return False
    return abs(now - sent) <= max_age
