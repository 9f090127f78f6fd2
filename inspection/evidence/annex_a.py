"""Read an Annex A workbook into children, events and validation issues.

Each list is found whatever its sheet is called and wherever its header row is: by the sheet
name (``List_3``, ``List 3``, ``Referrals``), a ``List 3: …`` title above the headers, or by the
headers themselves. Rows are numbered as Excel shows them. See docs/evidence.md for how each
list becomes events.
"""

from __future__ import annotations

import re
from bisect import insort
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

from inspection.evidence import codes, values
from inspection.evidence.files import check_spreadsheet
from inspection.evidence.headers import (
    LIST9_CURRENT_KEYS,
    LISTS,
    Column,
    ListSchema,
    header_key,
    list_of_sheet,
)
from inspection.evidence.reading import DEFAULT_READ_MEMORY, Sheets, sheets
from inspection.evidence.staged import (
    ERROR,
    INFO,
    WARNING,
    ChildFacts,
    EventFacts,
    EvidenceFileError,
    Issue,
    RecordFacts,
    Staged,
    column_letter,
)
from inspection.evidence.validate import RowChecks, cross_list_checks

AGENCY = "social_care"
HEADER_SCAN_ROWS = 20
_NOT_LISTS = frozenset(
    header_key(n)
    for n in (
        "Front_Sheet",
        "Front Sheet",
        "FAQ_and_changes",
        "Guidance",
        "Codes_used",
        "Codes",
        "Notes",
    )
)
_TITLE = re.compile(r"^\s*list\s*(\d{1,2})\s*[:.\-–]", re.IGNORECASE)

_CHILD_KEYS = frozenset(
    {"child_id", "gender", "ethnicity", "dob", "age", "disability", "team", "worker"}
)
_DISTINCT: dict[int, frozenset[str]] = {}
for _n, _schema in LISTS.items():
    _others = set().union(*(set(s.index) for m, s in LISTS.items() if m != _n))
    _DISTINCT[_n] = frozenset(set(_schema.index) - _others)

Progress = Callable[[str, float], None]


def _sheet_hint(name: str) -> int | None:
    return list_of_sheet(name)


def find_list(name: str, rows: list[list[Any]]) -> tuple[ListSchema, int] | None:
    """The list a sheet holds and its header row index (0-based), or None."""
    hint = _sheet_hint(name)
    best: tuple[tuple[int, int, int], int, int] | None = None  # (score, row index, list)
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        keys = [header_key(c) for c in row if isinstance(c, str) and c.strip()]
        if len(keys) < 2:
            if hint is None and keys:
                title = _TITLE.match(str(next(c for c in row if isinstance(c, str) and c.strip())))
                if title and int(title.group(1)) in LISTS:
                    hint = int(title.group(1))
            continue
        for number, schema in LISTS.items():
            total = sum(1 for k in keys if k in schema.index)
            if total < 2:
                continue
            distinct = sum(1 for k in keys if k in _DISTINCT[number])
            score = (1 if number == hint else 0, distinct, total)
            if hint is not None and number != hint and total < 3:
                continue
            if best is None or score > best[0]:
                best = (score, index, number)
    if best is None:
        return None
    (hinted, distinct, total), index, number = best
    if not hinted and distinct == 0:
        return None
    return LISTS[number], index


def _blank(row: list[Any]) -> bool:
    for cell in row:
        if cell != "" and cell is not None and not (isinstance(cell, str) and not cell.strip()):
            return False
    return True


def _filled_rows(rows: list[list[Any]], start: int) -> list[int]:
    """The indexes of the rows from ``start`` on that have anything in them."""
    return [offset for offset in range(start, len(rows)) if not _blank(rows[offset])]


def _columns_of(rows: list[list[Any]], width: int) -> list[tuple[Any, ...]]:
    """The rows' cells column by column, at least ``width`` columns ("" where a row stops
    short; calamine's rows are all as wide as the sheet, so that is rare)."""
    if min(map(len, rows), default=width) < width:
        rows = [row if len(row) >= width else [*row, *[""] * (width - len(row))] for row in rows]
    return list(zip(*rows, strict=False))  # as wide as the narrowest row


def _by_row(columns: Sequence[Sequence[Any]], count: int) -> Iterator[tuple[Any, ...]]:
    """Each of ``count`` rows' values from ``columns`` (empty tuples when there are none)."""
    return zip(*columns, strict=True) if columns else repeat((), count)


# What a raw cell means in a column: (canonical value, problem or "", the cell as the file
# shows it when that is worth keeping: beside a code that was spelt otherwise).
_Meaning = tuple[Any, str, str | None]
_BLANK: _Meaning = (None, "", None)


class _Normalised(NamedTuple):
    """One column's cells, normalised."""

    values: Sequence[Any]  # canonical values, row by row (None for blank or unreadable)
    problems: list[tuple[int, str]]  # (row position, problem) of each cell that has one
    originals: Sequence[str | None] | None  # of a code column: a code's spelling in the file


class _Normaliser(dict[Any, _Meaning]):
    """Raw cell → its meaning in one kind of column (and code list), each distinct raw value
    worked out once: codes and dates repeat endlessly."""

    def __init__(self, column: Column) -> None:
        super().__init__({"": _BLANK, None: _BLANK})
        self.column = column
        self.coded = column.kind in ("code", "yes_no")
        self.plain = column.kind in ("text", "id")

    def __missing__(self, raw: Any) -> _Meaning:
        """A raw value met for the first time: worked out and remembered."""
        meaning = self.meaning(raw)
        if raw.__class__ is not bool:
            self[raw] = meaning
        return meaning

    def normalise(self, cells: Sequence[Any]) -> _Normalised:
        """The meaning of every cell of a column, from a whole column at a time."""
        if not cells:
            return _Normalised((), [], () if self.coded else None)
        if bool in set(map(type, cells)):
            # TRUE == 1 == 1.0, so a boolean must not find a number's meaning, nor leave its own.
            meanings = [self.meaning(c) if c.__class__ is bool else self[c] for c in cells]
        else:
            meanings = list(map(self.__getitem__, cells))
        found, problem_of, shown = zip(*meanings, strict=True)
        problems: list[tuple[int, str]] = []
        if any(problem_of):
            problems = [
                (position, problem) for position, problem in enumerate(problem_of) if problem
            ]
        return _Normalised(found, problems, shown if self.coded else None)

    def meaning(self, raw: Any) -> _Meaning:
        """What one raw (not blank) cell means."""
        if self.plain:  # text as given (trimmed), never a problem
            return values.text(raw), "", None
        value, problem = self._normalise(raw)
        if problem or not self.coded:
            return value, problem, None
        shown = values.original(raw)
        return value, "", None if shown == value else shown

    def _normalise(self, raw: Any) -> tuple[Any, str]:
        """(canonical value, problem or "") of a raw cell in a column that is not plain text."""
        kind = self.column.kind
        try:
            if kind == "date":
                return values.to_date(raw), ""
            if kind == "count":
                return values.to_count(raw), ""
            if kind == "number":
                return values.to_number(raw), ""
        except values.Unreadable:
            return None, "unreadable_" + ("date" if kind == "date" else "number")
        text = values.text(raw)
        if text is None:
            return text, ""
        code = codes.canonical(self.column.code_list, text)
        if code is None:
            return text, "unknown_code"
        return code, ""


class _IsoDates(dict[date | None, str | None]):
    """Dates as ISO text (for attributes), memoised: the same dates recur across rows."""

    def __init__(self) -> None:
        super().__init__({None: None})

    def __missing__(self, day: date | None) -> str | None:
        text = self[day] = day.isoformat() if day is not None else None
        return text


def read_annex_a(
    path: Path,
    reference_date: date,
    max_bytes: int,
    progress: Progress | None = None,
    filename: str | None = None,
    memory_bytes: int = DEFAULT_READ_MEMORY,
) -> Staged:
    """Every list in the workbook at ``path``; raises EvidenceFileError when none is usable.

    The workbook is parsed by a reader process (``reading``), a sheet ahead of the lists."""
    name = filename or path.name
    check_spreadsheet(path, max_bytes, name)
    with sheets(path, name, memory_bytes) as workbook:
        return _read_lists(workbook, name, reference_date, progress)


def _read_lists(
    workbook: Sheets, name: str, reference_date: date, progress: Progress | None
) -> Staged:
    sheet_names = workbook.names
    found: list[tuple[str, ListSchema, int, list[list[Any]]]] = []
    has_cells = False
    context = _Context(Staged(source_kind="annex-a", agency=AGENCY), reference_date)
    # Lists are read in list order. Sheets nearly always come in that order, so each list is
    # read as soon as its sheet is parsed (while the parser, which lets go of the interpreter,
    # works on the next sheet); if a sheet turns out to come before one already read, the
    # lists are read again, from the start, in list order.
    in_order = True
    for position, (sheet_name, rows) in enumerate(workbook):
        if any(not _blank(r) for r in rows):
            has_cells = True
        if header_key(sheet_name) in _NOT_LISTS:
            continue
        located = find_list(sheet_name, rows)
        if located is None:
            continue
        schema, header_index = located
        if found and schema.number < found[-1][1].number:
            in_order = False
        found.append((sheet_name, schema, header_index, rows))
        if in_order:
            if progress:
                progress(
                    f"Reading {sheet_name} (List {schema.number})", position / len(sheet_names)
                )
            _read_list(context, sheet_name, schema, header_index, rows)
    if not has_cells:
        raise EvidenceFileError(f"{name} is empty: none of its sheets has anything in it.")
    if not found:
        raise EvidenceFileError(
            f"No Annex A list was found in {name} (sheets: {', '.join(sheet_names)}). Each list "
            "needs a header row with 'Child Unique ID' and the list's own columns, such as "
            "'Date of Contact' for List 1."
        )
    if not in_order:
        context = _Context(Staged(source_kind="annex-a", agency=AGENCY), reference_date)
        found.sort(key=lambda item: item[1].number)
        for number, (sheet_name, schema, header_index, rows) in enumerate(found):
            if progress:
                progress(f"Reading {sheet_name} (List {schema.number})", number / len(found))
            _read_list(context, sheet_name, schema, header_index, rows)
    staged = context.staged
    cross_list_checks(staged, context.cross)
    if context.adopters:
        staged.extra["adopters"] = _adopter_summary(context.adopters)
    if not any(t.rows for t in staged.tables.values()):
        raise EvidenceFileError(
            f"{name} has the Annex A lists but no rows in any of them: there is nothing to load."
        )
    return staged


class _Child:
    """A child met in the workbook: its facts, its social-care record and the lists it is in."""

    __slots__ = ("facts", "key", "lists", "record")

    def __init__(self, staged: Staged, child_id: str) -> None:
        self.key = (AGENCY, child_id)
        self.facts = staged.children[child_id] = ChildFacts(child_id)
        self.record = staged.records[self.key] = RecordFacts(AGENCY, child_id, la_child_id=child_id)
        # The numbers of the lists the child is in, kept in order (a list of the child's facts).
        self.lists: list[int] = []
        self.facts.attributes["annex_a_lists"] = self.lists


class _Context:
    def __init__(self, staged: Staged, reference_date: date) -> None:
        self.staged = staged
        self.reference_date = reference_date
        self.cross: dict[str, Any] = {"cin": {}, "cp": [], "care": []}
        self.adopters: list[dict[str, Any]] = []
        self.children: dict[str, _Child] = {}
        self.normalisers: dict[tuple[str, str], _Normaliser] = {}
        self.iso_dates = _IsoDates()
        self.ethnicities = codes.code_lists()["ethnicity"]

    def normaliser(self, column: Column) -> _Normaliser:
        """One normaliser (and memo) per kind and code list, shared by every list's columns:
        the canonical value depends on nothing else."""
        key = (column.kind, column.code_list)
        found = self.normalisers.get(key)
        if found is None:
            found = self.normalisers[key] = _Normaliser(column)
        return found


# A recognised column of a sheet: (index, column, header as in the file, its normaliser).
_Placed = tuple[int, Column, str, _Normaliser]


class _Sheet:
    """Where one list's rows come from: the sheet, the list, and each column's index and
    header as in the file."""

    __slots__ = ("events", "list_name", "name", "number", "positions")

    def __init__(self, name: str, schema: ListSchema, placed: list[_Placed]) -> None:
        self.name = name
        self.number = schema.number
        self.list_name = schema.name
        self.positions = {column.key: (index, head) for index, column, head, _ in placed}
        # The list's events whose date column the sheet has.
        self.events = tuple(e for e in schema.events if e.date in self.positions)

    def cells(self, raw: list[Any], excel_row: int) -> _Cells:
        return _Cells(raw, excel_row, self.positions)

    def ref(self, key: str, excel_row: int) -> str:
        """The reference of a row's cell in the column ``key``, such as ``A12``."""
        return f"{_LETTERS[self.positions[key][0]]}{excel_row}"


def _read_list(
    ctx: _Context, sheet: str, schema: ListSchema, header_index: int, rows: list[list[Any]]
) -> None:
    """Read one list's rows: header, then the rows normalised column by column, then each row
    checked and turned into child facts and events in order."""
    table = ctx.staged.table(schema.name, sheet)
    table.sheet = sheet
    table.header_row = header_index + 1
    placed, fatal = _read_header(ctx, sheet, schema, header_index, rows[header_index])
    if schema.number == 9:
        keys = {column.key for _, column, _, _ in placed}
        table.layout = "current (17 columns)" if keys & LIST9_CURRENT_KEYS else "2019 (13 columns)"
    filled = _filled_rows(rows, header_index + 1)
    table.rows += len(filled)
    if fatal:
        table.rejected += len(filled)
        return
    if not filled:
        return
    raws = [rows[offset] for offset in filled]
    columns = _Columns(placed, raws)
    where = _Sheet(sheet, schema, placed)
    checks = RowChecks(
        schema,
        where.list_name,
        sheet,
        ctx.reference_date,
        ctx.staged.issues,
        schema.order,
    )
    # Rows with a problem cell or that fail a check go through every check as they are;
    # the others can only repeat an earlier row.
    to_check = checks.rows_to_check(columns.values, len(raws))
    to_check.update(columns.problems)
    child_list = schema.child_list
    attributes = columns.attributes(ctx.iso_dates) if child_list else []
    row_keys = checks.row_keys(columns.values, len(raws))
    repeats = checks.repeats
    accepted = rejected = 0
    for position, (offset, raw, row, row_key) in enumerate(
        zip(filled, raws, columns.rows(), row_keys, strict=True)
    ):
        excel_row = offset + 1
        if position in to_check:
            cells = where.cells(raw, excel_row)
            for column, problem in columns.problems.get(position, ()):
                checks.cell_problem(problem, column, excel_row, cells[column.key])
            if checks.reject(row, cells, excel_row):
                rejected += 1
                continue
            checks.row(row, cells, excel_row)
        else:
            first_row = repeats(row_key, excel_row)
            if first_row is not None:
                checks.duplicate(first_row, where.cells(raw, excel_row), excel_row)
        accepted += 1
        if child_list:
            _child_row(ctx, where, excel_row, raw, row, attributes[position])
        else:
            ctx.adopters.append(row)
    table.accepted += accepted
    table.rejected += rejected


def _read_header(
    ctx: _Context, sheet: str, schema: ListSchema, header_index: int, header: list[Any]
) -> tuple[list[_Placed], str]:
    """The sheet's recognised columns, and the header of a missing column without which no row
    can be loaded ("" when there is none). Unknown, repeated and missing columns are issues."""
    staged = ctx.staged
    list_name = schema.name
    placed: list[_Placed] = []
    seen: set[str] = set()
    for index, cell in enumerate(header):
        head = values.text(cell)
        if head is None:
            continue
        column = schema.match(head)
        ref = f"{column_letter(index)}{header_index + 1}"
        if column is None or column.key in seen:
            rule = "unrecognised_column" if column is None else "repeated_column"
            what = "is not a column of" if column is None else "appears twice in"
            staged.issues.append(
                Issue(
                    INFO,
                    rule,
                    f"The column '{head}' {what} {list_name} ({schema.title}); it was not loaded.",
                    sheet,
                    list_name,
                    header_index + 1,
                    head,
                    ref,
                    head,
                )
            )
            continue
        seen.add(column.key)
        placed.append((index, column, head, ctx.normaliser(column)))
    fatal = ""
    for column in schema.columns:
        if column.mandatory and column.key not in seen:
            staged.issues.append(
                Issue(
                    ERROR,
                    "missing_column",
                    f"{list_name} has no '{column.header}' column, which every row needs.",
                    sheet,
                    list_name,
                    header_index + 1,
                    column.header,
                )
            )
            if column.key in ("child_id", "adopter_id"):
                fatal = column.header
    if schema.placing_dates and not seen.intersection(schema.placing_dates):
        # No column that could place a row: the main date's is the one missing.
        fatal = fatal or next(c.header for c in schema.columns if c.key == schema.placing_dates[0])
    return placed, fatal


class _Columns:
    """A list's filled rows normalised a column at a time (the same values recur down a
    column, and whole-column work runs in C): canonical values by key, in the sheet's column
    order, each row's cell problems, and the file's spelling of codes."""

    def __init__(self, placed: list[_Placed], raws: list[list[Any]]) -> None:
        self.count = len(raws)
        self.values: dict[str, Sequence[Any]] = {}
        self.dates: set[str] = set()
        self.originals: dict[str, Sequence[str | None]] = {}
        # row position → (column, problem) of its unreadable or unknown cells, in column order
        self.problems: dict[int, list[tuple[Column, str]]] = {}
        cells = _columns_of(raws, 1 + max((index for index, *_ in placed), default=-1))
        for index, column, _, normaliser in placed:
            normalised = normaliser.normalise(cells[index])
            self.values[column.key] = normalised.values
            if column.kind == "date":
                self.dates.add(column.key)
            if normalised.originals is not None:
                self.originals[column.key] = normalised.originals
            for position, problem in normalised.problems:
                self.problems.setdefault(position, []).append((column, problem))

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each row as key → canonical value (None for blank or unreadable cells)."""
        keys = tuple(self.values)
        return map(dict, map(zip, repeat(keys), _by_row(list(self.values.values()), self.count)))

    def attributes(self, iso_dates: _IsoDates) -> list[dict[str, Any]]:
        """Each row's event attributes (see ``_attributes``)."""
        keys = [key for key in self.values if key not in _CHILD_KEYS]
        columns = [
            list(map(iso_dates.__getitem__, self.values[key]))
            if key in self.dates
            else self.values[key]
            for key in keys
        ]
        original_keys = [key for key in self.originals if key not in _CHILD_KEYS]
        originals = [self.originals[key] for key in original_keys]
        return list(
            map(
                _attributes,
                repeat(keys),
                _by_row(columns, self.count),
                repeat(original_keys),
                _by_row(originals, self.count),
            )
        )


class _Cells:
    """Where a row's values came from, worked out only when an issue needs it."""

    __slots__ = ("positions", "raw", "row")

    def __init__(self, raw: list[Any], row: int, positions: dict[str, tuple[int, str]]) -> None:
        self.raw = raw
        self.row = row
        self.positions = positions

    def __contains__(self, key: object) -> bool:
        return key in self.positions

    def __getitem__(self, key: str) -> tuple[str, str, str]:
        index, head = self.positions[key]
        cell = self.raw[index] if index < len(self.raw) else ""
        return head, f"{_LETTERS[index]}{self.row}", values.original(cell)

    def get(self, key: str, default: tuple[str, str, str]) -> tuple[str, str, str]:
        return self[key] if key in self.positions else default


_LETTERS = [column_letter(i) for i in range(702)]


def _attributes(
    keys: Sequence[str],
    found: Sequence[Any],
    original_keys: Sequence[str],
    shown: Sequence[str | None],
) -> dict[str, Any]:
    """A row's event attributes: its values but blanks and the child's own (dates as ISO
    text), then the file's spelling of any code that was spelt otherwise."""
    attributes = _present(keys, found)
    if shown:
        kept = _present(original_keys, shown)
        if kept:
            attributes["original"] = kept
    return attributes


def _present(keys: Sequence[str], found: Sequence[Any]) -> dict[str, Any]:
    """Key → value for the values that are not None (as many keys as values: no ``strict=``,
    whose keyword call costs as much again, once a row)."""
    if None not in found:  # most rows: no blank, and all in C
        return dict(zip(keys, found))  # noqa: B905
    return {key: value for key, value in zip(keys, found) if value is not None}  # noqa: B905


def _eighteenth_birthday(dob: date) -> date:
    try:
        return dob.replace(year=dob.year + 18)
    except ValueError:  # 29 February
        return date(dob.year + 18, 3, 1)


def _child_row(
    ctx: _Context,
    where: _Sheet,
    excel_row: int,
    raw: list[Any],
    row: dict[str, Any],
    attributes: dict[str, Any],
) -> None:
    staged = ctx.staged
    child_id: str = row["child_id"]
    child = ctx.children.get(child_id)
    if child is None:
        child = ctx.children[child_id] = _Child(staged, child_id)
    facts = child.facts
    _characteristics(ctx, child, row, where, excel_row, raw)
    number = where.number
    if number not in child.lists:
        insort(child.lists, number)
    team, worker = row.get("team") or "", row.get("worker") or ""
    key = child.key
    sheet = where.name
    if number == 6:
        attributes["episode_start"] = True
        if row.get("case_status"):
            facts.attributes["case_status"] = row["case_status"]
        ctx.cross["cin"][child_id] = (row.get("case_status"), excel_row)
    elif number == 7:
        ctx.cross["cp"].append((child_id, sheet, excel_row, where.ref("child_id", excel_row)))
    elif number == 8:
        ctx.cross["care"].append(
            (child_id, sheet, excel_row, where.ref("child_id", excel_row), row.get("lac_end"))
        )
        if row.get("legal_status"):
            facts.attributes["legal_status"] = row["legal_status"]
    elif number == 9:
        dob = row.get("dob")
        start, basis = ctx.reference_date, "reference date"
        if dob is not None and _eighteenth_birthday(dob) <= ctx.reference_date:
            start, basis = _eighteenth_birthday(dob), "18th birthday"
        attributes["start_basis"] = basis
        staged.events.append(
            EventFacts(
                key, AGENCY, "care_leaver", start, None, sheet, excel_row, attributes, team, worker
            )
        )
    for event in where.events:
        when: date | None = row.get(event.date)
        if when is None:
            continue
        if event.kind == "placement_change" and when == row.get("lac_start"):
            continue
        end = row.get(event.end) if event.end else None
        staged.events.append(
            EventFacts(
                key, AGENCY, event.kind, when, end, sheet, excel_row, attributes, team, worker
            )
        )


def _characteristics(
    ctx: _Context,
    child: _Child,
    row: dict[str, Any],
    where: _Sheet,
    excel_row: int,
    raw: list[Any],
) -> None:
    facts = child.facts
    dob = row.get("dob")
    if dob is not None:
        if facts.dob is None:
            facts.dob = child.record.dob = dob
        elif facts.dob != dob:
            head, ref, shown = where.cells(raw, excel_row)["dob"]
            ctx.staged.issues.append(
                Issue(
                    INFO,
                    "conflicting_dob",
                    f"Child {facts.la_child_id} has date of birth "
                    f"{dob:%d/%m/%Y} here but {facts.dob:%d/%m/%Y} in an earlier row; the earlier "
                    "one was kept.",
                    where.name,
                    where.list_name,
                    excel_row,
                    head,
                    ref,
                    shown,
                )
            )
    if not facts.sex:
        gender = row.get("gender")
        sex = gender if gender in ("M", "F", "U") else ("U" if gender else "")
        if sex:
            facts.sex = child.record.sex = sex
    if not facts.ethnicity and row.get("ethnicity") in ctx.ethnicities:
        facts.ethnicity = row["ethnicity"]
    disability = row.get("disability")
    if disability in ("Y", "N") and not facts.disability:
        facts.disability = disability
    if row.get("team"):
        facts.team = row["team"]
    if row.get("worker"):
        facts.worker = row["worker"]


def _adopter_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "adopters": len(rows),
        "families": len({r.get("family_id") or r["adopter_id"] for r in rows}),
        "approved": sum(1 for r in rows if r.get("approved")),
        "matched": sum(1 for r in rows if r.get("matched")),
        "placed": sum(1 for r in rows if r.get("placed")),
        "left_process": sum(1 for r in rows if r.get("left")),
    }


__all__ = ["AGENCY", "find_list", "read_annex_a", "WARNING"]
