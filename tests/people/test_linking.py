"""/link joins a person's Telegram and console accounts; what follows them, what is refused."""

from __future__ import annotations

import asyncio

from bot.runtime import Runtime
from tests.conftest import Clock
from tests.helpers import Chat, make_product, make_user
from tests.officers.people import make_officer
from tests.people.conftest import account, code_in, console, new_code


async def test_products_follow_the_person_once_linked(runtime: Runtime) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    await make_product(runtime, hoa, name="Chè búp Tân Cương")
    other = console(runtime)

    await other.say("/products")
    assert "Chè búp Tân Cương" not in other.text  # not linked: separate people

    await hoa.say("/link")
    assert "The code works once, for 10 minutes" in hoa.text
    code = code_in(hoa.text)
    await other.say(f"/link {code.lower().replace('-', ' ')}")  # typed loosely
    assert "✅ Linked Telegram, the console" in other.text

    await other.say("/products")
    assert "Chè búp Tân Cương" in other.text
    await other.say("/profile")
    assert "HTX 1001" in other.text
    await hoa.say("/link")
    assert "Linked: Telegram, the console." in hoa.text


async def test_a_producer_typing_a_code_from_an_empty_account_hands_nothing_over(
    runtime: Runtime,
) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    await make_product(runtime, hoa, name="Chè búp Tân Cương")
    stranger = console(runtime)
    await stranger.say("/start")

    code = await new_code(stranger)  # "type this code to verify your account"
    await hoa.say(f"/link {code}")
    assert "the code must come from the app that has your profile and products" in hoa.text
    await stranger.say("/products")
    assert "Chè búp Tân Cương" not in stranger.text
    assert (await account(runtime, "console", "local")).person_id is None
    assert (await account(runtime, "telegram", "1001")).person_id is None

    await stranger.say(f"/link {await new_code(hoa)}")  # the right way round
    assert "✅ Linked" in stranger.text
    console_account = await account(runtime, "console", "local")
    assert console_account.person_id == (await account(runtime, "telegram", "1001")).id


async def test_the_officer_role_follows_the_person(runtime: Runtime) -> None:
    minh = Chat(runtime, user_id="7001")
    await make_officer(runtime, minh, 19)
    other = console(runtime)
    await other.say("/review")
    assert "Sorry, you are not allowed to do that." in other.text

    await other.say(f"/link {await new_code(minh)}")
    await other.say("/review")
    assert "No products are waiting for review." in other.text
    assert "not allowed" not in other.text


async def test_bad_expired_and_used_codes_change_nothing(runtime: Runtime, clock: Clock) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    other = console(runtime)
    await other.say("/start")

    await other.say("/link ABCD")  # malformed
    assert "That code is wrong, has expired or was already used" in other.text
    await other.say("/link ABCD-EFGH")  # well-formed, never issued
    assert "That code is wrong" in other.text

    code = await new_code(hoa)
    clock.advance(minutes=11)
    await other.say(f"/link {code}")  # expired
    assert "That code is wrong, has expired" in other.text

    code = await new_code(hoa)
    first = await new_code(hoa)  # a new code replaces the one before
    await other.say(f"/link {code}")
    assert "That code is wrong" in other.text

    third = console(runtime, "someone-else")
    await third.say("/start")
    await third.say(f"/link {first}")
    assert "✅ Linked" in third.text
    await other.say(f"/link {first}")  # used
    assert "already used" in other.text

    assert (await account(runtime, "console", "local")).person_id is None
    await other.say("/products")
    assert "HTX 1001" not in other.text


async def test_a_few_wrong_codes_and_the_account_must_wait(runtime: Runtime, clock: Clock) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    other = console(runtime)
    await other.say("/start")
    for _ in range(5):
        await other.say("/link ZZZZ-ZZZZ")
        assert "That code is wrong" in other.text

    code = await new_code(hoa)
    await other.say(f"/link {code}")  # even the right code, while locked
    assert "Too many wrong codes. Please wait 15 minutes" in other.text
    assert (await account(runtime, "console", "local")).person_id is None

    clock.advance(minutes=15)
    await other.say(f"/link {await new_code(hoa)}")  # the first code has expired meanwhile
    assert "✅ Linked" in other.text


async def test_two_accounts_that_both_have_a_producer_are_not_linked(runtime: Runtime) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    other = console(runtime)
    await make_user(runtime, other)

    await other.say(f"/link {await new_code(hoa)}")
    assert "both accounts already have their own producer profile or officer role" in other.text
    assert (await account(runtime, "console", "local")).person_id is None
    assert (await account(runtime, "telegram", "1001")).person_id is None


async def test_one_account_per_channel_and_no_linking_twice(runtime: Runtime) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    other = console(runtime)
    await other.say(f"/link {await new_code(hoa)}")
    assert "✅ Linked" in other.text

    await other.say(f"/link {await new_code(hoa)}")
    assert "These two accounts are already linked." in other.text

    second_telegram = Chat(runtime, user_id="1002", language="en")
    await second_telegram.say("/start")
    await second_telegram.say(f"/link {await new_code(other)}")
    assert "there is already a Telegram account in this link" in second_telegram.text


async def test_vietnamese_first(runtime: Runtime) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa, language="vi")
    await hoa.say("/link")
    assert "Mã chỉ dùng được một lần, trong 10 phút" in hoa.text
    await hoa.say("/link ZZZZ-ZZZZ")
    assert "Mã này không đúng, đã hết hạn hoặc đã được dùng rồi" in hoa.text


async def test_one_code_typed_twice_at_once_links_one_account(runtime: Runtime) -> None:
    hoa = Chat(runtime, user_id="1001")
    await make_user(runtime, hoa)
    first, second = console(runtime, "a"), console(runtime, "b")
    await first.say("/start")
    await second.say("/start")
    code = await new_code(hoa)

    await asyncio.gather(first.say(f"/link {code}"), second.say(f"/link {code}"))
    texts = sorted([first.text, second.text])
    assert sum("✅ Linked" in text for text in texts) == 1
    assert sum("already used" in text for text in texts) == 1
    linked = [(await account(runtime, "console", name)).person_id for name in ("a", "b")]
    assert linked.count(None) == 1  # the other account was not linked
