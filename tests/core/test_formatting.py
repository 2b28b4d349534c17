"""Stored values read back in the user's language."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core import formatting
from bot.i18n import Catalogs, Translator


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs("vi", "Asia/Ho_Chi_Minh")


@pytest.fixture
def vi(catalogs: Catalogs) -> Translator:
    return catalogs.translator("vi")


@pytest.fixture
def en(catalogs: Catalogs) -> Translator:
    return catalogs.translator("en")


def test_quantity_in_vietnamese(vi: Translator) -> None:
    assert formatting.quantity(vi, 500, "g") == "500 g"
    assert formatting.quantity(vi, 1500, "g") == "1,5 kg"
    assert formatting.quantity(vi, 750, "ml") == "750 ml"
    assert formatting.quantity(vi, 1000, "ml") == "1 l"
    assert formatting.quantity(vi, 1250, "ml") == "1,25 l"


def test_quantity_in_english(en: Translator) -> None:
    assert formatting.quantity(en, 500, "g") == "500 g"
    assert formatting.quantity(en, 1500, "g") == "1.5 kg"
    assert formatting.quantity(en, 1000, "ml") == "1 l"


def test_dimensions(vi: Translator, en: Translator) -> None:
    assert formatting.dimensions(vi, [200, 100, 50]) == "20 × 10 × 5 cm"
    assert formatting.dimensions(vi, [205, 100, 55]) == "20,5 × 10 × 5,5 cm"
    assert formatting.dimensions(en, [205, 100, 55]) == "20.5 × 10 × 5.5 cm"


def test_shelf_life_in_vietnamese(vi: Translator) -> None:
    assert formatting.shelf_life(vi, "P12M") == "12 tháng"
    assert formatting.shelf_life(vi, "P30D") == "30 ngày"
    assert formatting.shelf_life(vi, "P2Y") == "2 năm"


def test_shelf_life_in_english(en: Translator) -> None:
    assert formatting.shelf_life(en, "P12M") == "12 months"
    assert formatting.shelf_life(en, "P30D") == "30 days"
    assert formatting.shelf_life(en, "P2Y") == "2 years"


def test_shelf_life_of_one_is_singular_in_english(en: Translator) -> None:
    # BUG (catalogs/translator): "period.years" is "{count} years" with no plural forms.
    assert formatting.shelf_life(en, "P1Y") == "1 year"
    assert formatting.shelf_life(en, "P1M") == "1 month"
    assert formatting.shelf_life(en, "P1D") == "1 day"


def test_shelf_life_not_in_iso_form_is_shown_as_stored(vi: Translator) -> None:
    assert formatting.shelf_life(vi, "lâu") == "lâu"


def test_money_is_vnd_without_minor_unit(vi: Translator, en: Translator) -> None:
    assert vi.money(125_000) == "125.000\xa0₫"
    assert en.money(125_000) == "₫125,000"


def test_numbers_and_prices_stay_in_each_language_when_shown_again(
    vi: Translator, en: Translator
) -> None:
    # Formatted numbers are remembered (Babel is slow); the language is part of what
    # is remembered, so a Vietnamese price never shows in English form.
    for _ in range(2):
        assert vi.number(1500) == "1.500"
        assert en.number(1500) == "1,500"
        assert vi.money(35_000) == "35.000\xa0₫"
        assert en.money(35_000) == "₫35,000"
    assert vi.number(2.5) == "2,5"
    assert en.number(2.5) == "2.5"


def test_dates_read_day_first(vi: Translator, en: Translator) -> None:
    assert formatting.iso_date(vi, "2024-05-20") == "20/05/2024"
    assert formatting.iso_date(en, dt.date(2027, 12, 31)) == "31/12/2027"
    assert formatting.iso_date(vi, None) == ""


def test_datetime_is_shown_in_vietnam_time(vi: Translator) -> None:
    utc = dt.datetime(2026, 11, 23, 20, 30, tzinfo=dt.UTC)
    assert vi.datetime(utc) == "24/11/2026 03:30"


def test_stars() -> None:
    assert formatting.stars(3) == "⭐⭐⭐"
    assert formatting.stars(0) == ""
    assert formatting.stars(None) == ""


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),  # clamped to a leap February
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 5, 20), 36, dt.date(2027, 5, 20)),  # an OCOP certificate's life
        (dt.date(2024, 12, 15), 1, dt.date(2025, 1, 15)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 4, 30)),
        (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert formatting.add_months(day, months) == expected
