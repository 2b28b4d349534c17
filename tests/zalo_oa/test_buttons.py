"""Buttons beyond what Zalo shows under one message become a numbered menu, message by
message; the numbers then pick the entries, and only there."""

from __future__ import annotations

import dataclasses

from bot.channels.zalo_oa import capabilities
from bot.runtime import Runtime
from tests.helpers import Chat

WELCOME = 5  # buttons on the first-contact welcome (4 entries and the language switch)


async def test_a_message_over_the_button_cap_gets_a_numbered_menu(runtime: Runtime) -> None:
    caps = dataclasses.replace(capabilities(runtime.settings), max_buttons=WELCOME - 1)
    chat = Chat(runtime, caps)
    screen = await chat.say("/start")
    assert "\n1. 🔎 Tra cứu sản phẩm\n2. 📝 Đăng ký chủ thể OCOP" in screen[0].text
    screen = await chat.say("2")
    assert screen[0].text.startswith("Tên chủ thể OCOP của anh/chị là gì?")


async def test_a_message_within_the_cap_keeps_its_buttons_and_a_number_is_an_answer(
    runtime: Runtime,
) -> None:
    caps = capabilities(runtime.settings)
    assert caps.max_buttons == WELCOME  # Zalo's cap: the welcome just fits
    chat = Chat(runtime, caps)
    screen = await chat.say("/start")
    assert "1. " not in screen[0].text
    assert sum(len(row) for row in screen[0].buttons) == WELCOME
    screen = await chat.say("2")  # not a menu pick here: looked up as a product code
    assert not screen[0].text.startswith("Tên chủ thể OCOP")


async def test_a_long_button_title_gets_a_numbered_menu(runtime: Runtime) -> None:
    caps = dataclasses.replace(capabilities(runtime.settings), max_button_label=10)
    chat = Chat(runtime, caps)
    screen = await chat.say("/start")
    assert "\n2. 📝 Đăng ký chủ thể OCOP" in screen[0].text
