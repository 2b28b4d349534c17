"""Replies as Zalo OA consultation messages: text pieces, buttons, images, files.

Buttons are `oa.query.hide` buttons: a tap sends the OA a text event whose
text is the button's payload (hidden from the chat), so the payload is the
core's callback data behind a prefix no one types by chance. A typed copy
of it is only as good as a crafted Telegram callback: the dispatcher checks
its token (stale or current) and its index.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image

from bot.channels.text_split import split_text

BUTTON_PREFIX = "#ocop:"  # payload = prefix + "<token>:<index>" or "n:<outbox id>:<index>"
MAX_IMAGE_BYTES = 1024 * 1024  # Zalo's upload limit for an image
MAX_FILE_BYTES = 5 * 1024 * 1024  # and for a file
FILE_TYPES = {  # what the file upload takes
    "application/pdf": ".pdf",
    "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
}

ButtonRows = list[list[tuple[str, str]]]  # (label, callback data)


def callback_of(text: str) -> str | None:
    """The callback data a button's payload carries; None for typed text."""
    return text.removeprefix(BUTTON_PREFIX) if text.startswith(BUTTON_PREFIX) else None


def text_messages(text: str, buttons: ButtonRows, limit: int) -> list[dict[str, Any]]:
    """One message per piece of the text; the buttons go under the last."""
    pieces = split_text(text, limit) or ([" "] if buttons else [])
    messages: list[dict[str, Any]] = [{"text": piece} for piece in pieces]
    flat = [(label, data) for row in buttons for label, data in row]
    if flat and messages:
        messages[-1]["attachment"] = {
            "type": "template",
            "payload": {
                "buttons": [
                    {"type": "oa.query.hide", "title": label, "payload": BUTTON_PREFIX + data}
                    for label, data in flat
                ]
            },
        }
    return messages


def image_message(attachment_id: str) -> dict[str, Any]:
    return {
        "attachment": {
            "type": "template",
            "payload": {
                "template_type": "media",
                "elements": [{"media_type": "image", "attachment_id": attachment_id}],
            },
        }
    }


def file_message(token: str) -> dict[str, Any]:
    return {"attachment": {"type": "file", "payload": {"token": token}}}


@dataclass(frozen=True)
class Upload:
    content: bytes
    name: str
    mime: str


def fit_image(content: bytes) -> Upload:
    """The photo as Zalo takes it: PNG or JPEG, at most 1 MB (re-encoded smaller if not)."""
    with Image.open(io.BytesIO(content)) as image:
        kind = (image.format or "").upper()
        if kind in ("PNG", "JPEG") and len(content) <= MAX_IMAGE_BYTES:
            mime = "image/png" if kind == "PNG" else "image/jpeg"
            return Upload(content, "photo.png" if kind == "PNG" else "photo.jpg", mime)
        picture = image.convert("RGB")
    quality, side = 85, max(picture.size)
    while True:
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=quality)
        if buffer.tell() <= MAX_IMAGE_BYTES or side < 400:
            return Upload(buffer.getvalue(), "photo.jpg", "image/jpeg")
        side = int(side * 0.75)
        picture.thumbnail((side, side))
        quality = max(60, quality - 10)


def file_upload(content: bytes, name: str | None, mime: str | None) -> Upload | None:
    """A document Zalo's file upload takes (PDF, DOC, DOCX up to 5 MB); None otherwise."""
    if mime not in FILE_TYPES or len(content) > MAX_FILE_BYTES:
        return None
    return Upload(content, name or "file" + FILE_TYPES[mime], mime)
