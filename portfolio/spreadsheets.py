"""Spreadsheet files (CSV and XLSX): the one writer every download and export uses.

Cells are formula-safe. Text typed by users (company names, case titles) can start with a
character a spreadsheet reads as the start of a formula (=, +, -, @) or that some read past to one
(tab, carriage return), so a cell like `=HYPERLINK("http://evil", "Click")` could run when the file
is opened (CSV injection, OWASP). Such text stays text:

- in CSV, as OWASP recommends: a leading apostrophe (`'=HYPERLINK(...)`), which the spreadsheet shows
  as text; the csv module quotes the cell, so an embedded quote or comma cannot break out of it;
- in XLSX, as Excel itself stores text typed with an apostrophe: a text cell (never a formula) with
  the quote-prefix style, so Excel shows the text as it is and keeps it text when edited.

Numbers stay numbers: in CSV as plain digits ("1234567.89"); in XLSX as numeric cells, a Decimal
(money, ratios, FTEs) shown with two places (#,##0.00) and an int as a whole number (#,##0).

CSV files are UTF-8 with a byte order mark (so Excel reads £ and accented names correctly) and
CRLF line ends (RFC 4180).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from portfolio.dates import UK

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DECIMAL_FORMAT = "#,##0.00"
INTEGER_FORMAT = "#,##0"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    return text.startswith(FORMULA_STARTS)


def safe_text(text: str) -> str:
    """Text for a CSV cell: a leading apostrophe when a spreadsheet could take it for a formula."""
    return "'" + text if is_formula_like(text) else text


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    return value


def csv_text(rows: Iterable[Sequence]) -> str:
    """The rows as a CSV file's text (see the module docstring); an empty row is a blank line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return BOM + out.getvalue()


@dataclass(frozen=True)
class Sheet:
    title: str
    rows: Iterable[Sequence]


def _xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XLSX cannot hold
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UK).replace(tzinfo=None)  # Excel has no time zones: UK time
    return value


def xlsx_bytes(*sheets: Sheet) -> bytes:
    """A workbook with a worksheet per Sheet, in order (see the module docstring)."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        worksheet = book.create_sheet(sheet.title)
        for row in sheet.rows:
            worksheet.append([_xlsx_value(value) for value in row])
        for cells in worksheet.iter_rows():
            for cell in cells:
                value = cell.value
                if isinstance(value, str) and is_formula_like(value):
                    cell.data_type = "s"  # openpyxl took it for a formula: it is text
                    cell.quotePrefix = True
                elif isinstance(value, Decimal):
                    cell.number_format = DECIMAL_FORMAT
                elif isinstance(value, int) and not isinstance(value, bool):
                    cell.number_format = INTEGER_FORMAT
                elif isinstance(value, datetime):
                    cell.number_format = "d mmmm yyyy h:mm"
                elif isinstance(value, date):
                    cell.number_format = "d mmmm yyyy"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
