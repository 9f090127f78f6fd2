"""Read an Annex A workbook into children, events and validation issues.

Each list is found whatever its sheet is called and wherever its header row is: by the sheet
name (``List_3``, ``List 3``, ``Referrals``), a ``List 3: …`` title above the headers, or by the
headers themselves. Rows are numbered as Excel shows them. See docs/evidence.md for how each
list becomes events.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, PasswordError

from inspection.evidence import codes, values
from inspection.evidence.files import check_spreadsheet
from inspection.evidence.headers import LIST9_CURRENT_KEYS, LISTS, Column, ListSchema, header_key
from inspection.evidence.staged import (
    ERROR,
    INFO,
    WARNING,
    ChildFacts,
    EvidenceFileError,
    Issue,
    RecordFacts,
    Staged,
    column_letter,
)
from inspection.evidence.validate import Cells, RowChecks, cross_list_checks

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
_LIST_NAME = re.compile(r"^\s*list\s*[_\-\s]?\s*(\d{1,2})\b", re.IGNORECASE)
_TITLE = re.compile(r"^\s*list\s*(\d{1,2})\s*[:.\-–]", re.IGNORECASE)

# (event kind, date column, end column for the event's end) per list; see docs/evidence.md.
EVENTS: dict[int, tuple[tuple[str, str, str], ...]] = {
    1: (("contact", "contact_date", ""),),
    2: (("early_help_start", "eh_start", ""),),
    3: (("referral", "referral_date", ""),),
    4: (
        ("assessment_start", "assessment_start", ""),
        ("assessment_authorised", "assessment_authorised", ""),
    ),
    5: (("strategy_discussion", "strategy_date", ""), ("icpc", "icpc_date", "")),
    # CIN Start Date is the start of the episode of need, i.e. the referral date, not a plan.
    6: (("referral", "cin_start", "cin_closure"),),
    7: (
        ("cp_plan_start", "cp_start", "cp_end"),
        ("cp_review", "latest_review", ""),
        ("cp_plan_end", "cp_end", ""),
    ),
    8: (
        ("looked_after_start", "lac_start", "lac_end"),
        ("placement_change", "placement_start", ""),
        ("looked_after_end", "lac_end", ""),
    ),
    9: (),
    10: (
        ("looked_after_start", "entered_care", ""),
        ("adoption_decision", "adoption_decision", ""),
        ("placement_order", "placement_order", ""),
        ("adoption_match", "adoption_match", ""),
        ("placed_for_adoption", "placed_for_adoption", ""),
        ("adoption_order", "adoption_order", ""),
    ),
}
# Pairs (earlier, later) that cannot be the other way round.
ORDER: dict[int, tuple[tuple[str, str], ...]] = {
    2: (("eh_start", "eh_end"),),
    4: (("assessment_start", "assessment_authorised"),),
    5: (("strategy_date", "icpc_date"),),
    6: (("cin_start", "cin_closure"),),
    7: (("cp_start", "cp_end"), ("cp_start", "latest_review")),
    8: (("lac_start", "lac_end"), ("legal_status_start", "lac_end")),
    10: (
        ("adoption_decision", "adoption_order"),
        ("placement_order", "adoption_order"),
        ("placed_for_adoption", "adoption_order"),
    ),
    11: (
        ("stage1_start", "stage1_end"),
        ("stage2_start", "stage2_end"),
        ("application", "approved"),
    ),
}
_CHILD_KEYS = frozenset(
    {"child_id", "gender", "ethnicity", "dob", "age", "disability", "team", "worker"}
)
_SHEET_NAMES: dict[str, int] = {
    header_key(name): schema.number for schema in LISTS.values() for name in schema.sheet_names
}
_DISTINCT: dict[int, frozenset[str]] = {}
for _n, _schema in LISTS.items():
    _others = set().union(*(set(s.index) for m, s in LISTS.items() if m != _n))
    _DISTINCT[_n] = frozenset(set(_schema.index) - _others)

Progress = Callable[[str, float], None]


def _sheet_hint(name: str) -> int | None:
    match = _LIST_NAME.match(name)
    if match and int(match.group(1)) in LISTS:
        return int(match.group(1))
    return _SHEET_NAMES.get(header_key(name))


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


class _Normaliser:
    """Canonical values for one column, memoised (codes and dates repeat endlessly)."""

    def __init__(self, column: Column) -> None:
        self.column = column
        self.memo: dict[Any, tuple[Any, str, str | None]] = {}
        self.plain = column.kind in ("text", "id")

    def __call__(self, raw: Any) -> tuple[Any, str, str | None]:
        """(canonical value, problem or "", the original text when it differs from the value)."""
        if raw.__class__ is str and self.plain:  # identifiers: mostly unique, kept as given
            value = values.text(raw)
            hit = (value, "", None if raw == value else raw)
            self.memo[raw] = hit
            return hit
        value, problem = self._normalise(raw)
        shown = values.original(raw)
        hit = (value, problem, None if shown == value else shown)
        if raw.__class__ is not bool:
            self.memo[raw] = hit
        return hit

    def _normalise(self, raw: Any) -> tuple[Any, str]:
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
        if text is None or kind in ("text", "id"):
            return text, ""
        code = codes.canonical(self.column.code_list, text)
        if code is None:
            return text, "unknown_code"
        return code, ""


def read_annex_a(
    path: Path,
    reference_date: date,
    max_bytes: int,
    progress: Progress | None = None,
    filename: str | None = None,
) -> Staged:
    """Every list in the workbook at ``path``; raises EvidenceFileError when none is usable."""
    name = filename or path.name
    check_spreadsheet(path, max_bytes, name)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        raise EvidenceFileError(
            f"{name} is password-protected (encrypted). Save it without a password and upload "
            "it again."
        ) from None
    except Exception as exc:  # calamine raises several types for damaged files
        raise EvidenceFileError(
            f"{name} is damaged and cannot be read as a workbook ({exc})."
        ) from None
    staged = Staged(source_kind="annex-a", agency=AGENCY)
    context = _Context(staged, reference_date)
    found: list[tuple[str, ListSchema, int, list[list[Any]]]] = []
    has_cells = False
    sheet_names = list(workbook.sheet_names)
    for sheet_name in sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(sheet_name)
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:
            raise EvidenceFileError(
                f"{name} is damaged: sheet '{sheet_name}' cannot be read ({exc})."
            ) from None
        if any(not _blank(r) for r in rows):
            has_cells = True
        if header_key(sheet_name) in _NOT_LISTS:
            continue
        located = find_list(sheet_name, rows)
        if located is not None:
            found.append((sheet_name, located[0], located[1], rows))
    if not has_cells:
        raise EvidenceFileError(f"{name} is empty: none of its sheets has anything in it.")
    if not found:
        raise EvidenceFileError(
            f"No Annex A list was found in {name} (sheets: {', '.join(sheet_names)}). Each list "
            "needs a header row with 'Child Unique ID' and the list's own columns, such as "
            "'Date of Contact' for List 1."
        )
    found.sort(key=lambda item: item[1].number)
    total_rows = sum(len(rows) for *_, rows in found) or 1
    done = 0
    for sheet_name, schema, header_index, rows in found:
        if progress:
            progress(f"Reading {sheet_name} (List {schema.number})", done / total_rows)
        _read_list(context, sheet_name, schema, header_index, rows)
        done += len(rows)
    cross_list_checks(staged, context.cross)
    if context.adopters:
        staged.extra["adopters"] = _adopter_summary(context.adopters)
    if not any(t.rows for t in staged.tables.values()):
        raise EvidenceFileError(
            f"{name} has the Annex A lists but no rows in any of them: there is nothing to load."
        )
    return staged


class _Context:
    def __init__(self, staged: Staged, reference_date: date) -> None:
        self.staged = staged
        self.reference_date = reference_date
        self.cross: dict[str, Any] = {"cin": {}, "cp": [], "care": []}
        self.adopters: list[dict[str, Any]] = []
        self.lists_of: dict[str, set[int]] = {}
        self.normalisers: dict[tuple[str, str], _Normaliser] = {}

    def normaliser(self, column: Column) -> _Normaliser:
        """One normaliser (and memo) per kind and code list, shared by every list's columns:
        the canonical value depends on nothing else."""
        key = (column.kind, column.code_list)
        found = self.normalisers.get(key)
        if found is None:
            found = self.normalisers[key] = _Normaliser(column)
        return found


def _read_list(
    ctx: _Context, sheet: str, schema: ListSchema, header_index: int, rows: list[list[Any]]
) -> None:
    staged = ctx.staged
    list_name = f"List {schema.number}"
    table = staged.table(list_name, sheet)
    table.sheet = sheet
    table.header_row = header_index + 1
    header = rows[header_index]
    columns: list[tuple[int, Column, str, _Normaliser]] = []
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
        columns.append((index, column, head, ctx.normaliser(column)))
    if schema.number == 9:
        table.layout = "current (17 columns)" if seen & LIST9_CURRENT_KEYS else "2019 (13 columns)"
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
            if column.key in ("child_id", "adopter_id") or column.key == schema.primary_date:
                fatal = column.header
    checks = RowChecks(schema, list_name, sheet, ctx.reference_date, staged.issues)
    positions = {column.key: (index, head) for index, column, head, _ in columns}
    plan = [
        (index, column.key, normalise, normalise.memo, column.kind in ("code", "yes_no"))
        for index, column, _, normalise in columns
    ]
    by_key = {column.key: column for _, column, _, _ in columns}
    order = ORDER.get(schema.number, ())
    for offset in range(header_index + 1, len(rows)):
        raw = rows[offset]
        if _blank(raw):
            continue
        excel_row = offset + 1
        table.rows += 1
        if fatal:
            table.rejected += 1
            continue
        row: dict[str, Any] = {}
        originals: dict[str, str] = {}
        width = len(raw)
        for index, key, normalise, memo, coded in plan:
            cell = raw[index] if index < width else ""
            if cell == "" or cell is None:
                row[key] = None
                continue
            # The memo is keyed by the raw value; True == 1.0, so booleans take the slow path.
            hit = memo.get(cell) if cell.__class__ is not bool else None
            value, problem, shown = hit if hit is not None else normalise(cell)
            row[key] = value
            if problem:
                checks.cell_problem(
                    problem, by_key[key], excel_row, _Cells(raw, excel_row, positions)[key]
                )
                if problem != "unknown_code":
                    row[key] = None
            elif coded and shown is not None:
                originals[key] = shown
        cells = _Cells(raw, excel_row, positions)
        if checks.reject(row, cells, excel_row):
            table.rejected += 1
            continue
        table.accepted += 1
        checks.row(row, cells, excel_row, order)
        if schema.child_list:
            _child_row(ctx, schema, sheet, excel_row, row, originals, cells)
        else:
            ctx.adopters.append(row)


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


def _attributes(row: dict[str, Any], originals: dict[str, str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for key, value in row.items():
        if value is None or key in _CHILD_KEYS:
            continue
        attributes[key] = value.isoformat() if value.__class__ is date else value
    if originals:
        kept = {k: v for k, v in originals.items() if k not in _CHILD_KEYS}
        if kept:
            attributes["original"] = kept
    return attributes


def _eighteenth_birthday(dob: date) -> date:
    try:
        return dob.replace(year=dob.year + 18)
    except ValueError:  # 29 February
        return date(dob.year + 18, 3, 1)


def _child_row(
    ctx: _Context,
    schema: ListSchema,
    sheet: str,
    excel_row: int,
    row: dict[str, Any],
    originals: dict[str, str],
    cells: Cells,
) -> None:
    staged = ctx.staged
    child_id: str = row["child_id"]
    facts = staged.children.get(child_id)
    if facts is None:
        facts = staged.children[child_id] = ChildFacts(child_id)
        staged.records[(AGENCY, child_id)] = RecordFacts(AGENCY, child_id, la_child_id=child_id)
    record = staged.records[(AGENCY, child_id)]
    _characteristics(ctx, facts, record, row, schema, sheet, excel_row, cells)
    lists = ctx.lists_of.get(child_id)
    if lists is None:
        lists = ctx.lists_of[child_id] = set()
    if schema.number not in lists:
        lists.add(schema.number)
        facts.attributes["annex_a_lists"] = sorted(lists)
    attributes = _attributes(row, originals)
    team, worker = row.get("team") or "", row.get("worker") or ""
    key = (AGENCY, child_id)
    number = schema.number
    if number == 6:
        attributes["episode_start"] = True
        if row.get("case_status"):
            facts.attributes["case_status"] = row["case_status"]
        ctx.cross["cin"][child_id] = (row.get("case_status"), excel_row)
    elif number == 7:
        ctx.cross["cp"].append((child_id, sheet, excel_row, cells["child_id"][1]))
    elif number == 8:
        ctx.cross["care"].append(
            (child_id, sheet, excel_row, cells["child_id"][1], row.get("lac_end"))
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
            (key, AGENCY, "care_leaver", start, None, sheet, excel_row, attributes, team, worker)
        )
        return
    for kind, date_key, end_key in EVENTS[number]:
        when: date | None = row.get(date_key)
        if when is None:
            continue
        if kind == "placement_change" and when == row.get("lac_start"):
            continue
        end = row.get(end_key) if end_key else None
        staged.events.append(
            (key, AGENCY, kind, when, end, sheet, excel_row, attributes, team, worker)
        )


def _characteristics(
    ctx: _Context,
    facts: ChildFacts,
    record: RecordFacts,
    row: dict[str, Any],
    schema: ListSchema,
    sheet: str,
    excel_row: int,
    cells: Cells,
) -> None:
    gender = row.get("gender")
    sex = gender if gender in ("M", "F", "U") else ("U" if gender else "")
    dob = row.get("dob")
    if dob is not None:
        if facts.dob is None:
            facts.dob = record.dob = dob
        elif facts.dob != dob:
            head, ref, shown = cells["dob"]
            ctx.staged.issues.append(
                Issue(
                    INFO,
                    "conflicting_dob",
                    f"Child {facts.la_child_id} has date of birth "
                    f"{dob:%d/%m/%Y} here but {facts.dob:%d/%m/%Y} in an earlier row; the earlier "
                    "one was kept.",
                    sheet,
                    f"List {schema.number}",
                    excel_row,
                    head,
                    ref,
                    shown,
                )
            )
    if sex and not facts.sex:
        facts.sex = record.sex = sex
    if not facts.ethnicity and row.get("ethnicity") in codes.code_lists()["ethnicity"]:
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


__all__ = ["AGENCY", "EVENTS", "find_list", "read_annex_a", "WARNING"]
