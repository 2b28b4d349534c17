"""The shapes routing is declared in: a route binds a handler to an intent.

The intent (`bot/core/intents.py`) is the action's one declaration: its
pattern, the role it needs, and the builder screens use for their buttons.
The roles are re-exported here for the handler modules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.intents import ADMIN, ANYONE, OFFICER, Intent, allowed
from bot.core.types import Reply

if TYPE_CHECKING:
    from bot.handlers.routes import Router

__all__ = ["ADMIN", "ANYONE", "OFFICER", "Handler", "Route", "allowed"]

Handler = Callable[[Context, "Router", tuple[str, ...]], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Route:
    """An intent and the handler that answers it."""

    intent: Intent
    handler: Handler

    @property
    def role(self) -> str:
        return self.intent.role

    def action(self, *args: object) -> str:
        return self.intent.action(*args)
