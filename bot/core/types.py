"""What flows between a channel and the core: updates in, replies out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.images import Picture

# A button on an outbox notice carries "n:<outbox id>:<index>" instead of a
# screen token: the outbox worker writes it, the dispatcher reads it.
NOTICE_PREFIX = "n:"


def menu_line(number: int, label: str) -> str:
    """An entry of a numbered menu, on channels without buttons: the user types the number."""
    return f"{number}. {label}"


@dataclass(frozen=True)
class FileRef:
    """A file the user sent, as the channel knows it (not yet downloaded)."""

    file_id: str
    size: int | None = None
    mime: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class Contact:
    phone: str
    user_id: str | None = None  # whose contact it is, when the channel knows


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass
class Incoming:
    """One update from one user in one chat, whatever the channel."""

    channel: str
    chat_id: str
    user_id: str
    user_name: str = ""
    language: str | None = None  # the client's language, a hint for first contact
    text: str | None = None
    callback: str | None = None  # raw callback data of a pressed button
    photo: FileRef | None = None
    document: FileRef | None = None
    contact: Contact | None = None
    location: Location | None = None
    file_bytes: bytes | None = None  # filled by the dispatcher before handling
    picture: Picture | None = None  # the attachment as a photo, decoded before handling

    @property
    def command(self) -> tuple[str, str] | None:
        """("start", "p_ABC") for "/start p_ABC"; None when the text is no command."""
        if not self.text or not self.text.startswith("/") or len(self.text) < 2:
            return None
        head, _, args = self.text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()  # "/help@ocop_bot" in groups
        if not name.replace("_", "").isalnum():
            return None
        return name, args.strip()


@dataclass(frozen=True)
class Button:
    """A button: its label and the action it triggers (never sent to the channel)."""

    label: str
    action: str


@dataclass
class Reply:
    """One message to send. Channels render it; the core never formats markup."""

    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: bytes | Path | None = None
    document: bytes | None = None
    document_name: str | None = None
    # Heavy files (a PDF of 10,000 stamps) are made after the transaction
    # commits, in a thread, so no database lock waits on them.
    make_document: Callable[[], bytes] | None = None
    request_contact: str | None = None  # label of a "share my phone" key
    request_location: str | None = None  # label of a "share my location" key
    remove_keyboard: bool = False  # take away a share-contact/location key shown before
    # Filled by the dispatcher: callback data per button, in the same shape.
    callback_data: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Capabilities:
    """What a channel can show; the core adapts (numbered menus where no buttons)."""

    inline_buttons: bool
    contact_request: bool
    location_request: bool
    file_upload: bool
    max_text: int
    max_caption: int = 1024
    # Buttons one message may carry, and characters of a label (None: no limit);
    # a message beyond either gets a numbered menu instead (Zalo OA).
    max_buttons: int | None = None
    max_button_label: int | None = None

    def fits_buttons(self, buttons: list[list[Button]]) -> bool:
        """Whether these buttons show as buttons here (else: a numbered menu)."""
        if not self.inline_buttons:
            return False
        flat = [button for row in buttons for button in row]
        if self.max_buttons is not None and len(flat) > self.max_buttons:
            return False
        label = self.max_button_label
        return label is None or all(len(button.label) <= label for button in flat)
