"""Every date field of every format reaches the child's journey as its enumeration says, or a
validation issue: a file that fills every date field is loaded, then, field by field, the same
with that one field not a date."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree  # noqa: S405 - the repository's own file

import pytest

from inspection.evidence import codes
from inspection.evidence.agencies import COLUMNS, read_agency
from inspection.evidence.annex_a import read_annex_a
from inspection.evidence.cin_census import read_cin_census
from inspection.evidence.dated import Becomes, DateField
from inspection.evidence.dated_fields import (
    MARK_END,
    MARK_START,
    DatedCell,
    annex_a_fields,
    documented,
    every_format,
    reached,
    render,
)
from inspection.evidence.headers import LISTS
from inspection.evidence.staged import EventFacts, Staged
from inspection.journey import kinds
from tests.evidence.workbooks import HEADERS, LIST9_CURRENT, write_workbook

REFERENCE = date(2026, 11, 2)
MAX = 50 * 1024 * 1024
DOB = date(2010, 1, 1)
ROOT = Path(__file__).resolve().parents[2]
CENSUS = Path(__file__).resolve().parent / "fixtures" / "cin_census_every_date.xml"
NOT_A_DATE = "someday"


def _check(
    staged: Staged,
    field: DateField,
    day: date,
    events: list[EventFacts],
    person: str,
    mapped_kind: str = "",
) -> None:
    """Each fate of ``field`` holds for its date ``day`` among ``events`` (its row's)."""
    assert field.fates, f"{field.where} {field.name}: no fate"
    for fate in field.fates:
        kind = fate.kind or mapped_kind
        if fate.becomes is Becomes.START:
            found = [e for e in events if e.kind == kind and e.start == day]
        elif fate.becomes is Becomes.END:
            found = [e for e in events if e.kind == kind and e.end == day]
        elif fate.becomes is Becomes.EVENT:
            found = [e for e in events if e.kind == kind and e.start == day]
        elif fate.becomes is Becomes.BIRTH:
            dobs = [c.dob for c in staged.children.values() if c.la_child_id == person]
            dobs += [r.dob for r in staged.records.values() if r.person_id == person]
            found = [d for d in dobs if d == day]
        elif fate.becomes is Becomes.ISSUE:
            found = [i for i in staged.issues if i.rule == fate.kind and i.column == field.name]
        else:
            found = [staged.extra["adopters"]["adopters"]]
        assert found, (field.where, field.name, fate)
        if fate.kind and fate.becomes is not Becomes.ISSUE:
            assert fate.kind in kinds.LABELS, fate


def _value(column: Any, day: date | None) -> Any:
    if column.kind == "date":
        return f"{day:%d/%m/%Y}"
    if column.kind == "id":
        return "A1" if column.key == "adopter_id" else "C1"
    if column.kind in ("code", "yes_no"):
        return next(iter(codes.code_lists()[column.code_list]))
    if column.kind in ("count", "number"):
        return 1
    return "T"


LAYOUTS = {"2019": HEADERS, "current": {**HEADERS, 9: LIST9_CURRENT}}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_annex_a_date_field_reaches_the_journey_or_an_issue(tmp_path: Path, layout: str):
    headers = LAYOUTS[layout]
    lists: dict[int, list[list[Any]]] = {}
    days: dict[tuple[int, str], date] = {}
    for number, schema in LISTS.items():
        columns = [schema.match(h) for h in headers[number]]
        assert None not in columns, number
        dated = [c for c in columns if c is not None and c.kind == "date"]
        for i, column in enumerate(dated):
            days[(number, column.key)] = (
                DOB if column.key == "dob" else date(2020, 1, 1) + timedelta(days=10 * (i + 1))
            )
        full = [_value(c, days.get((number, c.key))) for c in columns]
        rows = [full]
        for column in dated:  # then each date field alone not a date
            broken = zip(columns, full, strict=True)
            rows.append([NOT_A_DATE if c is column else v for c, v in broken])
        lists[number] = rows
    staged = read_annex_a(
        write_workbook(tmp_path / "a.xlsx", lists, headers=headers), REFERENCE, MAX
    )
    fields = [f for f in annex_a_fields() if layout == "current" or "current" not in f.where]
    assert {(int(f.where.split()[1].rstrip(":")), f.key) for f in fields} == set(days)
    for field in fields:
        number = int(field.where.split()[1].rstrip(":"))
        sheet = f"List_{number}"
        events = [e for e in staged.events if e.sheet == sheet and e.row == 3]
        _check(staged, field, days[(number, field.key)], events, "C1")
    # each date field not a date: a validation issue naming its cell (its row placed by the
    # others, or rejected when it had no other)
    for number in lists:
        columns = [LISTS[number].match(h) for h in headers[number]]
        dated = [c for c in columns if c is not None and c.kind == "date"]
        cells = [
            DatedCell("C1", f"List_{number}", 4 + i, column.header, column.key, None)
            for i, column in enumerate(dated)
        ]
        count, lost = reached(staged, cells)
        assert (count, lost) == (len(cells), []), number


def test_every_census_date_element_reaches_the_journey_or_an_issue(tmp_path: Path):
    text = CENSUS.read_text()
    elements = {f.name for f in every_format()["DfE CIN census XML"]}
    in_file = set(re.findall(r"<(\w+)>\d{4}-\d{2}-\d{2}</\1>", text))
    assert in_file == elements  # the enumeration names every date element the return has
    staged = read_cin_census(CENSUS, REFERENCE, MAX)
    root = ElementTree.fromstring(text.encode())  # noqa: S314 - the repository's own file
    events = [e for e in staged.events if e.row == 1]
    for field in every_format()["DfE CIN census XML"]:
        found = root.find(".//" + field.key)
        assert found is not None and found.text, field.key
        _check(staged, field, date.fromisoformat(found.text), events, "C1")
    # each element in turn not a date: an issue naming it
    for field in every_format()["DfE CIN census XML"]:
        broken = re.sub(
            rf"<{field.name}>\d{{4}}-\d{{2}}-\d{{2}}</{field.name}>",
            f"<{field.name}>{NOT_A_DATE}</{field.name}>",
            text,
            count=1,
        )
        path = tmp_path / "c.xml"
        path.write_text(broken)
        again = read_cin_census(path, REFERENCE, MAX)
        named = [(i.rule, i.value) for i in again.issues if i.column == field.name]
        assert ("unreadable_date", NOT_A_DATE) in named, field.name


def test_every_agency_date_column_reaches_the_journey_or_an_issue(tmp_path: Path):
    path = tmp_path / "early_help.csv"
    base = dict.fromkeys(COLUMNS, "")
    rows = [
        {
            **base,
            "record_id": "R1",
            "person_id": "P1",
            "date_of_birth": "01/01/2015",
            "event_date": "01/02/2026",
            "event_end_date": "01/03/2026",
            "event_type": "early_help_episode",
        }
    ]
    for column in ("date_of_birth", "event_date", "event_end_date"):
        rows.append({**rows[0], "record_id": f"R-{column}", column: NOT_A_DATE})
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    staged = read_agency(path, "early_help", REFERENCE, MAX)
    days = {
        "date_of_birth": date(2015, 1, 1),
        "event_date": date(2026, 2, 1),
        "event_end_date": date(2026, 3, 1),
    }
    events = [e for e in staged.events if e.row == 2]
    for field in every_format()["Partner-agency extract"]:
        _check(staged, field, days[field.name], events, "P1", "early_help_start")
    sheet = staged.events[0].sheet
    cells = [
        DatedCell("P1", sheet, 3 + i, column, column, None)
        for i, column in enumerate(("date_of_birth", "event_date", "event_end_date"))
    ]
    assert reached(staged, cells) == (3, [])


def test_a_cell_that_reaches_neither_is_counted_as_lost():
    staged = Staged(source_kind="annex-a", agency="social_care")
    cell = DatedCell("C1", "List_6", 3, "Date Child Was Last Seen", "last_seen", date(2026, 1, 1))
    assert reached(staged, [cell]) == (0, [cell])


def test_docs_formats_holds_the_table_of_every_date_field():
    text = (ROOT / "docs" / "formats.md").read_text()
    assert MARK_START in text and MARK_END in text
    assert documented(text) == render()


def test_an_unborn_childs_expected_birth_after_the_reference_date_is_no_warning(tmp_path: Path):
    text = CENSUS.read_text().replace(
        "<ExpectedPersonBirthDate>2009-12-20", "<ExpectedPersonBirthDate>2027-01-15"
    )
    path = tmp_path / "c.xml"
    path.write_text(text)
    staged = read_cin_census(path, REFERENCE, MAX)
    assert [(e.kind, e.start) for e in staged.events if e.kind == "expected_birth"] == [
        ("expected_birth", date(2027, 1, 15))
    ]
    assert [i.column for i in staged.issues if i.rule == "after_reference_date"] == []
    # the fixture is a 2026 to 2027 return: its collection's layout is noted as not yet checked
    assert [(i.rule, i.sheet, i.value) for i in staged.issues] == [
        ("PL06", "Header", "2027-03-31"),
        ("unchecked_collection_year", "Header", "2027"),
    ]


def test_a_conference_due_after_the_reference_date_is_no_warning(tmp_path: Path):
    text = CENSUS.read_text().replace(
        "<InitialCPCtarget>2025-01-29", "<InitialCPCtarget>2026-11-07"
    )
    path = tmp_path / "c.xml"
    path.write_text(text)
    staged = read_cin_census(path, REFERENCE, MAX)
    assert [e.start for e in staged.events if e.kind == "icpc_due"] == [date(2026, 11, 7)]
    assert [i.rule for i in staged.issues] == ["PL06", "unchecked_collection_year"]


SSDA903 = "DfE SSDA903 children looked after return (CSV tables)"
# A return that fills every date column, each kind of episode once: (table, columns, rows).
RETURN_ROWS: dict[str, list[dict[str, str]]] = {
    "Header": [{"CHILD": "C1", "SEX": "1", "DOB": "01/01/2010", "MC_DOB": "02/02/2026"}],
    "Episodes": [
        {"DECOM": "10/01/2020", "RNE": "S", "DEC": "20/02/2020", "REC": "X1"},
        {"DECOM": "20/02/2020", "RNE": "P", "DEC": "01/03/2020", "REC": "X1"},
        {"DECOM": "01/03/2020", "RNE": "L", "DEC": "05/04/2020", "REC": "X1"},
        {"DECOM": "05/04/2020", "RNE": "", "DEC": "06/05/2020", "REC": "E11"},
    ],
    "Reviews": [{"DOB": "01/01/2010", "REVIEW": "15/01/2020", "REVIEW_CODE": "PN1"}],
    "Missing": [
        {"DOB": "01/01/2010", "MISSING": "M", "MIS_START": "01/02/2020", "MIS_END": "02/02/2020"},
        {"DOB": "01/01/2010", "MISSING": "A", "MIS_START": "03/02/2020", "MIS_END": "04/02/2020"},
    ],
    "OC3": [{"DOB": "01/01/2010", "IN_TOUCH": "YES", "DATE": "07/07/2026"}],
    "OC2": [{"DOB": "01/01/2010"}],
    "AD1": [{"DOB": "01/01/2010", "DATE_INT": "08/08/2020", "DATE_MATCH": "09/09/2020"}],
    "PlacedAdoption": [
        {"DOB": "01/01/2010", "DATE_PLACED": "10/08/2020", "DATE_PLACED_CEASED": "11/09/2020"}
    ],
    "PrevPerm": [{"DOB": "01/01/2010", "PREV_PERM": "P1", "DATE_PERM": "03/03/2015"}],
    "UASC": [{"DOB": "01/01/2010", "DUC": "04/04/2021"}],
    "SocialWorkers": [{"SW_ID": "W1", "SW_DECOM": "05/05/2021", "SW_DEC": "06/06/2021"}],
}


def _write_return(path: Path, rows: dict[str, list[dict[str, str]]]) -> Path:
    import zipfile

    from inspection.evidence.ssda903 import TABLES

    with zipfile.ZipFile(path, "w") as archive:
        for table in TABLES:
            columns = [*table.columns, *table.optional]
            out = io.StringIO()
            writer = csv.DictWriter(out, columns, restval="")
            writer.writeheader()
            writer.writerows({"CHILD": "C1", **r} for r in rows[table.name])
            archive.writestr(table.template, out.getvalue())
    return path


def _return_cells(rows: dict[str, list[dict[str, str]]]) -> list[tuple[DateField, int, str]]:
    """Every filled date cell of the return: (its field, row, value)."""
    fields = {f.key: f for f in every_format()[SSDA903]}
    return [
        (fields[f"{table}/{column}"], number, value)
        for table, table_rows in rows.items()
        for number, row in enumerate(table_rows, start=2)
        for column, value in row.items()
        if f"{table}/{column}" in fields and value
    ]


def test_every_ssda903_date_column_reaches_the_journey_or_an_issue(tmp_path: Path):
    from inspection.evidence.ssda903 import read_ssda903

    staged = read_ssda903(_write_return(tmp_path / "r.zip", RETURN_ROWS), REFERENCE, MAX)
    cells = _return_cells(RETURN_ROWS)
    # the enumeration names every date column the return has, and the return fills each
    assert {f.key for f, _, _ in cells} == {f.key for f in every_format()[SSDA903]}
    for field in every_format()[SSDA903]:
        table = field.key.split("/")[0]
        events = [e for e in staged.events if e.sheet == f"ssda903_{table.lower()}.csv"]
        for fate in field.fates:
            days = {
                date(*(int(p) for p in reversed(v.split("/")))) for f, _, v in cells if f is field
            }
            if fate.becomes is Becomes.BIRTH:
                assert {c.dob for c in staged.children.values()} == days, field.key
                continue
            if fate.becomes is Becomes.END:
                found = [e for e in events if e.kind == fate.kind and e.end in days]
            else:
                found = [e for e in events if e.kind == fate.kind and e.start in days]
            assert found, (field.key, fate)
            assert fate.kind in kinds.LABELS
    placed = [
        DatedCell(
            "C1",
            f"ssda903_{f.key.split('/')[0].lower()}.csv",
            row,
            f.name,
            f.key,
            date(*(int(p) for p in reversed(v.split("/")))),
        )
        for f, row, v in cells
    ]
    assert reached(staged, placed) == (len(placed), [])
    # each date column in turn not a date: an issue naming its cell
    for field, row, _ in cells:
        table, column = field.key.split("/")
        broken = {name: [dict(r) for r in table_rows] for name, table_rows in RETURN_ROWS.items()}
        broken[table][row - 2][column] = NOT_A_DATE
        again = read_ssda903(_write_return(tmp_path / "b.zip", broken), REFERENCE, MAX)
        cell = DatedCell("C1", f"ssda903_{table.lower()}.csv", row, column, field.key, None)
        assert reached(again, [cell]) == (1, []), field.key
