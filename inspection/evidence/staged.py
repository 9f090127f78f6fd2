"""What a reader hands to the loader: counts, issues, children, records and events.

Readers (Annex A, CIN census, agency extracts) are synchronous and touch no database; the
loader writes one ``Staged`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from inspection.evidence.identifiers import Scheme

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
    # How many places this issue stands for: more than one for a problem repeated beyond
    # ``GROUP_ABOVE`` times, stored once (``IssueLog``).
    count: int = 1

    def place(self) -> str:
        """Where it is, as a message names it: its cell (G17), else its row."""
        return self.cell or (f"row {self.row:,}" if self.row is not None else self.sheet)


# A problem found more than this many times in one column of one sheet (or along one row, as
# 100,000 unknown columns in a header are) is stored as one issue with its count and its first
# places: ordinary files keep one issue per cell, a broken or hostile one cannot write
# millions of rows.
GROUP_ABOVE = 1000
PLACES_SHOWN = 3
_SHOWN_VALUE = 40

_Kind = tuple[str, str, bool, str, str, str | int | None]


class _Group:
    """The issues of one kind beyond ``GROUP_ABOVE``: the first few, the last, the count."""

    def __init__(self, issues: list[Issue], along_row: bool) -> None:
        self.first = issues[:PLACES_SHOWN]
        self.last = issues[-1]
        self.count = len(issues)
        self.along_row = along_row

    def add(self, issue: Issue) -> None:
        self.last = issue
        self.count += 1

    def issue(self) -> Issue:
        first, last, count = self.first[0], self.last, self.count
        if self.along_row:
            start, end = _column_of(first.cell), _column_of(last.cell)
            span = f"row {first.row:,}" + (f" (columns {start} to {end})" if start else "")
        else:
            rows = f"rows {first.row:,} to {last.row:,}" if first.row is not None else ""
            span = (f"'{first.column}'" if first.column else first.sheet) + (
                f" ({rows})" if rows else ""
            )
        examples = ", ".join(
            i.place() + (f" ('{_shorter(i.value)}')" if i.value else "") for i in self.first
        )
        more = count - len(self.first)
        return Issue(
            first.severity,
            first.rule,
            f"The same problem {count:,} times in {span}, reported once here: at {examples} "
            f"and {more:,} more. At {first.place()}: {first.message}",
            first.sheet,
            first.list_name,
            first.row,
            "" if self.along_row else first.column,
            first.cell,
            first.value,
            first.rejected,
            count,
        )


def _column_of(cell: str) -> str:
    return cell.rstrip("0123456789")


def _shorter(value: str) -> str:
    return value if len(value) <= _SHOWN_VALUE else value[: _SHOWN_VALUE - 1] + "…"


class IssueLog:
    """A file's issues in the order they were found, bounded.

    Issues of one kind (rule, severity, rejected or not, list, sheet) are counted down each
    column and along each row; once a column (or a row) has more than ``group_above`` of
    them, they and every later one of that kind there become one issue (``_Group``) in the
    place of the first, with the count and the first places in its message.
    """

    def __init__(self, group_above: int = GROUP_ABOVE) -> None:
        self.group_above = group_above
        self._found: list[Issue | _Group] = []
        # The issues of each kind not yet grouped, down a column and along a row.
        self._members: dict[_Kind, list[Issue]] = {}
        self._groups: dict[_Kind, _Group] = {}

    @staticmethod
    def _kinds(issue: Issue) -> tuple[_Kind, _Kind]:
        base = (issue.rule, issue.severity, issue.rejected, issue.list_name, issue.sheet)
        return (*base, issue.column), (*base, issue.row)

    def append(self, issue: Issue) -> None:
        down, along = self._kinds(issue)
        group = self._groups.get(down) or self._groups.get(along)
        if group is not None:
            group.add(issue)
            return
        self._found.append(issue)
        below = self._members.setdefault(down, [])
        beside = self._members.setdefault(along, [])
        below.append(issue)
        beside.append(issue)
        if len(below) > self.group_above:
            self._group(down, False)
        elif len(beside) > self.group_above:
            self._group(along, True)

    def _group(self, kind: _Kind, along_row: bool) -> None:
        members = self._members.pop(kind)
        group = self._groups[kind] = _Group(members, along_row)
        for issue in members:  # each leaves the other way it was counted
            other = self._kinds(issue)[0 if along_row else 1]
            others = self._members.get(other, [])
            del others[next(n for n, i in enumerate(others) if i is issue)]
        # Every member but the first leaves the order; the group takes the first's place.
        first, absorbed = members[0], {id(i) for i in members}
        self._found = [
            group if entry is first else entry
            for entry in self._found
            if entry is first or id(entry) not in absorbed
        ]

    def extend(self, issues: Iterable[Issue]) -> None:
        for issue in issues:
            self.append(issue)

    def __iter__(self) -> Iterator[Issue]:
        for entry in self._found:
            yield entry.issue() if isinstance(entry, _Group) else entry

    def __len__(self) -> int:
        return len(self._found)

    def __getitem__(self, index: int) -> Issue:
        return list(self)[index]


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
    death_date: date | None = None
    worker: str = ""
    given_name: str = ""
    family_name: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class IdentifierFacts:
    """An identifier a source gives for a person beyond the record's own columns (a former
    UPN), with the dates it held where the source says."""

    scheme: Scheme
    value: str
    valid_from: date | None = None
    valid_to: date | None = None


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
    # Further identifiers; the record's own (la_child_id, nhs_number, upn and its person id)
    # are kept as identifiers too (``rows.identifiers_of``).
    identifiers: list[IdentifierFacts] = field(default_factory=list)


@dataclass(slots=True)
class EventFacts:
    """One event as a source gave it, and the record (``Staged.records`` key) it came from."""

    record: tuple[str, str]
    agency: str
    kind: str
    start: date
    end: date | None
    sheet: str
    row: int | None
    # Shared by the events of one source row (a start and its end): encoded once.
    attributes: dict[str, Any]
    team: str = ""
    worker: str = ""


@dataclass
class Staged:
    source_kind: str
    agency: str = ""
    tables: dict[str, TableCount] = field(default_factory=dict)
    issues: IssueLog = field(default_factory=IssueLog)
    children: dict[str, ChildFacts] = field(default_factory=dict)
    records: dict[tuple[str, str], RecordFacts] = field(default_factory=dict)
    events: list[EventFacts] = field(default_factory=list)
    # Annex A, CIN census and the social-care person list create children keyed by la_child_id.
    creates_children: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str, sheet: str = "") -> TableCount:
        if name not in self.tables:
            self.tables[name] = TableCount(name=name, sheet=sheet)
        return self.tables[name]

    def issue_counts(self) -> dict[str, int]:
        """Problems by severity, each place of a grouped issue counted."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for issue in self.issues:
            counts[issue.severity] += issue.count
        return counts


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
