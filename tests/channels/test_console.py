"""The console channel: a producer registers and adds a product by typing alone."""

from __future__ import annotations

from pathlib import Path

from bot.channels.console import ConsoleChannel, render
from bot.demo import demo_photo
from bot.runtime import Runtime
from storage.products import product_by_code


async def _say(channel: ConsoleChannel, line: str) -> str:
    return "\n".join(render(reply) for reply in await channel.send(line))


async def test_console_registration_and_product(runtime: Runtime, tmp_path: Path) -> None:
    channel = ConsoleChannel(runtime.dispatcher, user_id="farmer")
    screen = await _say(channel, "/start")
    assert "Chào mừng" in screen  # in Vietnamese straight away: the console reports none
    assert "2. 📝 Đăng ký chủ thể OCOP" in screen  # numbered menu instead of buttons
    assert "5. 🇬🇧 English" in screen

    answers = [
        ("2", "Tên chủ thể OCOP"),  # Register
        ("HTX Chè Tân Cương", "loại nào"),
        ("2", "người đại diện"),  # cooperative
        ("Nguyễn Thị Hoa", "Số điện thoại"),
        ("0912 345 678", "Tỉnh/thành phố"),
        ("thai nguyen", "Xã/phường"),  # diacritics optional
        ("tan cuong", "Địa chỉ"),
        ("/skip", "vị trí"),
        ("/skip", "Mã số thuế"),
        ("/skip", "Có hiện số điện thoại"),
        ("2", "Câu chuyện của cơ sở"),
        ("/skip", "Đúng thì bấm «Lưu»"),
        ("1", "Đăng ký xong"),
        ("1", "Tên sản phẩm"),  # New product
        ("Chè búp Tân Cương", "nhóm nào"),
        ("1", "Phân nhóm"),
        ("5", "mấy sao"),
        ("4", "Số quyết định"),
        ("1234/QĐ-UBND", "Ngày quyết định"),
        ("20/05/2024", "Mô tả sản phẩm"),
        ("Chè búp một tôm hai lá, sao tay.", "Câu chuyện"),
        ("Ba thế hệ làm chè trên đồi Tân Cương.", "Giá bán"),
        ("125.000", "Đơn vị tính"),
        ("hộp", "Khối lượng tịnh"),
        ("200 g", "Khối lượng cả bao bì"),
        ("260 g", "Kích thước"),
        ("20x8x8", "Hạn sử dụng"),
        ("12 tháng", "Thành phần"),
        ("100% búp chè", "chứng nhận nào khác"),
        ("6", "✅ Cơ sở đủ điều kiện ATTP"),  # toggled on
        ("7", "Cơ sở đủ điều kiện ATTP: số giấy chứng nhận"),
        ("ATTP-12/2024 01/03/2027", "vùng trồng"),
        ("/skip", "GTIN-13"),
        ("8930000000019", "Giá bán: 125.000\xa0₫ / hộp"),
    ]
    for line, expected in answers:
        screen = await _say(channel, line)
        assert expected in screen, f"after {line!r}:\n{screen}"

    screen = await _say(channel, "1")  # Save
    assert "Đã lưu sản phẩm «Chè búp Tân Cương»" in screen
    code = screen.split("Mã sản phẩm: ")[1].split()[0]

    photo = tmp_path / "tea.jpg"
    photo.write_bytes(demo_photo("tea", 0))
    assert "Gửi ảnh" in await _say(channel, "1")  # Add photos
    assert "Đã lưu ảnh số 1" in await _say(channel, f"/photo {photo}")

    async with runtime.db.transaction() as session:
        product = await product_by_code(session, code)
        assert product is not None
        assert product.price_vnd == 125_000
        assert product.net_amount == 200 and product.net_unit == "g"
        assert (product.length_mm, product.width_mm, product.height_mm) == (200, 80, 80)
        assert product.cert_expiry is not None and product.cert_expiry.isoformat() == "2027-05-20"
        assert [c.kind for c in product.certifications] == ["food_safety"]
        assert product.gtin == "8930000000019"
        assert len(product.photos) == 1
