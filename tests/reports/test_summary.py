"""The KPI message in words: targets, shares, and what is left to do."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.i18n import Catalogs
from bot.reports import summary
from storage.kpis import AreaKpis, Kpis

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


def province(**counts: int) -> Kpis:
    area = AreaKpis(5503, **counts)
    total = AreaKpis(19)
    total.add(area)
    return Kpis(19, TODAY, total, {3: 2, 0: 1}, {"food": 3}, [area])


def test_text_in_vietnamese(catalogs: Catalogs) -> None:
    text = summary.text(
        catalogs.translator("vi"),
        province(producers=1, products=3, certified=2, certified_live=1, labelled=3, expiring=1),
    )
    assert text.splitlines()[:2] == ["📊 Số liệu OCOP — Thái Nguyên", "Số liệu ngày 23/11/2026"]
    assert "• Sản phẩm 3★ trở lên đang bán trên sàn TMĐT: 1/2 (50%) — còn 1 sản phẩm" in text
    assert "• Sản phẩm có mã QR truy xuất nguồn gốc: 3/3 (100%)\n" in text  # nothing to go
    assert "⏳ Giấy chứng nhận OCOP hết hiệu lực trong 90 ngày tới: 1" in text
    assert "⌛" not in text  # nothing expired: no line
    assert "• Xã Tân Cương: 1 chủ thể, 3 sản phẩm; 3★+ trên sàn 1/2; có mã QR 3/3" in text
    assert "3★: 2 · Chưa xếp hạng: 1" in text


def test_shares_are_rounded_in_the_readers_locale(catalogs: Catalogs) -> None:
    assert summary.percent(catalogs.translator("vi"), 2, 3) == "66,7%"
    assert summary.percent(catalogs.translator("en"), 2, 3) == "66.7%"
    assert summary.percent(catalogs.translator("en"), 0, 0) == "—"
    en = catalogs.translator("en")
    assert summary.percent(en, 19_999, 20_000) == "99.9%"  # not "100%": one is still missing
    assert summary.percent(en, 1, 20_000) == "0.1%"  # not "0%": work has begun
    assert (summary.percent(en, 0, 5), summary.percent(en, 5, 5)) == ("0%", "100%")


def test_no_products(catalogs: Catalogs) -> None:
    text = summary.text(catalogs.translator("en"), Kpis(19, TODAY, AreaKpis(19)))
    assert text.endswith("📦 Products: 0\nNo products have been registered in this area yet.")


def test_long_area_lists_point_to_the_export(catalogs: Catalogs) -> None:
    areas = [AreaKpis(code, producers=1, products=1) for code in range(900_000, 900_040)]
    total = AreaKpis(19, producers=40, products=40)
    text = summary.text(catalogs.translator("en"), Kpis(19, TODAY, total, {0: 40}, {}, areas))
    assert text.count("\n• Area code ") == summary.MAX_AREA_LINES
    assert "… and 10 more areas" in text


def test_every_summary_key_exists(catalogs: Catalogs) -> None:
    for language in ("vi", "en"):
        keys = catalogs.keys(language)
        assert set(summary.GROUP_SHORT.values()) <= keys
