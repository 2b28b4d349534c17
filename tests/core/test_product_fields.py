"""One description of a product's fields feeds the flow, the card, completeness and the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import product_fields
from bot.core.context import Context
from bot.core.product_fields import PRODUCT_FIELDS, Applies, Page, ProductField
from bot.core.readiness import missing_fields
from bot.flows.product import from_product, product_flow, to_columns
from bot.i18n.translator import Translator, load_catalog
from bot.runtime import Runtime
from bot.scheduler import gaps
from bot.web.facts import facts_json, product_facts
from storage.db import Unit
from storage.kpis import ProductRow
from storage.models import Conversation, Product
from storage.origin import origin_row
from storage.users import get_or_create_user
from tests.helpers import TELEGRAM, Chat, load_product, make_product, make_user

# Columns that are the product's bookkeeping, not something its producer describes.
BOOKKEEPING = {
    "id",
    "code",
    "producer_id",
    "name_folded",
    "labelled_at",
    "review_status",
    "review_reason",
    "review_field",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "created_at",
    "updated_at",
}

ANSWERS: dict[str, Any] = {
    "name": "Chè búp Tân Cương",
    "group": "food",
    "subgroup": "tea",
    "stars": 4,
    "cert_number": "1234/QĐ-UBND",
    "cert_date": "2024-03-15",
    "description": "Chè búp một tôm hai lá, sao tay.",
    "story": "Ba thế hệ làm chè.",
    "price": 125_000,
    "unit": "hộp",
    "net": {"amount": 200, "unit": "g"},
    "package_weight": 260,
    "dimensions": [200, 80, 80],
    "shelf_life": "P12M",
    "ingredients": "100% búp chè",
    "certs": [],
    "growing_area": "VN-TNTC-0012",
    "gtin": "8930000000019",
}


def test_the_description_and_the_model_columns_agree() -> None:
    model = {column.key: column for column in Product.__table__.columns}
    described = product_fields.columns()
    assert len(described) == len(set(described)), "a column filled by two fields"
    assert set(described) <= set(model), "a described column the model lacks"
    assert set(model) - set(described) == BOOKKEEPING, "a model column no field describes"
    # A field stored for every product, whatever was answered, has a NOT NULL column.
    for field in PRODUCT_FIELDS:
        for column in field.columns:
            if not model[column].nullable:
                assert field.applies == Applies.ALWAYS, column
    # The export rows carry every described column.
    assert set(described) <= set(ProductRow.__dataclass_fields__)


def test_every_described_field_is_a_step_of_the_product_flow() -> None:
    steps = {step.name for step in product_flow().steps}
    assert {field.name for field in PRODUCT_FIELDS} <= steps


def test_answers_and_columns_make_a_round_trip() -> None:
    columns = to_columns(ANSWERS)
    assert columns["cert_expiry"] == dt.date(2027, 3, 15)  # three years after the decision
    assert (columns["length_mm"], columns["width_mm"], columns["height_mm"]) == (200, 80, 80)
    product = Product(code="", **columns)
    product.certifications = []
    assert from_product(product) == ANSWERS


def test_what_does_not_concern_a_product_is_stored_empty() -> None:
    columns = to_columns({**ANSWERS, "stars": 0, "group": "handicrafts"})
    assert columns["stars"] is None
    assert columns["cert_number"] is None and columns["cert_date"] is None
    assert columns["cert_expiry"] is None
    assert columns["ingredients"] is None


# --- a field added to the description reaches every reader ------------------------

# The test's new field reuses growing_area_code, which the described growing area
# gives up, so no column has to be added to the model for it.
VILLAGE = ProductField(
    "village", ("growing_area_code",), needed=Applies.CONSUMABLE, card=True, page=Page.DETAILS
)
MESSAGES = {
    "card.village": "Craft village: {value}",
    "web.village": "Craft village",
    "missing.village": "the craft village",
}


@pytest.fixture
def with_village(monkeypatch: pytest.MonkeyPatch) -> None:
    fields = tuple(field for field in PRODUCT_FIELDS if field.name != "growing_area")
    monkeypatch.setattr(product_fields, "PRODUCT_FIELDS", (*fields, VILLAGE))
    # Built once at import from the description, as a new version would build them.
    monkeypatch.setattr(gaps, "PRODUCT_ACTIONS", gaps.product_actions())
    monkeypatch.setattr(gaps, "PRODUCT_GAPS", gaps.product_gaps_sql())


def translator(runtime: Runtime) -> Translator:
    english = {**load_catalog("en"), **MESSAGES}
    return Translator("en", english, load_catalog("vi"), runtime.app.catalogs.tz)


async def context(runtime: Runtime, chat: Chat, unit: Unit) -> Context:
    user = await get_or_create_user(unit.session, chat.channel, chat.user_id, "")
    return Context(
        app=runtime.app,
        unit=unit,
        incoming=chat.incoming(text=None),
        caps=TELEGRAM,
        user=user,
        conversation=Conversation(
            channel=chat.channel,
            chat_id=chat.user_id,
            user_id=user.id,
            data={},
            drafts={},
            actions={},
            token="",
        ),
        t=translator(runtime),
    )


@pytest.mark.usefixtures("with_village")
async def test_a_new_field_shows_in_the_summary_the_facts_and_completeness(
    runtime: Runtime,
) -> None:
    chat = Chat(runtime, TELEGRAM)
    await make_user(runtime, chat)
    answers = {**ANSWERS, "village": "Làng chè Tân Cương"}
    del answers["growing_area"]

    # The flow stores it and shows it in its confirmation summary.
    assert to_columns(answers)["growing_area_code"] == "Làng chè Tân Cương"
    flow = product_flow()
    assert flow.summary is not None
    async with runtime.db.unit() as unit:
        await unit.connect()
        summary = flow.summary(await context(runtime, chat, unit), answers)
    assert "Craft village: Làng chè Tân Cương" in summary

    # The origin page's facts list it, and the JSON API carries it.
    product_id = await make_product(runtime, chat, growing_area_code="Làng chè Tân Cương")
    async with runtime.db.transaction() as session:
        row = await origin_row(session, product_id=product_id)
    assert row is not None
    facts = product_facts(runtime.settings, row, dt.date(2026, 1, 1))
    village = next(detail for detail in facts.details if detail.name == "village")
    assert (village.label, village.value) == ("web.village", "Làng chè Tân Cương")
    assert facts_json(facts)["growing_area_code"] == "Làng chè Tân Cương"
    assert "growing_area" not in {detail.name for detail in facts.details}

    # A food product without it is incomplete, in Python and in SQL alike, and the
    # reminder's button opens its step.
    blank_id = await make_product(runtime, chat, growing_area_code="")
    product = await load_product(runtime, blank_id)
    assert product is not None
    assert "missing.village" in missing_fields(product)
    complete = await load_product(runtime, product_id)
    assert complete is not None
    assert "missing.village" not in missing_fields(complete)
    async with runtime.db.transaction() as session:
        rows = await session.execute(
            select(Product.id, *gaps.gap_flags()).where(Product.id.in_((product_id, blank_id)))
        )
        by_sql = {row[0]: gaps.keys_of(row[1:]) for row in rows}
    assert "missing.village" in by_sql[blank_id]
    assert "missing.village" not in by_sql[product_id]
    assert [gap.action for gap in gaps.product_gaps(product) if gap.key == "missing.village"] == [
        f"product:field:{blank_id}:village"
    ]
