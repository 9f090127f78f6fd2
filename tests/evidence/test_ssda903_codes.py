"""The SSDA903 return's codes: every code of every coded column the reader reads has its label
(pages show labels, never codes), and the labels say what the DfE's guidance says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from inspection.evidence import codes
from inspection.evidence.ssda903 import CODE_COLUMNS, read_ssda903
from tests.evidence.test_ssda903 import write_zip

REFERENCE = date(2026, 11, 2)
MAX = 50 * 1024 * 1024


def test_every_code_the_reader_accepts_has_its_label():
    walked = 0
    for column, lists in CODE_COLUMNS.items():
        for list_name in lists:
            table = codes.code_lists()[list_name]
            assert table, (column, list_name)
            for code, entry in table.items():
                walked += 1
                assert codes.canonical(list_name, code) == code, (column, code)
                label = entry.label.strip()
                # a label says what the code means: never blank, never the code itself (but a
                # list whose code is a word, such as "Died", is its own label)
                assert label, (column, code)
                assert label != code or (code.isalpha() and not code.isupper()), (column, code)
    assert walked > 150


def test_the_reasons_for_a_new_episode_are_the_guidances():
    reasons = {c: e.label for c, e in codes.code_lists()["reason_new_episode"].items()}
    assert reasons == {
        "S": "Started to be looked after",
        "L": "Change of legal status only",
        "P": "Change of placement and carer(s) only",
        "T": "Change of placement only, the carer(s) the same",
        "B": "Change of legal status and of placement and carer(s) on the same day",
        "U": "Change of legal status and of placement on the same day, the carer(s) the same",
    }


def test_previous_permanence_tells_not_known_from_none():
    orders = {c: e.label for c, e in codes.code_lists()["previous_permanence"].items()}
    assert orders["P4"] == "Not known whether the child had a previous permanence order"
    assert orders["Z1"] == "No previous permanence order"
    assert list(orders) == ["P1", "P2", "P3", "P4", "Z1"]


def test_a_return_with_the_guidances_newer_codes_reads_without_a_warning(tmp_path: Path):
    tables = {
        "Header": [["700001", "1", "10/05/2008", "WBRI", "", "", ""]],
        "Episodes": [
            ["700001", "06/01/2025", "S", "C2", "N1", "U6", "PR1", "01/03/2025", "X1", "CUSTOD"]
            + ["", "", ""],
            ["700001", "01/03/2025", "B", "C2", "N1", "K2", "PR4", "", "", "", "", "", ""],
        ],
        "OC3": [["700002", "10/05/2007", "YES", "F5", "B2"]],
        "PrevPerm": [["700003", "01/01/2016", "P4", "", "zz/zz/zzzz"]],
    }
    staged = read_ssda903(write_zip(tmp_path / "r.zip", tables), REFERENCE, MAX)
    assert [(i.rule, i.column, i.value) for i in staged.issues] == []
    by_kind = {(e.record[1], e.kind): e.attributes for e in staged.events}
    assert by_kind[("700001", "looked_after_start")]["reason_place_change"] == "CUSTOD"
    leaver = by_kind[("700002", "care_leaver_status")]
    assert (leaver["in_touch"], leaver["activity"], leaver["accommodation"]) == ("Y", "F5", "B")
    assert leaver["suitability"] == "Unsuitable"
    assert codes.code_lists()["activity"]["F5"].label == (
        "Full time in training or employment (not an apprenticeship)"
    )


def test_an_accommodation_code_the_return_does_not_have_is_still_a_warning(tmp_path: Path):
    tables = {"OC3": [["700002", "10/05/2007", "YES", "F5", "Q1"]]}
    staged = read_ssda903(write_zip(tmp_path / "r.zip", tables), REFERENCE, MAX)
    assert [(i.rule, i.column, i.value) for i in staged.issues] == [("unknown_code", "ACCOM", "Q1")]
