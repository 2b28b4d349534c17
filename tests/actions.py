"""Every action a screen puts on a button has a route: checked on every button made.

`every_action_routed` records the action of each `Button` created while a
test runs (screens, flows, the engine's own buttons) and fails the test if
one of them is answered by nothing, which would otherwise reach the user
only as "this menu is out of date". The journeys in tests/e2e,
tests/officers, tests/flows and tests/handlers use it (their conftest.py),
so a typo in any screen they reach fails there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.core import flow_actions
from bot.core.types import Button
from bot.handlers import common, routes

# Actions answered before the routes are looked up: the flow engine's own
# buttons (bot/flows/actions.py) and the language switch (Router.__call__).
BUILT_IN = (*flow_actions.ALL, common.SWITCH_LANGUAGE)


def has_route(action: str) -> bool:
    if any(intent.match(action) is not None for intent in BUILT_IN):
        return True
    return any(route.intent.match(action) is not None for route in routes.ROUTES)


@pytest.fixture
def every_action_routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    emitted: list[str] = []
    original = Button.__init__

    def recording(self: Button, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        emitted.append(self.action)

    monkeypatch.setattr(Button, "__init__", recording)
    yield emitted
    unrouted = sorted({action for action in emitted if not has_route(action)})
    assert unrouted == [], f"buttons whose action no route answers: {unrouted}"
