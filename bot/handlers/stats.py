"""Officer handlers: stats (routes, commands and flows joined in routes.py)."""

from __future__ import annotations

from bot.config import Settings
from bot.flows.engine import Flow
from bot.handlers.routing import Route

ROUTES: list[Route] = []
COMMANDS: dict[str, str] = {}  # typed command → action (the route's role is checked)


def flows(settings: Settings) -> list[Flow]:
    return []
