"""/near and a shared location: the nearest OCOP producers, with distance and links;
typed coordinates on a channel without a location key; the location step of /register."""

from __future__ import annotations

from bot.core.types import Location
from bot.runtime import Runtime
from storage.models import Producer, Product
from storage.producers import producer_of_user
from tests.helpers import CONSOLE, TELEGRAM, Chat, make_user, text_of

# Producers around Hà Nội and one far away in Cà Mau; one near but without an approved
# product, one near but without a location.
PRODUCERS = [
    ("HTX Gốm Bát Tràng", 20.9755, 105.9130, "approved", 5),
    ("HTX Mây tre Phú Vinh", 20.9300, 105.6600, "approved", 3),
    ("Cơ sở Chưa duyệt", 21.0300, 105.8500, "pending", 4),
    ("HTX Không vị trí", None, None, "approved", 4),
    ("HTX Tôm khô Cà Mau", 9.1769, 105.1524, "approved", 4),
]
HOAN_KIEM = (21.0288, 105.8525)


async def seed(runtime: Runtime) -> None:
    async with runtime.db.transaction() as session:
        for n, (name, lat, lon, status, stars) in enumerate(PRODUCERS):
            producer = Producer(
                name=name,
                name_folded=name.lower(),
                kind="cooperative",
                representative="Nguyễn Văn A",
                phone="+84912345678",
                province_code=1,
                ward_code=4,
                latitude=lat,
                longitude=lon,
            )
            session.add(producer)
            await session.flush()
            for m in range(3):
                session.add(
                    Product(
                        producer_id=producer.id,
                        code=f"NR{n}{m}AA",
                        name=f"{name.split(' ', 1)[1]} loại {m + 1}",
                        name_folded=name.lower(),
                        group="handicrafts",
                        subgroup="crafts_household",
                        stars=stars - m if stars - m > 0 else None,
                        review_status=status,
                    )
                )


async def test_shared_location_lists_the_nearest_producers(runtime: Runtime) -> None:
    await seed(runtime)
    chat = Chat(runtime, TELEGRAM, user_id="2001")
    await make_user(runtime, chat, producer=False)
    replies = await chat.send(chat.incoming(location=Location(*HOAN_KIEM)))
    text = text_of(replies)
    assert "Found 3 OCOP producers near you." in text
    # Nearest first, with distance; the pending one and the one without a location are not
    # listed; Cà Mau is far but still among the nearest three.
    order = [text.index(name) for name in ("HTX Gốm Bát Tràng", "HTX Mây tre Phú Vinh", "Cà Mau")]
    assert order == sorted(order)
    assert "Cơ sở Chưa duyệt" not in text and "Không vị trí" not in text
    assert "1. HTX Gốm Bát Tràng — 8" in text and " km away" in text
    assert "Gốm Bát Tràng loại 1 ⭐⭐⭐⭐⭐" in text or "Gốm Bát Tràng loại 1" in text
    assert "and 1 more product" in text
    assert "/nha-san-xuat/" in text and "/ban-do#11/21.0288/105.8525" in text
    assert replies[0].remove_keyboard  # the share key goes away
    # Each producer's best product opens its origin card.
    replies = await chat.press("Gốm Bát Tràng loại 1")
    assert "Gốm Bát Tràng loại 1" in text_of(replies)


async def test_near_asks_for_a_location_then_answers(runtime: Runtime) -> None:
    await seed(runtime)
    chat = Chat(runtime, TELEGRAM, user_id="2002")
    await make_user(runtime, chat, producer=False)
    replies = await chat.say("/near")
    assert replies[0].request_location == "📍 Share my location"
    replies = await chat.say("/near 20.97, 105.91")
    assert "HTX Gốm Bát Tràng — " in text_of(replies)
    replies = await chat.say("/near somewhere")
    assert "Those coordinates do not work" in text_of(replies)
    replies = await chat.send(chat.incoming(location=Location(48.85, 2.35)))  # Paris
    assert "outside Vietnam" in text_of(replies)


async def test_typed_coordinates_on_a_channel_without_location(runtime: Runtime) -> None:
    await seed(runtime)
    chat = Chat(runtime, CONSOLE, user_id="2003")
    await make_user(runtime, chat, producer=False)
    replies = await chat.say("/near")
    assert "for example: 10.7769, 106.7009" in text_of(replies)
    assert all(reply.request_location is None for reply in replies)
    replies = await chat.say("21.0288, 105.8525")
    assert "1. HTX Gốm Bát Tràng" in text_of(replies)


async def test_vietnamese_answer_and_nobody_near(runtime: Runtime) -> None:
    chat = Chat(runtime, TELEGRAM, user_id="2004")
    await make_user(runtime, chat, language="vi", producer=False)
    replies = await chat.send(chat.incoming(location=Location(*HOAN_KIEM)))
    assert "Chưa có cơ sở OCOP nào gửi vị trí gần đây" in text_of(replies)


async def test_register_takes_typed_coordinates_where_no_location_key(runtime: Runtime) -> None:
    chat = Chat(runtime, CONSOLE, user_id="2005")
    user_id = await make_user(runtime, chat, producer=True)
    await chat.say("/profile")
    await chat.press("✏️ Edit")
    replies = await chat.press("Map location")
    assert "Share the location of your workshop" in text_of(replies)
    replies = await chat.say("somewhere nice")
    assert "That is not a location" in text_of(replies)  # asked again, nothing lost
    await chat.say("21.5942, 105.7675")
    async with runtime.db.transaction() as session:
        producer = await producer_of_user(session, user_id)
        assert producer is not None
        assert (producer.latitude, producer.longitude) == (21.5942, 105.7675)
