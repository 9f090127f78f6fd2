"""How many dated cells of an authority's files reach the child's journey, for the demo
authority (fixtures/demo) and a messy synthetic one (``generate(messy=True, noise="severe")``).

Every non-blank cell of every date field (docs/formats.md, "Every date field") is counted as
read; it reaches the journey when an event of its row starts or ends on its date, or it is the
child's date of birth, or a validation issue names it (a date that cannot be read, a row that
cannot be placed). The SSDA903 return (a zip of its tables) counts each table's date columns.
Prints the figures per file and the fields of any cell that reached
neither; the goal is all. Usage: ``python bench/bench_dated_fields.py [CHILDREN]``.
"""

from __future__ import annotations

import csv
import io
import sys
import tempfile
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree  # noqa: S405 - files this script or the repository wrote

from inspection.demo import DEMO_REFERENCE_DATE, FIXTURE_DIR
from inspection.evidence import values
from inspection.evidence.annex_a import find_list
from inspection.evidence.cin_census import DATE_ELEMENTS
from inspection.evidence.dated_fields import DatedCell, reached
from inspection.evidence.load import read_file
from inspection.evidence.reading import DEFAULT_READ_MEMORY, sheets
from inspection.evidence.ssda903 import DATE_COLUMNS as SSDA903_DATES
from inspection.evidence.ssda903 import TABLES as SSDA903_TABLES
from inspection.synthetic import generate

MAX = 500 * 1024 * 1024
CHILDREN = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000
AGENCY_DATES = ("date_of_birth", "event_date", "event_end_date")
ADOPTER_DATES: Counter[Path] = Counter()


def _day(raw: Any) -> date | None:
    try:
        return values.to_date(raw)
    except values.Unreadable:
        return None


def annex_a_cells(path: Path) -> list[DatedCell]:
    cells: list[DatedCell] = []
    with sheets(path, path.name, DEFAULT_READ_MEMORY) as workbook:
        for name, rows in workbook:
            located = find_list(name, rows)
            if located is None:
                continue
            schema, header = located
            columns = [(i, schema.match(h), values.text(h)) for i, h in enumerate(rows[header])]
            identity = next(
                (i for i, c, _ in columns if c is not None and c.key in ("child_id", "adopter_id")),
                None,
            )
            for offset in range(header + 1, len(rows)):
                row = rows[offset]
                person = values.text(row[identity]) if identity is not None else ""
                for index, column, head in columns:
                    if column is None or column.kind != "date" or index >= len(row):
                        continue
                    if values.text(row[index]) is None:
                        continue
                    if not schema.child_list:
                        ADOPTER_DATES[path] += 1  # adopters have no journey: counted apart
                        continue
                    cells.append(
                        DatedCell(
                            person or "", name, offset + 1, head or "", column.key, _day(row[index])
                        )
                    )
    return cells


def census_cells(path: Path) -> list[DatedCell]:
    root = ElementTree.parse(path).getroot()  # noqa: S314 - the repository's or ours
    cells: list[DatedCell] = []
    for field in DATE_ELEMENTS:
        if field.key.startswith("Header/"):
            for found in root.iterfind(field.key):
                cells.append(DatedCell("", "Header", None, field.name, field.key, _day(found.text)))
    for number, child in enumerate(root.iter("Child"), start=1):
        person = values.text(child.findtext("ChildIdentifiers/LAchildID")) or ""
        for field in DATE_ELEMENTS:
            if field.key.startswith("Header/"):
                continue
            path_in_child = (
                field.key if field.key.startswith("ChildIdentifiers") else ".//" + field.key
            )
            for found in child.iterfind(path_in_child):
                if values.text(found.text) is None:
                    continue
                cells.append(
                    DatedCell(person, "Child", number, field.name, field.key, _day(found.text))
                )
    return cells


def agency_cells(path: Path, sheet: str) -> list[DatedCell]:
    cells: list[DatedCell] = []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.DictReader(handle), start=2):
            for column in AGENCY_DATES:
                raw = row.get(column)
                if raw is None or values.text(raw) is None:
                    continue
                cells.append(
                    DatedCell(row.get("person_id") or "", sheet, number, column, column, _day(raw))
                )
    return cells


def ssda903_cells(path: Path) -> list[DatedCell]:
    """Every filled date cell of an SSDA903 return (a zip of its tables), each table told by
    the column only it has, as the reader tells them."""
    columns = {f.key: f for f in SSDA903_DATES}
    cells: list[DatedCell] = []
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            text = archive.read(member).decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            header = [h.strip().upper() for h in rows[0]] if rows else []
            table = next((t for t in SSDA903_TABLES if t.marks in header), None)
            if table is None:
                continue
            for number, row in enumerate(rows[1:], start=2):
                cell = dict(zip(header, row, strict=False))
                for column, raw in cell.items():
                    field = columns.get(f"{table.name}/{column}")
                    if field is None or values.text(raw) is None:
                        continue
                    cells.append(
                        DatedCell(
                            cell.get("CHILD", ""), member, number, column, field.key, _day(raw)
                        )
                    )
    return cells


def measure(label: str, folder: Path, reference: date) -> tuple[int, int]:
    print(f"\n{label} ({folder})")
    print(f"{'file':<18} {'dated cells':>12} {'reach journey':>14} {'or an issue':>12}")
    total_read = total_reached = 0
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xlsx":
            staged = read_file(path, "annex-a", "", reference, MAX)
            cells = annex_a_cells(path)
        elif path.suffix == ".xml":
            staged = read_file(path, "cin-census", "", reference, MAX)
            cells = census_cells(path)
        elif path.suffix == ".zip":
            staged = read_file(path, "ssda903", "", reference, MAX)
            cells = ssda903_cells(path)
        elif path.suffix == ".csv":
            staged = read_file(path, "agency", path.stem, reference, MAX)
            sheet = next(iter(staged.tables.values())).sheet
            cells = agency_cells(path, sheet)
        else:
            continue
        count, lost = reached(staged, cells)
        on_journey, _ = reached(_without_issues(staged), cells)
        total_read += len(cells)
        total_reached += count
        print(f"{path.name:<18} {len(cells):>12} {on_journey:>14} {count - on_journey:>12}")
        if ADOPTER_DATES[path]:
            print(f"    and {ADOPTER_DATES[path]} adopters' dates (List 11: no child's journey)")
        for (sheet, column), n in Counter((c.sheet, c.column) for c in lost).most_common():
            print(f"    lost: {n} in {sheet} '{column}'")
    share = total_reached / total_read if total_read else 1.0
    print(f"{'all files':<18} {total_read:>12} {total_reached:>14}  ({share:.1%} reached)")
    return total_read, total_reached


def _without_issues(staged: Any) -> Any:
    """The staged file as if it had no issues: what reaches the journey itself."""
    from copy import copy

    bare = copy(staged)
    bare.issues = []
    return bare


def main() -> None:
    results = [measure("Demo authority", FIXTURE_DIR, DEMO_REFERENCE_DATE)]
    with tempfile.TemporaryDirectory() as out:
        generate(CHILDREN, 7, Path(out), DEMO_REFERENCE_DATE, messy=True, noise="severe")
        results.append(
            measure(
                f"Messy synthetic authority, {CHILDREN} children", Path(out), DEMO_REFERENCE_DATE
            )
        )
    read = sum(r for r, _ in results)
    got = sum(g for _, g in results)
    print(
        f"\nin all: {got} of {read} dated cells reach the journey or an issue ({read - got} lost)"
    )


if __name__ == "__main__":
    main()
