"""A row is placed by any date it has: a blank or unreadable main date is a warning that names
it, not the loss of the row's other dated events."""

from datetime import date
from pathlib import Path

from inspection.evidence.annex_a import read_annex_a
from tests.evidence.workbooks import HEADERS, write_workbook

REFERENCE = date(2026, 11, 2)
MAX = 50 * 1024 * 1024


def _list5(strategy: str, icpc: str) -> list[object]:
    return ["C1", "M", "WBRI", "01/01/2015", 11, "N", strategy, "N", icpc, "Y", 1, 1, "T", "W"]


def test_a_conference_without_its_strategy_discussion_is_placed_with_a_warning(tmp_path: Path):
    path = write_workbook(tmp_path / "a.xlsx", {5: [_list5("", "12/10/2026")]})
    staged = read_annex_a(path, REFERENCE, MAX)
    assert [(e.kind, e.start, e.row) for e in staged.events] == [("icpc", date(2026, 10, 12), 3)]
    table = staged.tables["List 5"]
    assert (table.rows, table.accepted, table.rejected) == (1, 1, 0)
    assert [
        (i.severity, i.rule, i.sheet, i.list_name, i.row, i.column, i.cell, i.message)
        for i in staged.issues
    ] == [
        (
            "warning",
            "placed_by_other_dates",
            "List_5",
            "List 5",
            3,
            "Strategy discussion initiating Section 47 Enquiry Start Date",
            "G3",
            "'Strategy discussion initiating Section 47 Enquiry Start Date' is blank; the row "
            "was placed in the child's journey by 'Date of Initial Child Protection "
            "Conference'.",
        )
    ]


def test_an_unreadable_main_date_is_named_and_the_row_placed_by_the_others(tmp_path: Path):
    path = write_workbook(tmp_path / "a.xlsx", {5: [_list5("soon", "12/10/2026")]})
    staged = read_annex_a(path, REFERENCE, MAX)
    assert [e.kind for e in staged.events] == ["icpc"]
    assert [(i.rule, i.cell, i.value, i.message) for i in staged.issues] == [
        (
            "placed_by_other_dates",
            "G3",
            "soon",
            "'soon' in 'Strategy discussion initiating Section 47 Enquiry Start Date' is not a "
            "date; the row was placed in the child's journey by 'Date of Initial Child "
            "Protection Conference'.",
        )
    ]


def test_a_row_with_no_date_at_all_is_still_rejected(tmp_path: Path):
    path = write_workbook(tmp_path / "a.xlsx", {5: [_list5("", "")]})
    staged = read_annex_a(path, REFERENCE, MAX)
    assert staged.events == []
    assert [(i.severity, i.rule, i.cell, i.rejected, i.message) for i in staged.issues] == [
        (
            "error",
            "missing_date",
            "G3",
            True,
            "'Strategy discussion initiating Section 47 Enquiry Start Date' is blank and the "
            "row has no other date, so it cannot be placed in the child's journey; it was not "
            "loaded.",
        )
    ]


def test_a_sheet_without_the_main_date_column_is_placed_by_its_other_dates(tmp_path: Path):
    headers = {5: [h for h in HEADERS[5] if not h.startswith("Strategy discussion")]}
    row = [c for i, c in enumerate(_list5("", "12/10/2026")) if i != 6]
    path = write_workbook(tmp_path / "a.xlsx", {5: [row]}, headers=headers)
    staged = read_annex_a(path, REFERENCE, MAX)
    assert [e.kind for e in staged.events] == ["icpc"]
    assert [(i.severity, i.rule, i.row) for i in staged.issues] == [("error", "missing_column", 2)]
