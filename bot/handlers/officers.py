"""Officer handlers: invites, review and listings (routes, commands and flows joined in routes.py).

Every route here names its role (checked by the router before the handler
runs); every handler and flow that touches a product also checks the
officer's province through bot/flows/officer_scope.py.
"""

from __future__ import annotations

from bot.config import Settings
from bot.flows.approve import APPROVE
from bot.flows.changes import CHANGES
from bot.flows.engine import Flow
from bot.flows.invite import INVITE
from bot.flows.listing import LISTING
from bot.flows.listing_find import FIND
from bot.flows.listings_upload import UPLOAD
from bot.flows.officer_code import OFFICER_CODE
from bot.handlers import invites, listings, review
from bot.handlers.invites import start_payload
from bot.handlers.routing import Route

ROUTES: list[Route] = [*invites.ROUTES, *review.ROUTES, *listings.ROUTES]
COMMANDS: dict[str, str] = {  # typed command → action (the route's role is checked)
    **invites.COMMANDS,
    **review.COMMANDS,
    **listings.COMMANDS,
}

__all__ = ["COMMANDS", "ROUTES", "flows", "start_payload"]


def flows(settings: Settings) -> list[Flow]:
    return [INVITE, OFFICER_CODE, APPROVE, CHANGES, FIND, LISTING, UPLOAD]
