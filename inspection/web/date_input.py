"""Reading a GOV.UK date input: three fields (day, month, year) named ``{name}-day``,
``{name}-month`` and ``{name}-year``, checked with the Design System's error messages.

- nothing entered: "Enter {the date}" (only when the date is required), the whole input marked;
- a part missing: "{The date} must include a month" (or "a day and year", …), those parts marked;
- a part that cannot be right (month 13, day 32, letters): "{The date} must be a real date", that
  part marked, or the whole input when the date as a whole cannot be (31 February);
- a year that is not 4 numbers: "Year must include 4 numbers", the year marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from starlette.datastructures import FormData, QueryParams

PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class DateField:
    """What one date input holds: the parts as typed, the date if they make one, and the error
    (with the parts it is about) if they do not."""

    name: str
    day: str = ""
    month: str = ""
    year: str = ""
    value: date | None = None
    error: str = ""
    wrong: frozenset[str] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.day or self.month or self.year)

    def parts(self) -> dict[str, str]:
        return {"day": self.day, "month": self.month, "year": self.year}

    @property
    def anchor(self) -> str:
        """The id the error summary links to: the first part that is wrong."""
        first = next((p for p in PARTS if p in self.wrong), "day")
        return f"{self.name}-{first}"


def _join(missing: list[str]) -> str:
    return missing[0] if len(missing) == 1 else " and ".join([", ".join(missing[:-1]), missing[-1]])


def read_date(
    source: FormData | QueryParams, name: str, label: str, required: bool = True
) -> DateField:
    """The date typed into input ``name``; ``label`` names it in messages ("the reference
    date"). An empty input that is not ``required`` is no date and no error."""
    raw: dict[str, str] = {}
    for part in PARTS:
        typed_part = source.get(f"{name}-{part}")
        raw[part] = typed_part.replace("\x00", "").strip() if isinstance(typed_part, str) else ""
    typed = DateField(name, raw["day"], raw["month"], raw["year"])
    sentence = label[:1].upper() + label[1:]

    def wrong(message: str, parts: frozenset[str] = frozenset(PARTS)) -> DateField:
        return replace(typed, error=message, wrong=parts)

    if typed.empty:
        return wrong(f"Enter {label}") if required else typed
    missing = [p for p in PARTS if not raw[p]]
    if missing:
        return wrong(f"{sentence} must include a {_join(missing)}", frozenset(missing))
    not_numbers = frozenset(p for p in PARTS if not raw[p].isdigit())
    if not_numbers:
        return wrong(f"{sentence} must be a real date", not_numbers)
    if len(raw["year"]) != 4:
        return wrong("Year must include 4 numbers", frozenset({"year"}))
    day, month, year = int(raw["day"]), int(raw["month"]), int(raw["year"])
    out_of_range = frozenset(
        p for p, bad in (("day", not 1 <= day <= 31), ("month", not 1 <= month <= 12)) if bad
    )
    try:
        value = date(year, month, day)
    except ValueError:
        return wrong(f"{sentence} must be a real date", out_of_range or frozenset(PARTS))
    return replace(typed, value=value)


def date_field(name: str, value: date | None) -> DateField:
    """An input showing ``value`` (a stored date, or none)."""
    if value is None:
        return DateField(name)
    return DateField(name, str(value.day), str(value.month), str(value.year), value)
