"""Every date field of every format we read, and what becomes of it on the child's journey.

Annex A's come from its list schemas (``headers.LISTS``: each list's events name the columns
holding their dates and ends), the CIN census's from ``cin_census.DATE_ELEMENTS``, an agency
extract's from ``agencies.DATE_COLUMNS``, the SSDA903 return's from ``ssda903.DATE_COLUMNS``.
``render`` writes the table docs/formats.md holds; ``reached`` says whether a dated cell that
was read reached the journey or an issue.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from inspection.evidence.agencies import DATE_COLUMNS
from inspection.evidence.cin_census import DATE_ELEMENTS
from inspection.evidence.dated import ADOPTERS, BIRTH, Becomes, DateField, Fate, end, event, start
from inspection.evidence.headers import LISTS, ListSchema
from inspection.evidence.ssda903 import DATE_COLUMNS as SSDA903_DATE_COLUMNS
from inspection.evidence.staged import Staged
from inspection.journey import kinds

MARK_START = "<!-- date fields: written by inspection.evidence.dated_fields.render -->"
MARK_END = "<!-- end of date fields -->"


def _annex_a_fates(schema: ListSchema, key: str) -> tuple[Fate, ...]:
    if key == "dob":
        return (BIRTH,)
    if not schema.child_list:
        return (ADOPTERS,)
    fates: list[Fate] = []
    for listed in schema.events:
        if listed.date == key:
            fates.append((start if listed.end else event)(listed.kind, listed.note))
        if listed.end == key:
            fates.append(end(listed.kind))
    return tuple(fates)


def annex_a_fields() -> tuple[DateField, ...]:
    """Every date column of every list, in both layouts (a column only the current layout has
    says so)."""
    return tuple(
        DateField(
            schema.label + (" (current layout)" if column.since > 2019 else ""),
            column.header,
            column.key,
            _annex_a_fates(schema, column.key),
        )
        for schema in LISTS.values()
        for column in schema.columns
        if column.kind == "date"
    )


def every_format() -> dict[str, tuple[DateField, ...]]:
    return {
        "Annex A workbook": annex_a_fields(),
        "DfE CIN census XML": DATE_ELEMENTS,
        "DfE SSDA903 children looked after return (CSV tables)": SSDA903_DATE_COLUMNS,
        "Partner-agency extract": DATE_COLUMNS,
    }


def fate_words(fate: Fate) -> str:
    """What becomes of a date, in plain English."""
    named = f"“{kinds.label(fate.kind)}”" if fate.kind else "the event its `event_type` names"
    if fate.becomes is Becomes.START:
        words = f"the start of {named}"
    elif fate.becomes is Becomes.END:
        words = f"the end of {named}"
    elif fate.becomes is Becomes.EVENT:
        words = f"an event of its own, {named}"
    elif fate.becomes is Becomes.BIRTH:
        words = "the child's date of birth (at the top of the journey)"
    elif fate.becomes is Becomes.ISSUE:
        words = f"a validation issue (`{fate.kind}`)"
    else:
        words = "the adopters' summary (an adopter's date: adopters have no journey)"
    return f"{words}, {fate.note}" if fate.note else words


def render() -> str:
    """The per-field table of docs/formats.md, between its two marks."""
    lines = [MARK_START, ""]
    for name, fields in every_format().items():
        lines += [f"### {name}", "", "| where | date field | becomes |", "|---|---|---|"]
        for field in fields:
            becomes = "; ".join(fate_words(f) for f in field.fates) or "**nothing**"
            lines.append(f"| {field.where} | {field.name} | {becomes} |")
        lines.append("")
    lines.append(MARK_END)
    return "\n".join(lines)


def documented(text: str) -> str:
    """The part of docs/formats.md that ``render`` writes ("" when its marks are missing)."""
    if MARK_START not in text or MARK_END not in text:
        return ""
    return text[text.index(MARK_START) : text.index(MARK_END) + len(MARK_END)]


_BIRTH_KEYS = frozenset(
    {"dob", "date_of_birth", "ChildIdentifiers/PersonBirthDate"}
    | {f.key for f in SSDA903_DATE_COLUMNS if f.name == "DOB"}
)


@dataclass(frozen=True)
class DatedCell:
    """A dated cell as a file holds it: where (sheet, row, column as the issues name them),
    the field's key, its date (None when it is not one) and whose it is (the child's or
    person's identifier)."""

    person: str
    sheet: str
    row: int | None
    column: str
    key: str
    day: date | None


def reached(staged: Staged, cells: Iterable[DatedCell]) -> tuple[int, list[DatedCell]]:
    """How many of ``cells`` reached the journey (an event of their row starts or ends on
    their date, or, for a date of birth, the child's is it) or a validation issue naming them;
    and those that reached neither. An SSDA903 episode that ends with the child still looked
    after ends on the day the next episode of the child starts (the return's rule): its end is
    reached when an event of the same child in the same file starts that day."""
    days: dict[tuple[str, int | None], set[date]] = {}
    starts = {(ev.sheet, ev.record[1], ev.start) for ev in staged.events}
    for ev in staged.events:
        found = days.setdefault((ev.sheet, ev.row), set())
        found.add(ev.start)
        if ev.end is not None:
            found.add(ev.end)
    births = {(f.la_child_id, f.dob) for f in staged.children.values() if f.dob is not None}
    births |= {(r.person_id, r.dob) for r in staged.records.values() if r.dob is not None}
    # the census's own reference date: kept with the upload, and checked
    checked = {("Header", staged.extra.get("census_reference_date"))}
    issued = {(i.sheet, i.row, i.column) for i in staged.issues}
    issued_rows = {(i.sheet, i.row) for i in staged.issues if i.rejected}
    count = 0
    lost: list[DatedCell] = []
    for cell in cells:
        place = (cell.sheet, cell.row)
        if (
            (cell.sheet, cell.row, cell.column) in issued
            or place in issued_rows
            or (cell.day is not None and cell.day in days.get(place, ()))
            or (cell.key == "Episodes/DEC" and (cell.sheet, cell.person, cell.day) in starts)
            or (cell.key in _BIRTH_KEYS and (cell.person, cell.day) in births)
            or (cell.day is not None and (cell.sheet, cell.day.isoformat()) in checked)
        ):
            count += 1
        else:
            lost.append(cell)
    return count, lost
