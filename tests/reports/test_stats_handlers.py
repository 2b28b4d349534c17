"""/stats and /export through the dispatcher: province scoping, roles, files."""

from __future__ import annotations

import csv
import dataclasses
import io

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.core.context import Context
from bot.handlers.routes import Router
from bot.handlers.stats import scope_for
from bot.runtime import Runtime
from storage.models import AuditEntry, Conversation, User
from storage.users import get_or_create_user
from tests.helpers import TELEGRAM, Chat, make_user
from tests.reports import dataset
from tests.reports.dataset import PROVINCE_A, PROVINCE_B

DENIED = "Sorry, you are not allowed to do that."


async def person(runtime: Runtime, user_id: str, role: str, province: int | None) -> Chat:
    chat = Chat(runtime, user_id=user_id)
    uid = await make_user(runtime, chat, producer=role == "user")
    async with runtime.db.transaction() as session:
        user = await session.get(User, uid)
        assert user is not None
        user.role, user.province_code = role, province
    return chat


@pytest.fixture
async def data(runtime: Runtime) -> dataset.Dataset:
    async with runtime.db.transaction() as session:
        return await dataset.build(session)


def test_scope_rules() -> None:
    officer = User(role="officer", province_code=PROVINCE_A)
    assert scope_for(officer, None) == scope_for(officer, str(PROVINCE_A))
    assert scope_for(officer, None) is not None
    assert scope_for(officer, str(PROVINCE_B)) is None
    assert scope_for(officer, "all") is None
    assert scope_for(User(role="officer", province_code=None), None) is None
    assert scope_for(User(role="user", province_code=PROVINCE_A), None) is None
    admin = User(role="admin", province_code=None)
    country = scope_for(admin, "all")
    assert country is not None and country.province_code is None
    assert scope_for(admin, str(PROVINCE_B)) is not None
    assert scope_for(admin, "999") is None  # no such province


async def test_officer_sees_their_province(runtime: Runtime, data: dataset.Dataset) -> None:
    officer = await person(runtime, "2001", "officer", PROVINCE_A)
    [reply] = await officer.say("/stats")
    assert isinstance(reply.photo, bytes)
    with Image.open(io.BytesIO(reply.photo)) as image:
        assert image.format == "PNG" and image.width == 720
    assert reply.text.startswith("📊 OCOP figures — Thái Nguyên\nAs of 23/11/2026")
    assert "📦 Products: 5" in reply.text
    assert "• 3★+ products live on an e-commerce platform: 2/3 (66.7%) — 1 to go" in reply.text
    assert "Hà Nội" not in reply.text and "Trà sen" not in reply.text
    assert [b.label for row in reply.buttons for b in row] == ["📤 Export data", "🏠 Main menu"]


async def test_officer_cannot_open_another_province(
    runtime: Runtime, data: dataset.Dataset
) -> None:
    """Actions carry the province: each handler checks it against the officer's own."""
    officer = await person(runtime, "2002", "officer", PROVINCE_A)
    router = runtime.dispatcher.router
    assert isinstance(router, Router)
    actions = [
        f"stats:{PROVINCE_B}",
        "stats:all",
        f"export:{PROVINCE_B}",
        f"export:products:csv:{PROVINCE_B}",
        "export:listings:xlsx:all",
        f"export:sheet:shopee:{PROVINCE_B}",
    ]
    for action in actions:
        async with runtime.db.unit() as unit:
            await unit.connect()
            user = await get_or_create_user(unit.session, "telegram", officer.user_id, "")
            ctx = Context(
                app=runtime.app,
                unit=unit,
                incoming=officer.incoming(text=None),
                caps=TELEGRAM,
                user=user,
                conversation=Conversation(
                    channel="telegram",
                    chat_id=officer.user_id,
                    user_id=user.id,
                    data={},
                    drafts={},
                    actions={},
                    token="",
                ),
                t=runtime.app.catalogs.translator("en"),
            )
            replies = await router.dispatch_action(ctx, action)
        assert replies[0].text.startswith(f"{DENIED}\n\n"), action
        assert all(r.photo is None and r.document is None for r in replies), action
    async with runtime.db.transaction() as session:
        denied = list(await session.scalars(select(AuditEntry.after)))
    assert denied == [{"action": action} for action in actions]


async def test_producer_is_not_allowed(runtime: Runtime, data: dataset.Dataset) -> None:
    producer = await person(runtime, "2003", "user", None)
    for command in ("/stats", "/export"):
        replies = await producer.say(command)
        assert replies[0].text.startswith(f"{DENIED}\n\n")  # then the menu, one message
        assert all(r.photo is None and r.document is None for r in replies)


async def test_officer_without_province(runtime: Runtime) -> None:
    officer = await person(runtime, "2004", "officer", None)
    replies = await officer.say("/stats")
    assert replies[0].text == (
        "Your officer account is not linked to a province yet. Please contact an administrator."
    )


async def test_admin_picks_the_country_or_a_province(
    runtime: Runtime, data: dataset.Dataset
) -> None:
    admin = await person(runtime, "2005", "admin", None)
    # Admins are named in the configuration; a role in the database alone is not enough.
    runtime.app.settings = dataclasses.replace(
        runtime.app.settings, admins=(f"{admin.channel}:2005",)
    )
    replies = await admin.say("/stats")
    assert replies[0].text == "Which figures would you like: the whole country or one province?"
    [reply] = await admin.press("🇻🇳 Whole country")
    assert reply.photo is not None
    assert "📊 OCOP figures — Whole country" in reply.text and "📦 Products: 6" in reply.text
    assert "📍 By province:" in reply.text
    await admin.press("🔄 Another area")
    [reply] = await admin.press("Thành phố Hà Nội")
    assert "📊 OCOP figures — Thành phố Hà Nội" in reply.text and "📦 Products: 1" in reply.text


async def test_exports_of_the_officers_province(runtime: Runtime, data: dataset.Dataset) -> None:
    officer = await person(runtime, "2006", "officer", PROVINCE_A)
    replies = await officer.say("/export")
    assert replies[0].text.startswith("📤 Export data — Thái Nguyên.")

    document, menu = await officer.press("📦 Products (CSV)")
    assert document.document is not None
    assert document.document_name == "ocop-thai-nguyen-products-2026-11-23.csv"
    assert document.text == "📎 Products — Thái Nguyên: 5 rows."
    rows = list(csv.reader(io.StringIO(document.document.decode("utf-8-sig"))))
    assert len(rows) == 6 and rows[0][:2] == ["Product code", "Product name"]
    assert data.products["hanoi_tea"] not in {row[0] for row in rows}
    assert menu.text == "Anything else to export for Thái Nguyên?"

    document, _menu = await officer.press("👥 Entities (Excel)")
    assert document.document_name == "ocop-thai-nguyen-producers-2026-11-23.xlsx"
    assert document.document is not None
    sheet = load_workbook(io.BytesIO(document.document)).active
    assert sheet is not None and sheet.max_row == 4

    document, _menu = await officer.press("🧾 Shopee upload sheet")
    assert document.document_name == "ocop-thai-nguyen-shopee-2026-11-23.xlsx"
    assert document.text.startswith("📎 Bulk-upload sheet for Shopee — Thái Nguyên: 3 products")
    assert "The stock column is blank" in document.text
    assert document.document is not None
    sheet = load_workbook(io.BytesIO(document.document)).active
    assert sheet is not None and sheet.max_row == 4


async def test_stats_with_no_products(runtime: Runtime) -> None:
    officer = await person(runtime, "2007", "officer", PROVINCE_B)
    [reply] = await officer.say("/stats")
    assert reply.photo is not None
    assert reply.text.endswith("📦 Products: 0\nNo products have been registered in this area yet.")
    await officer.say("/export")
    document, _menu = await officer.press("🛒 Listings (CSV)")
    assert document.document is not None
    assert document.document.decode("utf-8-sig").count("\r\n") == 1  # the header alone
