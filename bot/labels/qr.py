"""QR codes as a module matrix, drawn by label.py (pixels) and pdf.py (vectors).

Error correction Q (about 25% of the symbol can be lost): labels live on
jars and bags that get scuffed, and a product or stamp URL is short enough
that Q costs at most one version (4 modules a side) over M.

Quiet zone: the 4 light modules ISO/IEC 18004 requires, part of the matrix so
no caller can forget it.

Speed: qrcode builds a symbol eight times in pure Python to choose its mask,
~6 ms a code, a minute for a 10,000-stamp batch. Here qrcode supplies the
standard's tables and the function-pattern layout (once per version); the
byte-mode data path, Reed–Solomon and mask scoring are done on whole strings
and big integers, ~0.3 ms a code. tests/labels/test_qr.py checks the result
equals qrcode's own symbol, module for module, for every mask.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter

import qrcode
import qrcode.base
import qrcode.util
from PIL import Image

QUIET_ZONE = 4
_ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_Q
_BYTE_MODE = "0100"
_MASKS = range(8)
_DARK_RUN = re.compile(r"1+")
_TO_GRAY = bytes.maketrans(b"01", b"\xff\x00")


@dataclass(frozen=True)
class QrMatrix:
    """A QR symbol with its quiet zone: rows of "1" (dark) and "0" (light)."""

    rows: tuple[str, ...]
    version: int
    mask: int

    @property
    def size(self) -> int:
        """Modules per side, quiet zone included."""
        return len(self.rows)

    def dark_runs(self) -> Iterator[tuple[int, int, int]]:
        """(row, first column, length) of every horizontal run of dark modules."""
        for y, row in enumerate(self.rows):
            for run in _DARK_RUN.finditer(row):
                yield y, run.start(), run.end() - run.start()

    def runs_as_rectangles(self) -> str:
        """PDF path operators, "x y width 1 re" per dark run, in module units (y down).

        Rows are cut into 8-module pieces whose operators are cached, so a
        10,000-stamp batch formats a few thousand distinct pieces, not millions
        of numbers; a run across a cut becomes two touching rectangles of the
        same path, which fill as one.
        """
        return " ".join(
            [
                _rectangles(x, y, row[x : x + _PIECE])
                for y, row in enumerate(self.rows)
                if "1" in row
                for x in range(0, len(row), _PIECE)
            ]
        ).strip()

    def image(self, module_px: int) -> Image.Image:
        """A grayscale image with every module exactly module_px × module_px pixels."""
        if module_px < 1:
            raise ValueError("a module needs at least one pixel")
        pixels = "".join(self.rows).encode("ascii").translate(_TO_GRAY)
        small = Image.frombytes("L", (self.size, self.size), pixels)
        side = self.size * module_px
        return small.resize((side, side), Image.Resampling.NEAREST)


_PIECE = 8


@lru_cache(maxsize=65_536)
def _rectangles(x: int, y: int, piece: str) -> str:
    return " ".join(
        f"{x + run.start()} {y} {run.end() - run.start()} 1 re" for run in _DARK_RUN.finditer(piece)
    )


# The symbol is scored as one string: its rows, then its columns, "0" between
# lines. Each module appears twice, so every rule works along rows and columns
# with the same whole-string or big-integer operation.


def _pack(cells: list[list[bool]]) -> int:
    rows = ["".join("1" if cell else "0" for cell in row) for row in cells]
    columns = ["".join(column) for column in zip(*rows, strict=True)]
    return int("0".join(rows + columns), 2)


@dataclass(frozen=True)
class _Template:
    """What one version looks like, and how its data bits land in the packed string."""

    version: int
    size: int
    blocks: tuple[tuple[int, int], ...]  # (data codewords, error-correction codewords)
    data_bits: int
    placement: Callable[[str], tuple[str, ...]]  # packed string from data bits + "0" + "1"
    format_bits: tuple[int, ...]  # by mask, dark module included
    mask_bits: tuple[int, ...]  # by mask, data area only
    pairs: int  # the right-hand module of every two neighbours in one line
    row_pairs: int  # the same, in rows 1..n-1 only (2×2 blocks end there)
    rows: int  # every module of the rows half


@lru_cache(maxsize=40)
def _template(version: int) -> _Template:
    # qrcode's own routines lay out the function patterns, so the data area is
    # exactly the one its map_data fills.
    builder = qrcode.QRCode(version=version, error_correction=_ERROR_CORRECTION, border=0)
    size = builder.modules_count = version * 4 + 17
    builder.modules = [[None] * size for _ in range(size)]
    builder.setup_position_probe_pattern(0, 0)
    builder.setup_position_probe_pattern(size - 7, 0)
    builder.setup_position_probe_pattern(0, size - 7)
    builder.setup_position_adjust_pattern()
    builder.setup_timing_pattern()
    if version >= 7:
        builder.setup_type_number(False)
    function: list[list[bool | None]] = [list(row) for row in builder.modules]

    format_bits = []
    for mask in _MASKS:
        builder.modules = [list(row) for row in function]
        builder.setup_type_info(False, mask)
        format_bits.append(
            _pack(
                [
                    [function[y][x] is None and bool(cell) for x, cell in enumerate(row)]
                    for y, row in enumerate(builder.modules)
                ]
            )
        )
    is_format = [
        [function[y][x] is None and cell is not None for x, cell in enumerate(row)]
        for y, row in enumerate(builder.modules)
    ]
    is_data = [
        [function[y][x] is None and not is_format[y][x] for x in range(size)] for y in range(size)
    ]

    order = []  # data modules in placement order (ISO/IEC 18004 7.7.3, as qrcode's map_data)
    row, step = size - 1, -1
    for pair in range(size - 1, 0, -2):
        right = pair - 1 if pair <= 6 else pair  # the vertical timing pattern is skipped
        while 0 <= row < size:
            order += [(row, x) for x in (right, right - 1) if is_data[row][x]]
            row += step
        row, step = row - step, -step
    index_of = {position: i for i, position in enumerate(order)}
    light, dark = len(order), len(order) + 1

    def source(y: int, x: int) -> int:
        if (y, x) in index_of:
            return index_of[(y, x)]
        return dark if function[y][x] else light

    rows = [[source(y, x) for x in range(size)] for y in range(size)]
    columns = [list(column) for column in zip(*rows, strict=True)]
    placement: list[int] = []
    for line in rows + columns:
        placement += [*line, light]
    placement.pop()

    mask_bits = []
    for mask in _MASKS:
        inverts = qrcode.util.mask_func(mask)
        mask_bits.append(
            _pack([[is_data[y][x] and inverts(y, x) for x in range(size)] for y in range(size)])
        )

    line_pairs = "0" + "1" * (size - 1)
    return _Template(
        version=version,
        size=size,
        blocks=tuple(
            (b.data_count, b.total_count - b.data_count)
            for b in qrcode.base.rs_blocks(version, _ERROR_CORRECTION)
        ),
        data_bits=len(order),
        placement=itemgetter(*placement),
        format_bits=tuple(format_bits),
        mask_bits=tuple(mask_bits),
        pairs=int("0".join([line_pairs] * (2 * size)), 2),
        row_pairs=int("0".join(["0" * size] + [line_pairs] * (size - 1) + ["0" * size] * size), 2),
        rows=int("0".join(["1" * size] * size + ["0" * size] * size), 2),
    )


@cache
def _products(degree: int) -> tuple[int, ...]:
    """For each byte f, f × the Reed–Solomon generator ∏(x − αⁱ) without its leading 1.

    Each product is packed into one integer, `degree` bytes long, so a step of
    the polynomial division below is one XOR, not a loop over coefficients.
    """
    exp, log = qrcode.base.EXP_TABLE, qrcode.base.LOG_TABLE
    generator = [1]
    for i in range(degree):
        alpha = exp[i]
        generator = [
            high ^ (exp[(log[low] + log[alpha]) % 255] if low else 0)
            for high, low in zip([*generator, 0], [0, *generator], strict=True)
        ]
    products = [0]
    for factor in range(1, 256):
        row = bytes(exp[(log[g] + log[factor]) % 255] if g else 0 for g in generator[1:])
        products.append(int.from_bytes(row, "big"))
    return tuple(products)


def _error_correction(data: list[int], degree: int) -> bytes:
    products = _products(degree)
    top = 8 * (degree - 1)
    full = (1 << (8 * degree)) - 1
    remainder = 0
    for byte in data:
        factor = byte ^ (remainder >> top)
        remainder = ((remainder << 8) & full) ^ products[factor]
    return remainder.to_bytes(degree, "big")


def _version_for(length: int) -> int:
    for version in range(1, 41):
        count_bits = 8 if version < 10 else 16
        capacity = qrcode.util.BIT_LIMIT_TABLE[_ERROR_CORRECTION][version]
        if 4 + count_bits + 8 * length <= capacity:
            return version
    raise ValueError(f"{length} bytes do not fit in a QR code at level Q")


def _codewords(payload: bytes, template: _Template) -> bytes:
    """Byte-mode data, terminator, padding; in blocks with error correction, interleaved."""
    capacity = sum(data for data, _ in template.blocks) * 8
    count_bits = 8 if template.version < 10 else 16
    bits = _BYTE_MODE + format(len(payload), f"0{count_bits}b")
    bits += "".join(format(byte, "08b") for byte in payload)
    bits += "0" * min(4, capacity - len(bits))
    bits += "0" * (-len(bits) % 8)
    words = [int(bits[i : i + 8], 2) for i in range(0, len(bits), 8)]
    words += [0xEC, 0x11] * ((capacity // 8 - len(words)) // 2 + 1)
    words = words[: capacity // 8]

    data_blocks, ec_blocks, offset = [], [], 0
    for data_count, ec_count in template.blocks:
        block = words[offset : offset + data_count]
        offset += data_count
        data_blocks.append(block)
        ec_blocks.append(list(_error_correction(block, ec_count)))
    interleaved = []
    for blocks in (data_blocks, ec_blocks):
        for i in range(max(len(block) for block in blocks)):
            interleaved += [block[i] for block in blocks if i < len(block)]
    return bytes(interleaved)


def _penalty(packed: int, template: _Template) -> int:
    """ISO/IEC 18004 mask penalty: runs, 2×2 blocks, finder look-alikes, dark balance.

    A handful of whole-symbol big-integer operations, not a loop over modules.
    """
    size = template.size
    # Rule 1: a run of n ≥ 5 equal modules scores n − 2; run5 has n − 4 bits set in a row.
    equal = ~(packed ^ (packed >> 1)) & template.pairs
    run5 = equal & (equal >> 1) & (equal >> 2) & (equal >> 3)
    score = run5.bit_count() + 2 * (run5 & ~(run5 >> 1)).bit_count()
    # Rule 2: 3 per 2×2 block of one colour (a row with the row above it).
    same_vertically = ~(packed ^ (packed >> (size + 1)))
    blocks = same_vertically & (same_vertically >> 1) & equal & template.row_pairs
    score += 3 * blocks.bit_count()
    # Rule 3: 40 per 1:1:3:1:1 finder look-alike (dark-light-dark³-light-dark) with
    # 4 light modules before or after it; a line's end counts as light, as the quiet zone is.
    light = ~packed
    core = packed & (light >> 1) & (packed >> 2) & (packed >> 3) & (packed >> 4)
    core &= (light >> 5) & (packed >> 6)
    light4 = light & (light >> 1) & (light >> 2) & (light >> 3)
    finders = ((core >> 4) & light4).bit_count() + (core & (light4 >> 7)).bit_count()
    score += 40 * finders
    # Rule 4: 10 per 5% the dark share is away from half.
    dark = (packed & template.rows).bit_count()
    score += 10 * (abs(dark * 100 // (size * size) - 50) // 5)
    return score


def _with_quiet_zone(rows: list[str]) -> tuple[str, ...]:
    side = "0" * QUIET_ZONE
    blank = "0" * (len(rows) + 2 * QUIET_ZONE)
    return (blank,) * QUIET_ZONE + tuple(side + row + side for row in rows) + (blank,) * QUIET_ZONE


def qr_matrix(data: str, mask: int | None = None) -> QrMatrix:
    """The smallest QR symbol for `data` (UTF-8, byte mode, level Q).

    The mask is the one with the lowest penalty, unless one is given.
    """
    payload = data.encode("utf-8")
    template = _template(_version_for(len(payload)))
    codewords = _codewords(payload, template)
    stream = format(int.from_bytes(codewords, "big"), f"0{8 * len(codewords)}b")
    stream = stream.ljust(template.data_bits, "0") + "01"  # remainder bits, then light, dark
    bare = int("".join(template.placement(stream)), 2)

    chosen, best, best_score = 0, 0, -1
    for candidate in _MASKS if mask is None else (mask,):
        packed = (bare ^ template.mask_bits[candidate]) | template.format_bits[candidate]
        score = _penalty(packed, template)
        if best_score < 0 or score < best_score:
            chosen, best, best_score = packed, candidate, score
    size = template.size
    digits = format(chosen, f"0{2 * size * (size + 1) - 1}b")
    rows = [digits[y * (size + 1) : y * (size + 1) + size] for y in range(size)]
    return QrMatrix(_with_quiet_zone(rows), template.version, best)
