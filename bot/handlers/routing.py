"""The shapes routing is declared in: routes with roles, shared by every handler module."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.core.context import Context
from bot.core.types import Reply
from storage.states.roles import Role

if TYPE_CHECKING:
    from bot.handlers.routes import Router

Handler = Callable[[Context, "Router", tuple[str, ...]], Awaitable[list[Reply]]]

ANYONE = "any"
OFFICER = Role.OFFICER  # officers and admins
ADMIN = Role.ADMIN


@dataclass(frozen=True)
class Route:
    """An action pattern, its handler, and who may trigger it (checked on the server)."""

    pattern: str
    handler: Handler
    role: str = ANYONE
    regex: re.Pattern[str] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))


def allowed(user_role: str, required: str) -> bool:
    if required == ANYONE:
        return True
    if required == OFFICER:
        return user_role in (OFFICER, ADMIN)
    return user_role == ADMIN
