"""Reading an officer's listings CSV: every row checked before anything changes.

Columns: code, marketplace, status, url, reason (url and reason may be left
out; Vietnamese headers such as "mã", "sàn", "trạng thái" work too). UTF-8
with or without a BOM, as Excel saves it; comma or semicolon separated.
Files with more than `max_rows` rows are refused as soon as the row after
the limit is read, so a huge file is never parsed whole. A header longer
than MAX_HEADER characters is refused before it is split into cells, the
unknown columns it names are reported in one line of at most
MAX_UNKNOWN_SHOWN names, and a cell quoted back in a problem is cut to
MAX_QUOTED characters: a hostile file gets a report of bounded size.
It is pure CPU work, so the caller runs it off the event loop.

This module needs no database: it checks the file's shape and each cell;
whether each code names a product in the officer's province is checked by
the caller. Problems are message keys with parameters, so the report reads
in the officer's language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.core.codes import looks_like_code, normalize_code
from bot.core.errors import Invalid
from bot.core.listings import MAX_REASON, listing_status, listing_url
from bot.core.ocop import ListingStatus
from bot.core.text import clean, fold

REQUIRED = ("code", "marketplace", "status")
OPTIONAL = ("url", "reason")
REMOVE = "-"  # a URL cell of "-" removes the stored link
MAX_HEADER = 1000  # characters in the header line: five known columns need far fewer
MAX_UNKNOWN_SHOWN = 10  # unknown column names quoted in the report
MAX_QUOTED = 40  # characters of a cell quoted back in a problem
_HEADERS = {
    "code": "code",
    "product code": "code",
    "ma": "code",
    "ma san pham": "code",
    "marketplace": "marketplace",
    "san": "marketplace",
    "san tmdt": "marketplace",
    "status": "status",
    "trang thai": "status",
    "url": "url",
    "link": "url",
    "duong dan": "url",
    "reason": "reason",
    "ly do": "reason",
}


@dataclass(frozen=True)
class Problem:
    """Something wrong on one line (0: the file as a whole), as a message key."""

    line: int
    key: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One valid line: what to set for one product on one marketplace."""

    line: int
    code: str
    marketplace: str
    status: ListingStatus
    url: str | None  # None: keep the stored link; "": remove it
    reason: str | None


@dataclass
class Sheet:
    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)


def read_listings(data: bytes, marketplaces: Mapping[str, str], max_rows: int) -> Sheet:
    """Parses and checks the whole file; `marketplaces` maps ids to display names."""
    sheet = Sheet()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        sheet.problems.append(Problem(0, "listings.csv_not_utf8"))
        return sheet
    lines = io.StringIO(text, newline="")
    header_line = lines.readline()
    if not header_line.strip():
        sheet.problems.append(Problem(0, "listings.csv_empty"))
        return sheet
    if len(header_line) > MAX_HEADER:
        sheet.problems.append(Problem(1, "listings.csv_header_too_long", {"max": MAX_HEADER}))
        return sheet
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error:  # a runaway quote in the header
        sheet.problems.append(Problem(1, "listings.csv_malformed"))
        return sheet
    columns = _columns(header, sheet)
    if columns is None:
        return sheet
    reader = csv.reader(lines, delimiter=delimiter)
    names = _marketplace_names(marketplaces)
    seen: dict[tuple[str, str], int] = {}
    count = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a runaway quote, a cell past csv.field_size_limit()
            sheet.problems.append(Problem(reader.line_num + 1, "listings.csv_malformed"))
            break
        line = reader.line_num + 1  # the header was line 1
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > max_rows:
            sheet.rows.clear()
            sheet.problems[:] = [Problem(0, "listings.csv_too_many_rows", {"max": max_rows})]
            return sheet
        row = _row(line, cells, columns, marketplaces, names, sheet)
        if row is None:
            continue
        first = seen.setdefault((row.code, row.marketplace), line)
        if first != line:
            sheet.problems.append(
                Problem(line, "listings.csv_duplicate", {"code": row.code, "first": first})
            )
            continue
        sheet.rows.append(row)
    if count == 0:
        sheet.problems.append(Problem(0, "listings.csv_empty"))
    return sheet


def _columns(header: list[str], sheet: Sheet) -> dict[str, int] | None:
    """Column name → index, or None after noting what is wrong with the header."""
    columns: dict[str, int] = {}
    unknown = []
    for index, name in enumerate(header):
        key = _HEADERS.get(fold(name))
        if key is None or key in columns:
            unknown.append(_quoted(name) or f"#{index + 1}")
        else:
            columns[key] = index
    missing = [name for name in REQUIRED if name not in columns]
    if unknown:
        shown = ", ".join(unknown[:MAX_UNKNOWN_SHOWN])
        if len(unknown) > MAX_UNKNOWN_SHOWN:
            shown += f", … (+{len(unknown) - MAX_UNKNOWN_SHOWN})"
        sheet.problems.append(Problem(1, "listings.csv_unknown_columns", {"columns": shown}))
    if missing:
        sheet.problems.append(
            Problem(1, "listings.csv_missing_columns", {"columns": ", ".join(missing)})
        )
    return None if unknown or missing else columns


def _row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    marketplaces: Mapping[str, str],
    names: dict[str, str],
    sheet: Sheet,
) -> Row | None:
    """The checked row, or None after noting each of its problems."""
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        sheet.problems.append(
            Problem(line, "listings.csv_extra_cells", {"count": len(cells), "max": len(columns)})
        )
        return None

    def cell(name: str) -> str:
        index = columns.get(name)
        return clean(cells[index]) if index is not None and index < len(cells) else ""

    before = len(sheet.problems)
    code = normalize_code(cell("code"))
    if not looks_like_code(code):
        sheet.problems.append(
            Problem(line, "listings.csv_bad_code", {"code": _quoted(cell("code"))})
        )
    marketplace = names.get(fold(cell("marketplace")))
    if marketplace is None:
        known = ", ".join(marketplaces)
        sheet.problems.append(
            Problem(
                line,
                "listings.csv_bad_marketplace",
                {"marketplace": _quoted(cell("marketplace")), "known": known},
            )
        )
    status = listing_status(cell("status"))
    if status is None:
        sheet.problems.append(
            Problem(line, "listings.csv_bad_status", {"status": _quoted(cell("status"))})
        )
    url: str | None = cell("url") or None
    if url == REMOVE:
        url = ""
    elif url is not None:
        try:
            url = listing_url(url)
        except Invalid:
            sheet.problems.append(Problem(line, "listings.csv_bad_url", {"url": _quoted(url)}))
    reason = cell("reason") or None
    if status == ListingStatus.REJECTED and reason is None:
        sheet.problems.append(Problem(line, "listings.csv_needs_reason"))
    if reason is not None and len(reason) > MAX_REASON:
        sheet.problems.append(Problem(line, "listings.csv_long_reason", {"max": MAX_REASON}))
    if len(sheet.problems) > before:
        return None
    assert marketplace is not None and status is not None
    return Row(line, code, marketplace, status, url, reason)


def _marketplace_names(marketplaces: Mapping[str, str]) -> dict[str, str]:
    """Folded id or name → id: "Sàn TMĐT tỉnh", "san tmdt tinh" and "provincial" alike."""
    names = {fold(name): marketplace_id for marketplace_id, name in marketplaces.items()}
    return names | {fold(marketplace_id): marketplace_id for marketplace_id in marketplaces}


def _quoted(value: str) -> str:
    """A cell as a problem quotes it back: cleaned, and cut short."""
    value = clean(value)
    return value if len(value) <= MAX_QUOTED else value[: MAX_QUOTED - 1] + "…"
