"""Who may do what: producers never reach officer actions; officers stay in their province.

Actions are crafted onto the chat's screen (tests.officers.people.craft), so
these tests hold whatever buttons a client shows or forges.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from bot.runtime import Runtime
from storage.models import User
from tests.helpers import conversation, load_product, make_product, make_user
from tests.officers.people import People, audit, craft, outbox, user_of

DENIED_VI = "Xin lỗi, anh/chị không có quyền làm việc này."
OUT_OF_SCOPE = "This product is not in your province, or it no longer exists."
OFFICER_ACTIONS = [
    "review",
    "review:1",
    "review:open:{tea}",
    "review:approve:{tea}",
    "review:changes:{tea}",
    "listings",
    "listings:find",
    "listings:product:{tea}",
    "listings:upload",
    "invite:new",
]


async def assert_untouched(runtime: Runtime, people: People) -> None:
    product = await load_product(runtime, people.tea)
    assert product is not None and (product.review_status, product.stars) == ("pending", None)
    assert await outbox(runtime) == []


@pytest.mark.parametrize("pattern", OFFICER_ACTIONS)
async def test_a_producer_crafting_an_officer_action_is_refused_and_audited(
    runtime: Runtime, people: People, pattern: str
) -> None:
    action = pattern.format(tea=people.tea)
    await craft(people.hoa, action)
    await people.hoa.callback("CRFT:0")
    assert people.hoa.text.startswith(DENIED_VI)
    [entry] = await audit(runtime, "denied")
    hoa = await user_of(runtime, people.hoa)
    assert (entry.actor_id, entry.after) == (hoa.id, {"action": action})
    state = await conversation(runtime, people.hoa)
    assert state is not None and state.flow is None
    await assert_untouched(runtime, people)


@pytest.mark.parametrize("command", ["/review", "/listings", "/listings A3H689", "/invite"])
async def test_a_producer_typing_an_officer_command_is_refused(
    runtime: Runtime, people: People, command: str
) -> None:
    await people.hoa.say(command)
    assert people.hoa.text.startswith(DENIED_VI)
    assert len(await audit(runtime, "denied")) == 1


@pytest.mark.parametrize(
    "pattern",
    [
        "review:open:{coffee}",
        "review:approve:{coffee}",
        "review:changes:{coffee}",
        "listings:product:{coffee}",
    ],
)
async def test_an_officer_cannot_act_on_another_provinces_product(
    runtime: Runtime, people: People, pattern: str
) -> None:
    action = pattern.format(coffee=people.coffee)
    await craft(people.officer, action)  # Thái Nguyên's officer, Lâm Đồng's coffee
    screen = await people.officer.callback("CRFT:0")
    assert screen[0].text == OUT_OF_SCOPE
    [entry] = await audit(runtime, "denied")
    assert (entry.entity, entry.entity_id) == ("product", people.coffee)
    assert entry.after == {"action": action, "reason": "province"}
    state = await conversation(runtime, people.officer)
    assert state is not None and state.flow is None
    coffee = await load_product(runtime, people.coffee)
    assert coffee is not None and coffee.review_status == "pending"


async def test_an_officer_demoted_mid_review_cannot_finish_it(
    runtime: Runtime, people: People
) -> None:
    await people.officer.say("/review")
    await people.officer.press("1. Chè búp Tân Cương")
    await people.officer.press("✅ Approve")
    await people.officer.press("⏭ Skip")
    officer = await user_of(runtime, people.officer)
    async with runtime.db.transaction() as session:
        await session.execute(
            update(User).where(User.id == officer.id).values(role="user", province_code=None)
        )
    screen = await people.officer.press("💾 Save")
    assert screen[0].text.startswith("Your officer account has no province yet.")
    await assert_untouched(runtime, people)


async def test_an_officer_moved_to_another_province_mid_review_cannot_finish_it(
    runtime: Runtime, people: People
) -> None:
    await people.officer.say("/review")
    await people.officer.press("1. Chè búp Tân Cương")
    await people.officer.press("✏️ Ask for changes")
    await people.officer.press(runtime.app.catalogs.translator("en")("field.story"))
    await people.officer.say("Câu chuyện còn ngắn quá.")
    officer = await user_of(runtime, people.officer)
    async with runtime.db.transaction() as session:
        await session.execute(update(User).where(User.id == officer.id).values(province_code=68))
    screen = await people.officer.press("💾 Save")
    assert screen[0].text == OUT_OF_SCOPE
    await assert_untouched(runtime, people)
    [entry] = await audit(runtime, "denied")
    assert entry.after is not None and entry.after["reason"] == "province"


async def test_an_officer_does_not_review_their_own_product(
    runtime: Runtime, people: People
) -> None:
    await make_user(runtime, people.officer)  # the officer runs a cooperative too
    own = await make_product(runtime, people.officer, name="Chè của cán bộ")
    for action in (f"review:approve:{own}", f"review:changes:{own}"):
        await craft(people.officer, action)
        screen = await people.officer.callback("CRFT:0")
        assert screen[0].text == "This is your own product, so another officer needs to review it."
        state = await conversation(runtime, people.officer)
        assert state is not None and state.flow is None
    product = await load_product(runtime, own)
    assert product is not None and product.review_status == "pending"
