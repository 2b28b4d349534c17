"""What a consumer's text or photo points at: our product, our stamp, a barcode, or nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, cast

import pytest
import qrcode
import zxingcpp
from PIL import Image

from bot.config import MediaSettings
from bot.core import images
from bot.core.scanning import (
    Target,
    codes_in,
    target_in_codes,
    target_in_image,
    target_in_text,
    target_in_url,
)
from bot.labels.label import LabelContent, render_label_png
from bot.labels.serials import ALPHABET, format_serial, is_well_formed_serial
from bot.labels.sizes import LabelSize
from bot.labels.urls import product_url, stamp_url
from tests.hostile.pictures import jpeg_claiming, png_bomb, webp_claiming

PUBLIC = "http://127.0.0.1:8080"
LIMITS = MediaSettings(dir=Path("unused"))  # config.toml's limits; nothing is stored
CODE = "7K3M9P"
GTIN = "8930000000019"  # check digit 9 is right
WRONG_GTIN = "8930000000018"


def with_check(payload: str) -> str:
    """A well-formed serial: `payload` and the one check symbol that fits it."""
    return next(payload + c for c in ALPHABET if is_well_formed_serial(payload + c))


SERIAL = with_check("7K3M9PQ2XWH4TN")
BAD_CHECK = SERIAL[:-1] + next(c for c in ALPHABET if c != SERIAL[-1])


# --- URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{PUBLIC}/p/{CODE}", Target("product", CODE)),
        (f"{PUBLIC}/p/{CODE.lower()}", Target("product", CODE)),
        (f"{PUBLIC}/p/{CODE}/", Target("product", CODE)),
        (f"  {PUBLIC}/p/7K3-M9P  ", Target("product", CODE)),
        ("HTTP://127.0.0.1:8080/p/" + CODE, Target("product", CODE)),  # scheme, host: any case
        (f"{PUBLIC}/s/{SERIAL}", Target("stamp", SERIAL)),
        (f"{PUBLIC}/s/{SERIAL.lower()}", Target("stamp", SERIAL)),
        (f"{PUBLIC}/s/{format_serial(SERIAL)}", Target("stamp", SERIAL)),
        (f"{PUBLIC}/01/0{GTIN}", Target("gtin", GTIN)),
        (f"{PUBLIC}/01/0{GTIN}/", Target("gtin", GTIN)),
        (f"{PUBLIC}/01/0{GTIN}/10/L2026-11", Target("gtin", GTIN)),
        # A stamp under a barcode keeps the GTIN: the stamp must belong to it.
        (f"{PUBLIC}/01/0{GTIN}/21/{SERIAL}", Target("stamp", SERIAL, GTIN)),
        (f"{PUBLIC}/01/0{GTIN}/10/L2026-11/21/{SERIAL}", Target("stamp", SERIAL, GTIN)),
    ],
)
def test_our_urls(url: str, expected: Target) -> None:
    assert target_in_url(url, PUBLIC) == expected
    assert target_in_text(url, PUBLIC) == expected  # typed or pasted, the same


def test_bare_gtin13_digital_link_is_ours_too() -> None:
    """docs/origin-page.md: /01/{gtin14}, and "a bare GTIN-13 also works" on the web."""
    assert target_in_url(f"{PUBLIC}/01/{GTIN}", PUBLIC) == Target("gtin", GTIN)


@pytest.mark.parametrize(
    "url",
    [
        f"{PUBLIC}/01/0{WRONG_GTIN}",
        f"{PUBLIC}/01/0{WRONG_GTIN}/10/L2026-11",
        f"{PUBLIC}/01/1{GTIN[:-1]}7",  # a case/pallet GTIN-14 (indicator 1), not a product
        f"{PUBLIC}/01/08930000000019{GTIN}",  # too many digits
    ],
)
def test_digital_links_with_wrong_check_digits_are_none(url: str) -> None:
    assert target_in_url(url, PUBLIC) is None


@pytest.mark.parametrize("serial", [BAD_CHECK, SERIAL[:-1], "FAKE"])
def test_stamp_digital_link_with_a_malformed_serial_is_never_the_product(serial: str) -> None:
    """A stamp link whose serial is malformed is a stamp that is not ours (the web app's
    answer), never the product's card as if the stamp were fine."""
    for url in (f"{PUBLIC}/01/0{GTIN}/21/{serial}", f"{PUBLIC}/01/0{GTIN}/10/L1/21/{serial}"):
        target = target_in_url(url, PUBLIC)
        assert target is None or target.kind == "stamp", url


@pytest.mark.parametrize(
    "url",
    [
        f"{PUBLIC}/01/0{WRONG_GTIN}/21/{SERIAL}",
        f"{PUBLIC}/01/0{WRONG_GTIN}/10/L2026-11/21/{SERIAL}",
    ],
)
def test_stamp_digital_link_with_a_wrong_gtin_check_digit_is_none(url: str) -> None:
    """The web app answers these with its 400 "wrong barcode" page; the chat must not say
    "genuine" for a link the web refuses."""
    assert target_in_url(url, PUBLIC) is None


def test_public_url_with_a_path_prefix() -> None:
    public = "https://ocop.thainguyen.gov.vn/truy-xuat/"
    assert target_in_url(f"{public}p/{CODE}", public) == Target("product", CODE)
    assert target_in_url(stamp_url(public, SERIAL), public) == Target("stamp", SERIAL)
    assert target_in_url(f"https://ocop.thainguyen.gov.vn/p/{CODE}", public) is None
    assert target_in_url(f"https://ocop.thainguyen.gov.vn/truy-xuatp/{CODE}", public) is None


@pytest.mark.parametrize(
    "url",
    [
        f"https://example.com/p/{CODE}",  # another host
        f"https://127.0.0.1:8080/p/{CODE}",  # another scheme
        f"http://127.0.0.1:8081/p/{CODE}",  # another port
        f"http://127.0.0.1/p/{CODE}",
        f"http://evil.example/{PUBLIC}/p/{CODE}",
        f"http://127.0.0.1:8080@evil.example/p/{CODE}",  # userinfo trick: the host is evil
        "https://example.com/x",
        f"{PUBLIC}/",
        f"{PUBLIC}/q/{CODE}",
        f"{PUBLIC}/p/",
        f"{PUBLIC}/p/7K3M0P",  # 0 is not in the alphabet
        f"{PUBLIC}/p/{CODE}Q",  # too long for a code
        f"{PUBLIC}/s/{BAD_CHECK}",
        f"{PUBLIC}/s/",
    ],
)
def test_foreign_and_malformed_urls_are_none(url: str) -> None:
    assert target_in_url(url, PUBLIC) is None
    assert target_in_text(url, PUBLIC) is None


@pytest.mark.parametrize(
    "url",
    [
        f"{PUBLIC}/p/../../etc/passwd",
        f"{PUBLIC}/p/..%2F..%2Fetc%2Fpasswd",
        f"{PUBLIC}/p/../{CODE}",  # a browser opens /{CODE}: the 404 page, not the product
        f"{PUBLIC}/p/..%2F{CODE}",
        f"{PUBLIC}/s/../p/{CODE}",
        f"{PUBLIC}/s/..%2F{SERIAL}",
        f"{PUBLIC}/01/0{GTIN}/21/../../p/{CODE}",
    ],
)
def test_path_traversal_is_none(url: str) -> None:
    assert target_in_url(url, PUBLIC) is None


def test_over_long_input_is_none() -> None:
    padded_code = "7" + "-" * 400 + "K3M9P"  # normalises to the code, but nobody types that
    assert target_in_text(padded_code, PUBLIC) is None
    assert target_in_text(f"{PUBLIC}/p/{CODE}?x=" + "a" * 400, PUBLIC) is None
    assert target_in_text(SERIAL + " " * 10 + "x" * 400, PUBLIC) is None
    assert target_in_text("8" * 100_000, PUBLIC) is None


# --- typed text -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (CODE, Target("product", CODE)),
        (CODE.lower(), Target("product", CODE)),
        ("7k3M9p", Target("product", CODE)),
        ("7K3-M9P", Target("product", CODE)),
        (" 7k3 m9p ", Target("product", CODE)),
        (SERIAL, Target("stamp", SERIAL)),
        (SERIAL.lower(), Target("stamp", SERIAL)),
        (format_serial(SERIAL), Target("stamp", SERIAL)),
        (format_serial(SERIAL).lower(), Target("stamp", SERIAL)),
        (format_serial(SERIAL).replace("-", " "), Target("stamp", SERIAL)),
        (" ".join(SERIAL), Target("stamp", SERIAL)),
        (GTIN, Target("gtin", GTIN)),
        ("893 0000 00001 9", Target("gtin", GTIN)),
        ("893-0000-000019", Target("gtin", GTIN)),
    ],
)
def test_typed_codes_serials_and_barcode_numbers(typed: str, expected: Target) -> None:
    assert target_in_text(typed, PUBLIC) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "7K3M9",  # a code one symbol short
        "7K3M0P",  # a look-alike symbol
        BAD_CHECK,  # a serial with a wrong check symbol
        SERIAL[:-1],  # a serial one symbol short
        SERIAL.replace(SERIAL[3], "0", 1),  # a look-alike in a serial
        WRONG_GTIN,  # a barcode number with a wrong check digit
        "893000000001",  # twelve digits
        "bánh tráng",
        "chè búp Tân Cương",
        "/origin 7K3M9P",
    ],
)
def test_typed_text_that_is_none_of_ours(typed: str) -> None:
    assert target_in_text(typed, PUBLIC) is None


# --- images -----------------------------------------------------------------


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def qr_photo(text: str, size: tuple[int, int] = (900, 700)) -> bytes:
    """A QR code on a grey table, like a phone photo of a label."""
    code = qrcode.make(text, box_size=8, border=4).get_image().convert("L")
    photo = Image.new("L", size, 200)
    photo.paste(code, ((size[0] - code.width) // 2, (size[1] - code.height) // 2))
    return jpeg(photo)


def ean13_photo(number: str) -> bytes:
    """An EAN-13 barcode drawn by zxing-cpp, on a white card on a grey table."""
    if hasattr(zxingcpp, "create_barcode"):  # zxing-cpp 3
        bitmap = zxingcpp.create_barcode(number, zxingcpp.BarcodeFormat.EAN13).to_image(scale=4)
    else:  # zxing-cpp 2
        bitmap = zxingcpp.write_barcode(zxingcpp.BarcodeFormat.EAN13, number, width=452)
    view = memoryview(cast(Any, bitmap))  # zxing-cpp's bitmaps are buffers
    assert view.shape is not None
    height, width = view.shape[:2]
    barcode = Image.frombytes("L", (width, height), view.tobytes())
    photo = Image.new("L", (width + 300, height + 300), 190)
    photo.paste(barcode, (150, 150))
    return jpeg(photo)


def test_label_png_points_at_its_product() -> None:
    label = render_label_png(
        LabelContent("Chè búp Tân Cương", CODE, 4, product_url(PUBLIC, CODE)),
        LabelSize("40x30", 40, 30),
    )
    assert target_in_image(label, PUBLIC, LIMITS) == (Target("product", CODE), True)


def test_stamp_qr_photo_points_at_its_stamp() -> None:
    assert target_in_image(qr_photo(stamp_url(PUBLIC, SERIAL)), PUBLIC, LIMITS) == (
        Target("stamp", SERIAL),
        True,
    )


def test_ean13_barcode_photo_is_a_gtin() -> None:
    assert target_in_image(ean13_photo(GTIN), PUBLIC, LIMITS) == (Target("gtin", GTIN), True)


def test_photo_without_any_code() -> None:
    photo = Image.new("RGB", (800, 600), (90, 140, 60))
    photo.paste((230, 200, 120), (200, 150, 600, 450))
    assert target_in_image(jpeg(photo), PUBLIC, LIMITS) == (None, False)


def test_foreign_qr_is_found_but_not_ours() -> None:
    assert target_in_image(qr_photo("https://example.com/x"), PUBLIC, LIMITS) == (None, True)
    # Our path on someone else's host is still someone else's code.
    assert target_in_image(qr_photo(f"https://example.com/p/{CODE}"), PUBLIC, LIMITS) == (
        None,
        True,
    )


def test_qr_of_our_host_with_a_malformed_serial_is_not_ours() -> None:
    assert target_in_image(qr_photo(f"{PUBLIC}/s/{BAD_CHECK}"), PUBLIC, LIMITS) == (None, True)


def test_big_photo_is_scaled_down_and_still_read() -> None:
    code = qrcode.make(product_url(PUBLIC, CODE), box_size=40, border=4).get_image()
    photo = Image.new("L", (4000, 3000), 210)
    photo.paste(code.convert("L"), (1000, 600))
    assert target_in_image(jpeg(photo), PUBLIC, LIMITS) == (Target("product", CODE), True)


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, b"\xff\xd8\xff" + b"x" * 99],
)
def test_bytes_that_are_no_image(data: bytes) -> None:
    assert target_in_image(data, PUBLIC, LIMITS) == (None, False)


def test_codes_read_in_a_prepared_picture_are_the_same() -> None:
    """What the dispatcher hands the consumer handler: the codes of the picture it decoded."""
    picture = images.prepare(qr_photo(stamp_url(PUBLIC, SERIAL)), LIMITS, codes_in)
    assert picture.problem is None
    assert target_in_codes(picture.codes, PUBLIC) == (Target("stamp", SERIAL), True)


def test_big_jpeg_is_read_at_reduced_size() -> None:
    """A 6000×4500 JPEG is read at most 2000 px a side (decoded at half scale: JPEG draft)."""
    code = qrcode.make(product_url(PUBLIC, CODE), box_size=40, border=4).get_image()
    photo = Image.new("L", (6000, 4500), 210)
    photo.paste(code.convert("L"), (2000, 1200))
    view = images.scan_view(jpeg(photo), LIMITS)
    assert view.size == (2000, 1500)
    assert target_in_codes(codes_in(view), PUBLIC) == (Target("product", CODE), True)


@pytest.mark.parametrize(
    "data",
    [png_bomb(12000), png_bomb(9000), jpeg_claiming(12000, 12000), webp_claiming(9000, 9000)],
    ids=["png-12000", "png-9000", "jpeg-12000", "webp-9000"],
)
def test_a_decompression_bomb_is_too_large_not_unreadable(data: bytes) -> None:
    """Refused from its header: the scan answers "too large", never "no code"."""
    assert images.prepare(data, LIMITS, codes_in).problem == "too_large"
    with pytest.raises(images.Refused) as refused:
        images.scan_view(data, LIMITS)
    assert refused.value.problem == "too_large"
