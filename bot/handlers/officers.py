"""Officer handlers: invites, review and listings (routes, commands and flows joined in routes.py).

Every route here names its role (checked by the router before the handler
runs); every handler and flow that touches a product also checks the
officer's province through bot/flows/officer_scope.py.
"""

from __future__ import annotations

from bot.handlers import invites, listings, review
from bot.handlers.invites import start_payload
from bot.handlers.routing import Feature

FEATURE = Feature(routes=(), parts=(invites.FEATURE, review.FEATURE, listings.FEATURE))

__all__ = ["FEATURE", "start_payload"]
