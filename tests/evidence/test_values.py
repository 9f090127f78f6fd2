import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from inspection.evidence import values
from inspection.evidence.codes import canonical


@pytest.mark.parametrize(
    ("list_name", "raw", "code"),
    [
        ("gender", "a) Male", "M"),
        ("gender", "Male", "M"),
        ("gender", "M", "M"),
        ("gender", "female", "F"),
        ("gender", "F", "F"),
        ("gender", "c) Not stated/recorded", "U"),
        ("source", "q) 6: Police", "6"),
        ("source", "6: Police", "6"),
        ("source", "Police", "6"),
        ("source", "6", "6"),
        ("source", "v) 5D: LA services", "5D"),
        ("placement_provider", "e) PR4 - Private provision", "PR4"),
        ("placement_provider", "e) PR4: Private provision", "PR4"),
        ("need", "N1 - Abuse or Neglect", "N1"),
        ("need", "n1 - abuse or neglect", "N1"),
        ("need", "N1", "N1"),
        ("abuse_category", "Physical abuse", "PHY"),
        ("abuse_category", "b) Physical abuse", "PHY"),
        ("closure_reason", "RC9", "RC9"),
        ("eligibility", "d) Eligible child", "Eligible child"),
        ("activity", "F4", "F4"),
        ("activity", "P5", "P5"),
        ("reason_ceased", "E17", "E17"),
        ("ethnicity", "t) NOBT", "NOBT"),
        ("ethnicity", "s) NOBT", "NOBT"),
        ("ethnicity", "White British", "WBRI"),
        ("yes_no", "yes", "Y"),
        ("yes_no", "YES", "Y"),
        ("yes_no", "y", "Y"),
        ("yes_no", "a) Yes", "Y"),
        ("yes_no", "No", "N"),
        ("yes_no", "n", "N"),
        ("yes_no", "b) No", "N"),
        ("yes_no", "false", "N"),
        ("yes_no", "c) Unknown", "U"),
        ("case_status", "a) Looked after child", "LAC"),
    ],
)
def test_codes_in_every_spelling(list_name, raw, code):
    assert canonical(list_name, raw) == code


def test_unknown_and_ambiguous_codes_are_none():
    assert canonical("need", "SEN") is None  # a code from another list
    assert canonical("source", "Individual") is None  # 1A, 1B, 1C and 1D are all "Individual"


@pytest.mark.parametrize("raw", ["", "   ", "#N/A", "-", "..", "\u00a0", "\u00a0 \u00a0", None])
def test_blank_markers(raw):
    assert values.text(raw) is None
    assert values.to_date(raw) is None


def test_non_breaking_spaces_inside_names_become_spaces():
    assert values.text("Mary\u00a0Ann  Smith\u00a0") == "Mary Ann Smith"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2026, 3, 4, 0, 0), date(2026, 3, 4)),
        (date(2026, 3, 4), date(2026, 3, 4)),
        (46085.0, date(2026, 3, 4)),
        (46085, date(2026, 3, 4)),
        ("46085", date(2026, 3, 4)),
        ("04/03/2026", date(2026, 3, 4)),
        ("4/3/2026", date(2026, 3, 4)),
        ("04-03-2026", date(2026, 3, 4)),
        ("04.03.2026", date(2026, 3, 4)),
        ("2026-03-04", date(2026, 3, 4)),
        ("2026-03-04T00:00:00", date(2026, 3, 4)),
        ("04/03/2026 00:00", date(2026, 3, 4)),
        ("4 March 2026", date(2026, 3, 4)),
        ("04/03/26", date(2026, 3, 4)),
    ],
)
def test_dates_in_every_form(raw, expected):
    assert values.to_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2026", "next week", "13/13/2020", True])
def test_unreadable_dates_raise(raw):
    with pytest.raises(values.Unreadable):
        values.to_date(raw)


def test_counts_and_numbers():
    assert values.to_number("6.138") == 6.138
    assert values.to_number(-1.0) == -1.0
    assert values.to_count(3.0) == 3
    with pytest.raises(values.Unreadable):
        values.to_count("2.5")


def _sheet_xml(cells: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{cells}</sheetData></worksheet>"
    )


def write_formula_workbook(path: Path) -> Path:
    """An xlsx whose B1 is ``=A1+7`` with its cached value, written as raw XML.

    openpyxl cannot write cached formula results, so the parts are written by hand, the way
    Excel saves them: the formula in ``<f>`` and the last computed value in ``<v>``.
    """
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{rel}">'
            '<sheets><sheet name="Formulas" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{rel}'
            '/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": _sheet_xml(
            '<row r="1"><c r="A1"><v>46085</v></c><c r="B1"><f>A1+7</f><v>46092</v></c></row>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def test_formula_cells_give_their_cached_value(tmp_path):
    path = write_formula_workbook(tmp_path / "formula.xlsx")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Formulas").to_python()
    assert rows == [[46085.0, 46092.0]]
    assert values.to_date(rows[0][1]) == date(2026, 3, 11)
