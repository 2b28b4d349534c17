"""Joins the trainings and /reminders handlers into the router, as routes.py will.

Until the lead adds `trainings` and `reminders` to bot/handlers/routes.py,
tests patch the module's ROUTES and COMMANDS and the Router's flows; once
they are there, this changes nothing (routes already present are not added).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.config import Settings
from bot.handlers import reminders, routes, trainings

MODULES = (trainings, reminders)


def join_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    present = {route.intent.pattern for route in routes.ROUTES}
    added = [r for m in MODULES for r in m.ROUTES if r.intent.pattern not in present]
    monkeypatch.setattr(routes, "ROUTES", [*routes.ROUTES, *added])
    commands = {name: action for m in MODULES for name, action in m.COMMANDS.items()}
    monkeypatch.setattr(routes, "COMMANDS", {**commands, **routes.COMMANDS})
    original = routes.Router.__init__

    def init(self: routes.Router, settings: Settings, *args: Any, **kwargs: Any) -> None:
        original(self, settings, *args, **kwargs)
        for module in MODULES:
            for flow in module.flows(settings):
                self.flows.setdefault(flow.name, flow)

    monkeypatch.setattr(routes.Router, "__init__", init)
