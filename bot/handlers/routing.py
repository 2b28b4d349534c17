"""The shapes routing is declared in: routes, and the feature each handler module declares.

A `Route` binds a handler to an intent (`bot/core/intents.py`: the action's
pattern, the role it needs, and the builder screens use for their buttons)
and names the typed commands that stand for it. A handler module declares
one `Feature`: its routes, the flows they start and any collector steps;
bot/handlers/routes.py builds ROUTES, COMMANDS and the router's flows from
the features, so adding a flow or a command is one declaration in its
module. The roles are re-exported here for the handler modules.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.core.context import Context
from bot.core.intents import ADMIN, ANYONE, OFFICER, Intent, allowed
from bot.core.types import Reply
from bot.flows.collector import Collector
from bot.flows.engine import Flow

if TYPE_CHECKING:
    from bot.handlers.routes import Router

__all__ = ["ADMIN", "ANYONE", "OFFICER", "Feature", "Handler", "Route", "allowed"]

Handler = Callable[[Context, "Router", tuple[str, ...]], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class Route:
    """An intent and the handler that answers it."""

    intent: Intent
    handler: Handler
    commands: tuple[str, ...] = ()  # typed commands that stand for this action (no arguments)

    def __post_init__(self) -> None:
        if self.commands:
            self.intent.action()  # raises unless the action needs no arguments

    @property
    def role(self) -> str:
        return self.intent.role

    def action(self, *args: object) -> str:
        return self.intent.action(*args)


@dataclass(frozen=True)
class Feature:
    """What one handler module adds to the router; routes.py joins the features in order."""

    routes: tuple[Route, ...]
    flows: tuple[Flow | Callable[[Settings], Flow], ...] = ()  # a flow, or built from settings
    collectors: tuple[Collector, ...] = ()  # steps outside the flow engine (photos, files)
    parts: tuple[Feature, ...] = field(default=())  # features joined under one module

    def all_routes(self) -> list[Route]:
        return [*self.routes, *(route for part in self.parts for route in part.all_routes())]

    def all_flows(self, settings: Settings) -> list[Flow]:
        own = [flow if isinstance(flow, Flow) else flow(settings) for flow in self.flows]
        return [*own, *(flow for part in self.parts for flow in part.all_flows(settings))]

    def all_collectors(self) -> list[Collector]:
        return [*self.collectors, *(c for part in self.parts for c in part.all_collectors())]
