"""Provinces and communes since the 2025 reform, searched without accents."""

from __future__ import annotations

from bot.core import places


def _names(found: list[places.Place]) -> list[str]:
    return [place.name for place in found]


def test_search_without_accents() -> None:
    assert _names(places.search(places.provinces(), "lam dong")) == ["Lâm Đồng"]


def test_search_with_the_other_spelling_of_accents() -> None:
    assert _names(places.search(places.provinces(), "Thanh Hoa")) == ["Thanh Hóa"]
    assert _names(places.search(places.provinces(), "THANH HÓA")) == ["Thanh Hóa"]


def test_search_ignores_the_administrative_prefix() -> None:
    assert _names(places.search(places.provinces(), "Tỉnh Lâm Đồng")) == ["Lâm Đồng"]
    assert _names(places.search(places.provinces(), "ho chi minh")) == ["Thành phố Hồ Chí Minh"]


def test_search_understands_abbreviated_prefixes() -> None:
    for typed in ("TP Hồ Chí Minh", "tp. ho chi minh", "TP.Hồ Chí Minh"):
        assert _names(places.search(places.provinces(), typed)) == ["Thành phố Hồ Chí Minh"]
    hcm = places.search(places.provinces(), "ho chi minh")[0]
    assert _names(places.search(places.wards(hcm.code), "P. Bến Thành")) == ["Phường Bến Thành"]


def test_search_puts_prefix_matches_first_and_respects_the_limit() -> None:
    found = places.search(places.provinces(), "ha", limit=3)
    assert len(found) == 3
    assert all(place.folded.startswith("ha") for place in found)


def test_search_without_a_match_is_empty() -> None:
    assert places.search(places.provinces(), "zzzz") == []
    assert places.search(places.provinces(), "   ") == []


def test_post_reform_there_are_34_provinces() -> None:
    assert len(places.provinces()) == 34


def test_ward_search_within_a_province() -> None:
    thai_nguyen = places.search(places.provinces(), "thai nguyen")[0]
    wards = places.wards(thai_nguyen.code)
    found = places.search(wards, "tan cuong")
    assert _names(found) == ["Xã Tân Cương"]
    # the same name is not found in a province that has no such commune
    lam_dong = places.search(places.provinces(), "lam dong")[0]
    assert places.search(places.wards(lam_dong.code), "tan cuong") == []


def test_lookups_by_code() -> None:
    thai_nguyen = places.search(places.provinces(), "thai nguyen")[0]
    tan_cuong = places.search(places.wards(thai_nguyen.code), "tan cuong")[0]
    assert places.province(thai_nguyen.code) == thai_nguyen
    assert places.ward(tan_cuong.code) == tan_cuong
    assert places.ward_province(tan_cuong.code) == thai_nguyen.code


def test_lookups_of_unknown_codes() -> None:
    assert places.province(999_999) is None
    assert places.ward(-1) is None
    assert places.ward_province(-1) is None
