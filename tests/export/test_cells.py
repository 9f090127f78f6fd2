from datetime import date

from inspection.export.cells import neutralise, safe
from inspection.export.pseudonymise import Pseudonymiser, month_of_birth, postcode_district


def test_formula_triggers_are_quoted():
    assert neutralise('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert neutralise("+44 113") == "'+44 113"
    assert neutralise("-2 visits") == "'-2 visits"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("\tcmd") == "'\tcmd"
    assert neutralise("\rcmd") == "'\rcmd"
    assert neutralise("Good = fine") == "Good = fine"
    assert neutralise("a\x00b\x1fc") == "abc"


def test_values_other_than_text_are_left_alone():
    assert safe(-3) == -3
    assert safe(date(2026, 1, 2)) == date(2026, 1, 2)
    assert safe(None) is None


def test_pseudonyms_stable_within_an_export_and_differ_between_keys():
    a, b = Pseudonymiser(b"a" * 32), Pseudonymiser(b"b" * 32)
    assert a.child(7) == a.child(7)
    assert a.child(7) != a.child(8)
    assert a.child(7) != b.child(7)
    assert a.child(7).startswith("P-") and len(a.child(7)) == 14


def test_dates_of_birth_and_postcodes_reduced():
    assert month_of_birth(date(2015, 4, 3)) == "2015-04"
    assert postcode_district("ls6 2ab") == "LS6"
    assert postcode_district("SW1A1AA") == "SW1A"
    assert postcode_district("not a postcode") == ""


def test_one_writer_for_csv_fields():
    from datetime import datetime

    from inspection.export.cells import csv_text

    text = csv_text(
        [
            ["name", "when", "n"],
            ["=1+1", datetime(2026, 11, 2, 9, 5), -3],
            ["a,b", date(2026, 1, 2), None],
            ["@x", True, 2.5],
        ]
    )
    assert text == (
        "name,when,n\r\n'=1+1,2026-11-02 09:05,-3\r\n\"a,b\",2026-01-02,\r\n'@x,yes,2.5\r\n"
    )


def test_workbook_rows_never_become_formulas_in_either_mode():
    import io

    from openpyxl import Workbook, load_workbook

    from inspection.export.cells import append_row, write_text

    for write_only in (True, False):
        book = Workbook(write_only=write_only)
        ws = book.create_sheet("S") if write_only else book.active
        append_row(ws, ["=1+1", "-2", 3, "", None, "ok"])
        if not write_only:
            write_text(ws, 2, 1, "=HYPERLINK(1)")
        out = io.BytesIO()
        book.save(out)
        read = load_workbook(io.BytesIO(out.getvalue()))
        sheet = read["S"] if write_only else read.active
        assert [c.value for c in sheet[1]] == ["'=1+1", "'-2", 3, None, None, "ok"]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
        if not write_only:
            kept = sheet["A2"]
            assert (kept.value, kept.data_type, kept.quotePrefix) == ("=HYPERLINK(1)", "s", True)
