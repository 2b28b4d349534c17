"""Photos and files sent with a message, kept by content hash until they are sent.

Photos go to the MediaStore (checked, cleaned of metadata, one copy per
hash, like product photos). Other files (a PDF of a training plan, a spreadsheet) are kept
byte for byte under `<media dir>/files/`, because the MediaStore takes
images only.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path, PurePath

from bot.core.errors import Invalid
from bot.core.images import Picture
from bot.core.media import EXTENSIONS, MediaStore
from bot.outbox.sender import Attachment
from storage.files import atomic_write
from storage.models import Broadcast

# Files an officer may attach: documents and spreadsheets, not programs.
DOCUMENT_TYPES = (
    ".pdf",
    ".doc",
    ".docx",
    ".xls",
    ".xlsx",
    ".ppt",
    ".pptx",
    ".odt",
    ".ods",
    ".txt",
    ".csv",
    ".jpg",
    ".jpeg",
    ".png",
)


class AttachmentStore:
    def __init__(self, media: MediaStore) -> None:
        self.media = media
        self.files = media.root / "files"

    async def store_photo(self, photo: Picture | bytes) -> Attachment:
        """Raises Invalid for anything but a photo that fits the media limits; bytes (not
        decoded by the dispatcher) are decoded here, in a worker thread."""
        if isinstance(photo, bytes):
            info = await self.media.store_async(photo)
        else:
            info = await self.media.keep_async(photo)
        return Attachment("photo", info.sha256, info.mime)

    async def store_document(self, data: bytes, name: str | None, mime: str | None) -> Attachment:
        file_name = PurePath(name or "tep").name[:200]
        if not file_name.lower().endswith(DOCUMENT_TYPES):
            raise Invalid("broadcast.file_type", types=", ".join(DOCUMENT_TYPES))
        sha256 = hashlib.sha256(data).hexdigest()
        target = self._file_path(sha256)
        if not target.exists():
            await asyncio.to_thread(atomic_write, target, data)
        return Attachment("document", sha256, mime or "application/octet-stream", file_name)

    def path(self, attachment: Attachment) -> Path:
        if attachment.kind != "photo":
            return self._file_path(attachment.sha256)
        if attachment.mime in EXTENSIONS:
            return self.media.path(attachment.sha256, attachment.mime)
        for mime in EXTENSIONS:  # stored without its type: the file's extension tells
            candidate = self.media.path(attachment.sha256, mime)
            if candidate.exists():
                return candidate
        raise FileNotFoundError(f"photo {attachment.sha256} is not in the media store")

    async def read(self, attachment: Attachment) -> bytes:
        return await asyncio.to_thread(self.path(attachment).read_bytes)

    def _file_path(self, sha256: str) -> Path:
        return self.files / sha256[:2] / sha256


def of_broadcast(broadcast: Broadcast) -> Attachment | None:
    """A broadcast's attachment (its mime type is not stored: the store finds the photo)."""
    if broadcast.attachment_sha256 is None or broadcast.attachment_kind is None:
        return None
    return Attachment(
        broadcast.attachment_kind, broadcast.attachment_sha256, "", broadcast.attachment_name
    )
