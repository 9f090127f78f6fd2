import json
from datetime import date
from pathlib import Path

import pytest

from inspection.evidence.annex_a import read_annex_a
from inspection.evidence.staged import EvidenceFileError
from tests.evidence.workbooks import HEADERS, LIST9_CURRENT, write_workbook

REFERENCE = date(2026, 11, 2)
MAX = 50 * 1024 * 1024
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def read(path: Path):
    return read_annex_a(path, REFERENCE, MAX)


def issues_of(staged):
    return sorted((i.severity, i.rule, i.sheet, i.cell, i.value, i.rejected) for i in staged.issues)


def test_lists_found_by_sheet_name_title_or_headers_wherever_the_header_row_is(tmp_path):
    path = write_workbook(
        tmp_path / "a.xlsx",
        {
            1: [["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"]],
            3: [["C1", "M", "WBRI", "01/01/2015", 11, "02/10/2026", "6", "N", 0, "T", "W"]],
            5: [
                [
                    "C1",
                    "M",
                    "WBRI",
                    "01/01/2015",
                    11,
                    "N",
                    "03/10/2026",
                    "N",
                    "",
                    "",
                    1,
                    0,
                    "T",
                    "W",
                ]
            ],
        },
        sheet_names={1: "Contacts", 3: "Sheet7", 5: "Sec47 and ICPC"},
        title=False,
        blank_rows_above=2,
    )
    staged = read(path)
    assert [(t.name, t.sheet, t.header_row, t.rows) for t in staged.tables.values()] == [
        ("List 1", "Contacts", 3, 1),
        ("List 3", "Sheet7", 3, 1),
        ("List 5", "Sec47 and ICPC", 3, 1),
    ]


MESSY_HEADERS = {
    1: [
        "Child Unique ID",
        "Gender",
        "Ethnicity",
        "Date of Birth",
        "Age",
        "Date of Contact ",
        "Contact Source",
        "Favourite colour",
    ],
    3: [h.replace("Referral NFA?", "Referral NFA") for h in HEADERS[3]],
}


def test_messy_workbook_loads_with_exactly_the_expected_issues(tmp_path):
    path = write_workbook(
        tmp_path / "messy.xlsx",
        {
            1: [
                [
                    "C1",
                    "a) Male",
                    "a) WBRI",
                    date(2015, 1, 1),
                    11.8,
                    date(2026, 10, 1),
                    "q) 6: Police",
                    "red",
                ],
                ["C2", "Female", "WBRI", "03/04/2016", 10, 46296, "Police", ""],
                ["C2", "F", "WBRI", "03/04/2016", 10, "2026-10-01", "6", ""],
                ["", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6", ""],
                ["C3", "M", "zz", "#N/A", "..", "not a date", "6", ""],
                [],
                ["C4", "U", "WBRI", "01/01/2027", 0, "05/10/2026", "-", ""],
                ["C5", "M", "WBRI", "01/01/2010", 16, "01/12/2026", "Neighbour", ""],
            ],
            3: [
                [
                    "C1",
                    "M",
                    "WBRI",
                    "01/01/2015",
                    11,
                    "02/10/2026",
                    "6",
                    "yes",
                    1,
                    "Team\u00a0A",
                    "W",
                ]
            ],
            7: [
                [
                    "C9",
                    "M",
                    "WBRI",
                    "01/01/2015",
                    11,
                    "N",
                    "01/09/2026",
                    "Neglect",
                    "PHY",
                    "",
                    "Y",
                    "01/08/2026",
                    "",
                    "N",
                    0,
                    "T",
                    "W",
                ]
            ],
            6: [
                [
                    "C8",
                    "M",
                    "WBRI",
                    "01/01/2015",
                    11,
                    "N",
                    "01/09/2026",
                    "N1 - Abuse or Neglect",
                    "",
                    "",
                    "",
                    "c) Child in need plan",
                    "T",
                    "W",
                ]
            ],
            8: [
                [
                    "C8",
                    "M",
                    "WBRI",
                    "01/01/2015",
                    11,
                    "N",
                    "N",
                    "01/09/2026",
                    "N1",
                    "N",
                    "01/09/2026",
                    "C2",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    1,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    0,
                    0,
                    "",
                    "",
                    "T",
                    "W",
                ]
            ],
        },
        headers=MESSY_HEADERS,
    )
    staged = read(path)
    counts = {t.name: (t.rows, t.accepted, t.rejected) for t in staged.tables.values()}
    assert counts == {
        "List 1": (7, 5, 2),
        "List 3": (1, 1, 0),
        "List 6": (1, 1, 0),
        "List 7": (1, 1, 0),
        "List 8": (1, 1, 0),
    }
    assert issues_of(staged) == sorted(
        [
            ("info", "unrecognised_column", "List_1", "H2", "Favourite colour", False),
            ("warning", "duplicate_row", "List_1", "A5", "C2", False),
            ("error", "missing_identifier", "List_1", "A6", "", True),
            ("error", "unreadable_date", "List_1", "F7", "not a date", True),
            ("warning", "birth_after_event", "List_1", "D9", "01/01/2027", False),
            ("warning", "after_reference_date", "List_1", "D9", "01/01/2027", False),
            ("warning", "missing_value", "List_1", "G9", "-", False),
            ("warning", "after_reference_date", "List_1", "F10", "01/12/2026", False),
            ("warning", "unknown_code", "List_1", "G10", "Neighbour", False),
            ("warning", "end_before_start", "List_7", "L3", "01/08/2026", False),
            ("warning", "cp_not_in_cin", "List_7", "A3", "C9", False),
            ("warning", "care_status_mismatch", "List_8", "A3", "C8", False),
        ]
    )
    events = {(e.record[1], e.kind, e.start) for e in staged.events}
    assert ("C2", "contact", date(2026, 10, 1)) in events  # serial 46296 = 01/10/2026
    assert staged.children["C1"].sex == "M" and staged.children["C2"].sex == "F"
    assert staged.children["C1"].team == "Team A"  # the non-breaking space became a space
    contact = next(e for e in staged.events if e.record[1] == "C1" and e.kind == "contact")
    assert contact.attributes["source"] == "6"
    assert contact.attributes["original"] == {"source": "q) 6: Police"}
    assert contact.row == 3  # Excel row


def test_accepted_plus_rejected_is_rows_in_the_file_for_every_list(tmp_path):
    rows = {
        n: [["X1"] + [""] * (len(HEADERS[n]) - 1), [""] * len(HEADERS[n])] for n in range(1, 11)
    }
    rows[11] = [["A1"] + [""] * 18, ["", "F1"] + [""] * 17]
    staged = read(write_workbook(tmp_path / "all.xlsx", rows))
    assert len(staged.tables) == 11
    for table in staged.tables.values():
        assert table.rows == 1 if table.name != "List 11" else 2
        assert table.accepted + table.rejected == table.rows, table.name


@pytest.mark.parametrize("layout", ["2019", "current"])
def test_both_list_9_layouts_load(tmp_path, layout):
    if layout == "2019":
        headers = HEADERS[9]
        row = [
            "L1",
            "b) Female",
            "a) WBRI",
            "01/02/2006",
            20,
            "b) No",
            "Leaving care",
            "PA",
            "b) Former relevant child",
            "a) Yes",
            "U: Independent living",
            "a) Suitable",
            "F1: Full time in higher education",
        ]
    else:
        headers = LIST9_CURRENT
        row = [
            "L1",
            "F",
            "WBRI",
            "01/02/2006",
            20,
            "N",
            "Leaving care",
            "PA",
            "d) Eligible child",
            "LA in touch: yes",
            "U",
            "Suitable",
            "F4",
            "Y",
            "Sam Smith",
            "01/10/2026",
            "15/10/2026",
        ]
    staged = read(write_workbook(tmp_path / "l9.xlsx", {9: [row]}, headers={9: headers}))
    table = staged.tables["List 9"]
    assert (table.rows, table.accepted, table.layout) == (
        1,
        1,
        "2019 (13 columns)" if layout == "2019" else "current (17 columns)",
    )
    event, *dated = staged.events
    assert (event.kind, event.start, event.end) == ("care_leaver", date(2024, 2, 1), None)
    assert [(e.kind, e.start) for e in dated] == (
        []
        if layout == "2019"
        else [
            ("pathway_plan_review", date(2026, 10, 1)),
            ("care_leaver_contact", date(2026, 10, 15)),
        ]
    )
    assert event.attributes["start_basis"] == "18th birthday"
    expected = (
        []
        if layout == "2019"
        else [("warning", "unknown_code", "List_9", "J3", "LA in touch: yes", False)]
    )
    assert issues_of(staged) == expected
    if layout == "current":
        assert (
            event.attributes["activity"] == "F4"
            and event.attributes["eligibility"] == "Eligible child"
        )
        assert event.attributes["latest_contact"] == "2026-10-15"


def test_lists_10_and_11_load(tmp_path):
    staged = read(
        write_workbook(
            tmp_path / "adoption.xlsx",
            {
                10: [
                    [
                        "A7",
                        "AF0001",
                        "M",
                        "WBRI",
                        "01/01/2024",
                        2,
                        "N",
                        "01/02/2024",
                        "01/06/2024",
                        "01/09/2024",
                        "01/12/2024",
                        "01/01/2025",
                        "01/07/2026",
                        "",
                        "",
                        "",
                    ]
                ],
                11: [
                    [
                        "AF0001-1",
                        "AF0001",
                        "F",
                        "WBRI",
                        "N",
                        "N",
                        "01/01/2024",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "01/05/2024",
                        "01/12/2024",
                        "01/01/2025",
                        1,
                        "01/07/2026",
                        "",
                        "",
                    ],
                    [
                        "AF0002-1",
                        "AF0002",
                        "M",
                        "WBRI",
                        "N",
                        "N",
                        "01/01/2026",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "01/03/2026",
                        "1 - Adopter withdrew from process",
                    ],
                ],
            },
        )
    )
    assert [e.kind for e in staged.events] == [
        "looked_after_start",
        "adoption_decision",
        "placement_order",
        "adoption_match",
        "placed_for_adoption",
        "adoption_order",
    ]
    assert staged.extra["adopters"] == {
        "adopters": 2,
        "families": 2,
        "approved": 1,
        "matched": 1,
        "placed": 1,
        "left_process": 1,
    }
    assert list(staged.children) == ["A7"]


def test_missing_mandatory_column_is_an_error_for_that_list(tmp_path):
    headers = {
        1: ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age", "Date of Contact"]
    }
    staged = read(
        write_workbook(
            tmp_path / "m.xlsx",
            {1: [["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026"]]},
            headers=headers,
        )
    )
    assert issues_of(staged) == [("error", "missing_column", "List_1", "", "", False)]
    assert staged.issues[0].column == "Contact Source"
    assert staged.tables["List 1"].accepted == 1


def test_missing_child_id_column_rejects_every_row_of_the_list(tmp_path):
    headers = {
        1: [
            "Gender",
            "Ethnicity",
            "Date of Birth",
            "Age of Child (Years)",
            "Date of Contact",
            "Contact Source",
        ]
    }
    staged = read(
        write_workbook(
            tmp_path / "m.xlsx",
            {1: [["M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"]] * 3},
            headers=headers,
        )
    )
    assert (staged.tables["List 1"].rows, staged.tables["List 1"].rejected) == (3, 3)
    assert staged.events == []


def test_no_recognisable_list(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["Name", "Favourite colour"])
    book.active.append(["Ann", "red"])
    book.save(tmp_path / "other.xlsx")
    with pytest.raises(EvidenceFileError, match="No Annex A list was found in other.xlsx"):
        read(tmp_path / "other.xlsx")


@pytest.mark.skipif(not (FIXTURES / "messy" / "annex_a.xlsx").exists(), reason="no fixture")
def test_messy_fixture_every_row_accepted_and_every_duplicate_flagged():
    summary = json.loads((FIXTURES / "messy" / "summary.json").read_text())
    staged = read(FIXTURES / "messy" / "annex_a.xlsx")
    rows_by_sheet = {t.sheet: t.rows for t in staged.tables.values()}
    assert rows_by_sheet == summary["annex_a"]
    assert all(t.rejected == 0 for t in staged.tables.values())
    duplicates = sum(m["rows"] for m in summary["mess"] if m["change"] == "duplicate rows")
    assert sum(1 for i in staged.issues if i.rule == "duplicate_row") == duplicates
    assert not [
        i
        for i in staged.issues
        if i.rule in ("unknown_code", "unrecognised_column", "unreadable_date", "missing_column")
    ]


def test_sheets_in_any_order_are_read_in_list_order(tmp_path):
    """Lists are read as their sheets are parsed when the sheets come in list order; a
    workbook whose sheets come in another order gives exactly the same result."""
    lists = {
        1: [["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"]],
        3: [
            ["C1", "M", "WBRI", "02/01/2015", 11, "02/10/2026", "6", "N", 0, "T", "W"],
            ["C2", "F", "WBRI", "01/01/2016", 10, "03/10/2026", "6", "N", 0, "T", "W"],
        ],
    }
    in_order = read(write_workbook(tmp_path / "in_order.xlsx", lists))
    shuffled = read(write_workbook(tmp_path / "shuffled.xlsx", {3: lists[3], 1: lists[1]}))
    for staged in (in_order, shuffled):
        assert list(staged.tables) == ["List 1", "List 3"]
        assert [(e.kind, e.start, e.sheet) for e in staged.events] == [
            ("contact", date(2026, 10, 1), "List_1"),
            ("referral", date(2026, 10, 2), "List_3"),
            ("referral", date(2026, 10, 3), "List_3"),
        ]
        # The date of birth of the list read first is kept; the later one is reported.
        assert staged.children["C1"].dob == date(2015, 1, 1)
        assert [(i.rule, i.sheet, i.cell) for i in staged.issues] == [
            ("conflicting_dob", "List_3", "D3")
        ]
    assert list(shuffled.children) == list(in_order.children) == ["C1", "C2"]
