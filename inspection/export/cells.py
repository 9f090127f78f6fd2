"""The one writer of every cell the app puts in a file: CSV, workbook or offline pack.

Formula neutralisation: text a local authority typed (a name, a note, an evidence quote, a file
name) must never run as a formula when a file the app produced is opened. Every CSV and every
workbook the app writes goes through this module:

- CSV (``csv_text``): any text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
  return is prefixed with a single quote ``'``, the OWASP "CSV injection" defence: Excel and
  LibreOffice then show it as typed, apostrophe included, and never evaluate it.
- Workbooks (``append_row``, ``cell_value``): the same quoted text, stored as a text cell; openpyxl
  (in normal and in write-only mode) turns text starting with ``=`` into a formula, and quoted
  text never starts with ``=``.
- Offline packs (``write_text``): text that must come back exactly as it went out is stored as a
  text cell with Excel's quote-prefix style (shown without an apostrophe, kept as text when the
  cell is edited, never evaluated).

Numbers and dates are real values and are left alone. Characters that XML 1.0 forbids (control
characters other than tab, newline and carriage return) are removed, since a workbook containing
them does not open.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from openpyxl.styles import Alignment

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
Cell = str | int | float | bool | date | datetime | None


def neutralise(text: str) -> str:
    """``text`` made safe: illegal characters removed, a leading formula trigger quoted."""
    text = _ILLEGAL.sub("", text)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def safe(value: Any) -> Cell:
    """A value ready for a cell: text neutralised, numbers, dates and blanks as they are."""
    if value is None or isinstance(value, (bool, int, float, date, datetime)):
        return value
    return neutralise(str(value))


def cell_value(value: Any) -> Cell:
    """A value for a workbook cell: neutralised, and empty text as an empty cell."""
    value = safe(value)
    return None if value == "" else value


def append_row(ws: Any, values: Iterable[Any]) -> list[Cell]:
    """Append one row to a worksheet (normal or write-only), every value through ``cell_value``;
    returns the values written."""
    written = [cell_value(v) for v in values]
    ws.append(written)
    return written


def write_text(ws: Any, row: int, col: int, value: str) -> None:
    """Text that comes back exactly as written: a text cell with the quote-prefix style, which
    Excel shows as typed and never evaluates (not even after the cell is edited)."""
    cell = ws.cell(row=row, column=col)
    cell.value = _ILLEGAL.sub("", value) or None
    if cell.value is not None:
        cell.data_type = "s"
    cell.quotePrefix = True
    cell.alignment = Alignment(wrap_text=True, vertical="top")


def csv_value(value: Any) -> str:
    """One CSV field: text neutralised; dates ``YYYY-MM-DD``, times ``YYYY-MM-DD HH:MM``."""
    value = safe(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows (the header first) as CSV text with CRLF line ends, every field through
    ``csv_value`` (no byte-order mark; whoever writes the file adds it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_value(v) for v in row])
    return buffer.getvalue()
