"""A new product never gets a code another product already has."""

from __future__ import annotations

import pytest

import storage.products
from bot.runtime import Runtime
from tests.helpers import Chat, load_product, make_product, make_user


async def test_a_drawn_code_that_is_taken_is_drawn_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = Chat(runtime)
    await make_user(runtime, chat)
    first = await load_product(runtime, await make_product(runtime, chat))
    assert first is not None
    draws = iter([first.code, first.code, "XY2345"])
    monkeypatch.setattr(storage.products, "new_product_code", lambda: next(draws))
    second = await load_product(runtime, await make_product(runtime, chat))
    assert second is not None
    assert second.code == "XY2345"
