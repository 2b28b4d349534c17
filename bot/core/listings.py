"""What a marketplace listing may hold: its status, URL and reason.

Pure rules shared by the chat flow and the CSV upload, so both accept
and refuse exactly the same things.
"""

from __future__ import annotations

import re

from bot.core.errors import Invalid
from bot.core.ocop import LISTING_STATUSES, ListingStatus
from bot.core.text import clean, fold

MAX_URL = 500
MAX_REASON = 500
MIN_REASON = 3

# Statuses as officers may write them in a spreadsheet: the ids, and the
# words of the glossary in Vietnamese (with or without accents) and English.
_STATUS_WORDS: dict[str, ListingStatus] = {
    "not started": ListingStatus.NOT_STARTED,
    "chua bat dau": ListingStatus.NOT_STARTED,
    "preparing": ListingStatus.PREPARING,
    "dang chuan bi": ListingStatus.PREPARING,
    "submitted": ListingStatus.SUBMITTED,
    "da gui duyet": ListingStatus.SUBMITTED,
    "live": ListingStatus.LIVE,
    "dang ban": ListingStatus.LIVE,
    "rejected": ListingStatus.REJECTED,
    "bi tu choi": ListingStatus.REJECTED,
    "paused": ListingStatus.PAUSED,
    "tam dung": ListingStatus.PAUSED,
}
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*\.[^\s]*$", re.IGNORECASE)


def listing_status(raw: str) -> ListingStatus | None:
    """A status id from an id or a glossary word ("Đang bán" → "live"); None if unknown."""
    folded = fold(raw).replace("_", " ").replace("-", " ")
    folded = re.sub(r"\s+", " ", folded).strip()
    if folded.replace(" ", "_") in LISTING_STATUSES:
        return ListingStatus(folded.replace(" ", "_"))
    return _STATUS_WORDS.get(folded)


def listing_url(raw: str) -> str:
    """A product page address on a marketplace: http(s), no spaces, at most 500 characters."""
    value = clean(raw)
    if not value:
        raise Invalid("invalid.empty")
    if len(value) > MAX_URL:
        raise Invalid("invalid.too_long", max=MAX_URL, length=len(value))
    if not _URL.match(value):
        raise Invalid("listings.bad_url")
    return value


def needs_reason(status: ListingStatus) -> bool:
    """A rejection needs its reason, so the producer knows what to fix."""
    return status == ListingStatus.REJECTED


def needs_url(status: ListingStatus) -> bool:
    """Statuses for which a product page may exist (asked, never required)."""
    return status in (
        ListingStatus.SUBMITTED,
        ListingStatus.LIVE,
        ListingStatus.PAUSED,
        ListingStatus.REJECTED,
    )
