"""A consumer's first minute, end to end through the fake Bot API: whatever a brand-new user
sends first — a product code, a stamp serial, a label photo, /find, a p_/s_ deep link — is
answered at once in the app's language, with one small button to switch language. Then what
a message the bot cannot place gets, and commands typed in the middle of a form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.labels.serials import format_serial
from storage.producers import producer_of_user
from storage.users import get_or_create_user
from tests.e2e.conftest import E2E, PRODUCT_STEPS_EN, Chat, Screen, step_index
from tests.e2e.test_consumers import TEA, Catalog, label_png, seed, tea_card

CARD_EN = ["🔎 Find another product", "🏠 Main menu"]
CARD_VI = ["🔎 Tìm sản phẩm khác", "🏠 Menu chính"]
SWITCH = {"en": "🇻🇳 Tiếng Việt", "vi": "🇬🇧 English"}
WELCOME_VI = ["🔎 Tra cứu sản phẩm", "📝 Đăng ký chủ thể OCOP", "🌐 Ngôn ngữ", "❓ Hướng dẫn"]
ASK_DESCRIPTION = "Product description"
SAVED = (
    "“New product” is saved for later. Press “Continue” in the menu or type /resume to carry on."
)

First = Callable[[Chat, Catalog, E2E], Awaitable[Screen]]


async def by_code(chat: Chat, catalog: Catalog, _bot: E2E) -> Screen:
    return await chat.send(catalog.tea_code.lower())


async def by_serial(chat: Chat, catalog: Catalog, _bot: E2E) -> Screen:
    return await chat.send(format_serial(catalog.serials[0]))


async def by_label_photo(chat: Chat, catalog: Catalog, bot: E2E) -> Screen:
    return await chat.photo(label_png(catalog.tea_code, bot.settings.public_url))


async def by_product_link(chat: Chat, catalog: Catalog, _bot: E2E) -> Screen:
    return await chat.send(f"/start p_{catalog.tea_code}")


async def by_stamp_link(chat: Chat, catalog: Catalog, _bot: E2E) -> Screen:
    return await chat.send(f"/start s_{catalog.serials[0]}")


def assert_card(screen: Screen, catalog: Catalog, language: str) -> None:
    """The tea's cover, then its card in `language`, its buttons and the switch button."""
    assert screen[-2]["method"] == "sendPhoto" and screen[-2]["photo"] == catalog.cover
    card = screen.texts[-1]
    if language == "en":
        assert card == tea_card(catalog.tea_code), screen
    else:
        assert card.startswith(f"📦 {TEA}\n"), screen
        assert "Chủ thể: HTX Chè Tân Cương Xanh (Hợp tác xã (HTX))" in card, screen
    assert screen.buttons == [*(CARD_EN if language == "en" else CARD_VI), SWITCH[language]]
    assert "Which language" not in screen.text and "tiếng nào" not in screen.text


async def stored_language(bot: E2E, chat: Chat) -> str | None:
    async with bot.runtime.db.transaction() as session:
        user = await get_or_create_user(session, "telegram", str(chat.id), "")
        return user.language


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    "first", [by_code, by_serial, by_label_photo, by_product_link, by_stamp_link]
)
async def test_a_first_message_is_answered_at_once(bot: E2E, language: str, first: First) -> None:
    catalog = await seed(bot)
    newcomer = bot.chat(9100, "Minh", language)
    screen = await first(newcomer, catalog, bot)
    assert_card(screen, catalog, language)
    if first in (by_serial, by_stamp_link):
        verdict = {
            "en": "✅ Genuine stamp — this is its first check",
            "vi": "✅ Tem chính hãng — đây là lần kiểm tra đầu tiên",
        }[language]
        assert screen.texts[0].startswith(verdict), screen
    assert await stored_language(bot, newcomer) == language  # taken from the app, not asked


async def test_find_as_the_first_message(bot: E2E) -> None:
    catalog = await seed(bot)
    newcomer = bot.chat(9101, "Lan", "vi-VN")  # a region tag is still Vietnamese
    screen = await newcomer.send("/find banh trang")
    assert screen.texts[0].startswith("🔎 «banh trang»: 7 sản phẩm (trang 1/2)"), screen
    assert screen.buttons[-1] == "🇬🇧 English"
    assert len(screen) == 1
    assert catalog.rice_papers  # the seeded rice papers are what was found


async def test_an_app_in_another_language_gets_vietnamese(bot: E2E) -> None:
    catalog = await seed(bot)
    newcomer = bot.chat(9102, "Anna", "de")
    assert_card(await by_code(newcomer, catalog, bot), catalog, "vi")


async def test_the_switch_button_changes_the_language(bot: E2E) -> None:
    catalog = await seed(bot)
    newcomer = bot.chat(9103, "Minh", "vi")
    await by_product_link(newcomer, catalog, bot)
    screen = await newcomer.press("🇬🇧 English")
    assert screen.texts[0].startswith(
        "English it is. You can change it any time with /language.\n\nWelcome to OCOP Assistant!"
    )
    assert len(screen) == 1
    assert await stored_language(bot, newcomer) == "en"
    screen = await newcomer.send(catalog.tea_code)  # no switch button after the first answer
    assert screen.buttons == CARD_EN
    assert screen.texts[-1] == tea_card(catalog.tea_code)


async def test_plain_start_is_the_menu_in_the_apps_language(bot: E2E) -> None:
    newcomer = bot.chat(9104, "Hoa", "vi")
    screen = await newcomer.send("/start")
    assert len(screen) == 1
    assert screen.texts[0].startswith("Chào mừng anh/chị đến với Trợ lý OCOP!")
    assert "gửi ảnh nhãn có mã QR" in screen.texts[0]
    assert screen.buttons == [*WELCOME_VI, "🇬🇧 English"]
    # A producer-to-be registers as before, in the language stored without asking.
    screen = await newcomer.press("📝 Đăng ký chủ thể OCOP")
    assert screen.texts[0].startswith("Tên chủ thể OCOP của anh/chị là gì?")


# --- a message the bot cannot place ------------------------------------------------------


async def test_an_unplaceable_message_tells_a_consumer_how_to_look_up(bot: E2E) -> None:
    await seed(bot)
    newcomer = bot.chat(9105, "Lan", "vi")
    screen = await newcomer.send("xin chào, cho hỏi")
    assert screen.texts == [
        "Tôi chưa tìm thấy sản phẩm nào theo nội dung này. Để tra cứu một sản phẩm OCOP:\n"
        "• gõ mã sản phẩm 6 ký tự (ví dụ 7K3M9P) hoặc mã trên tem\n"
        "• gửi ảnh nhãn có mã QR hoặc mã vạch\n"
        "• gõ /find và tên sản phẩm, ví dụ: /find bánh tráng\n"
        "Chủ thể OCOP: bấm «📝 Đăng ký chủ thể OCOP» để đưa sản phẩm lên."
    ]
    assert screen.buttons == [*WELCOME_VI, "🇬🇧 English"]
    screen = await newcomer.send("???")  # later on too, not only on first contact
    assert screen.texts[0].startswith("Tôi chưa tìm thấy sản phẩm nào")
    assert "trước tiên" not in screen.text and "cần đăng ký" not in screen.text
    # "Look up a product" says how to search.
    screen = await newcomer.press("🔎 Tra cứu sản phẩm")
    assert screen.texts == ["Anh/chị gõ tên sản phẩm cần tìm, ví dụ: /find bánh tráng"]


async def test_an_unplaceable_message_from_a_producer_gets_the_menu(bot: E2E) -> None:
    hoa = await bot.producer(9106)
    screen = await hoa.send("???")
    assert screen.texts == [
        "Please choose an item below, or type /help for help.\n\nMain menu — HTX Chè Tân Cương Xanh"
    ]


# --- commands in the middle of a form -----------------------------------------------------


async def product_form_at_description(hoa: Chat) -> None:
    await hoa.send("/newproduct")
    steps = [("send", "Chè xanh Tân Cương", "Which product group?")]
    screen = await hoa.walk(steps + PRODUCT_STEPS_EN[1 : step_index("20/05/2024") + 1])
    assert screen.texts[0].startswith(ASK_DESCRIPTION)


async def test_products_mid_form_puts_it_aside_and_resume_returns(bot: E2E) -> None:
    hoa = await bot.producer(9107)
    await hoa.add_product()
    await product_form_at_description(hoa)

    screen = await hoa.send("/products")  # opened, not refused
    assert len(screen) == 1
    assert screen.texts[0].startswith(f"{SAVED}\n\nYour products (1):\n")
    assert "📝 Chè búp Tân Cương đặc biệt" in screen.buttons
    # The key to the marks under the list reads as a key, set apart from the list.
    assert screen.texts[0].endswith(
        "\n\nMarks: ✅ = all details given, 📝 = details missing (open the product to see which)"
    )

    screen = await hoa.send("/resume")
    assert len(screen) == 1
    assert screen.texts[0].startswith(
        f"Continuing “New product” where you left off.\n\n{ASK_DESCRIPTION}"
    )
    screen = await hoa.press("◀️ Back")  # the answers before /products are all there
    assert screen.texts == [
        "Decision date (dd/mm/yyyy)? For example: 20/05/2024. "
        "The certificate is valid for 36 months from then.\n(Now: 20/05/2024)"
    ]


@pytest.mark.parametrize(
    ("command", "opens"),
    [("/status", "❌ Photos need"), ("/label", "QR labels"), ("/menu", "Main menu — ")],
)
async def test_other_commands_mid_form_open_what_was_asked(
    bot: E2E, command: str, opens: str
) -> None:
    hoa = await bot.producer(9108)
    await hoa.add_product()
    await product_form_at_description(hoa)
    screen = await hoa.send(command)
    assert screen.texts[0].startswith(SAVED), screen
    assert opens in screen.text, screen
    menu = await hoa.send("/menu")
    assert menu.buttons[0] == "▶️ Continue: New product"


async def test_resume_inside_the_form_repeats_the_question(bot: E2E) -> None:
    hoa = await bot.producer(9109)
    await product_form_at_description(hoa)
    question = Screen(hoa.api.sent(hoa.id)[-1:])
    screen = await hoa.send("/resume")
    assert screen.texts == question.texts
    assert screen.buttons == question.buttons
    screen = await hoa.send("Chè búp một tôm hai lá, sao tay trên chảo gang.")
    assert screen.texts[0].startswith("The product's story")


# --- text that should not be stored -------------------------------------------------------


async def test_invisible_characters_never_reach_the_profile(bot: E2E) -> None:
    hoa = bot.chat(9110, "Hoa", "en")
    await hoa.start_in_english()
    # A right-to-left override and zero-width characters inside the name, as copied text
    # sometimes carries them: what is stored reads exactly as it looks.
    await hoa.register("HTX\u202e Chè\u200b Tân\u2066 Cương\u2069\u00ad Xanh\u0007")
    async with bot.runtime.db.transaction() as session:
        user = await get_or_create_user(session, "telegram", str(hoa.id), "")
        producer = await producer_of_user(session, user.id)
    assert producer is not None
    assert producer.name == "HTX Chè Tân Cương Xanh"
