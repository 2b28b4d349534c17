"""Serial stamp checks /s/{serial}: genuine on the first check, a warning after, "not ours" else."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot.labels.serials import format_serial
from storage.models import Scan
from tests.web.conftest import Site, seed

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36"
)
DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126 Safari/537.36"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def person(agent: str = PHONE, language: str = "vi-VN,vi;q=0.9,en;q=0.8") -> dict[str, str]:
    """The headers of a person's browser: only such requests count as checks."""
    return {"User-Agent": agent, "Accept": ACCEPT, "Accept-Language": language}


def another_person(site: Site) -> None:
    """The next request comes from another browser: without this one's cookie."""
    site.client.session.cookie_jar.clear()


PREVIEWS = [
    "TelegramBot (like TwitterBot)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Mozilla/5.0 (compatible; Zalo/1.0)",
]


async def test_first_check_is_genuine_then_a_warning(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=3)
    serial = seeded.serials[0]
    status, html, response = await site.get(f"/s/{serial}", headers=person())
    assert status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Hàng chính hãng" in html and "lần kiểm tra đầu tiên" in html
    assert "Chè búp Tân Cương" in html and "OCOP 4 sao" in html  # the product card
    assert "LOT-2026-11" in html and "01/11/2026" in html and "01/11/2027" in html
    assert format_serial(serial) in html

    site.clock.advance(days=2, hours=5)
    another_person(site)
    status, html, _ = await site.get(f"/s/{serial}", headers=person(DESKTOP))
    assert status == 200
    assert "Cảnh báo" in html
    # First check at 03:00 UTC on 23/11/2026 = 10:00 in Vietnam.
    assert "đã được kiểm tra 2 lần khác nhau, lần đầu lúc 23/11/2026 10:00" in html
    another_person(site)
    _, html, _ = await site.get(f"/s/{serial.lower()}?lang=en", headers=person(language="en"))
    assert "Warning" in html and "checked 3 separate times, first on 23/11/2026 10:00" in html

    async with site.runtime.db.transaction() as session:
        scans = (await session.execute(select(Scan.channel, Scan.client).order_by(Scan.id))).all()
    assert [tuple(s) for s in scans] == [("web", "mobile"), ("web", "desktop"), ("web", "mobile")]
    stored = await site.stored()
    assert dict((s, c) for s, c in stored["stamps"])[serial] == 3


async def test_other_serials_are_untouched(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=2)
    await site.get(f"/s/{seeded.serials[0]}", headers=person())
    counts = dict((await site.stored())["stamps"])
    assert counts == {seeded.serials[0]: 1, seeded.serials[1]: 0}


async def test_grouped_serial_as_printed_works(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    status, html, _ = await site.get(f"/s/{format_serial(seeded.serials[0])}", headers=person())
    assert status == 200 and "Hàng chính hãng" in html


@pytest.mark.parametrize("user_agent", PREVIEWS)
async def test_link_previews_do_not_count(site: Site, user_agent: str) -> None:
    seeded = await seed(site.runtime, stamps=1)
    before = await site.stored()
    status, html, _ = await site.get(f"/s/{seeded.serials[0]}", headers={"User-Agent": user_agent})
    assert status == 200
    assert "Kiểm tra tem chống hàng giả OCOP" in html
    assert "Hàng chính hãng" not in html and "Cảnh báo" not in html
    assert await site.stored() == before
    # The person who then opens the link is the first check.
    _, html, _ = await site.get(f"/s/{seeded.serials[0]}", headers=person())
    assert "Hàng chính hãng" in html


async def test_head_does_not_count(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    before = await site.stored()
    response = await site.client.head(f"/s/{seeded.serials[0]}", headers={"User-Agent": PHONE})
    assert response.status == 200
    assert await site.stored() == before


async def test_unknown_serial_is_not_ours(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    from bot.labels.serials import new_serial

    before = await site.stored()
    unknown = new_serial()
    assert unknown not in seeded.serials
    status, html, _ = await site.get(f"/s/{unknown}")
    assert status == 404
    assert "Tem này không phải của chúng tôi" in html
    status, html, _ = await site.get(f"/s/{unknown}?lang=en")
    assert "This stamp is not ours" in html
    assert await site.stored() == before


@pytest.mark.parametrize(
    "raw",
    [
        "ABC",
        "7K3M9PQ2XWH4TNX",  # right length and alphabet, wrong check symbol (most likely)
        "0" * 15,
        "X" * 33,
        "Y" * 3000,
        "..%2F..%2Fetc%2Fpasswd",
        "%27%20OR%201%3D1--",
        "têmgiả",
    ],
)
async def test_malformed_serial_is_not_ours(site: Site, raw: str) -> None:
    seeded = await seed(site.runtime, stamps=1)
    before = await site.stored()
    status, html, _ = await site.get(f"/s/{raw}")
    assert status == 404 and "Tem này không phải của chúng tôi" in html
    assert await site.stored() == before
    assert seeded.serials  # the real one still answers
    status, _, _ = await site.get(f"/s/{seeded.serials[0]}")
    assert status == 200


async def test_gs1_stamp_check(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    serial = seeded.serials[0]
    path = f"/01/08930000000019/10/LOT-2026-11/21/{serial}"
    status, html, _ = await site.get(path, headers=person())
    assert status == 200 and "Hàng chính hãng" in html
    another_person(site)
    status, html, _ = await site.get(f"/01/08930000000019/21/{serial}", headers=person())
    assert status == 200 and "đã được kiểm tra 2 lần khác nhau" in html


async def test_gs1_stamp_of_another_product_is_not_ours(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    await seed(site.runtime, product={"code": "AB2CD3", "gtin": "8930000000026"})
    before = await site.stored()
    status, html, _ = await site.get(f"/01/08930000000026/21/{seeded.serials[0]}")
    assert status == 404 and "Tem này không phải của chúng tôi" in html
    assert await site.stored() == before


async def test_scan_time_is_stored_in_utc(site: Site) -> None:
    seeded = await seed(site.runtime, stamps=1)
    site.clock.now = dt.datetime(2026, 12, 31, 20, 30, tzinfo=dt.UTC)  # 03:30 on 1 Jan there
    await site.get(f"/s/{seeded.serials[0]}", headers=person())
    another_person(site)
    _, html, _ = await site.get(f"/s/{seeded.serials[0]}", headers=person())
    assert "lần đầu lúc 01/01/2027 03:30" in html
