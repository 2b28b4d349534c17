"""Every parser: what a producer types → the stored value, or the exact reason it is refused."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest

from bot.core.errors import Invalid
from bot.core.listings import listing_url
from bot.flows import parsers
from bot.flows.broadcast import message_text


def refused(parse: Callable[[str], Any], raw: str) -> Invalid:
    with pytest.raises(Invalid) as caught:
        parse(raw)
    return caught.value


# --- text ----------------------------------------------------------------


def test_text_is_cleaned_and_kept() -> None:
    assert parsers.text(2, 50)("  Chè   búp\tTân Cương  ") == "Chè búp Tân Cương"


def test_text_decomposed_unicode_comes_out_composed() -> None:
    decomposed = unicodedata.normalize("NFD", "Bánh tráng")
    assert decomposed != "Bánh tráng"
    value = parsers.text()(decomposed)
    assert value == "Bánh tráng"
    assert unicodedata.is_normalized("NFC", value)


@pytest.mark.parametrize(
    ("raw", "key", "params"),
    [
        ("", "invalid.empty", {}),
        ("   \n\t ", "invalid.empty", {}),
        ("😀😀", "invalid.no_letters", {}),
        ("!!! ...", "invalid.no_letters", {}),
        ("a", "invalid.too_short", {"min": 2}),
        ("x" * 11, "invalid.too_long", {"max": 10, "length": 11}),
    ],
)
def test_text_refusals(raw: str, key: str, params: dict[str, object]) -> None:
    error = refused(parsers.text(2, 10), raw)
    assert (error.key, error.params) == (key, params)


def test_text_length_counts_composed_characters() -> None:
    # "Đà Lạt" is 6 characters composed but 9 decomposed: the limit reads what people see.
    assert parsers.text(1, 6)(unicodedata.normalize("NFD", "Đà Lạt")) == "Đà Lạt"


# --- phone ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["0912345678", "+84912345678", "84912345678", "0912 345 678", "0912-345-678"]
)
def test_phone_forms_become_e164(raw: str) -> None:
    assert parsers.phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    ("raw", "key"),
    [("", "invalid.empty"), ("  ", "invalid.empty"), ("12345", "invalid.phone")]
    + [("abc", "invalid.phone"), ("091234567", "invalid.phone"), ("0" * 60, "invalid.phone")],
)
def test_phone_refusals(raw: str, key: str) -> None:
    assert refused(parsers.phone, raw).key == key


# --- price ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "vnd"),
    [
        ("125000", 125_000),
        ("125.000", 125_000),
        ("125,000", 125_000),
        ("125k", 125_000),
        ("125K", 125_000),
        ("1,5tr", 1_500_000),
        ("1.5 triệu", 1_500_000),
        ("125.000 đ", 125_000),
        ("125.000₫", 125_000),
        ("125 000 vnđ", 125_000),
        ("2.000.000", 2_000_000),
        ("100 nghìn", 100_000),
    ],
)
def test_price_forms(raw: str, vnd: int) -> None:
    assert parsers.price()(raw) == vnd


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "invalid.empty"),
        ("   ", "invalid.empty"),
        ("-5", "invalid.negative"),
        ("-125.000 đ", "invalid.negative"),
        ("0", "invalid.zero"),
        ("abc", "invalid.price"),
        ("😀😀", "invalid.price"),
        ("1,5", "invalid.price"),  # neither thousands nor a whole number of đồng
        ("0,5", "invalid.price"),
    ],
)
def test_price_refusals(raw: str, key: str) -> None:
    assert refused(parsers.price(), raw).key == key


def test_price_over_the_limit_names_it() -> None:
    error = refused(parsers.price(1_000_000), "1,5tr")
    assert (error.key, error.params) == ("invalid.price_too_high", {"max": 1_000_000})
    assert refused(parsers.price(), "9" * 40).key == "invalid.price_too_high"


# --- date ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("31/12/2027", "2027-12-31"),
        ("1/2/2024", "2024-02-01"),
        ("01/02/2024", "2024-02-01"),
        ("29/02/2024", "2024-02-29"),
        ("20.05.2024", "2024-05-20"),
        (" 20-05-2024 ", "2024-05-20"),
    ],
)
def test_date_forms(raw: str, iso: str) -> None:
    assert parsers.date(raw) == iso


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "invalid.empty"),
        ("31/02/2024", "invalid.date"),
        ("29/02/2023", "invalid.date"),
        ("32/01/2024", "invalid.date"),
        ("01/01/1800", "invalid.date"),
        ("2024-13-01", "invalid.date_format"),
        ("2024/01/01", "invalid.date_format"),
        ("hôm qua", "invalid.date_format"),
        ("01/01/20245", "invalid.date_format"),
    ],
)
def test_date_refusals(raw: str, key: str) -> None:
    assert refused(parsers.date, raw).key == key


# --- stars ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "count"),
    [("3", 3), ("3 sao", 3), ("3★", 3), ("3*", 3), ("5 SAO", 5), ("1 star", 1), ("4 stars", 4)],
)
def test_stars_forms(raw: str, count: int) -> None:
    assert parsers.stars(raw) == count


@pytest.mark.parametrize("raw", ["7", "0", "-1", "3.5", "ba sao", "", "★"])
def test_stars_refusals(raw: str) -> None:
    assert refused(parsers.stars, raw).key == "invalid.stars"


# --- quantities ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("500 g", {"amount": 500, "unit": "g"}),
        ("500g", {"amount": 500, "unit": "g"}),
        ("1,5 kg", {"amount": 1500, "unit": "g"}),
        ("1.5kg", {"amount": 1500, "unit": "g"}),
        ("2 ký", {"amount": 2000, "unit": "g"}),
        ("750 ml", {"amount": 750, "unit": "ml"}),
        ("1 lít", {"amount": 1000, "unit": "ml"}),
        ("1 l", {"amount": 1000, "unit": "ml"}),
        ("0,5 L", {"amount": 500, "unit": "ml"}),
        ("1.000 g", {"amount": 1000, "unit": "g"}),  # Vietnamese thousands separator
        ("2,500 ml", {"amount": 2500, "unit": "ml"}),
    ],
)
def test_net_quantity_forms(raw: str, value: dict[str, Any]) -> None:
    assert parsers.net_quantity(raw) == value


def test_net_quantity_decomposed_unit() -> None:
    assert parsers.net_quantity(unicodedata.normalize("NFD", "1 lít")) == {
        "amount": 1000,
        "unit": "ml",
    }


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "invalid.empty"),
        ("0 g", "invalid.zero"),
        ("0 ml", "invalid.zero"),
        ("0,4 g", "invalid.zero"),  # rounds to nothing
        ("-5 g", "invalid.negative"),
        ("500", "invalid.quantity"),  # grams or millilitres? the unit is needed
        ("500 cái", "invalid.quantity"),
        ("😀😀", "invalid.quantity"),
        ("1000000 kg", "invalid.quantity_too_large"),
    ],
)
def test_net_quantity_refusals(raw: str, key: str) -> None:
    assert refused(parsers.net_quantity, raw).key == key


@pytest.mark.parametrize(
    ("raw", "grams"), [("600", 600), ("600 g", 600), ("1,2 kg", 1200), ("1.000", 1000)]
)
def test_weight_grams_forms(raw: str, grams: int) -> None:
    assert parsers.weight_grams(raw) == grams


@pytest.mark.parametrize(
    ("raw", "key"),
    [("0", "invalid.zero"), ("-1", "invalid.negative"), ("1 l", "invalid.quantity")]
    + [("", "invalid.empty"), ("nặng", "invalid.quantity")],
)
def test_weight_grams_refusals(raw: str, key: str) -> None:
    assert refused(parsers.weight_grams, raw).key == key


# --- dimensions ----------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["20x10x5", "20 × 10 × 5 cm", "200x100x50 mm", "20*10*5", "20 X 10 X 5 CM"]
)
def test_dimensions_in_millimetres(raw: str) -> None:
    assert parsers.dimensions_mm(raw) == [200, 100, 50]


def test_dimensions_with_decimal_comma() -> None:
    assert parsers.dimensions_mm("20,5x10x5,5") == [205, 100, 55]


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "invalid.empty"),
        ("20x10", "invalid.dimensions"),
        ("20 by 10 by 5", "invalid.dimensions"),
        ("-20x10x5", "invalid.negative"),
        ("20x-10x5", "invalid.negative"),
        ("0x10x5", "invalid.zero"),
        ("2000x1x1", "invalid.dimensions_too_large"),
    ],
)
def test_dimensions_refusals(raw: str, key: str) -> None:
    assert refused(parsers.dimensions_mm, raw).key == key


# --- shelf life ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "period"),
    [
        ("12 tháng", "P12M"),
        ("12 thang", "P12M"),
        ("12", "P12M"),
        ("30 ngày", "P30D"),
        ("2 năm", "P2Y"),
        ("18 months", "P18M"),
        ("1 year", "P1Y"),
    ],
)
def test_shelf_life_forms(raw: str, period: str) -> None:
    assert parsers.shelf_life(raw) == period
    assert parsers.shelf_life(unicodedata.normalize("NFD", raw)) == period


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "invalid.empty"),
        ("0", "invalid.zero"),
        ("-3 tháng", "invalid.negative"),
        ("mãi mãi", "invalid.shelf_life"),
        ("12 tuần", "invalid.shelf_life"),
        ("3651", "invalid.shelf_life"),
    ],
)
def test_shelf_life_refusals(raw: str, key: str) -> None:
    assert refused(parsers.shelf_life, raw).key == key


# --- GTIN-13 -------------------------------------------------------------


def test_gtin_check_digit_known_value() -> None:
    # 4006381333931 is GS1's own worked example.
    assert parsers.gtin_check_digit("400638133393") == 1


def test_gtin13_with_a_computed_check_digit() -> None:
    body = "893123456789"
    valid = body + str(parsers.gtin_check_digit(body))
    assert parsers.gtin13(valid) == valid
    assert parsers.gtin13(f"{valid[:3]} {valid[3:7]}-{valid[7:]}") == valid


def test_gtin13_wrong_check_digit_names_the_right_one() -> None:
    body = "893123456789"
    right = parsers.gtin_check_digit(body)
    error = refused(parsers.gtin13, body + str((right + 1) % 10))
    assert (error.key, error.params) == ("invalid.gtin_check", {"expected": right})


@pytest.mark.parametrize(
    ("raw", "key"),
    [("", "invalid.empty"), ("893123456789", "invalid.gtin_format")]
    + [("89312345678901", "invalid.gtin_format"), ("893ABC4567890", "invalid.gtin_format")],
)
def test_gtin13_refusals(raw: str, key: str) -> None:
    assert refused(parsers.gtin13, raw).key == key


# --- tax code ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("0123456789", "0123456789"),
        ("0123456789-001", "0123456789-001"),
        ("0123456789001", "0123456789-001"),
        (" 0123 456 789 ", "0123456789"),
    ],
)
def test_tax_code_forms(raw: str, code: str) -> None:
    assert parsers.tax_code(raw) == code


@pytest.mark.parametrize(
    ("raw", "key"),
    [("", "invalid.empty"), ("012345678", "invalid.tax_code")]
    + [("0123456789-01", "invalid.tax_code"), ("MST0123456789", "invalid.tax_code")],
)
def test_tax_code_refusals(raw: str, key: str) -> None:
    assert refused(parsers.tax_code, raw).key == key


# --- codes and certificates ------------------------------------------------


def test_code_keeps_vietnamese_letters_and_separators() -> None:
    assert parsers.code(64)("1234/QĐ-UBND") == "1234/QĐ-UBND"


@pytest.mark.parametrize(
    ("raw", "key", "params"),
    [
        ("", "invalid.empty", {}),
        ("VG#123", "invalid.code", {}),
        ("😀😀", "invalid.code", {}),
        ("X" * 65, "invalid.too_long", {"max": 64, "length": 65}),
    ],
)
def test_code_refusals(raw: str, key: str, params: dict[str, object]) -> None:
    error = refused(parsers.code(64), raw)
    assert (error.key, error.params) == (key, params)


def test_certificate_number_and_expiry() -> None:
    assert parsers.certificate("VG-123 31/12/2027") == {"number": "VG-123", "expiry": "2027-12-31"}
    assert parsers.certificate("  ATTP 12/2024   1/3/2027 ") == {
        "number": "ATTP 12/2024",
        "expiry": "2027-03-01",
    }


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("", "invalid.empty"),
        ("VG-123", "invalid.certificate"),
        ("31/12/2027", "invalid.certificate"),
        ("VG-123 2027", "invalid.certificate"),
        ("VG-123 31/02/2027", "invalid.date"),
        ("VG#123 31/12/2027", "invalid.code"),
    ],
)
def test_certificate_refusals(raw: str, key: str) -> None:
    assert refused(parsers.certificate, raw).key == key


# --- what may be stored, field kind by field kind ---------------------------------------
# Every typed value goes through bot.core.text.clean (one line) or clean_lines (several):
# control characters, bidirectional overrides and isolates and zero-width characters are
# removed; a value that had nothing else is refused with its own message.

HIDDEN = "\u202e\u200b\u2066\x00\u2069\ufeff\x07"
FIELD_KINDS: list[tuple[str, Callable[[str], Any], str, Any]] = [
    # (field kind, parser as a flow declares it, typed, stored)
    ("name", parsers.text(2, 200), f"HTX{HIDDEN} Chè Tân Cương", "HTX Chè Tân Cương"),
    ("representative", parsers.text(2, 100), f"Nguyễn{HIDDEN} Thị Hoa", "Nguyễn Thị Hoa"),
    ("address", parsers.text(2, 300), f"Thôn 3,{HIDDEN}\nxã Phúc Sơn", "Thôn 3, xã Phúc Sơn"),
    ("unit", parsers.text(1, 32), f"hộp{HIDDEN}", "hộp"),
    (
        "description",
        parsers.text(10, 3000, multiline=True),
        f"Chè búp{HIDDEN} một tôm hai lá.\r\n\r\nSao tay\x0c trên chảo gang.",
        "Chè búp một tôm hai lá.\n\nSao tay\ntrên chảo gang.",
    ),
    (
        "story",
        parsers.text(10, 3000, multiline=True),
        f"Ba thế hệ\u2028làm chè{HIDDEN}.",
        "Ba thế hệ\nlàm chè.",
    ),
    ("search text", parsers.text(1, 100), f"bánh{HIDDEN} tráng", "bánh tráng"),
    ("phone", parsers.phone, f"0912{HIDDEN} 345 678", "+84912345678"),
    ("tax code", parsers.tax_code, f"0123{HIDDEN}456789", "0123456789"),
    ("GTIN", parsers.gtin13, f"893{HIDDEN}0000000019", "8930000000019"),
    ("code", parsers.code(64), f"1234/QĐ-UBND{HIDDEN}", "1234/QĐ-UBND"),
    ("date", parsers.date, f"20/05/2024{HIDDEN}", "2024-05-20"),
    ("price", parsers.price(), f"125.000{HIDDEN} đ", 125_000),
    ("net quantity", parsers.net_quantity, f"200{HIDDEN} g", {"amount": 200, "unit": "g"}),
    ("shelf life", parsers.shelf_life, f"12{HIDDEN} tháng", "P12M"),
    (
        "certificate",
        parsers.certificate,
        f"VG-123{HIDDEN} 31/12/2027",
        {"number": "VG-123", "expiry": "2027-12-31"},
    ),
    ("URL", listing_url, f"https://shopee.vn/{HIDDEN}che-1", "https://shopee.vn/che-1"),
    (
        "notice",
        message_text,
        f"Lớp tập huấn{HIDDEN}\n\n\n\nngày 24/11",
        "Lớp tập huấn\n\nngày 24/11",
    ),
]


@pytest.mark.parametrize(
    ("parse", "raw", "stored"),
    [kind[1:] for kind in FIELD_KINDS],
    ids=[kind[0] for kind in FIELD_KINDS],
)
def test_every_field_kind_stores_no_invisible_character(
    parse: Callable[[str], Any], raw: str, stored: Any
) -> None:
    assert parse(raw) == stored


@pytest.mark.parametrize(
    "parse",
    [kind[1] for kind in FIELD_KINDS if kind[0] != "URL"],
    ids=[kind[0] for kind in FIELD_KINDS if kind[0] != "URL"],
)
def test_only_invisible_characters_are_refused_as_such(parse: Callable[[str], Any]) -> None:
    assert refused(parse, HIDDEN).key == "invalid.invisible"
    assert refused(parse, " \u200b \u200d ").key == "invalid.invisible"
    assert refused(parse, "   ").key in ("invalid.empty", "invalid.stars")


@pytest.mark.parametrize(
    "parse",
    [parsers.text(2, 200), parsers.text(2, 300), parsers.text(10, 3000, multiline=True)],
    ids=["name", "address", "description"],
)
@pytest.mark.parametrize(
    "raw", ["<b></b>", "<br/> <br/>", "&nbsp;&nbsp;", "<i>★</i>", "**__**", "😀\u200d😀"]
)
def test_markup_or_symbols_alone_are_refused(parse: Callable[[str], Any], raw: str) -> None:
    assert refused(parse, raw).key == "invalid.no_letters"


def test_one_line_text_drops_line_breaks() -> None:
    assert parsers.text(2, 200)("HTX Chè\nTân Cương") == "HTX Chè Tân Cương"
