"""What a reader hands to the loader: counts, issues, children, records and events.

Readers (Annex A, CIN census, agency extracts) are synchronous and touch no database; the
loader writes one ``Staged`` in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


class EvidenceFileError(Exception):
    """The whole file is unusable; the message says why in plain English. Nothing is written."""


@dataclass(slots=True)
class Issue:
    severity: str
    rule: str
    message: str
    sheet: str = ""
    list_name: str = ""
    row: int | None = None
    column: str = ""
    cell: str = ""
    value: str = ""
    rejected: bool = False


@dataclass(slots=True)
class TableCount:
    name: str
    sheet: str = ""
    header_row: int | None = None
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    layout: str = ""


@dataclass(slots=True)
class ChildFacts:
    la_child_id: str
    sex: str = ""
    ethnicity: str = ""
    dob: date | None = None
    disability: str = ""
    team: str = ""
    worker: str = ""
    given_name: str = ""
    family_name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RecordFacts:
    agency: str
    person_id: str
    la_child_id: str = ""
    nhs_number: str = ""
    upn: str = ""
    given_name: str = ""
    family_name: str = ""
    dob: date | None = None
    sex: str = ""
    postcode: str = ""
    address: str = ""


# (record key, agency, kind, start, end, sheet, row, attributes, team, worker)
EventRow = tuple[
    tuple[str, str], str, str, date, date | None, str, int | None, dict[str, Any], str, str
]


@dataclass
class Staged:
    source_kind: str
    agency: str = ""
    tables: dict[str, TableCount] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    children: dict[str, ChildFacts] = field(default_factory=dict)
    records: dict[tuple[str, str], RecordFacts] = field(default_factory=dict)
    events: list[EventRow] = field(default_factory=list)
    # Annex A, CIN census and the social-care person list create children keyed by la_child_id.
    creates_children: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str, sheet: str = "") -> TableCount:
        if name not in self.tables:
            self.tables[name] = TableCount(name=name, sheet=sheet)
        return self.tables[name]

    def issue_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for issue in self.issues:
            counts[issue.severity] += 1
        return counts


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
