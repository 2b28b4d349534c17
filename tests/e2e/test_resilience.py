"""The bot process restarting mid-conversation, and an unexpected error in one update."""

from __future__ import annotations

import logging
import re

import pytest

from bot.core.types import Reply
from tests.e2e.conftest import E2E, PRODUCT_NAME, PRODUCT_STEPS_EN, Screen, picture, step_index

ASK_SHELF_LIFE = "Shelf life? For example: 12 months, 30 days, 2 years"
ASK_INGREDIENTS = "Ingredients? For example: 100% green tea buds"
ERROR = re.compile(
    r"Sorry, something went wrong\. Please try again in a few minutes\. "
    r"Error reference: ([0-9A-F]{8}) \(give this code to support if it happens again\)\."
)


async def test_restart_mid_flow(bot: E2E) -> None:
    hoa = await bot.producer(5001)
    first_process = bot.runtime
    await hoa.press("➕ New product")
    screen = await hoa.walk(PRODUCT_STEPS_EN[: step_index("260 g") + 1])
    assert screen.texts[0].startswith("Package size")

    # A redeploy between two answers: the next answer continues at the same step.
    await bot.restart()
    assert bot.runtime is not first_process
    screen = await hoa.send("20x8x8")
    assert screen.texts == [ASK_SHELF_LIFE]

    # An answer sent while the bot is down waits at Telegram and is handled after the start.
    await bot.stop()
    update = bot.api.send_text(hoa.user, "12 months")
    await bot.start()
    await bot.handled(update)
    screen = Screen(await bot.api.settle(hoa.id, quiet=0))
    assert screen.texts == [ASK_INGREDIENTS]

    # Buttons shown before a restart still work: their meaning lives in the database.
    before = screen.message_with("◀️ Back")
    await bot.restart()
    screen = await hoa.press("◀️ Back", before)
    assert screen.texts == [f"{ASK_SHELF_LIFE}\n(Now: 12 months)"]
    screen = await hoa.send("18 months")
    assert screen.texts == [ASK_INGREDIENTS]
    screen = await hoa.walk(PRODUCT_STEPS_EN[step_index("100% búp chè trung du") :])
    code = screen.text.split("Product code: ")[1].split()[0]

    # Photos across a restart as well.
    await hoa.press("📷 Add photos")
    assert "Photo 1 saved" in (await hoa.photo(picture(1))).text
    await bot.restart()
    assert "Photo 2 saved (2 in all)" in (await hoa.photo(picture(2))).text
    assert "Photo 3 saved (3 in all)" in (await hoa.photo(picture(3))).text
    await hoa.press("✔️ Done")
    assert bot.starts == 5  # the first process and four after it

    product = await bot.product(code)
    assert (product.name, product.group, product.subgroup, product.stars) == (
        PRODUCT_NAME,
        "food",
        "tea",
        4,
    )
    assert (product.cert_number, str(product.cert_date)) == ("1234/QĐ-UBND", "2024-05-20")
    assert product.description == "Chè búp một tôm hai lá, sao tay trên chảo gang."
    assert product.story == "Ba thế hệ làm chè trên đồi Tân Cương."
    assert (product.price_vnd, product.unit) == (125_000, "box")
    assert (product.net_amount, product.package_weight_g) == (200, 260)
    assert (product.length_mm, product.width_mm, product.height_mm) == (200, 80, 80)
    assert product.shelf_life == "P18M"
    assert len(product.photos) == 3
    screen = await hoa.send("/products")
    assert f"✅ {PRODUCT_NAME} — code {code}" in screen.text


async def test_unexpected_error(
    bot: E2E, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    ann = await bot.producer(5002, "Ann's Honey House")
    bao = await bot.producer(5003, "HTX Chè Tân Cương Xanh")
    await bao.press("➕ New product")
    await bao.walk(PRODUCT_STEPS_EN[: step_index("125.000") + 1])

    def broken_status(*_args: object) -> list[Reply]:
        raise RuntimeError("status screen exploded")

    monkeypatch.setattr("bot.handlers.routes.status_screen", broken_status)
    caplog.set_level(logging.ERROR, logger="bot.core.dispatcher")
    screen = await ann.send("/status")
    assert len(screen) == 1, screen
    match = ERROR.fullmatch(screen.texts[0])
    assert match, screen
    reference = match[1]
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged, caplog.text
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None
    assert "status screen exploded" in str(logged[0].exc_info[1])

    # Another user's conversation is untouched and goes on.
    screen = await bao.press("box")
    assert screen.texts == ["Net weight or volume? For example: 500 g, 1.5 kg, 750 ml"]
    # And the user who hit the error can go on using the bot.
    screen = await ann.send("/menu")
    assert screen.texts == ["Main menu — Ann's Honey House"]

    # An error while saving loses nothing: the update's transaction is rolled back,
    # the summary's Save button is still the current one, and pressing it again works.
    summary = await bao.walk(PRODUCT_STEPS_EN[step_index("200 g") : -1])

    async def broken_add(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database hiccup")

    monkeypatch.setattr("bot.flows.product.add_product", broken_add)
    screen = await bao.press("💾 Save", summary.message_with("💾 Save"))
    match = ERROR.fullmatch(screen.texts[0])
    assert match and len(screen) == 1, screen
    assert any(match[1] in r.getMessage() for r in caplog.records)
    assert match[1] != reference  # each error has its own reference
    assert await bot.product_count() == 0

    monkeypatch.undo()
    screen = await bao.press("💾 Save", summary.message_with("💾 Save"))
    assert screen.texts[0].startswith(f"🎉 “{PRODUCT_NAME}” is saved.")
    assert await bot.product_count() == 1
    screen = await ann.send("/status")
    assert screen.texts == ["You have no products yet."]
