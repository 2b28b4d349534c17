"""A producer's own story (câu chuyện): told in /register or later from /profile, and
shown on its public producer page instead of its products' stories."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.web import create_app
from storage.models import Producer, Product
from tests.e2e.conftest import E2E, Chat

PRODUCT_STORY = "Ba thế hệ làm chè trên đồi Tân Cương."  # from PRODUCT_STEPS_EN
STORY = (
    "Chúng tôi bắt đầu từ năm 1998 với ba nương chè.\n"
    "Nay cả xóm cùng sao chè bằng tay <ngon> & sạch."
)


@asynccontextmanager
async def producer_pages(bot: E2E) -> AsyncIterator[TestClient[Any, Any]]:
    """The public web app on the bot's own database (the index off: fresh reads)."""
    runtime = bot.runtime
    app = create_app(
        bot.settings,
        runtime.db,
        runtime.app.catalogs,
        runtime.app.media,
        bot.clock,
        cache_seconds=0,
    )
    client: TestClient[Any, Any] = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def publish(bot: E2E, code: str) -> int:
    """Approves the product (as a reviewing officer would); returns its producer's id."""
    async with bot.runtime.db.transaction() as session:
        product = await session.scalar(select(Product).where(Product.code == code))
        assert product is not None
        product.review_status = "approved"
        return product.producer_id


async def stored_story(bot: E2E, producer_id: int) -> str | None:
    async with bot.runtime.db.transaction() as session:
        producer = await session.get(Producer, producer_id)
        assert producer is not None
        return producer.story


async def page_of(bot: E2E, producer_id: int) -> str:
    async with producer_pages(bot) as client:
        response = await client.get(f"/nha-san-xuat/{producer_id}?lang=en")
        assert response.status == 200
        return await response.text()


def organization_description(page: str) -> str | None:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match, page
    data: dict[str, Any] = json.loads(match[1])
    return data.get("description")


async def register_with_story(chat: Chat) -> None:
    await chat.press("📝 Register my OCOP entity")
    await chat.walk(
        [
            ("send", "HTX Chè Tân Cương Xanh", "What kind of entity"),
            ("press", "Cooperative", "Full name of the representative"),
            ("send", "Nguyễn Thị Hoa", "Contact phone number"),
            ("send", "0912 345 678", "Which province"),
            ("send", "Thai Nguyen", "Which commune"),
            ("send", "Tan Cuong", "Street address"),
            ("press", "⏭ Skip", "Share the location"),
            ("key", "⏭ Skip", "Tax code"),
            ("press", "⏭ Skip", "Show your phone number"),
            ("press", "No", "Your business's story (optional)"),
        ]
    )
    screen = await chat.send("quá ngắn")  # too short: asked again, nothing lost
    assert "Your business's story" in screen.text, screen
    screen = await chat.send(STORY)
    assert f"Story: {STORY}" in screen.text, screen  # read back before saving
    screen = await chat.press("💾 Save")
    assert "You're registered" in screen.text, screen


async def test_story_told_in_register_is_on_the_producer_page(bot: E2E) -> None:
    hoa = bot.chat(4101)
    await hoa.start_in_english()
    await register_with_story(hoa)
    code = await hoa.add_product()  # its own product story is told too
    producer_id = await publish(bot, code)
    assert await stored_story(bot, producer_id) == STORY

    page = await page_of(bot, producer_id)
    assert html.escape(STORY, quote=False) in page  # as written, escaped
    assert "<ngon>" not in page
    assert PRODUCT_STORY not in page  # not the product's story instead
    assert organization_description(page) == STORY


async def test_story_added_from_profile_replaces_the_products_stories(bot: E2E) -> None:
    hoa = await bot.producer(4102)  # registered without a story
    code = await hoa.add_product()
    producer_id = await publish(bot, code)
    before = await page_of(bot, producer_id)
    assert PRODUCT_STORY in before  # its product's story stands in for now
    assert organization_description(before) is None

    await hoa.send("/profile")
    await hoa.press("✏️ Edit")
    screen = await hoa.press("Your story")
    assert screen.text.startswith("Your business's story (optional)"), screen
    screen = await hoa.send(STORY)
    assert "✅ Profile updated." in screen.text, screen
    assert f"Story: {STORY}" in screen.text, screen  # the profile card shows it
    assert await stored_story(bot, producer_id) == STORY

    after = await page_of(bot, producer_id)
    assert html.escape(STORY, quote=False) in after
    assert PRODUCT_STORY not in after
    assert organization_description(after) == STORY
