"""/find with the catalogue's filters typed in words (bot/handlers/find_filters.py)."""

from __future__ import annotations

from bot.config import load_settings
from bot.handlers.find_filters import split_filters
from bot.runtime import Runtime
from storage.models import Listing, Producer, Product
from tests.helpers import TELEGRAM, Chat, make_user, text_of

SETTINGS = load_settings(environ={})
GROUPS = {
    "food": ["Thực phẩm", "Food"],
    "handicrafts": ["Thủ công mỹ nghệ", "Handicrafts"],
}


def split(text: str) -> tuple[str, dict[str, object]]:
    found = split_filters(text, SETTINGS.marketplaces, GROUPS)
    applied = {k: v for k, v in vars(found.filters).items() if v is not None}
    return " ".join(found.words), applied


def test_filters_in_words_and_the_name_left() -> None:
    assert split("bánh tráng tỉnh Tây Ninh 4 sao shopee") == (
        "banh trang",
        {"province": 80, "stars": 4, "market": "shopee"},
    )
    assert split("Bánh tráng ở tây ninh xã Trảng Bàng") == (
        "banh trang",
        {"province": 80, "commune": 25708},
    )
    assert split("banh trang tinh tay ninh phuong trang bang 5*") == (
        "banh trang",
        {"province": 80, "commune": 25708, "stars": 5},
    )
    assert split("thủ công mỹ nghệ 3 stars in Ha Noi") == (
        "",
        {"group": "handicrafts", "stars": 3, "province": 1},
    )


def test_words_that_only_look_like_filters_stay_in_the_name() -> None:
    # A number without "sao" is part of a name; a province without a marker too.
    assert split("gạo ST25 loại 5") == ("gao st25 loai 5", {})
    assert split("bánh tráng Tây Ninh") == ("banh trang tay ninh", {})
    assert split("tỉnh Atlantis") == ("tinh atlantis", {})


async def test_find_applies_the_filters(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        for n, (province, ward, stars, shop) in enumerate(
            [
                (80, 25708, 5, "shopee"),
                (80, 25708, 3, "shopee"),
                (19, 5503, 5, "shopee"),
                (80, 25708, 5, None),
            ]
        ):
            producer = Producer(
                name=f"Cơ sở {n}",
                name_folded=f"co so {n}",
                kind="household",
                representative="A",
                phone="+84912345678",
                province_code=province,
                ward_code=ward,
            )
            session.add(producer)
            await session.flush()
            product = Product(
                producer_id=producer.id,
                code=f"FF{n}AAA",
                name=f"Bánh tráng số {n}",
                name_folded=f"banh trang so {n}",
                group="food",
                subgroup="processed",
                stars=stars,
                review_status="approved",
            )
            session.add(product)
            await session.flush()
            if shop:
                session.add(Listing(product_id=product.id, marketplace=shop, status="live"))
    chat = Chat(runtime, TELEGRAM, user_id="3001")
    await make_user(runtime, chat, producer=False)
    replies = await chat.say("/find bánh tráng tỉnh Tây Ninh 4 sao shopee")
    text = text_of(replies)
    assert "1 product" in text and "Bánh tráng số 0" in text
    assert "Filtered: Tây Ninh · 4★ and up · Shopee" in text
    replies = await chat.say("/find banh trang")
    assert "4 products" in text_of(replies) and "Filtered" not in text_of(replies)
