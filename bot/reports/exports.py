"""Tables as files: CSV (UTF-8 with BOM) and XLSX (openpyxl).

The BOM makes Excel read the CSV as UTF-8, so Vietnamese shows correctly
when an officer double-clicks the file. Dates are ISO in CSV (read the
same in every Excel locale) and real dates in XLSX, shown dd/mm/yyyy.
Times arrive already in Vietnam's local time (the table builders convert
them), since Excel knows no time zones.

Producers type the text that lands in these files, so a cell must never
become a formula: in CSV, text starting with = + - @ gets a leading
apostrophe (OWASP's advice for CSV injection) unless it is a plain number
or phone number; in XLSX, text is always written as a text cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as XlsxCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Cell = str | int | float | dt.date | dt.datetime | None
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d[\d .]*")
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
MAX_COLUMN_WIDTH = 60


@dataclass(frozen=True)
class Table:
    """A sheet: a title (the XLSX sheet name), headers, and rows of cells."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def to_csv(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # Excel's own line ending
    writer.writerow(table.headers)
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One workbook, a sheet per table; write-only mode keeps 20,000 rows cheap."""
    workbook = Workbook(write_only=True)
    for table in tables:
        sheet = workbook.create_sheet(sheet_name(table.title))
        _widths(sheet, table)
        sheet.freeze_panes = "A2"  # the header stays in view while scrolling
        header = [_xlsx_cell(sheet, name, bold=True) for name in table.headers]
        sheet.append(header)
        for row in table.rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sheet_name(title: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    return _SHEET_NAME_BAD.sub(" ", title)[:31] or "Sheet"


def _csv_cell(value: Cell) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def _xlsx_cell(
    sheet: WriteOnlyWorksheet, value: Cell, *, bold: bool = False
) -> XlsxCell | str | int | float | None:
    """A plain value where openpyxl writes it right; a styled cell where it needs help.

    Plain values are several times faster to write, which matters at
    20,000 rows; only dates (their format), text openpyxl would take for a
    formula, and the header need a cell object.
    """
    number_format = None
    if isinstance(value, dt.datetime):
        value, number_format = value.replace(tzinfo=None), "DD/MM/YYYY HH:MM"  # Excel: no zones
    elif isinstance(value, dt.date):
        value, number_format = dt.datetime.combine(value, dt.time()), "DD/MM/YYYY"
    elif isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters openpyxl refuses
        if not bold and not value.startswith("="):
            return value
    elif not bold:
        return value
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _widths(sheet: WriteOnlyWorksheet, table: Table) -> None:
    """Columns as wide as their longest value in the first rows (write-only: set up front)."""
    sample = [table.headers, *table.rows[:200]]
    for index in range(len(table.headers)):
        longest = max(len(str(row[index] or "")) for row in sample if index < len(row))
        # Write-only sheets have column_dimensions at run time; the stubs omit them.
        sheet.column_dimensions[get_column_letter(index + 1)].width = min(  # type: ignore[attr-defined]
            max(longest + 2, 8), MAX_COLUMN_WIDTH
        )
