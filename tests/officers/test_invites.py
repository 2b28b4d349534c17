"""Officer invites: an admin issues a code for a province; it works once, in time, there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import load_settings
from bot.core.invite_codes import invite_hash
from bot.handlers import officers
from bot.runtime import Runtime
from storage.models import OfficerInvite
from tests.conftest import Clock
from tests.helpers import Chat, labels, make_user
from tests.officers.people import LAM_DONG, THAI_NGUYEN, People, audit, context, user_of

OFFICER_MENU = ["📋 Review products", "🛒 Marketplace listings"]
DENIED = "Sorry, you are not allowed to do that."


async def invite(admin: Chat, province: str = "Lam Dong") -> str:
    """Issues a code through the chat, as the admin does; returns it as shown."""
    await make_user(admin.runtime, admin, producer=False)
    screen = await admin.say("/invite")
    assert admin.text == (
        "Which province is the officer invite for? Type its name, for example: Thai Nguyen"
    ), screen
    await admin.say(province)
    found = re.search(r"\n\n([A-Z0-9]{5}-[A-Z0-9]{5})\n\n", admin.text)
    assert found, admin.text
    return found[1]


async def test_an_admin_issues_a_code_shown_once_and_stored_as_a_hash(
    runtime: Runtime, admin: Chat, clock: Clock
) -> None:
    code = await invite(admin)
    plain = code.replace("-", "")
    assert admin.text.startswith("🔑 Officer invite code for Lâm Đồng:\n\n" + code)
    assert "It works once, until 26/11/2026 10:00." in admin.text  # 72 hours, Vietnam time
    assert f"The officer types: /officer {code}" in admin.text
    assert f"https://t.me/ocop_assistant_bot?start=o_{plain}" in admin.text
    async with runtime.db.transaction() as session:
        stored = list(await session.scalars(select(OfficerInvite)))
    assert [(i.code_hash, i.province_code, i.used_at) for i in stored] == [
        (invite_hash(plain), LAM_DONG, None)
    ]
    entries = await audit(runtime, "invite.create")
    assert len(entries) == 1 and entries[0].after is not None
    assert entries[0].after["province_code"] == LAM_DONG
    assert plain not in str(entries[0].after)  # the code itself is kept nowhere


async def test_a_user_redeems_a_code_and_becomes_an_officer_of_its_province(
    runtime: Runtime, admin: Chat
) -> None:
    code = await invite(admin)
    minh = Chat(runtime, user_id="5001")
    await make_user(runtime, minh, producer=False)
    screen = await minh.say(f"/officer {code.lower()}")
    assert minh.text.startswith(
        "🎉 You are now an OCOP officer for Lâm Đồng. The officer entries are in the menu"
    )
    assert labels(screen)[2:4] == OFFICER_MENU  # after "Look up a product" and "Register"
    user = await user_of(runtime, minh)
    assert (user.role, user.province_code) == ("officer", LAM_DONG)
    [entry] = await audit(runtime, "invite.redeem")
    assert entry.actor_id == user.id
    assert entry.before == {"role": "user", "province_code": None}
    assert entry.after is not None and entry.after["province_code"] == LAM_DONG

    # The same code a second time, by someone else: used.
    tuan = Chat(runtime, user_id="5002")
    await make_user(runtime, tuan, producer=False)
    await tuan.say(f"/officer {code}")
    assert tuan.text.startswith(
        "This invite code has already been used; each code works once. "
        "Please ask an admin for a new one."
    )
    assert (await user_of(runtime, tuan)).role == "user"


async def test_an_expired_code_is_refused(runtime: Runtime, admin: Chat, clock: Clock) -> None:
    code = await invite(admin)
    clock.advance(hours=72, seconds=1)
    minh = Chat(runtime, user_id="5001")
    await make_user(runtime, minh, producer=False)
    await minh.say(f"/officer {code}")
    assert minh.text.startswith("This invite code has expired. Please ask an admin for a new one.")
    assert (await user_of(runtime, minh)).role == "user"
    [entry] = await audit(runtime, "invite.refused")
    assert entry.after is not None and entry.after["outcome"] == "expired"


async def test_an_officer_of_another_province_is_refused_and_the_code_stays_good(
    runtime: Runtime, admin: Chat, people: People
) -> None:
    code = await invite(admin, "Lam Dong")
    await people.officer.say(f"/officer {code}")  # an officer of Thái Nguyên
    assert people.officer.text.startswith(
        "This code is for officers of Lâm Đồng, but you are an officer of Thái Nguyên. "
        "An account covers one province"
    )
    user = await user_of(runtime, people.officer)
    assert (user.role, user.province_code) == ("officer", THAI_NGUYEN)
    await people.hoa.say(f"/officer {code}")  # unused: it still works for someone else
    assert people.hoa.text.startswith("🎉 Anh/chị đã là cán bộ OCOP của Lâm Đồng.")


async def test_an_officer_told_their_own_province_keeps_the_code_unused(
    runtime: Runtime, admin: Chat, people: People
) -> None:
    code = await invite(admin, "Thai Nguyen")
    await people.officer.say(f"/officer {code}")
    assert people.officer.text.startswith(
        "You are already an officer of Thái Nguyên; no invite code is needed."
    )
    async with runtime.db.transaction() as session:
        stored = await session.scalar(select(OfficerInvite))
    assert stored is not None and stored.used_by is None


async def test_officer_without_a_code_asks_for_it(runtime: Runtime, admin: Chat) -> None:
    code = await invite(admin)
    minh = Chat(runtime, user_id="5001")
    await make_user(runtime, minh, producer=False)
    await minh.say("/officer")
    assert minh.text == (
        "Please type your officer invite code (10 characters, for example ABCDE-FGHJK)."
    )
    await minh.say("ABCDE")
    assert minh.text.startswith("That doesn't look like an invite code: 10 letters and digits")
    await minh.say(code)
    assert minh.text.startswith("🎉 You are now an OCOP officer for Lâm Đồng.")


async def test_wrong_codes_are_refused_then_too_many_tries_lock_out(runtime: Runtime) -> None:
    minh = Chat(runtime, user_id="5001")
    await make_user(runtime, minh, producer=False)
    for _ in range(5):
        await minh.say("/officer ABCDE-FGHJK")
        assert minh.text.startswith("That invite code is not valid.")
    await minh.say("/officer ABCDE-FGHJM")
    assert minh.text.startswith("Too many wrong codes. Please try again in an hour.")
    assert len(await audit(runtime, "invite.refused")) == 6


async def test_the_deep_link_redeems_a_code(runtime: Runtime, admin: Chat) -> None:
    code = await invite(admin)
    minh = Chat(runtime, user_id="5001")
    await make_user(runtime, minh, producer=False)
    async with context(minh, text=f"/start o_{code.replace('-', '')}") as ctx:
        replies = await officers.start_payload(ctx, f"o_{code.replace('-', '')}")
        assert replies is not None
        assert replies[0].text.startswith("🎉 You are now an OCOP officer for Lâm Đồng.")
        assert await officers.start_payload(ctx, "p_A3H689") is None  # not an invite
    assert (await user_of(runtime, minh)).province_code == LAM_DONG


@pytest.mark.parametrize("who", ["producer", "officer"])
async def test_only_admins_issue_codes(runtime: Runtime, people: People, who: str) -> None:
    chat = people.hoa if who == "producer" else people.officer
    await chat.say("/invite")
    assert chat.text.startswith(
        "Xin lỗi, anh/chị không có quyền làm việc này." if who == "producer" else DENIED
    )
    [entry] = await audit(runtime, "denied")
    assert entry.after == {"action": "invite:new"}
    async with runtime.db.transaction() as session:
        assert list(await session.scalars(select(OfficerInvite))) == []


def test_invite_hours_come_from_the_roles_section(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[roles]\nadmins = ["42"]\ninvite_hours = 24\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    assert settings.invite_hours == 24
    assert load_settings(environ={}).invite_hours == 72
    assert load_settings(environ={}).limits.max_csv_rows == 5000
