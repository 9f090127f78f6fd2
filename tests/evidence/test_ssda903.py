"""The SSDA903 children looked after return: its CSV tables read, checked row by row, loaded
all or nothing, and shown on the child's journey as the Care lane with labels, never codes."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from inspection.evidence.load import import_file, table_counts
from inspection.evidence.ssda903 import TABLES, read_ssda903
from inspection.evidence.staged import EvidenceFileError
from inspection.journey.build import journey_for_child
from inspection.journey.indicators import for_journey
from inspection.journey.timeline import timeline_for
from inspection.models import Child
from tests.evidence.helpers import make_inspection

REFERENCE = date(2026, 11, 2)
MAX = 50 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]
COLUMNS = {t.name: t.columns for t in TABLES}

GOOD = {
    "Header": [
        ["100001", "2", "03/04/2012", "WBRI", "", "", ""],
    ],
    "Episodes": [
        # started to be looked after under section 20, then a care order, then two moves
        [
            "100001",
            "06/01/2025",
            "S",
            "V2",
            "N1",
            "U6",
            "PR1",
            "01/03/2025",
            "X1",
            "",
            "",
            "XS1",
            "",
        ],
        [
            "100001",
            "01/03/2025",
            "L",
            "C2",
            "N1",
            "U6",
            "PR1",
            "10/02/2026",
            "X1",
            "",
            "",
            "XS1",
            "",
        ],
        [
            "100001",
            "10/02/2026",
            "P",
            "C2",
            "N1",
            "K2",
            "PR4",
            "01/06/2026",
            "X1",
            "CREQB",
            "",
            "XS2",
            "",
        ],
        ["100001", "01/06/2026", "P", "C2", "N1", "U4", "PR1", "", "", "CARPL", "", "XS3", ""],
    ],
    "Reviews": [["100001", "03/04/2012", "26/01/2025", "PN1"]],
    "Missing": [
        ["100001", "03/04/2012", "M", "12/03/2026", "14/03/2026"],
        ["100001", "03/04/2012", "A", "20/04/2026", "20/04/2026"],
    ],
}


def csv_text(table: str, rows: list[list[str]]) -> str:
    lines = [",".join(COLUMNS[table])] + [",".join(row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def write_zip(
    path: Path, tables: dict[str, list[list[str]]], extra: dict[str, str] | None = None
) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for table, rows in tables.items():
            archive.writestr(f"{table.lower()}.csv", csv_text(table, rows))
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return path


def _issues(staged) -> list[tuple[str, str, int | None, str, str]]:
    return [(i.sheet, i.rule, i.row, i.column, i.message) for i in staged.issues]


async def test_a_return_loads_and_its_care_is_the_journeys_care_lane_in_words(db, tmp_path):
    inspection = await make_inspection()
    path = write_zip(tmp_path / "ssda903.zip", GOOD)
    summary = await import_file(inspection.id, path, "ssda903", None, db)
    assert summary.source_kind == "ssda903"
    assert [(t["name"], t["sheet"], t["rows"], t["accepted"]) for t in summary.tables] == [
        ("Header", "header.csv", 1, 1),
        ("Episodes", "episodes.csv", 4, 4),
        ("Reviews", "reviews.csv", 1, 1),
        ("Missing", "missing.csv", 2, 2),
    ]
    assert summary.issues == {"error": 0, "warning": 0, "info": 0}
    child = await Child.get(inspection_id=inspection.id, la_child_id="100001")
    assert (child.dob, child.sex, child.ethnicity) == (date(2012, 4, 3), "F", "WBRI")
    journey = await journey_for_child(inspection.id, child.id)
    shown = [
        (e.start, e.end, e.label, e.agency_label, e.recorded_by, e.detail_lines)
        for e in journey.events
    ]
    assert shown == [
        (
            date(2025, 1, 6),
            None,  # the period of care has not ended
            "Started to be looked after",
            "Care",
            "SSDA903 return",
            [
                ("Reason for the new episode", "Started to be looked after"),
                ("Legal status", "Single period under S20"),
                ("Placement type", "Foster placement - not FFA"),
                ("Placement provider", "Own provision"),
                ("Category of need", "Abuse or neglect"),
                ("Placement postcode", "XS1"),
            ],
        ),
        (
            date(2025, 1, 26),
            None,
            "Looked after review",
            "Care",
            "SSDA903 return",
            [
                (
                    "The child's participation in the review",
                    "Child attended and spoke for themselves",
                )
            ],
        ),
        (
            date(2025, 3, 1),
            date(2026, 2, 10),
            "Current legal status started",
            "Care",
            "SSDA903 return",
            [
                ("Reason for the new episode", "Change of legal status only"),
                ("Legal status", "Full care order"),
                ("Placement type", "Foster placement - not FFA"),
                ("Placement provider", "Own provision"),
                ("Category of need", "Abuse or neglect"),
                ("Placement postcode", "XS1"),
            ],
        ),
        (
            date(2026, 2, 10),
            date(2026, 6, 1),
            "Placement changed",
            "Care",
            "SSDA903 return",
            [
                ("Reason for the new episode", "Change of placement and carer(s) only"),
                ("Legal status", "Full care order"),
                ("Placement type", "Children’s Homes"),
                ("Placement provider", "Private provision"),
                ("Category of need", "Abuse or neglect"),
                (
                    "Reason for the change of placement",
                    "The carer asked for the placement to end because of the child's behaviour",
                ),
                ("Placement postcode", "XS2"),
            ],
        ),
        (date(2026, 3, 12), date(2026, 3, 14), "Missing episode", "Care", "SSDA903 return", []),
        (
            date(2026, 4, 20),
            date(2026, 4, 20),
            "Away from placement without authorisation",
            "Care",
            "SSDA903 return",
            [],
        ),
        (
            date(2026, 6, 1),
            None,
            "Placement changed",
            "Care",
            "SSDA903 return",
            [
                ("Reason for the new episode", "Change of placement and carer(s) only"),
                ("Legal status", "Full care order"),
                ("Placement type", "Foster placement - long term"),
                ("Placement provider", "Own provision"),
                ("Category of need", "Abuse or neglect"),
                (
                    "Reason for the change of placement",
                    "Change to, or carrying out of, the care plan",
                ),
                ("Placement postcode", "XS3"),
            ],
        ),
    ]
    timeline = timeline_for(journey)
    assert [(lane.label, len(lane.marks)) for lane in timeline.lanes] == [("Care", 7)]
    indicators = for_journey(journey)
    assert (indicators["placement_moves_12m"], indicators["missing_episodes"]) == (2, 1)


def test_every_kind_of_bad_row_is_named_with_its_file_row_column_and_why(tmp_path):
    tables = {
        "Header": [
            ["", "1", "01/01/2010", "WBRI", "", "", ""],
            ["200001", "3", "01/01/2010", "XXXX", "A123", "", ""],
        ],
        "Episodes": [
            ["200001", "", "S", "C2", "N1", "U6", "PR1", "", "", "", "", "", ""],
            [
                "200001",
                "05/05/2025",
                "S",
                "Q9",
                "N1",
                "U6",
                "PR1",
                "01/05/2025",
                "E11",
                "",
                "",
                "",
                "",
            ],
            ["200001", "31/02/2025", "P", "C2", "N1", "U6", "PR1", "", "", "", "", "", ""],
        ],
        "Reviews": [["200001", "01/01/2010", "", "PN1"]],
        "Missing": [["200001", "01/01/2010", "M", "", "03/03/2026"]],
    }
    staged = read_ssda903(write_zip(tmp_path / "bad.zip", tables), REFERENCE, MAX)
    assert _issues(staged) == [
        (
            "header.csv",
            "missing_identifier",
            2,
            "CHILD",
            "The row has no CHILD (the child's identifier), so it cannot be placed in any "
            "journey; it was not loaded.",
        ),
        ("header.csv", "unknown_code", 3, "SEX", "SEX '3' is not 1 (male) or 2 (female)."),
        (
            "header.csv",
            "unknown_code",
            3,
            "ETHNIC",
            "ETHNIC 'XXXX' is not one of the return's ethnicity codes.",
        ),
        (
            "header.csv",
            "invalid_identifier",
            3,
            "UPN",
            "'A123' is not a valid unique pupil number (UPN): a UPN has 13 characters, this has "
            "4. It was kept as given, but it is not used to link this person's records to a "
            "child.",
        ),
        (
            "episodes.csv",
            "missing_value",
            2,
            "DECOM",
            "The episode has no date it started (DECOM); the row was not loaded.",
        ),
        (
            "episodes.csv",
            "unknown_code",
            3,
            "LS",
            "LS 'Q9' is not one of the return's codes; it was kept as given.",
        ),
        (
            "episodes.csv",
            "end_before_start",
            3,
            "DEC",
            "DEC 01/05/2025 is before DECOM 05/05/2025.",
        ),
        (
            "episodes.csv",
            "unreadable_date",
            4,
            "DECOM",
            "DECOM '31/02/2025' is not a date (dd/mm/yyyy); it was left out.",
        ),
        (
            "episodes.csv",
            "missing_value",
            4,
            "DECOM",
            "The episode has no date it started (DECOM); the row was not loaded.",
        ),
        (
            "reviews.csv",
            "missing_value",
            2,
            "REVIEW",
            "The review has no date (REVIEW); the row was not loaded.",
        ),
        (
            "missing.csv",
            "missing_value",
            2,
            "MIS_START",
            "The period missing or away has no start date (MIS_START); the row was not loaded.",
        ),
    ]
    assert {(t.name, t.accepted, t.rejected) for t in staged.tables.values()} == {
        ("Header", 1, 1),
        ("Episodes", 1, 2),
        ("Reviews", 0, 1),
        ("Missing", 0, 1),
    }
    # a row rejected carries only its reason; the rest is as given
    assert [(e.kind, e.start, e.end, e.attributes.get("legal_status")) for e in staged.events] == [
        ("looked_after_start", date(2025, 5, 5), date(2025, 5, 1), "Q9"),
        ("looked_after_end", date(2025, 5, 1), None, None),
    ]


def test_a_date_after_the_reference_date_and_the_end_of_care_without_a_start(tmp_path):
    tables = {
        "Episodes": [
            ["300001", "", "S", "C2", "N1", "U6", "PR1", "04/04/2026", "E11", "", "", "", ""],
        ],
        "Reviews": [["300001", "", "01/12/2026", "PN0"]],
    }
    staged = read_ssda903(write_zip(tmp_path / "r.zip", tables), REFERENCE, MAX)
    assert _issues(staged) == [
        (
            "episodes.csv",
            "missing_value",
            2,
            "DECOM",
            "The episode has no date it started (DECOM); the end of care on its DEC was still "
            "loaded.",
        ),
        (
            "reviews.csv",
            "after_reference_date",
            2,
            "REVIEW",
            "REVIEW 01/12/2026 is after the inspection's reference date 02/11/2026.",
        ),
    ]
    assert [(e.kind, e.start, e.attributes) for e in staged.events] == [
        ("looked_after_end", date(2026, 4, 4), {"reason_ceased": "E11"}),
        ("looked_after_review", date(2026, 12, 1), {"review_participation": "PN0"}),
    ]


def test_one_table_of_the_return_may_be_uploaded_alone_whatever_it_is_called(tmp_path):
    path = tmp_path / "my reviews export.csv"
    path.write_text(csv_text("Reviews", [["400001", "01/01/2015", "02/02/2026", "PN4"]]))
    staged = read_ssda903(path, REFERENCE, MAX)
    assert [(t.name, t.sheet, t.accepted) for t in staged.tables.values()] == [
        ("Reviews", "my reviews export.csv", 1)
    ]
    assert [(c.la_child_id, c.dob) for c in staged.children.values()] == [
        ("400001", date(2015, 1, 1))
    ]


@pytest.mark.parametrize(
    ("tables", "extra", "message"),
    [
        (
            {"Header": []},
            {"notes.txt": "hello"},
            "903.zip holds notes.txt, which is not a CSV file: the zip should hold only the "
            "return's CSV tables.",
        ),
        (
            {"Header": []},
            {"other.csv": "A,B\r\n1,2\r\n"},
            "other.csv is not a table of the SSDA903 return: its first row names none of the "
            "columns that mark one (UPN for the header, DECOM for episodes, REVIEW, MIS_START, "
            "IN_TOUCH, SDQ_SCORE, DATE_MATCH, DATE_PLACED, PREV_PERM, DUC or SW_DECOM).",
        ),
        (
            {"Episodes": []},
            {
                "episodes2.csv": "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,"
                "REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\r\n"
            },
            "903.zip holds two Episodes tables (episodes.csv and episodes2.csv); keep one and "
            "upload it again.",
        ),
        (
            {},
            {"episodes.csv": "CHILD,DECOM,RNE\r\n1,01/01/2020,S\r\n"},
            "episodes.csv looks like the return's Episodes table but has no LS, CIN, PLACE, "
            "PLACE_PROVIDER, DEC, REC, REASON_PLACE_CHANGE, HOME_POST, PL_POST, URN columns.",
        ),
    ],
    ids=["not a csv", "not a table", "two tables", "columns missing"],
)
async def test_an_unusable_return_is_refused_whole_and_nothing_is_written(
    db, tmp_path, tables, extra, message
):
    inspection = await make_inspection()
    path = write_zip(tmp_path / "903.zip", {"Header": GOOD["Header"], **tables}, extra)
    before = await table_counts()
    with pytest.raises(EvidenceFileError) as refused:
        await import_file(inspection.id, path, "ssda903", None, db)
    assert str(refused.value) == message
    assert await table_counts() == before


def test_a_zip_bomb_is_not_opened(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "header.csv", "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\r\n" + " " * 5_000_000
        )
    with pytest.raises(EvidenceFileError, match="looks like a decompression bomb"):
        read_ssda903(path, REFERENCE, MAX)


def test_care_leavers_adoption_and_the_other_tables_are_placed_by_their_dates(tmp_path):
    tables = {
        "Header": [["500001", "1", "10/05/2007", "WBRI", "", "1", "02/02/2026"]],
        "OC3": [["500001", "10/05/2007", "YES", "F2", "T"]],
        "AD1": [["500002", "01/01/2022", "03/03/2023", "04/04/2024", "1", "2", "MF", "L11"]],
        "PlacedAdoption": [
            ["500002", "01/01/2022", "03/03/2023", "", ""],
            ["500003", "01/01/2020", "02/02/2021", "05/05/2022", "RD1"],
        ],
        "PrevPerm": [["500004", "01/01/2016", "P2", "", "zz/06/2019"]],
        "UASC": [["500005", "1", "01/01/2008", "01/01/2026"]],
        "SocialWorkers": [["500001", "SW77", "01/09/2025", "", ""]],
        "OC2": [["500001", "10/05/2007"] + [""] * 10],
    }
    staged = read_ssda903(write_zip(tmp_path / "r.zip", tables), REFERENCE, MAX)
    assert _issues(staged) == []
    assert [
        (e.record[1], e.kind, e.start, e.end, e.attributes, e.worker) for e in staged.events
    ] == [
        ("500001", "own_child_born", date(2026, 2, 2), None, {}, ""),
        (
            "500001",
            "care_leaver_status",
            date(2026, 5, 10),  # the latest birthday: the return records them around it
            None,
            {"in_touch": "Y", "activity": "F2", "accommodation": "T", "start_basis": "birthday"},
            "",
        ),
        (
            "500002",
            "adoption_decision",
            date(2023, 3, 3),
            None,
            {"adopted_by_foster_carer": True, "adopters": "2", "adopters_sex": "MF"},
            "",
        ),
        (
            "500002",
            "adoption_match",
            date(2024, 4, 4),
            None,
            {"adopted_by_foster_carer": True, "adopters": "2", "adopters_sex": "MF"},
            "",
        ),
        ("500002", "adoption_decision", date(2023, 3, 3), None, {}, ""),
        ("500003", "adoption_decision", date(2021, 2, 2), None, {}, ""),
        (
            "500003",
            "adoption_decision_reversed",
            date(2022, 5, 5),
            None,
            {"no_longer_reason": "RD1"},
            "",
        ),
        (
            "500004",
            "previous_permanence",
            date(2019, 6, 1),
            None,
            {"previous_permanence": "P2", "date_known": "month and year"},
            "",
        ),
        ("500005", "uasc_ceased", date(2026, 1, 1), None, {}, ""),
        ("500001", "social_worker_allocated", date(2025, 9, 1), None, {}, "SW77"),
    ]


def test_the_empty_templates_are_the_tables_columns():
    for table in TABLES:
        text = (ROOT / "docs" / "templates" / table.template).read_text()
        assert text == ",".join(table.columns) + "\n", table.name


def test_the_synthetic_return_reads_without_a_problem():
    staged = read_ssda903(ROOT / "fixtures" / "demo" / "ssda903.zip", REFERENCE, MAX)
    assert staged.issue_counts() == {"error": 0, "warning": 0, "info": 0}
    assert {t.name for t in staged.tables.values()} >= {"Header", "Episodes", "Reviews"}
    kinds = {e.kind for e in staged.events}
    assert {"looked_after_start", "looked_after_review", "missing_episode"} <= kinds
