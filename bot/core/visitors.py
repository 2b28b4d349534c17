"""The same person checking a stamp again within minutes, recognised without knowing who.

"Who" is a random id the stamp page gives a browser in a cookie that
expires after REPEAT_WINDOW, or the chat user's id (the bot has it
anyway). Neither is stored: a scan keeps only an HMAC-SHA256 of it, keyed
with a server secret (OCOP_CHECK_SECRET, or one drawn per process) and
mixed with the stamp and a time bucket of REPEAT_WINDOW. So a stored key
names no one, cannot be matched across stamps or across windows, and is
erased (storage.stamps.record_scan) once the window has passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

REPEAT_WINDOW = dt.timedelta(minutes=10)
KEY_LENGTH = 32  # hex characters kept of the HMAC: 128 bits
# Without OCOP_CHECK_SECRET each process draws its own: repeats are then
# recognised within one process only (a restart or another worker counts again).
_PROCESS_SECRET = secrets.token_bytes(32)


@dataclass(frozen=True)
class VisitorKeys:
    """The key stored with a check, and the keys a check by the same person may carry."""

    current: str
    recent: tuple[str, ...]  # this bucket's and the previous one's: a window spans two


def visitor_keys(secret: str | None, who: str, stamp_id: int, now: dt.datetime) -> VisitorKeys:
    """Keys for `who` (e.g. "web:<cookie id>", "telegram:<user id>") checking stamp `stamp_id`."""
    key = secret.encode() if secret else _PROCESS_SECRET
    bucket = int(now.timestamp() // REPEAT_WINDOW.total_seconds())

    def digest(of_bucket: int) -> str:
        message = f"{stamp_id}|{of_bucket}|{who}".encode()
        return hmac.new(key, message, hashlib.sha256).hexdigest()[:KEY_LENGTH]

    current = digest(bucket)
    return VisitorKeys(current, (current, digest(bucket - 1)))
