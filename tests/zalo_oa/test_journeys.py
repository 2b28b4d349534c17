"""Journeys on a Zalo Official Account, end to end: signed events POSTed to the running web
app's /webhook/zalo_oa, the replies read from what the fake OA API recorded."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import Producer, User
from testkit.fake_zalo_oa import Sent
from tests.web.conftest import PRODUCT, jpeg, seed
from tests.zalo_oa.conftest import OA, assert_within_limits


async def choose(oa: OA, user: str, screen: list[Sent], label: str) -> list[Sent]:
    """Picks an entry as a person would: its button, else its number, else its command."""
    for sent in reversed(screen):
        if any(button["title"] == label for button in sent.buttons):
            return await oa.tap(user, sent, label)
    text = "\n".join(sent.text for sent in screen)
    numbered = re.search(rf"^(\d+)\. {re.escape(label)}$", text, re.M)
    if numbered:
        return await oa.text(user, numbered.group(1))
    command = re.search(rf"(/\w+) {re.escape(label)}", text)
    assert command, f"{label!r} is not on the screen:\n{text}"
    return await oa.text(user, command.group(1))


def joined(screen: list[Sent]) -> str:
    return "\n".join(sent.text for sent in screen)


async def test_producer_registers_across_a_restart(oa: OA) -> None:
    screen = await oa.send("follow", "hoa")  # following the OA is the first contact
    assert joined(screen).startswith("Chào mừng anh/chị đến với Trợ lý OCOP!")
    welcome = screen
    screen = await choose(oa, "hoa", screen, "📝 Đăng ký chủ thể OCOP")
    assert joined(screen).startswith("Tên chủ thể OCOP của anh/chị là gì?")
    screen = await oa.text("hoa", "HTX Chè Tân Cương Xanh")
    assert "Chủ thể thuộc loại nào?" in joined(screen)
    screen = await choose(oa, "hoa", screen, "Hợp tac xã (HTX)".replace("tac", "tác"))
    assert "Họ tên người đại diện?" in joined(screen)

    # A tap on the welcome screen's button now is stale: the flow stays where it is.
    stale = await choose(oa, "hoa", welcome, "📝 Đăng ký chủ thể OCOP")
    assert "Họ tên người đại diện?" in joined(stale)

    await oa.restart()  # the process restarts mid-flow
    screen = await oa.text("hoa", "Nguyễn Thị Hoa")
    assert joined(screen).startswith("Số điện thoại liên hệ?")
    screen = await oa.text("hoa", "0912 345 678")
    assert "Tỉnh/thành phố nào?" in joined(screen)
    screen = await oa.text("hoa", "Thái Nguyên")
    screen = await oa.text("hoa", "tan cuong")
    assert "Địa chỉ cụ thể" in joined(screen)
    screen = await oa.text("hoa", "Xóm Nam Đồng")
    assert "Gửi vị trí cơ sở sản xuất" in joined(screen)
    location = {
        "type": "location",
        "payload": {"coordinates": {"latitude": "21.5942", "longitude": "105.7703"}},
    }
    screen = await oa.send("user_send_location", "hoa", attachment=location)
    assert "Mã số thuế" in joined(screen)
    screen = await oa.text("hoa", "0123456789")
    screen = await choose(oa, "hoa", screen, "Có")
    screen = await choose(oa, "hoa", screen, "⏭ Bỏ qua")
    assert "🏠 HTX Chè Tân Cương Xanh" in joined(screen)
    screen = await choose(oa, "hoa", screen, "💾 Lưu")
    async with oa.runtime.db.transaction() as session:
        producer = await session.scalar(select(Producer))
    assert producer is not None and producer.name == "HTX Chè Tân Cương Xanh"
    assert producer.latitude is not None and abs(producer.latitude - 21.5942) < 1e-6
    assert_within_limits(oa.fake)


async def test_a_consumer_looks_a_product_up_by_its_code_and_sends_a_photo(oa: OA) -> None:
    seeded = await seed(oa.runtime)
    screen = await oa.text("minh", seeded.code.lower())
    assert PRODUCT["name"] in joined(screen)
    # A photo of something with no code on it: read, answered, nothing breaks.
    url = oa.fake.photo_url(jpeg((90, 140, 60)))
    screen = await oa.send(
        "user_send_image", "minh", attachment={"type": "image", "payload": {"url": url}}
    )
    assert screen and joined(screen)
    assert "error" not in joined(screen).lower()
    assert_within_limits(oa.fake)


async def test_an_unfollow_marks_the_user_blocked_and_a_message_unblocks(oa: OA) -> None:
    await oa.send("follow", "lan")
    body, headers = oa.fake.event("unfollow", "lan")
    assert await oa.post(body, headers) == 200
    async with oa.runtime.db.transaction() as session:
        user = await session.scalar(select(User).where(User.external_id == "lan"))
        assert user is not None and user.blocked_at is not None
    oa.clock.advance(minutes=1)
    await oa.send("follow", "lan")  # following again
    async with oa.runtime.db.transaction() as session:
        user = await session.scalar(
            select(User).where(User.external_id == "lan").execution_options(populate_existing=True)
        )
        assert user is not None and user.blocked_at is None


async def test_a_long_answer_is_split_under_zalos_limit(oa: OA) -> None:
    screen = await oa.text("u", "/help")
    assert screen and all(len(sent.text) <= 2000 for sent in screen)
    assert_within_limits(oa.fake)
