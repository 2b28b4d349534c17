"""What the worker asks of a channel: send one message, edit one, and say how it went."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

# Rows of (label, callback data); the data is "n:<outbox id>:<index>".
Buttons = list[list[tuple[str, str]]]

SENT = "sent"
BLOCKED = "blocked"  # the user blocked the bot (or never started it)
RETRY_AFTER = "retry_after"  # flood control: wait `seconds`, everything pauses
RETRY = "retry"  # not delivered, for a passing reason (no connection): try again later
FAILED = "failed"  # refused for good (bad request, unknown chat)
UNKNOWN = "unknown"  # the request may have reached the API: never repeated
OUT_WINDOW = "out_window"  # the platform's reply window is closed (Zalo OA): not sent, not retried


@dataclass(frozen=True)
class Attachment:
    """A photo or file kept by content hash (see bot/outbox/attachments.py)."""

    kind: str  # "photo" | "document"
    sha256: str
    mime: str
    name: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"kind": self.kind, "sha256": self.sha256, "mime": self.mime, "name": self.name}

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> Attachment:
        return cls(str(data["kind"]), str(data["sha256"]), str(data["mime"]), data.get("name"))


@dataclass(frozen=True)
class Outgoing:
    """One message as the channel should render it (a caption when there is an attachment)."""

    text: str
    buttons: Buttons = field(default_factory=list)
    attachment: Attachment | None = None


@dataclass(frozen=True)
class Outcome:
    kind: str
    message_id: str | None = None  # SENT: the channel's id, for later edits
    seconds: float = 0.0  # RETRY_AFTER: how long the API asked to wait
    error: str = ""

    @classmethod
    def sent(cls, message_id: str | None) -> Outcome:
        return cls(SENT, message_id=message_id)

    @classmethod
    def blocked(cls, error: str = "") -> Outcome:
        return cls(BLOCKED, error=error)

    @classmethod
    def retry_after(cls, seconds: float) -> Outcome:
        return cls(RETRY_AFTER, seconds=seconds, error=f"retry after {seconds:g} s")

    @classmethod
    def retry(cls, error: str) -> Outcome:
        return cls(RETRY, error=error)

    @classmethod
    def failed(cls, error: str) -> Outcome:
        return cls(FAILED, error=error)

    @classmethod
    def out_window(cls, error: str = "outside the reply window") -> Outcome:
        return cls(OUT_WINDOW, error=error)

    @classmethod
    def unknown(cls, error: str) -> Outcome:
        return cls(UNKNOWN, error=error)


class Sender(Protocol):
    """A channel's delivery: never raises for an API answer, maps it to an `Outcome`."""

    @property
    def channel(self) -> str: ...

    async def send(self, chat_id: str, message: Outgoing) -> Outcome: ...

    async def edit(self, chat_id: str, message_id: str, text: str, buttons: Buttons) -> Outcome:
        """Replaces a sent message's text and buttons (no buttons: the keyboard goes)."""
        ...
