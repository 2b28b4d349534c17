"""Fictional demo data: producers and products across the six OCOP groups.

Every name here is invented. The first producer belongs to the console
user, so `ocop-bot chat --demo` opens on a producer who already has products.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.core import formatting, places
from bot.core.media import MediaStore
from storage.models import Photo, Producer
from storage.producers import save_producer
from storage.products import add_photo, create_product, set_listing
from storage.users import get_or_create_user

PRODUCERS: list[dict[str, Any]] = [
    {
        "user": ("console", "local"),
        "name": "HTX Chè Tân Cương Xanh",
        "kind": "cooperative",
        "representative": "Nguyễn Thị Hoa",
        "phone": "+84912345678",
        "province": "Thái Nguyên",
        "ward": "Tân Cương",
        "address": "Xóm Nam Tân",
        "location": (21.5695, 105.7712),
        "tax_code": "4601234567",
        "story": (
            "Hợp tác xã do các hộ trồng chè xóm Nam Tân cùng lập, chung tay giữ "
            "vùng chè sạch và nghề sao chè bằng tay."
        ),
        "products": [
            {
                "name": "Chè búp Tân Cương đặc biệt",
                "group": "food",
                "subgroup": "tea",
                "stars": 4,
                "cert_number": "1234/QĐ-UBND",
                "cert_date": dt.date(2024, 5, 20),
                "description": "Chè búp một tôm hai lá, sao thủ công trên chảo gang.",
                "story": "Ba thế hệ làm chè trên đồi Tân Cương, giữ cách sao chè truyền thống.",
                "price_vnd": 250_000,
                "unit": "hộp",
                "net_amount": 200,
                "net_unit": "g",
                "package_weight_g": 260,
                "sides": (200, 80, 80),
                "shelf_life": "P12M",
                "ingredients": "100% búp chè xanh",
                "certs": [
                    ("vietgap", "VG-TN-0231", dt.date(2027, 6, 30)),
                    ("food_safety", "ATTP-112/2024", dt.date(2027, 3, 1)),
                ],
                "growing_area_code": "VN-TNTC-0012",
                "gtin": "8930000000019",
                "photos": 3,
                "listings": {
                    "postmart": ("live", "https://postmart.vn/demo-che"),
                    "shopee": ("preparing", None),
                },
            },
            {
                "name": "Trà hoa vàng túi lọc",
                "review": "pending",  # left in the officers' review queue
                "group": "food",
                "subgroup": "tea",
                "stars": None,
                "description": "Trà túi lọc tiện dùng từ búp chè và hoa vàng.",
                "price_vnd": 85_000,
                "unit": "hộp",
                "net_amount": 50,
                "net_unit": "g",
                "photos": 1,
            },
        ],
    },
    {
        "user": ("demo", "2"),
        "name": "Cơ sở rượu cần Buôn Đôn",
        "kind": "household",
        "representative": "Y Bhiăo Niê",
        "phone": "+84987654321",
        "province": "Đắk Lắk",
        "ward": "Buôn Đôn",
        "location": (12.8965, 107.7870),
        "story": (
            "Gia đình ở buôn làng ven sông Sêrêpốk nấu rượu cần theo cách ông bà "
            "truyền lại, dùng men lá rừng."
        ),
        "products": [
            {
                "name": "Rượu cần ché nhỏ",
                "group": "beverages",
                "subgroup": "alcoholic",
                "stars": 3,
                "cert_number": "77/QĐ-UBND",
                "cert_date": dt.date(2023, 1, 10),
                "description": "Rượu cần ủ men lá rừng theo công thức của buôn làng.",
                "story": "Men lá được hái từ rừng quanh buôn, ủ trong ché sành.",
                "price_vnd": 320_000,
                "unit": "ché",
                "net_amount": 2000,
                "net_unit": "ml",
                "package_weight_g": 3500,
                "sides": (250, 250, 350),
                "shelf_life": "P24M",
                "ingredients": "Gạo nếp, men lá",
                "photos": 3,
                "listings": {"provincial": ("live", "https://santmdt.daklak.demo/ruou-can")},
            }
        ],
    },
    {
        "user": ("demo", "3"),
        "name": "Công ty TNHH Dược liệu Sa Pa Xanh",
        "kind": "enterprise",
        "representative": "Lý Văn Sử",
        "phone": "0203 3871 234",
        "province": "Lào Cai",
        "ward": "Sa Pa",
        "story": "Công ty cùng bà con người Dao đỏ trồng và sấy dược liệu dưới tán rừng Sa Pa.",
        "products": [
            {
                "name": "Cao tắm lá thuốc người Dao đỏ",
                "group": "herbal",
                "subgroup": "herbal_cosmetics",
                "stars": 4,
                "cert_number": "305/QĐ-UBND",
                "cert_date": dt.date(2025, 2, 14),
                "description": "Cao đặc từ hơn 20 loại lá thuốc, pha nước tắm thư giãn.",
                "price_vnd": 150_000,
                "unit": "chai",
                "net_amount": 500,
                "net_unit": "ml",
                "package_weight_g": 650,
                "sides": (80, 80, 220),
                "shelf_life": "P18M",
                "ingredients": "Lá thuốc tắm người Dao",
                "photos": 2,
            }
        ],
    },
    {
        "user": ("demo", "4"),
        "name": "Tổ hợp tác Mây tre đan Phú Vinh",
        "kind": "coop_group",
        "representative": "Trần Văn Nam",
        "phone": "0966 111 222",
        "province": "Hà Nội",
        "ward": "Phú Nghĩa",
        "location": (20.9310, 105.6590),
        "story": (
            "Các thợ đan làng Phú Vinh góp sức thành tổ hợp tác, truyền nghề cho "
            "lớp trẻ trong làng."
        ),
        "products": [
            {
                "name": "Giỏ mây đan tay có nắp",
                "group": "handicrafts",
                "subgroup": "crafts_household",
                "stars": 3,
                "cert_number": "88/QĐ-UBND",
                "cert_date": dt.date(2024, 9, 1),
                "description": "Giỏ mây đan tay, dùng đựng đồ hoặc làm quà tặng.",
                "story": "Nghề mây tre đan Phú Vinh có từ hơn 400 năm.",
                "price_vnd": 180_000,
                "unit": "cái",
                "net_amount": 600,
                "net_unit": "g",
                "package_weight_g": 800,
                "sides": (300, 200, 200),
                "photos": 3,
                "listings": {"lazada": ("rejected", None)},
            }
        ],
    },
    {
        "user": ("demo", "5"),
        "name": "Nhà vườn Lan Đà Lạt",
        "kind": "household",
        "representative": "Phạm Minh Khôi",
        "phone": "+84 263 3822 333",
        "province": "Lâm Đồng",
        "ward": "Lâm Viên - Đà Lạt",
        "location": (11.9404, 108.4583),
        "story": (
            "Nhà vườn của hai vợ chồng mê hoa lan, chăm từng giậu lan trong khí hậu mát của Đà Lạt."
        ),
        "products": [
            {
                "name": "Lan hồ điệp chậu 3 cành",
                "group": "ornamental",
                "subgroup": "flowers",
                "stars": 3,
                "cert_number": "42/QĐ-UBND",
                "cert_date": dt.date(2022, 11, 30),
                "description": "Lan hồ điệp trồng trong nhà kính, giao kèm chậu sứ.",
                "price_vnd": 1_200_000,
                "unit": "chậu",
                "net_amount": 3000,
                "net_unit": "g",
                "photos": 1,
            }
        ],
    },
    {
        "user": ("demo", "6"),
        "name": "HTX Du lịch cộng đồng Cồn Sơn",
        "kind": "cooperative",
        "representative": "Lê Thị Mai",
        "phone": "0292 3555 777",
        "province": "Cần Thơ",
        "ward": "Thới An Đông",
        "location": (10.0905, 105.7420),
        "story": (
            "Các hộ dân trên cồn mở vườn, bếp quê đón khách, giới thiệu nếp sống "
            "miệt vườn sông Hậu."
        ),
        "products": [
            {
                "name": "Tour một ngày trải nghiệm cù lao Cồn Sơn",
                "group": "tourism",
                "subgroup": "tourism_services",
                "stars": 4,
                "cert_number": "901/QĐ-UBND",
                "cert_date": dt.date(2025, 6, 5),
                "description": "Đi xuồng, xem cá lóc bay, làm bánh dân gian cùng người dân.",
                "story": "Người dân cù lao cùng nhau đón khách từ năm 2015.",
                "price_vnd": 450_000,
                "unit": "người",
                "photos": 2,
            }
        ],
    },
]

_COLOURS = ["#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f"]


def demo_photo(label: str, index: int) -> bytes:
    """A plain coloured square with the product's name: enough to see photos work."""
    image = Image.new("RGB", (800, 800), _COLOURS[index % len(_COLOURS)])
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 760, 760), outline="white", width=8)
    draw.text((80, 380), f"{label[:30]}  #{index + 1}", fill="white")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _place_codes(province_name: str, ward_name: str) -> tuple[int, int]:
    province = places.search(places.provinces(), province_name, limit=1)[0]
    ward = places.search(places.wards(province.code), ward_name, limit=1)[0]
    return province.code, ward.code


async def seed_demo(session: AsyncSession, settings: Settings) -> int:
    """Adds the demo producers unless they are there already; returns how many were added."""
    media = MediaStore(settings.media)
    added = 0
    for number, spec in enumerate(PRODUCERS):
        exists = await session.scalar(
            select(func.count()).select_from(Producer).where(Producer.name == spec["name"])
        )
        if exists:
            continue
        channel, external_id = spec["user"]
        user = await get_or_create_user(session, channel, external_id, spec["representative"])
        province_code, ward_code = _place_codes(spec["province"], spec["ward"])
        location = spec.get("location")
        producer = await save_producer(
            session,
            user.id,
            {
                "name": spec["name"],
                "kind": spec["kind"],
                "representative": spec["representative"],
                "phone": spec["phone"],
                "province_code": province_code,
                "ward_code": ward_code,
                "address": spec.get("address", ""),
                "latitude": location[0] if location else None,
                "longitude": location[1] if location else None,
                "tax_code": spec.get("tax_code"),
                "show_phone": number % 2 == 0,
                "story": spec.get("story"),
            },
        )
        for item in spec["products"]:
            await _add_product(session, media, producer.id, item, number)
        added += 1
    return added


async def _add_product(
    session: AsyncSession, media: MediaStore, producer_id: int, item: dict[str, Any], number: int
) -> None:
    sides = item.get("sides") or (None, None, None)
    cert_date = item.get("cert_date")
    columns = {
        key: item.get(key)
        for key in (
            "name",
            "group",
            "subgroup",
            "stars",
            "cert_number",
            "cert_date",
            "description",
            "story",
            "price_vnd",
            "unit",
            "net_amount",
            "net_unit",
            "package_weight_g",
            "shelf_life",
            "ingredients",
            "growing_area_code",
            "gtin",
        )
    }
    columns |= {
        "length_mm": sides[0],
        "width_mm": sides[1],
        "height_mm": sides[2],
        "cert_expiry": formatting.add_months(cert_date, 36) if cert_date else None,
    }
    product = await create_product(session, producer_id, columns, item.get("certs", []))
    # Approved, so the public catalogue and map have something to show (docs/catalogue.md).
    product.review_status = item.get("review", "approved")
    for index in range(item.get("photos", 0)):
        data = demo_photo(item["name"], number + index)
        info = media.keep(media.prepare(data))
        photo = Photo(
            sha256=info.sha256,
            mime=info.mime,
            width=info.width,
            height=info.height,
            size_bytes=info.size,
        )
        await add_photo(session, product, photo)
    for marketplace, (status, url) in item.get("listings", {}).items():
        reason = "Ảnh chưa đủ rõ nét" if status == "rejected" else None
        await set_listing(session, product, marketplace, status, url, reason)
