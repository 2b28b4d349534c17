"""QR codes as a module matrix, drawn by label.py (pixels) and pdf.py (vectors).

Error correction Q (about 25% of the symbol can be lost): labels live on
jars and bags that get scuffed, and a product or stamp URL is short enough
that Q costs at most one version (4 modules a side) over M.

Quiet zone: the 4 light modules ISO/IEC 18004 requires, part of the matrix so
no caller can forget it.

Speed: qrcode builds a symbol eight times in pure Python to choose its mask,
~6 ms a code (segno ~4 ms), a minute for a 10,000-stamp batch. Here the
byte-mode data path, Reed–Solomon and mask scoring are done on whole strings
and big integers, ~0.3 ms a code. The standard's tables and layout (block
structure for level Q, alignment positions, format and version information)
are written out below from ISO/IEC 18004, so no QR library's internals are
used: tests/labels/test_qr.py checks every symbol equals the one qrcode's
public API makes, module for module, for every mask and every version.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from operator import itemgetter

from PIL import Image

QUIET_ZONE = 4
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


# ISO/IEC 18004 Table 9, level Q: per version, the error-correction codewords of
# each block, then (blocks, data codewords of each) for its one or two groups.
_Q_BLOCKS: tuple[tuple[int, ...], ...] = (
    (13, 1, 13), (22, 1, 22), (18, 2, 17), (26, 2, 24), (18, 2, 15, 2, 16),
    (24, 4, 19), (18, 2, 14, 4, 15), (22, 4, 18, 2, 19), (20, 4, 16, 4, 17),
    (24, 6, 19, 2, 20), (28, 4, 22, 4, 23), (26, 4, 20, 6, 21), (24, 8, 20, 4, 21),
    (20, 11, 16, 5, 17), (30, 5, 24, 7, 25), (24, 15, 19, 2, 20), (28, 1, 22, 15, 23),
    (28, 17, 22, 1, 23), (26, 17, 21, 4, 22), (30, 15, 24, 5, 25), (28, 17, 22, 6, 23),
    (30, 7, 24, 16, 25), (30, 11, 24, 14, 25), (30, 11, 24, 16, 25), (30, 7, 24, 22, 25),
    (28, 28, 22, 6, 23), (30, 8, 23, 26, 24), (30, 4, 24, 31, 25), (30, 1, 23, 37, 24),
    (30, 15, 24, 25, 25), (30, 42, 24, 1, 25), (30, 10, 24, 35, 25), (30, 29, 24, 19, 25),
    (30, 44, 24, 7, 25), (30, 39, 24, 14, 25), (30, 46, 24, 10, 25), (30, 49, 24, 10, 25),
    (30, 48, 24, 14, 25), (30, 43, 24, 22, 25), (30, 34, 24, 34, 25),
)  # fmt: skip
_Q_FORMAT_BITS = 0b11  # the level's two bits in the format information
_FORMAT_GENERATOR, _FORMAT_XOR = 0b10100110111, 0b101010000010010  # BCH(15, 5)
_VERSION_GENERATOR = 0b1111100100101  # BCH(18, 6)
# The eight data masks (7.8.2): (row, column) → whether the module is inverted.
_MASK_RULES: tuple[Callable[[int, int], bool], ...] = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)


def _blocks(version: int) -> tuple[tuple[int, int], ...]:
    """(data codewords, error-correction codewords) of each block, in order."""
    ec, *groups = _Q_BLOCKS[version - 1]
    return tuple(
        (data, ec) for count, data in zip(groups[::2], groups[1::2], strict=True)
        for _ in range(count)
    )  # fmt: skip


def _bch(value: int, generator: int) -> int:
    """`value` followed by the remainder of its division by `generator` (GF(2))."""
    degree = generator.bit_length() - 1
    remainder = value << degree
    while remainder.bit_length() > degree:
        remainder ^= generator << (remainder.bit_length() - 1 - degree)
    return (value << degree) | remainder


def _alignment_centres(version: int) -> list[int]:
    """Row/column centres of the alignment patterns (Annex E): evenly spaced from
    the far side back towards row 6, the spacing an even number."""
    if version == 1:
        return []
    count = version // 7 + 2
    last = 4 * version + 10
    step = 26 if version == 32 else -(-(last - 6) // (count - 1) // 2) * 2
    return [6] + [last - step * i for i in reversed(range(count - 1))]


Grid = list[list[bool | None]]


def _function_patterns(version: int) -> Grid:
    """The fixed modules: finders with their separators, alignment and timing
    patterns; None where data or format/version information goes."""
    size = 4 * version + 17
    grid: Grid = [[None] * size for _ in range(size)]
    for top, left in ((0, 0), (size - 7, 0), (0, size - 7)):  # finders and separators
        for y in range(top - 1, top + 8):
            for x in range(left - 1, left + 8):
                if 0 <= y < size and 0 <= x < size:
                    ring = max(abs(y - top - 3), abs(x - left - 3))
                    grid[y][x] = ring not in (2, 4)
    centres = _alignment_centres(version)
    for y in centres:
        for x in centres:
            if grid[y][x] is None:  # none over a finder
                for dy in range(-2, 3):
                    for dx in range(-2, 3):
                        grid[y + dy][x + dx] = max(abs(dy), abs(dx)) != 1
    for i in range(8, size - 8):  # timing patterns, where no alignment pattern lies
        for y, x in ((6, i), (i, 6)):
            if grid[y][x] is None:
                grid[y][x] = i % 2 == 0
    return grid


def _information(version: int, mask: int) -> dict[tuple[int, int], bool]:
    """Format (and from version 7, version) information modules, the dark module included."""
    size = 4 * version + 17
    word = _bch(_Q_FORMAT_BITS << 3 | mask, _FORMAT_GENERATOR) ^ _FORMAT_XOR
    bits = [(word >> i) & 1 == 1 for i in range(15)]
    modules: dict[tuple[int, int], bool] = {(size - 8, 8): True}
    # Copy one runs up column 8, skipping the timing row, then on down the bottom-left.
    rows = [0, 1, 2, 3, 4, 5, 7, 8] + [size - 7 + i for i in range(7)]
    # Copy two runs right to left along row 8: the top-right, then the top-left.
    columns = [size - 1 - i for i in range(8)] + [7, 5, 4, 3, 2, 1, 0]
    for bit, row, column in zip(bits, rows, columns, strict=True):
        modules[(row, 8)] = modules[(8, column)] = bit
    if version >= 7:
        number = _bch(version, _VERSION_GENERATOR)
        for i in range(18):
            dark = (number >> i) & 1 == 1
            modules[(i // 3, size - 11 + i % 3)] = modules[(size - 11 + i % 3, i // 3)] = dark
    return modules


@lru_cache(maxsize=40)
def _template(version: int) -> _Template:
    size = 4 * version + 17
    function = _function_patterns(version)
    information = _information(version, 0).keys()  # the same modules for every mask
    is_data = [
        [function[y][x] is None and (y, x) not in information for x in range(size)]
        for y in range(size)
    ]

    format_bits = []
    for mask in _MASKS:
        info = _information(version, mask)
        format_bits.append(
            _pack([[info.get((y, x), False) for x in range(size)] for y in range(size)])
        )

    order = []  # data modules in placement order (7.7.3): up and down two-column strips
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
    for rule in _MASK_RULES:
        mask_bits.append(
            _pack([[is_data[y][x] and rule(y, x) for x in range(size)] for y in range(size)])
        )

    line_pairs = "0" + "1" * (size - 1)
    return _Template(
        version=version,
        size=size,
        blocks=_blocks(version),
        data_bits=len(order),
        placement=itemgetter(*placement),
        format_bits=tuple(format_bits),
        mask_bits=tuple(mask_bits),
        pairs=int("0".join([line_pairs] * (2 * size)), 2),
        row_pairs=int("0".join(["0" * size] + [line_pairs] * (size - 1) + ["0" * size] * size), 2),
        rows=int("0".join(["1" * size] * size + ["0" * size] * size), 2),
    )


def _galois_tables() -> tuple[list[int], list[int]]:
    """Powers of α in GF(256) modulo x⁸ + x⁴ + x³ + x² + 1, and their logarithms."""
    exp, log = [0] * 256, [0] * 256
    value = 1
    for power in range(255):
        exp[power], log[value] = value, power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    exp[255] = exp[0]
    return exp, log


_EXP, _LOG = _galois_tables()


@cache
def _products(degree: int) -> tuple[int, ...]:
    """For each byte f, f × the Reed–Solomon generator ∏(x − αⁱ) without its leading 1.

    Each product is packed into one integer, `degree` bytes long, so a step of
    the polynomial division below is one XOR, not a loop over coefficients.
    """
    exp, log = _EXP, _LOG
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
        capacity = 8 * sum(data for data, _ in _blocks(version))
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
