"""GS1 Digital Link: /01/{gtin14} resolves to the product page; a wrong check digit is a 400."""

from __future__ import annotations

import pytest

from bot.web.gs1 import WrongCheckDigit, gtin13_of
from tests.web.conftest import Site, seed

GTIN14 = "08930000000019"


async def test_gtin_resolves_to_the_product_page(site: Site) -> None:
    await seed(site.runtime)
    for path in (f"/01/{GTIN14}", f"/01/{GTIN14}/10/LOT-2026-11", "/01/8930000000019"):
        status, html, _ = await site.get(path)
        assert status == 200, path
        assert "Chè búp Tân Cương" in html
        assert f'<link rel="canonical" href="{site.url}/p/7K3M9P">' in html


async def test_wrong_check_digit_is_a_clear_400(site: Site) -> None:
    await seed(site.runtime)
    before = await site.stored()
    status, html, _ = await site.get("/01/08930000000018")
    assert status == 400 and "Mã vạch không hợp lệ" in html
    status, html, _ = await site.get("/01/08930000000018?lang=en")
    assert status == 400 and "Invalid barcode" in html
    status, html, _ = await site.get("/01/08930000000018/21/7K3M9PQ2XWH4TNC")
    assert status == 400
    assert await site.stored() == before


@pytest.mark.parametrize(
    "gtin", ["08930000000026", "18930000000016", "0893000000001", "abc", "0" * 40, "０８９３"]
)
async def test_unknown_or_malformed_gtin_is_404(site: Site, gtin: str) -> None:
    await seed(site.runtime)
    status, html, _ = await site.get(f"/01/{gtin}")
    assert status in (400, 404)
    assert status == 404 or "Mã vạch không hợp lệ" in html


def test_gtin_parsing() -> None:
    assert gtin13_of(GTIN14) == "8930000000019"
    assert gtin13_of("8930000000019") == "8930000000019"
    assert gtin13_of("18930000000016") is None  # an outer-case GTIN-14
    assert gtin13_of("893000000001") is None
    assert gtin13_of("٠٨٩٣٠٠٠٠٠٠٠٠١٩") is None  # Arabic-Indic digits are not GS1 digits
    with pytest.raises(WrongCheckDigit):
        gtin13_of("08930000000018")
