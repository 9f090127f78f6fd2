"""Cell values to canonical Python values: text, dates, numbers.

Parse before validating: every normaliser takes what the file holds (calamine gives str, float,
int, bool, date, datetime, time or timedelta) and returns the canonical value, or ``None`` for
blank. A value that is present but cannot be understood raises ``Unreadable`` so the caller can
record a validation issue that quotes the original.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

# What people type for "nothing here" in real Annex A files.
BLANK_MARKERS = frozenset(
    {
        "",
        "#n/a",
        "n/a",
        "#value!",
        "#ref!",
        "#div/0!",
        "#name?",
        "-",
        "--",
        "–",
        "—",
        "..",
        "...",
        "null",
        "none",
        "nil",
    }
)
_LONGEST_MARKER = max(len(m) for m in BLANK_MARKERS)
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f\ufeff]+")
_EXCEL_EPOCH = date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$")
_DMY_TIME = re.compile(r"^(\d{1,2}/\d{1,2}/\d{4})\s+\d{1,2}:\d{2}(?::\d{2})?$")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_MONTH_FORMATS = ("%d %B %Y", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y")


class Unreadable(ValueError):
    """The cell holds something, but not something of the expected kind."""


def original(value: object) -> str:
    """The value as the user would read it in the file (for messages and provenance)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):  # as Excel shows a date cell in an English workbook
        if value.hour == value.minute == value.second == 0:
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def text(value: object) -> str | None:
    """Trimmed text with runs of (non-breaking) spaces made one space; blank markers → None."""
    if value is None:
        return None
    if isinstance(value, str):
        # Fast path, same result: printable ASCII without double spaces has nothing for
        # _SPACES to squeeze, so only the ends are trimmed.
        if value.isascii() and value.isprintable() and "  " not in value:
            cleaned = value.strip()
            if len(cleaned) <= _LONGEST_MARKER and cleaned.casefold() in BLANK_MARKERS:
                return None
            return cleaned
        return _text(value)
    return _text(original(value))


@lru_cache(maxsize=65536)
def _text(value: str) -> str | None:
    cleaned = _SPACES.sub(" ", value).strip()
    if cleaned.casefold() in BLANK_MARKERS:
        return None
    return cleaned


def excel_serial(number: float) -> date:
    """An Excel (1900 system) serial day number as a date."""
    if not 1 <= number < 2958466:
        raise Unreadable(f"{number} is not a date serial number")
    return _EXCEL_EPOCH + timedelta(days=int(number))


def to_date(value: object) -> date | None:
    """A date from an Excel date, a serial number, DD/MM/YYYY text or ISO text; blank → None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise Unreadable("a TRUE/FALSE value is not a date")
    if isinstance(value, (int, float)):
        return excel_serial(float(value))
    if isinstance(value, timedelta):
        raise Unreadable("a duration is not a date")
    return _date_from_text(str(value))


def read_date(value: object) -> tuple[date | None, bool]:
    """(``to_date(value)``, True), or (None, False) when the value is not a date."""
    try:
        return to_date(value), True
    except Unreadable:
        return None, False


class DateMemo(dict[str, tuple[date | None, bool]]):
    """Text → ``read_date`` of it, each distinct text parsed once (a file repeats its dates
    across thousands of rows)."""

    def __missing__(self, text: str) -> tuple[date | None, bool]:
        parsed = self[text] = read_date(text)
        return parsed


@lru_cache(maxsize=65536)
def _date_from_text(raw: str) -> date | None:
    cleaned = _text(raw)
    if cleaned is None:
        return None
    match = _DMY.match(cleaned) or _DMY.match(_DMY_TIME.sub(r"\1", cleaned))
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            if len(match.group(3)) == 2:
                year += 2000 if year <= 69 else 1900
            return date(year, month, day)
        match = _ISO.match(cleaned)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise Unreadable(f"'{raw}' is not a real date") from None
    if _NUMBER.match(cleaned):
        return excel_serial(float(cleaned))
    for fmt in _MONTH_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    raise Unreadable(f"'{raw}' is not a date")


def to_number(value: object) -> float | None:
    """A number (ages may be fractions); blank → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Unreadable("a TRUE/FALSE value is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    cleaned = text(value)
    if cleaned is None:
        return None
    try:
        return float(cleaned.replace(",", ""))
    except ValueError:
        raise Unreadable(f"'{value}' is not a number") from None


def to_count(value: object) -> int | None:
    """A whole number of things (number of referrals, placements…); blank → None."""
    number = to_number(value)
    if number is None:
        return None
    if not number.is_integer() or number < 0:
        raise Unreadable(f"'{original(value)}' is not a whole number")
    return int(number)


def identifier(value: object) -> str | None:
    """An identifier exactly as given, except surrounding spaces (and 123.0 → 123)."""
    return text(value)
