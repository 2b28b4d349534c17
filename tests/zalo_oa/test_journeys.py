"""Journeys on a Zalo Official Account, end to end: signed events POSTed to the running web
app's /webhook/zalo_oa, the replies read from what the fake OA API recorded."""

from __future__ import annotations

import dataclasses
import io
import re

from PIL import Image
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


async def walk(
    oa: OA, user: str, screen: list[Sent], steps: list[tuple[str, str, str]]
) -> list[Sent]:
    """Answers step after step ("send" a text or "press" an entry), each answer checked."""
    for how, value, expected in steps:
        if how == "send":
            screen = await oa.text(user, value)
        else:
            screen = await choose(oa, user, screen, value)
        assert expected in joined(screen), (value, joined(screen))
    return screen


PRODUCT_STEPS = [
    ("send", "Chè búp Tân Cương đặc biệt", "Sản phẩm thuộc nhóm nào?"),
    ("press", "Thực phẩm", "Phân nhóm nào?"),
    ("press", "Chè và sản phẩm từ chè", "mấy sao?"),
    ("press", "⭐⭐⭐⭐ 4 sao", "Số quyết định công nhận OCOP?"),
    ("send", "1234/QĐ-UBND", "Ngày quyết định"),
    ("send", "20/05/2024", "Mô tả sản phẩm"),
    ("send", "Chè búp một tôm hai lá, sao tay trên chảo gang.", "Câu chuyện sản phẩm"),
    ("send", "Ba thế hệ làm chè bên hồ Núi Cốc.", "Giá bán (đồng)?"),
    ("send", "125.000", "Đơn vị tính?"),
    ("press", "hộp", "Khối lượng tịnh"),
    ("send", "200 g", "Khối lượng cả bao bì?"),
    ("send", "260 g", "Kích thước đóng gói"),
    ("send", "20x8x8", "Hạn sử dụng?"),
    ("send", "12 tháng", "Thành phần?"),
    ("send", "100% búp chè", "chứng nhận nào khác?"),
    ("press", "✔️ Xong", "Mã số vùng trồng"),
    ("send", "VN-TN-CHE-001", "Mã vạch GTIN-13"),
    ("send", "8930000000019", "Đúng thì bấm «Lưu»"),
]


async def register(oa: OA, user: str, *, restart: bool = False) -> list[Sent]:
    """Follows the OA and registers HTX Chè Tân Cương Xanh (restarting mid-flow if asked)."""
    screen = await oa.send("follow", user)  # following the OA is the first contact
    assert joined(screen).startswith("Chào mừng anh/chị đến với Trợ lý OCOP!")
    welcome = screen
    screen = await walk(
        oa,
        user,
        screen,
        [
            ("press", "📝 Đăng ký chủ thể OCOP", "Tên chủ thể OCOP của anh/chị là gì?"),
            ("send", "HTX Chè Tân Cương Xanh", "Chủ thể thuộc loại nào?"),
            ("press", "Hợp tác xã (HTX)", "Họ tên người đại diện?"),
        ],
    )
    # A tap on the welcome screen's button now is stale: the flow stays where it is.
    stale = await choose(oa, user, welcome, "📝 Đăng ký chủ thể OCOP")
    assert "Họ tên người đại diện?" in joined(stale)
    if restart:
        await oa.restart()  # the process restarts mid-flow
    screen = await walk(
        oa,
        user,
        screen,
        [
            ("send", "Nguyễn Thị Hoa", "Số điện thoại liên hệ?"),
            ("send", "0912 345 678", "Tỉnh/thành phố nào?"),
            ("send", "Thái Nguyên", "Xã/phường/đặc khu nào?"),
            ("send", "tan cuong", "Địa chỉ cụ thể"),
            ("send", "Xóm Nam Đồng", "Gửi vị trí cơ sở sản xuất"),
        ],
    )
    where = {"latitude": "21.5942", "longitude": "105.7703"}
    location = {"type": "location", "payload": {"coordinates": where}}
    screen = await oa.send("user_send_location", user, attachment=location)
    assert "Mã số thuế" in joined(screen)
    return await walk(
        oa,
        user,
        screen,
        [
            ("send", "0123456789", "Có hiện số điện thoại"),
            ("press", "Có", "Câu chuyện của cơ sở"),
            ("press", "⏭ Bỏ qua", "🏠 HTX Chè Tân Cương Xanh"),
            ("press", "💾 Lưu", "🎉 Đăng ký xong!"),
        ],
    )


async def add_product(oa: OA, user: str, screen: list[Sent]) -> tuple[str, list[Sent]]:
    """Adds the tea with one photo; its code and the last screen."""
    screen = await choose(oa, user, screen, "➕ Thêm sản phẩm")
    assert "Tên sản phẩm?" in joined(screen)
    screen = await walk(oa, user, screen, PRODUCT_STEPS)
    screen = await choose(oa, user, screen, "💾 Lưu")
    found = re.search(r"Mã sản phẩm: (\w+)", joined(screen))
    assert found, joined(screen)
    screen = await choose(oa, user, screen, "📷 Thêm ảnh")
    assert "Gửi ảnh cho «Chè búp Tân Cương đặc biệt»" in joined(screen)
    url = oa.fake.photo_url(jpeg((60, 140, 70), (1200, 900)))
    photo = {"type": "image", "payload": {"url": url, "thumbnail": url}}
    screen = await oa.send("user_send_image", user, attachment=photo)
    assert "📷 Đã lưu ảnh số 1" in joined(screen)
    screen = await choose(oa, user, screen, "✔️ Xong")
    return found[1], screen


async def test_producer_registers_across_a_restart_and_adds_a_product_with_a_photo(
    oa: OA,
) -> None:
    screen = await register(oa, "hoa", restart=True)
    async with oa.runtime.db.transaction() as session:
        producer = await session.scalar(select(Producer))
    assert producer is not None and producer.name == "HTX Chè Tân Cương Xanh"
    assert producer.latitude is not None and abs(producer.latitude - 21.5942) < 1e-6
    code, screen = await add_product(oa, "hoa", screen)
    screen = await oa.text("hoa", "/products")
    assert code in joined(screen)
    screen = await choose(oa, "hoa", screen, "📝 Chè búp Tân Cương đặc biệt")  # one photo of 3
    cover = next(sent for sent in screen if sent.image is not None)  # uploaded, then sent
    with Image.open(io.BytesIO(cover.image or b"")) as image:
        assert image.size == (320, 320)
    assert f"📦 Chè búp Tân Cương đặc biệt — mã {code}" in joined(screen)
    assert_within_limits(oa.fake)


async def test_an_officer_reviews_and_the_producer_is_told_on_zalo(oa: OA) -> None:
    t = oa.runtime.app.catalogs.translator("vi")
    # The admin is on the OA too ("zalo_oa:<id>" in OCOP_ADMINS).
    oa.settings = dataclasses.replace(oa.settings, admins=("zalo_oa:boss",))
    oa.runtime.app.settings = oa.settings
    screen = await oa.send("follow", "boss")
    screen = await choose(oa, "boss", screen, t("menu.invite"))
    assert joined(screen).startswith(t("invite.ask_province").split("?")[0])
    screen = await oa.text("boss", "thai nguyen")
    invite = re.search(r"([A-Z0-9]{5}-[A-Z0-9]{5})", joined(screen))
    assert invite, joined(screen)
    await oa.send("follow", "minh")
    screen = await oa.text("minh", f"/officer {invite[1]}")
    assert "Thái Nguyên" in joined(screen)

    screen = await register(oa, "hoa")
    code, _ = await add_product(oa, "hoa", screen)

    screen = await oa.text("minh", "/review")
    assert t("review.queue_title", count=1) in joined(screen)
    screen = await choose(oa, "minh", screen, "1. Chè búp Tân Cương đặc biệt")
    assert f"📦 Chè búp Tân Cương đặc biệt — mã {code}" in joined(screen)
    screen = await choose(oa, "minh", screen, t("review.approve"))
    screen = await choose(oa, "minh", screen, "⭐⭐⭐⭐ 4 sao")
    await oa.restart()  # a restart in the middle of an approval loses nothing
    screen = await oa.text("minh", "1234/QĐ-UBND")
    screen = await oa.text("minh", "20/05/2024")
    screen = await choose(oa, "minh", screen, t("button.save"))
    assert joined(screen).startswith("✅")
    await oa.running.worker.run_once()  # the notice to the producer, through the OA
    notice = oa.new("hoa")
    assert notice and notice[0].text.startswith(
        t("review.notice_approved", name="Chè búp Tân Cương đặc biệt", code=code)
    )
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
