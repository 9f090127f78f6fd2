"""Making any value safe to put in a spreadsheet cell.

Formula neutralisation: text a local authority typed (a name, a note, an evidence quote) must
never run as a formula when the workbook or CSV is opened. Any text starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return is prefixed with a single quote ``'`` and stored as text,
the OWASP "CSV injection" defence: Excel and LibreOffice then show it as typed, apostrophe
included, and never evaluate it. Numbers and dates are real values and are left alone.

Characters that XML 1.0 forbids (control characters other than tab, newline and carriage
return) are removed, since a workbook containing them does not open.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

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
