"""Replies as Zalo messages: long text in pieces under the limit, cut between words."""

from __future__ import annotations

import aiohttp

from bot.channels.text_split import split_text
from bot.channels.zalo_oa_render import BUTTON_PREFIX, callback_of, text_messages
from testkit.fake_zalo_oa import INVALID_REFRESH, FakeZaloOA

STORY = (
    "Ba thế hệ làm chè bên hồ Núi Cốc.\n\n"
    + "Chè được hái một tôm hai lá vào sáng sớm, héo trên nong tre rồi sao tay. " * 40
    + "\n"
    + "https://ocop.example.vn/p/7K3M9P"
)


def test_a_long_text_is_split_under_the_limit_between_words() -> None:
    pieces = split_text(STORY, 500)
    assert len(pieces) > 1 and all(len(piece) <= 500 for piece in pieces)
    assert " ".join(" ".join(pieces).split()) == " ".join(STORY.split())  # nothing lost
    words = set(STORY.split())
    for piece in pieces:
        assert set(piece.split()) <= words  # no word (or link) cut in two
    assert pieces[-1].endswith("https://ocop.example.vn/p/7K3M9P")


def test_buttons_go_under_the_last_piece_and_carry_the_callback_data() -> None:
    messages = text_messages(STORY, [[("💾 Lưu", "Ab3x:0"), ("✖️ Hủy", "Ab3x:1")]], 2000)
    assert all("attachment" not in message for message in messages[:-1])
    buttons = messages[-1]["attachment"]["payload"]["buttons"]
    assert [button["title"] for button in buttons] == ["💾 Lưu", "✖️ Hủy"]
    assert [callback_of(button["payload"]) for button in buttons] == ["Ab3x:0", "Ab3x:1"]
    assert callback_of("Ab3x:0") is None  # typed text is text
    assert callback_of(BUTTON_PREFIX + "n:12:0") == "n:12:0"


async def test_the_fake_refuses_a_refresh_token_spent_twice() -> None:
    fake = FakeZaloOA()
    await fake.start()
    form = {"app_id": fake.app_id, "grant_type": "refresh_token", "refresh_token": "refresh-0"}
    headers = {"secret_key": fake.app_secret}
    try:
        async with aiohttp.ClientSession() as http:
            url = fake.url + "/v4/oa/access_token"
            async with http.post(url, data=form, headers=headers) as response:
                first = await response.json()
            async with http.post(url, data=form, headers=headers) as response:
                second = await response.json()
    finally:
        await fake.stop()
    assert first["access_token"] and first["refresh_token"] != "refresh-0"
    assert second["error"] == INVALID_REFRESH and "access_token" not in second
