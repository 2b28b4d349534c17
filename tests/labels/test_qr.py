"""The QR matrix: equal to qrcode's symbol (public API), quiet zone, exact pixels, decodable."""

from __future__ import annotations

import pytest
import qrcode
from qrcode.constants import ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE, QRData

from bot.labels.qr import QUIET_ZONE, qr_matrix
from tests.labels.conftest import decode

PAYLOADS = [
    "a",
    "http://127.0.0.1:8080/p/7K3M9P",
    "https://ocop.thainguyen.gov.vn/s/7K3M9PQ2XWH4TNCZ",
    "https://ví-dụ.vn/p/7K3M9P",  # non-ASCII: UTF-8 bytes
    "x" * 150,  # version 7+: version information blocks
    "y" * 400,  # version 10+: 16-bit character count
]


def reference(data: str, mask: int) -> tuple[tuple[str, ...], int]:
    """qrcode's own symbol for the same bytes, mode, level and mask."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_Q, border=QUIET_ZONE, mask_pattern=mask)
    code.add_data(QRData(data.encode("utf-8"), mode=MODE_8BIT_BYTE))
    code.make(fit=True)
    rows = tuple("".join("1" if cell else "0" for cell in row) for row in code.get_matrix())
    return rows, code.version


@pytest.mark.parametrize("data", PAYLOADS)
@pytest.mark.parametrize("mask", range(8))
def test_symbol_equals_qrcodes_module_for_module(data: str, mask: int) -> None:
    rows, version = reference(data, mask)
    matrix = qr_matrix(data, mask=mask)
    assert (matrix.version, matrix.mask) == (version, mask)
    assert matrix.rows == rows


# The longest payload of each version at level Q in byte mode (ISO/IEC 18004 Table 7).
CAPACITY_Q = [
    11, 20, 32, 46, 60, 74, 86, 108, 130, 151, 177, 203, 241, 258, 292, 322, 364, 394,
    442, 482, 509, 565, 611, 661, 715, 751, 805, 868, 908, 982, 1030, 1112, 1168, 1228,
    1283, 1351, 1423, 1499, 1579, 1663,
]  # fmt: skip


@pytest.mark.parametrize("version", range(1, 41))
def test_every_version_equals_qrcodes(version: int) -> None:
    """Each version's own layout (alignment patterns, version information, blocks) is
    right, full and with padding; one byte more moves to the next version."""
    for data in ("q" * CAPACITY_Q[version - 1], "p" * (CAPACITY_Q[version - 1] - 3)):
        mask = (version + len(data)) % 8
        rows, reference_version = reference(data, mask)
        assert reference_version == version
        assert qr_matrix(data, mask=mask).rows == rows
    if version < 40:
        assert qr_matrix("q" * (CAPACITY_Q[version - 1] + 1)).version == version + 1


@pytest.mark.parametrize("data", PAYLOADS)
def test_chosen_mask_decodes(data: str) -> None:
    matrix = qr_matrix(data)
    assert matrix.mask in range(8)
    assert decode(matrix.image(4)) == [data]


def test_quiet_zone_is_four_light_modules() -> None:
    matrix = qr_matrix("http://127.0.0.1:8080/p/7K3M9P")
    assert matrix.size == 4 * matrix.version + 17 + 2 * QUIET_ZONE
    edge = range(QUIET_ZONE)
    for y in edge:
        assert matrix.rows[y] == "0" * matrix.size
        assert matrix.rows[-1 - y] == "0" * matrix.size
    for row in matrix.rows:
        assert row[:QUIET_ZONE] == row[-QUIET_ZONE:] == "0" * QUIET_ZONE
    # The finder pattern starts right after the quiet zone.
    assert matrix.rows[QUIET_ZONE][QUIET_ZONE : QUIET_ZONE + 7] == "1111111"


def test_image_has_whole_pixel_modules() -> None:
    matrix = qr_matrix("http://127.0.0.1:8080/p/7K3M9P")
    image = matrix.image(5)
    assert image.size == (matrix.size * 5, matrix.size * 5)
    # Every 5×5 block is one colour, the colour of its module.
    pixels = image.load()
    assert pixels is not None
    for y, row in enumerate(matrix.rows):
        for x, module in enumerate(row):
            block = {pixels[x * 5 + dx, y * 5 + dy] for dx in range(5) for dy in range(5)}
            assert block == {0 if module == "1" else 255}


def test_rectangles_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix("https://ocop.thainguyen.gov.vn/s/7K3M9PQ2XWH4TNCZ")
    dark = set()
    for operator in matrix.runs_as_rectangles().split(" re"):
        if operator.strip():
            x, y, width, height = (int(v) for v in operator.split())
            assert height == 1
            dark |= {(x + i, y) for i in range(width)}
    expected = {(x, y) for y, row in enumerate(matrix.rows) for x, m in enumerate(row) if m == "1"}
    assert dark == expected
    assert sum(length for _, _, length in matrix.dark_runs()) == len(expected)


def test_too_much_data_is_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        qr_matrix("z" * 5000)


def test_zero_module_pixels_are_refused() -> None:
    with pytest.raises(ValueError):
        qr_matrix("a").image(0)
