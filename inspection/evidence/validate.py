"""Validation rules for Annex A rows and across lists.

A row is rejected only when it cannot be placed in any child's journey: no child identifier,
or none of its dates usable. A row whose main date is blank or unreadable but that has another
date is placed by the dates it has, with a warning naming the missing one. Everything else is
an issue on an accepted row.
Rule ids (``rule`` of each issue) are listed in docs/evidence.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any, Protocol

from inspection.evidence import codes, values
from inspection.evidence.headers import Column, ListSchema
from inspection.evidence.staged import ERROR, INFO, WARNING, Issue, IssueLog, Staged

Cell = tuple[str, str, str]  # header as in the file, cell reference, original value


class Cells(Protocol):
    """Where each of a row's values came from: key → (header, cell reference, original)."""

    def __contains__(self, key: object) -> bool: ...

    def __getitem__(self, key: str) -> Cell: ...

    def get(self, key: str, default: Cell) -> Cell: ...


def _uk(value: date) -> str:
    return value.strftime("%d/%m/%Y")


class RowChecks:
    """Checks of one list's rows; issues are appended to ``issues``.

    ``order`` holds the pairs of date columns (earlier, later) that cannot be the other way
    round. A reader calls ``cell_problem`` for each unreadable cell of a row, then ``reject``,
    then, for a row that was not rejected, ``row``. ``rows_to_check`` lets it skip those calls
    for the rows that cannot have an issue, calling only ``repeats`` for them.
    """

    def __init__(
        self,
        schema: ListSchema,
        list_name: str,
        sheet: str,
        reference_date: date,
        issues: IssueLog,
        order: tuple[tuple[str, str], ...] = (),
    ) -> None:
        self.schema = schema
        self.list_name = list_name
        self.sheet = sheet
        self.reference_date = reference_date
        self.issues = issues
        self.order = order
        self.seen: dict[tuple[Any, ...], int] = {}
        self.identity = "adopter_id" if not schema.child_list else "child_id"
        self.held: dict[str, str] = {}
        self.mandatory = [c.key for c in schema.columns if c.mandatory]
        self.dates = [c.key for c in schema.columns if c.kind == "date"]
        self.placing = schema.placing_dates
        self.headers = {c.key: c.header for c in schema.columns}
        # Problems of single cells wait until the row is known to be accepted: a rejected row
        # carries only the reason it was rejected.
        self.pending: list[Issue] = []

    def _add(
        self,
        severity: str,
        rule: str,
        message: str,
        row: int,
        cell: Cell,
        rejected: bool = False,
        pending: bool = False,
    ) -> None:
        head, ref, shown = cell
        issue = Issue(
            severity, rule, message, self.sheet, self.list_name, row, head, ref, shown, rejected
        )
        (self.pending if pending else self.issues).append(issue)

    def cell_problem(self, problem: str, column: Column, row: int, cell: Cell) -> None:
        head, _, shown = cell
        if column.key == self.schema.primary_date:
            self.held[column.key] = problem  # reported once, as the reason for rejecting the row
            return
        if problem == "unknown_code":
            listed = codes.code_lists()[column.code_list]
            examples = ", ".join(list(listed)[:6])
            self._add(
                WARNING,
                "unknown_code",
                f"'{shown}' is not a code of the '{head}' list "
                f"(for example {examples}); the row was loaded with the value as given.",
                row,
                cell,
                pending=True,
            )
        elif problem == "unreadable_date":
            self._add(
                WARNING,
                "unreadable_date",
                f"'{shown}' in '{head}' is not a date; write "
                "it as DD/MM/YYYY. The row was loaded without it.",
                row,
                cell,
                pending=True,
            )
        else:
            self._add(
                WARNING,
                "unreadable_number",
                f"'{shown}' in '{head}' is not a number; the row was loaded without it.",
                row,
                cell,
                pending=True,
            )

    def reject(self, row: dict[str, Any], cells: Cells, excel_row: int) -> bool:
        held, self.held = self.held, {}
        pending, self.pending = self.pending, []
        rejected = self._reject(row, cells, excel_row, held)
        placement, self.pending = self.pending, []
        if not rejected:
            self.issues.extend(placement + pending)
        return rejected

    def _reject(
        self, row: dict[str, Any], cells: Cells, excel_row: int, held: dict[str, str]
    ) -> bool:
        identity = self.identity
        if row.get(identity) is None:
            cell = cells.get(identity, ("", "", ""))
            what = "Child Unique ID" if identity == "child_id" else "adopter identifier"
            self._add(
                ERROR,
                "missing_identifier",
                f"The row has no {what}, so it cannot be "
                "placed in any child's journey; it was not loaded.",
                excel_row,
                cell,
                True,
            )
            return True
        placing = self.placing
        if not placing:
            return False
        primary = self.schema.primary_date
        placed_by = [key for key in placing if row.get(key) is not None]
        if primary and row.get(primary) is None:
            cell = cells.get(primary, ("", "", ""))
            head = cell[0] or self.headers[primary]
            unreadable = bool(held.get(primary))
            if placed_by:
                if primary not in cells:
                    return False  # the sheet has no such column: reported once, as missing
                by = ", ".join(f"'{cells[key][0]}'" for key in placed_by)
                what = f"'{head}' is blank"
                if unreadable:
                    what = f"'{cell[2]}' in '{head}' is not a date"
                self._add(
                    WARNING,
                    "placed_by_other_dates",
                    f"{what}; the row was placed in the child's journey by {by}.",
                    excel_row,
                    (head, cell[1], cell[2]),
                    pending=True,
                )
                return False
            if unreadable:
                message = (
                    f"'{cell[2]}' in '{head}' is not a date and the row has no other date, so "
                    "it cannot be placed in the child's journey; it was not loaded."
                )
                rule = "unreadable_date"
            else:
                message = (
                    f"'{head}' is blank and the row has no other date, so it cannot be placed "
                    "in the child's journey; it was not loaded."
                )
                rule = "missing_date"
            self._add(ERROR, rule, message, excel_row, (head, cell[1], cell[2]), True)
            return True
        if not placed_by:
            names = ", ".join(f"'{self.headers[key]}'" for key in placing)
            self._add(
                ERROR,
                "missing_date",
                f"The row has none of the dates {names}, so it cannot be placed in the "
                "child's journey; it was not loaded.",
                excel_row,
                cells.get(identity, ("", "", "")),
                True,
            )
            return True
        return False

    def rows_to_check(self, columns: Mapping[str, Sequence[Any]], count: int) -> set[int]:
        """Which of ``count`` rows ``reject`` might reject or ``row`` might report on (being a
        duplicate aside), by position, from the list's columns of canonical values (key → the
        values row by row; the keys of columns the sheet lacks are absent).

        Every other row is accepted and has nothing to report but perhaps a repeated key
        (``repeats``). The conditions are those of ``_reject`` and ``row``, or looser: keep
        them in step.
        """
        everyone = range(count)

        def blank(key: str) -> set[int]:
            values = columns.get(key)
            if values is None:
                return set(everyone)
            if None not in values:  # the usual case, found in C
                return set()
            return {position for position, value in enumerate(values) if value is None}

        flagged = blank(self.identity)
        primary = self.schema.primary_date
        if primary:
            flagged |= blank(primary)
        if self.placing:
            flagged |= set.intersection(*map(blank, self.placing))
        for key in self.mandatory:
            if key in columns:
                flagged |= blank(key)
        reference = self.reference_date
        for key in self.dates:
            dates = columns.get(key)
            # A date column holds dates and None; most have no date after the reference date.
            if dates is not None and max(filter(None, dates), default=reference) > reference:
                flagged.update(
                    position
                    for position, value in enumerate(dates)
                    if value is not None and value > reference
                )
        if "dob" in columns and primary in columns:
            flagged |= _before(columns[primary], columns["dob"])
        for earlier, later in self.order:
            if earlier in columns and later in columns:
                flagged |= _before(columns[later], columns[earlier])
        return flagged

    def row_keys(
        self, columns: Mapping[str, Sequence[Any]], count: int
    ) -> Iterator[tuple[Any, ...]]:
        """Each of ``count`` rows' duplicate key, from the columns as for ``rows_to_check``."""
        blanks = [None] * count
        return zip(*(columns.get(key, blanks) for key in self.schema.key), strict=True)

    def row(self, row: dict[str, Any], cells: Cells, excel_row: int) -> None:
        primary = self.schema.primary_date
        for key in self.mandatory:
            # a blank main date was reported by ``reject``, as the row's placement
            if row.get(key) is None and key in cells and key != primary:
                cell = cells[key]
                if values.text(cell[2]) is not None:  # unreadable: already reported as such
                    continue
                self._add(
                    WARNING,
                    "missing_value",
                    f"'{cell[0]}' is blank; every row of {self.list_name} should have it.",
                    excel_row,
                    cell,
                )
        reference = self.reference_date
        for key in self.dates:
            value = row.get(key)
            if value is not None and value > reference:
                cell = cells[key]
                self._add(
                    WARNING,
                    "after_reference_date",
                    f"'{cell[0]}' is {_uk(value)}, after the "
                    f"inspection's reference date {_uk(reference)}.",
                    excel_row,
                    cell,
                )
        dob = row.get("dob")
        event_date = row.get(primary) if primary else None
        if dob is not None and event_date is not None and row.get("age") != -1 and dob > event_date:
            head = cells[primary][0]
            self._add(
                WARNING,
                "birth_after_event",
                f"The date of birth {_uk(dob)} is after '{head}' ({_uk(event_date)}).",
                excel_row,
                cells["dob"],
            )
        for earlier, later in self.order:
            first, second = row.get(earlier), row.get(later)
            if first is not None and second is not None and second < first:
                self._add(
                    WARNING,
                    "end_before_start",
                    f"'{cells[later][0]}' ({_uk(second)}) is "
                    f"before '{cells[earlier][0]}' ({_uk(first)}).",
                    excel_row,
                    cells[later],
                )
        first_row = self.repeats(tuple(map(row.get, self.schema.key)), excel_row)
        if first_row is not None:
            self.duplicate(first_row, cells, excel_row)

    def repeats(self, row_key: tuple[Any, ...], excel_row: int) -> int | None:
        """The earlier accepted row with the same duplicate key, if any; else this row is
        remembered as the first with it."""
        first_row = self.seen.setdefault(row_key, excel_row)
        return None if first_row == excel_row else first_row

    def duplicate(self, first_row: int, cells: Cells, excel_row: int) -> None:
        names = ", ".join(c.header for c in self.schema.columns if c.key in self.schema.key)
        self._add(
            WARNING,
            "duplicate_row",
            f"Same {names} as row {first_row}: this looks "
            "like the same record twice. Both rows were loaded.",
            excel_row,
            cells.get(self.identity, ("", "", "")),
        )


def _before(first: Sequence[Any], second: Sequence[Any]) -> set[int]:
    """Positions where both columns have a value and ``first``'s is less than ``second``'s."""
    return {
        position
        for position, (a, b) in enumerate(zip(first, second, strict=True))
        if a is not None and b is not None and a < b
    }


def cross_list_checks(staged: Staged, cross: dict[str, Any]) -> None:
    """CP plan without a List 6 entry; in care in List 8 while List 6's case status differs."""
    cin: dict[str, tuple[str | None, int]] = cross["cin"]
    have_cin = "List 6" in staged.tables
    for child_id, sheet, row, ref in cross["cp"]:
        if have_cin and child_id not in cin:
            staged.issues.append(
                Issue(
                    WARNING,
                    "cp_not_in_cin",
                    f"Child {child_id} is on a child protection plan in "
                    "List 7 but is not in List 6 (Children in Need); every child on a plan is a "
                    "child in need.",
                    sheet,
                    "List 7",
                    row,
                    "Child Unique ID",
                    ref,
                    child_id,
                )
            )
    for child_id, sheet, row, ref, end in cross["care"]:
        status = cin.get(child_id, (None, 0))[0]
        if end is None and status and status != "LAC":
            label = codes.label("case_status", status)
            staged.issues.append(
                Issue(
                    WARNING,
                    "care_status_mismatch",
                    f"Child {child_id} is in care in List 8 (no "
                    f"date ceased) but List 6 row {cin[child_id][1]} gives the case status as "
                    f"'{label}'.",
                    sheet,
                    "List 8",
                    row,
                    "Child Unique ID",
                    ref,
                    child_id,
                )
            )


__all__ = ["ERROR", "INFO", "WARNING", "RowChecks", "cross_list_checks"]
