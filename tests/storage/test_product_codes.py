"""A new product never gets a code another product already has; the form's save
writes what `create_product` writes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect

import storage.products
from bot.core.ocop import ReviewStatus
from bot.runtime import Runtime
from storage.models import Product
from storage.products import add_product
from tests.helpers import PRODUCT_COLUMNS, Chat, load_product, make_product, make_user


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


async def test_the_forms_save_writes_what_create_product_writes(runtime: Runtime) -> None:
    """The product form's save (`add_product`, Core in the update's unit, no session)
    stores the same product as `create_product`: columns, review state, folded name,
    certifications, and a code of its own."""
    chat = Chat(runtime)
    await make_user(runtime, chat)
    certifications = [("vietgap", "VG-123", dt.date(2027, 5, 1)), ("haccp", "H-9", None)]
    columns = {**PRODUCT_COLUMNS, "name": "Chè Đinh Thái Nguyên", "price_vnd": 125_000}
    reference = await load_product(
        runtime, await make_product(runtime, chat, certifications=certifications, **columns)
    )
    assert reference is not None
    now = dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)
    async with runtime.db.unit() as unit:
        product_id, code = await add_product(
            unit, reference.producer_id, columns, certifications, now=now
        )
        assert unit._session is None
    added = await load_product(runtime, product_id)
    assert added is not None
    assert (added.id, added.code) == (product_id, code)
    assert code != reference.code and len(code) == len(reference.code)
    skipped = {"id", "code", "submitted_at", "created_at", "updated_at"}
    for column in inspect(Product).column_attrs:
        if column.key not in skipped:
            assert getattr(added, column.key) == getattr(reference, column.key), column.key
    assert added.review_status == ReviewStatus.PENDING
    assert added.name_folded == "che dinh thai nguyen"
    assert added.submitted_at is not None and added.created_at is not None
    assert sorted((c.kind, c.number, c.expiry) for c in added.certifications) == sorted(
        certifications
    )
