"""What a handler gets for one update: the user, the conversation, the session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core.types import Capabilities, Incoming, Reply
from bot.i18n import Catalogs, Translator
from storage.db import Unit
from storage.models import Conversation, User

if TYPE_CHECKING:
    from bot.core.media import MediaStore


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class App:
    """Long-lived services shared by every update."""

    settings: Settings
    catalogs: Catalogs
    media: MediaStore
    clock: Callable[[], dt.datetime] = utc_now


@dataclass
class Context:
    """One update being handled, inside one database transaction."""

    app: App
    unit: Unit  # the update's unit of work; `session` opens its ORM session on first use
    incoming: Incoming
    caps: Capabilities
    user: User
    conversation: Conversation
    t: Translator
    action: str | None = None  # the pressed button's action, already checked as current
    notes: list[str] = field(default_factory=list)  # for logs
    # Resolves an action to its screen (set by the router; see bot/core/intents.py).
    navigate: Callable[[Context, str], Awaitable[list[Reply]]] | None = None

    @property
    def session(self) -> AsyncSession:
        return self.unit.session

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def now(self) -> dt.datetime:
        return self.app.clock()

    def today(self) -> dt.date:
        """Today's date in Vietnam, where the users are."""
        return self.now().astimezone(self.t.tz).date()
