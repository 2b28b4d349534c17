"""Actions are built from the route that answers them; a typo fails where it is made."""

from __future__ import annotations

import pytest

from bot.core import intents
from bot.core.intents import LISTINGS_PRODUCT, PHOTO_CHANGE, PHOTOS_ADD, PRODUCTS, Intent
from bot.handlers import routes
from tests.actions import has_route


def test_every_intent_a_flow_can_name_has_a_route() -> None:
    declared = [value for value in vars(intents).values() if isinstance(value, Intent)]
    bound = {id(route.intent) for route in routes.ROUTES}
    assert declared and [i.pattern for i in declared if id(i) not in bound] == []


def test_no_two_routes_answer_the_same_action() -> None:
    patterns = [route.intent.pattern for route in routes.ROUTES]
    assert len(patterns) == len(set(patterns))


def test_an_action_is_built_from_its_route() -> None:
    assert PHOTOS_ADD.action(7) == "photos:add:7"
    assert PHOTO_CHANGE.action("cover", 7, 12) == "photo:cover:7:12"
    assert PRODUCTS.action() == "products" and PRODUCTS.action(2) == "products:2"
    assert LISTINGS_PRODUCT.action(3) == "listings:product:3"
    for action in ("photos:add:7", "photo:cover:7:12", "products:2", "listings:product:3"):
        assert has_route(action)


def test_a_wrong_argument_fails_where_the_button_is_made() -> None:
    with pytest.raises(ValueError, match="photos:add:seven"):
        PHOTOS_ADD.action("seven")
    with pytest.raises(ValueError):
        PHOTO_CHANGE.action("rotate", 7, 12)  # not a photo change the route answers
    with pytest.raises(ValueError):
        Intent(r"(\d+):photos")  # a pattern must start with its name
    assert not has_route("photos:ad:7")  # what a hand-typed typo used to become
