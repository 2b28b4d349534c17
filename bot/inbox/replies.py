"""Replies as the inbox row keeps them: JSON written in the update's transaction, read back
by whichever worker sends them.

Photos on disk are kept as their path; photos and documents made in memory as
base64 (a chart, a label, a stamp sheet: rare, and gone once sent).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from bot.core.types import Button, Reply

VERSION = 1


def _bytes(data: bytes) -> dict[str, str]:
    return {"b64": base64.b64encode(data).decode("ascii")}


def _unbytes(value: dict[str, str]) -> bytes:
    return base64.b64decode(value["b64"])


def dump(replies: list[Reply]) -> dict[str, Any]:
    """JSON for the inbox row. Documents must already be made (`make_document` run)."""
    items: list[dict[str, Any]] = []
    for reply in replies:
        if reply.make_document is not None:
            raise ValueError("make the document before queuing the reply")
        item: dict[str, Any] = {"text": reply.text}
        if reply.buttons:
            item["buttons"] = [[[b.label, b.action] for b in row] for row in reply.buttons]
            item["callback_data"] = reply.callback_data
        if isinstance(reply.photo, Path):
            item["photo_path"] = str(reply.photo)
        elif reply.photo is not None:
            item["photo"] = _bytes(reply.photo)
        if reply.document is not None:
            item["document"] = _bytes(reply.document)
            item["document_name"] = reply.document_name
        for key in ("request_contact", "request_location"):
            if getattr(reply, key):
                item[key] = getattr(reply, key)
        if reply.remove_keyboard:
            item["remove_keyboard"] = True
        items.append(item)
    return {"v": VERSION, "replies": items}


def load(stored: dict[str, Any]) -> list[Reply]:
    replies: list[Reply] = []
    for item in stored.get("replies", []):
        photo: bytes | Path | None = None
        if "photo_path" in item:
            photo = Path(item["photo_path"])
        elif "photo" in item:
            photo = _unbytes(item["photo"])
        replies.append(
            Reply(
                text=item["text"],
                buttons=[
                    [Button(label, action) for label, action in row]
                    for row in item.get("buttons", [])
                ],
                photo=photo,
                document=_unbytes(item["document"]) if "document" in item else None,
                document_name=item.get("document_name"),
                request_contact=item.get("request_contact"),
                request_location=item.get("request_location"),
                remove_keyboard=bool(item.get("remove_keyboard", False)),
                callback_data=item.get("callback_data", []),
            )
        )
    return replies
