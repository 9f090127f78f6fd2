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
