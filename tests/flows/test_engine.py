"""The flow engine as a producer meets it: back, skip, later, cancel, edit, and refusals."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from bot.core.context import Context
from bot.core.types import Capabilities, FileRef
from bot.handlers.routes import Router
from bot.runtime import Runtime
from storage.models import Conversation, Product
from storage.users import get_or_create_user
from tests.helpers import (
    CONSOLE,
    PRODUCT_COLUMNS,
    TELEGRAM,
    Chat,
    conversation,
    labels,
    load_product,
    make_product,
    make_user,
)

CHANNELS = pytest.mark.parametrize("caps", [CONSOLE, TELEGRAM], ids=["console", "telegram"])
DESCRIPTION = "Chè búp một tôm hai lá, sao tay trên chảo gang."


async def producer(runtime: Runtime, caps: Capabilities = TELEGRAM, user_id: str = "1001") -> Chat:
    chat = Chat(runtime, caps, user_id=user_id)
    await make_user(runtime, chat)
    await chat.say("/menu")
    return chat


async def up_to_story(chat: Chat) -> None:
    """New product: name, group, subgroup, not rated, description; now at the story step."""
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    await chat.press("Food")
    await chat.press("Tea and tea products")
    if chat.caps.inline_buttons:
        await chat.press("Not rated yet")
    else:  # typed as its label: its menu number is read as a star count (see below)
        await chat.say("Not rated yet")
    await chat.say(DESCRIPTION)
    assert "The product's story" in chat.text


async def values(runtime: Runtime, chat: Chat) -> dict[str, Any]:
    state = await conversation(runtime, chat)
    assert state is not None
    return dict(state.data.get("values", {}))


# --- back ---------------------------------------------------------------------


@CHANNELS
async def test_back_returns_to_the_previous_step_showing_its_value(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = await producer(runtime, caps)
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    assert "Which product group?" in chat.text
    screen = await chat.press("Back")
    assert screen[0].text.startswith("Product name?")
    assert "(Now: Chè búp Tân Cương)" in screen[0].text
    await chat.say("Chè búp đặc biệt")  # a new answer replaces the old one
    assert "Which product group?" in chat.text
    assert (await values(runtime, chat))["name"] == "Chè búp đặc biệt"


async def test_back_on_the_first_step_says_so(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await chat.press("New product")
    screen = await chat.press("Back")
    assert len(screen) == 1  # the note and the question again, in one message
    assert screen[0].text.startswith("This is already the first step.\n\nProduct name?")


async def test_back_over_a_skipped_step(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    await chat.press("Skip")
    assert "Selling price in VND?" in chat.text
    await chat.press("Back")
    assert "The product's story" in chat.text
    await chat.press("Back")
    assert f"(Now: {DESCRIPTION})" in chat.text


# --- skip -----------------------------------------------------------------------


async def test_skip_is_offered_only_on_optional_steps(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await chat.press("New product")
    assert "⏭ Skip" not in labels(chat.screen)  # the name is required
    await chat.press("Cancel")
    await up_to_story(chat)
    assert "⏭ Skip" in labels(chat.screen)  # the story may wait
    await chat.press("Skip")
    assert "Selling price in VND?" in chat.text
    assert (await values(runtime, chat))["story"] is None


@CHANNELS
async def test_typed_skip_on_a_required_step_is_refused(
    runtime: Runtime, caps: Capabilities
) -> None:
    # BUG (bot/core/dispatcher.py, _resolve_action): /skip is mapped to "flow:skip" only
    # when a Skip button is on screen, so on a required step it falls through to the
    # router, which answers "finish this step ... then use /skip" instead of saying
    # the step cannot be skipped.
    chat = await producer(runtime, caps)
    await chat.press("New product")
    screen = await chat.say("/skip")
    assert len(screen) == 1
    assert screen[0].text.startswith("This step is required and can't be skipped.\n\nProduct name?")
    state = await conversation(runtime, chat)
    assert state is not None and state.step == "name"


async def test_typed_skip_on_an_optional_step_skips(runtime: Runtime) -> None:
    chat = await producer(runtime, CONSOLE)
    await up_to_story(chat)
    await chat.say("/skip")
    assert "Selling price in VND?" in chat.text


# --- bad input -------------------------------------------------------------------


@CHANNELS
async def test_bad_input_says_what_is_wrong_and_keeps_everything(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    await chat.press("Skip")
    before = await values(runtime, chat)
    screen = await chat.say("một trăm")
    assert len(screen) == 1  # the error and the question asked again: one message
    assert screen[0].text.startswith(
        "That price isn't valid. For example: 125000, 125.000 or 125k.\n\nSelling price in VND?"
    )
    assert "🕓 Later" in labels(screen)  # with the step's buttons
    assert await values(runtime, chat) == before
    await chat.say("125.000 đ")
    assert "Unit of sale?" in chat.text
    assert (await values(runtime, chat))["price"] == 125_000


async def test_a_photo_where_text_is_expected(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await chat.press("New product")
    screen = await chat.send(chat.incoming(photo=FileRef("f1", size=10)))
    assert len(screen) == 1
    assert screen[0].text.startswith(
        "This step needs typed text, not a photo or file.\n\nProduct name?"
    )


# --- later and resume -----------------------------------------------------------


@CHANNELS
async def test_later_keeps_a_draft_that_resumes_at_the_same_step(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    kept = await values(runtime, chat)
    screen = await chat.press("Later")
    assert screen[0].text.startswith("“New product” is saved for later.")
    assert "▶️ Continue: New product" in labels(screen)
    state = await conversation(runtime, chat)
    assert state is not None and state.flow is None

    await chat.say("/menu")  # the draft stays on the menu until resumed
    screen = await chat.press("Continue: New product")
    assert len(screen) == 1
    assert screen[0].text.startswith(
        "Continuing “New product” where you left off.\n\nThe product's story"
    )
    assert await values(runtime, chat) == kept
    await chat.press("Back")
    assert f"(Now: {DESCRIPTION})" in chat.text


async def test_new_product_command_resumes_the_waiting_draft(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    await chat.press("Later")
    screen = await chat.say("/newproduct")
    assert screen[0].text.startswith("Continuing “New product” where you left off.\n\n")
    assert (await values(runtime, chat))["name"] == "Chè búp Tân Cương"


async def test_menu_command_mid_flow_keeps_a_draft(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    await chat.say("/menu")
    assert "▶️ Continue: New product" in labels(chat.screen)
    await chat.say("/resume")
    assert "The product's story" in chat.text


# --- cancel -------------------------------------------------------------------------


@CHANNELS
async def test_cancel_discards(runtime: Runtime, caps: Capabilities) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    screen = await chat.press("Cancel")
    assert len(screen) == 1
    assert screen[0].text.startswith("Cancelled. Nothing you entered here was saved.\n\nMain menu")
    assert not any("Continue" in label for label in labels(screen))
    state = await conversation(runtime, chat)
    assert state is not None
    assert (state.flow, state.drafts) == (None, {})
    screen = await chat.say("/newproduct")
    assert screen[0].text.startswith("Product name? For example: Tân Cương green tea")
    assert "(Now:" not in screen[0].text  # a fresh start


async def test_cancel_command_also_drops_a_draft_of_that_flow(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    await chat.say("/cancel")
    assert chat.screen[0].text.startswith("Cancelled. Nothing you entered here was saved.")
    screen = await chat.say("/cancel")
    assert screen[0].text.startswith("There is nothing in progress to cancel.\n\nMain menu")


# --- commands mid-flow ------------------------------------------------------------


@CHANNELS
async def test_a_command_mid_flow_puts_the_form_aside_and_opens_what_was_asked(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    before = await conversation(runtime, chat)
    screen = await chat.say("/products")
    assert len(screen) == 1
    assert screen[0].text.startswith(
        "“New product” is saved for later. Press “Continue” in the menu or type /resume"
    )
    assert "\n\nYou have no products yet." in screen[0].text
    after = await conversation(runtime, chat)
    assert before is not None and after is not None
    assert after.flow is None
    assert after.drafts["product"]["step"] == "story"
    assert after.drafts["product"]["data"]["values"] == before.data["values"]

    screen = await chat.say("/resume")
    assert "The product's story" in screen[0].text
    await chat.say("Ba thế hệ làm chè trên đồi Tân Cương.")
    assert "Selling price in VND?" in chat.text


@CHANNELS
async def test_resume_inside_the_form_repeats_the_question(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    before = await conversation(runtime, chat)
    screen = await chat.say("/resume")
    assert len(screen) == 1
    assert screen[0].text.startswith("The product's story")
    after = await conversation(runtime, chat)
    assert before is not None and after is not None
    assert (after.flow, after.step, after.data["values"], after.drafts) == (
        "product",
        "story",
        before.data["values"],
        {},
    )


@CHANNELS
async def test_a_mistyped_command_mid_flow_keeps_the_form(
    runtime: Runtime, caps: Capabilities
) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    screen = await chat.say("/prodcts")
    assert len(screen) == 1
    assert screen[0].text.startswith("I don't know the command /prodcts. What you entered is kept")
    assert "The product's story" in screen[0].text
    state = await conversation(runtime, chat)
    assert state is not None and (state.flow, state.step) == ("product", "story")


@CHANNELS
async def test_help_mid_flow_answers_and_asks_again(runtime: Runtime, caps: Capabilities) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    screen = await chat.say("/help")
    assert len(screen) == 1  # the help, then the question, in one message
    assert screen[0].text.startswith("OCOP Assistant helps you")
    assert "\n\nThe product's story" in screen[0].text
    state = await conversation(runtime, chat)
    assert state is not None and state.step == "story"


async def test_help_mid_flow_keeps_the_steps_buttons(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    await chat.say("/help")
    assert "🕓 Later" in labels(chat.screen)
    screen = await chat.press("Later")
    assert screen[0].text.startswith("“New product” is saved for later.")
    assert "▶️ Continue: New product" in labels(screen)


# --- numbered menus where text is also accepted (console) ---------------------------


async def test_console_number_picks_a_place_from_several_matches(runtime: Runtime) -> None:
    # BUG (bot/flows/engine.py, prompt: ctx.expects_text = step.takes_text): a search step
    # showing its numbered matches still marks the screen free-text, so a typed "1" is
    # searched as a place name ("Nothing matches “1”") instead of picking entry 1.
    chat = Chat(runtime, CONSOLE)
    await make_user(runtime, chat, producer=False)
    for line in ("/register", "HTX Chè Tân Cương", "2", "Nguyễn Thị Hoa", "0912 345 678"):
        await chat.say(line)
    await chat.say("ha")
    assert "1. Thành phố Hà Nội" in chat.text
    screen = await chat.say("1")
    assert "Nothing matches" not in screen[0].text
    assert "Which commune, ward or special zone?" in screen[0].text


async def test_console_number_picks_not_rated(runtime: Runtime) -> None:
    # BUG (same cause): the stars step lists "6. Not rated yet", but typed "6" is parsed as
    # six stars and refused, so a console user cannot pick that entry by its number.
    chat = await producer(runtime, CONSOLE)
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    await chat.press("Food")
    await chat.press("Tea and tea products")
    assert "6. Not rated yet" in chat.text
    screen = await chat.say("6")
    assert screen[0].text.startswith("Product description")


async def test_console_number_picks_a_unit(runtime: Runtime) -> None:
    # BUG (same cause): the unit step lists "2. bottle", but typed "2" is stored as the
    # unit "2" without a word — the product then reads "Price: ₫125,000 / 2".
    chat = await producer(runtime, CONSOLE)
    await up_to_story(chat)
    await chat.say("/skip")
    await chat.say("125k")
    assert "2. bottle" in chat.text
    await chat.say("2")
    assert (await values(runtime, chat))["unit"] == "bottle"


async def test_console_typed_number_on_a_text_step_is_an_answer(runtime: Runtime) -> None:
    chat = await producer(runtime, CONSOLE)
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    await chat.press("Food")
    await chat.press("Tea and tea products")
    await chat.say("4")  # four stars (also entry 4)
    assert "decision number" in chat.text
    await chat.say("12")  # a decision number, not a menu entry
    assert (await values(runtime, chat))["cert_number"] == "12"


# --- the whole flow, saved -------------------------------------------------------------


async def test_a_product_is_saved_with_what_was_entered(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    await chat.press("Food")
    await chat.press("Tea and tea products")
    await chat.press("4 stars")
    await chat.say("1234/QĐ-UBND")
    await chat.say("20/05/2024")
    await chat.say(DESCRIPTION)
    await chat.press("Skip")
    await chat.say("125k")
    await chat.press("box")
    await chat.say("200 g")
    await chat.say("260")
    await chat.say("20x8x8")
    await chat.say("12 tháng")
    await chat.say("100% búp chè")
    await chat.press("VietGAP")
    assert "✅ VietGAP" in labels(chat.screen)
    await chat.press("Done")
    await chat.say("VG-123 31/12/2027")
    await chat.press("Skip")
    await chat.press("Skip")
    assert "Please check the details above." in chat.text
    assert "Price: ₫125,000 / box" in chat.text
    screen = await chat.press("Save")
    assert "“Chè búp Tân Cương” is saved." in screen[0].text
    state = await conversation(runtime, chat)
    assert state is not None and state.flow is None

    await chat.say("/products")
    await chat.press("Chè búp Tân Cương")
    assert "Price: ₫125,000 / box" in chat.text
    assert "valid until 20/05/2027" in chat.text  # 36 months from the decision
    assert "VietGAP certificate: no. VG-123, expires 31/12/2027" in chat.text


async def test_future_decision_date_is_refused(runtime: Runtime) -> None:
    chat = await producer(runtime)
    await chat.press("New product")
    await chat.say("Chè búp Tân Cương")
    await chat.press("Food")
    await chat.press("Tea and tea products")
    await chat.press("3 stars")
    await chat.say("1234/QĐ-UBND")
    screen = await chat.say("24/11/2026")  # the test clock stands at 23/11/2026
    assert screen[0].text.startswith("The decision date can't be in the future.\n\nDecision date")
    await chat.say("23/11/2026")
    assert "Product description" in chat.text


# --- editing and deleting a product -------------------------------------------------------

CONTENT = (*PRODUCT_COLUMNS, "code", "producer_id")


def content(product: Product) -> dict[str, Any]:
    columns = {name: getattr(product, name) for name in CONTENT}
    columns["certifications"] = [(c.kind, c.number, c.expiry) for c in product.certifications]
    return columns


@pytest.mark.parametrize(
    ("label", "answer", "field", "value"),
    [
        ("Price", "150.000", "price_vnd", 150_000),
        ("Shelf life", "18 tháng", "shelf_life", "P18M"),
        ("Package size", "25x10x10", "length_mm", 250),
    ],
)
async def test_editing_one_field_changes_only_that_field(
    runtime: Runtime, label: str, answer: str, field: str, value: object
) -> None:
    chat = await producer(runtime)
    product_id = await make_product(
        runtime,
        chat,
        stars=4,
        cert_number="1234/QĐ-UBND",
        cert_date=dt.date(2024, 5, 20),
        cert_expiry=dt.date(2027, 5, 20),
    )
    before = await load_product(runtime, product_id)
    assert before is not None
    await chat.say("/products")
    await chat.press("Chè búp Tân Cương")
    await chat.press("Edit")
    screen = await chat.press(label)
    assert "(Now: " in screen[0].text
    screen = await chat.say(answer)
    assert screen[0].text == "✅ Product updated."

    after = await load_product(runtime, product_id)
    assert after is not None
    expected = content(before)
    expected[field] = value
    if field == "length_mm":
        expected["width_mm"], expected["height_mm"] = 100, 100
    assert content(after) == expected


async def test_editing_keeps_certifications(runtime: Runtime) -> None:
    chat = await producer(runtime)
    product_id = await make_product(
        runtime, chat, certifications=[("vietgap", "VG-1", dt.date(2027, 12, 31))]
    )
    await chat.say("/products")
    await chat.press("Chè búp Tân Cương")
    await chat.press("Edit")
    await chat.press("Story")
    await chat.say("Ba thế hệ làm chè trên đồi Tân Cương.")
    after = await load_product(runtime, product_id)
    assert after is not None
    assert after.story == "Ba thế hệ làm chè trên đồi Tân Cương."
    assert [(c.kind, c.number, c.expiry) for c in after.certifications] == [
        ("vietgap", "VG-1", dt.date(2027, 12, 31))
    ]


async def test_deleting_a_product_asks_first(runtime: Runtime) -> None:
    chat = await producer(runtime)
    product_id = await make_product(runtime, chat)
    await chat.say("/products")
    await chat.press("Chè búp Tân Cương")
    screen = await chat.press("Delete")
    assert screen[0].text.startswith("Delete “Chè búp Tân Cương” (code ")
    assert "This cannot be undone." in screen[0].text
    assert labels(screen) == ["🗑 Yes, delete", "✖️ Cancel"]
    assert await load_product(runtime, product_id) is not None  # nothing deleted yet

    await chat.press("Cancel")
    assert "📦 Chè búp Tân Cương" in chat.text
    assert await load_product(runtime, product_id) is not None

    await chat.press("Delete")
    screen = await chat.press("Yes, delete")
    assert screen[0].text == "🗑 “Chè búp Tân Cương” deleted.\n\nYou have no products yet."
    assert await load_product(runtime, product_id) is None


# --- ownership --------------------------------------------------------------------------


async def test_another_producers_product_cannot_be_reached(runtime: Runtime) -> None:
    owner = await producer(runtime, user_id="2001")
    product_id = await make_product(runtime, owner, name="Mật ong bạc hà Mèo Vạc")
    before = await load_product(runtime, product_id)
    assert before is not None
    intruder = await producer(runtime, user_id="2002")
    router = runtime.dispatcher.router
    assert isinstance(router, Router)

    for action in (
        f"product:{product_id}",
        f"product:edit:{product_id}",
        f"product:field:{product_id}:price",
        f"product:delete:{product_id}",
        f"product:delete_yes:{product_id}",
        f"photos:{product_id}",
        f"photos:add:{product_id}",
    ):
        async with runtime.db.unit() as unit:
            await unit.connect()
            user = await get_or_create_user(unit.session, intruder.channel, intruder.user_id, "")
            ctx = Context(
                app=runtime.app,
                unit=unit,
                incoming=intruder.incoming(text=None),
                caps=TELEGRAM,
                user=user,
                conversation=Conversation(
                    channel=intruder.channel,
                    chat_id=intruder.user_id,
                    user_id=user.id,
                    data={},
                    drafts={},
                    actions={},
                    token="",
                ),
                t=runtime.app.catalogs.translator("en"),
            )
            replies = await router.dispatch_action(ctx, action)
            assert ctx.conversation.flow is None, action  # no edit flow was started
        assert replies[0].text.startswith("That product was not found.\n\nMain menu"), action
        assert all("Mèo Vạc" not in reply.text for reply in replies), action

    after = await load_product(runtime, product_id)
    assert after is not None
    assert content(after) == content(before)


# --- a stored step this version no longer has -------------------------------------


def rename_step(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    """A new version of the product flow, deployed while a conversation waits at `old`."""
    router = runtime.dispatcher.router
    assert isinstance(router, Router)
    flow = router.flows["product"]
    steps = tuple(replace(s, name=new) if s.name == old else s for s in flow.steps)
    monkeypatch.setitem(router.flows, "product", replace(flow, steps=steps))


@CHANNELS
async def test_a_renamed_step_asks_the_first_unanswered_question_again(
    runtime: Runtime, caps: Capabilities, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await producer(runtime, caps)
    await up_to_story(chat)
    kept = await values(runtime, chat)
    rename_step(runtime, monkeypatch, "story", "producer_story")

    screen = await chat.say("Ông bà tôi hái chè trên đồi này từ năm 1950.")
    assert len(screen) == 1
    assert screen[0].text.startswith("The product's story")
    assert await values(runtime, chat) == kept  # name, group, description… all still there
    state = await conversation(runtime, chat)
    assert state is not None and (state.flow, state.step) == ("product", "producer_story")

    await chat.say("Ông bà tôi hái chè trên đồi này từ năm 1950.")  # now it is an answer
    assert chat.text.startswith("Selling price in VND?")
    assert (await values(runtime, chat))["producer_story"].startswith("Ông bà tôi")
    await chat.press("Back")
    assert "The product's story" in chat.text
    await chat.press("Back")
    assert f"(Now: {DESCRIPTION})" in chat.text  # back goes through the kept answers


async def test_cancel_works_at_a_step_that_no_longer_exists(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    rename_step(runtime, monkeypatch, "story", "producer_story")
    screen = await chat.say("/cancel")
    assert screen[0].text.startswith("Cancelled. Nothing you entered here was saved.\n\nMain menu")
    state = await conversation(runtime, chat)
    assert state is not None and (state.flow, state.drafts) == (None, {})


async def test_a_draft_saved_at_a_removed_step_resumes_at_the_first_unanswered_one(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = await producer(runtime)
    await up_to_story(chat)
    kept = await values(runtime, chat)
    await chat.press("Later")
    router = runtime.dispatcher.router
    assert isinstance(router, Router)
    flow = router.flows["product"]
    without_story = tuple(step for step in flow.steps if step.name != "story")
    monkeypatch.setitem(router.flows, "product", replace(flow, steps=without_story))

    screen = await chat.say("/resume")
    assert screen[0].text.startswith(
        "Continuing “New product” where you left off.\n\nSelling price in VND?"
    )
    assert await values(runtime, chat) == kept
