"""Journeys through flows and screens: every button they show has a route."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _every_action_routed(every_action_routed: list[str]) -> None:
    """Each button a screen shows in these tests has a route (tests/actions.py)."""
