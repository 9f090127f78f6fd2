"""UPNs and NHS numbers are checked as their issuers define them: an identifier that fails its
check is a warning naming the cell, is kept as given, and never links records to a child."""

from datetime import date

import pytest

from inspection.evidence.identifiers import (
    Scheme,
    nhs_check_digit,
    nhs_problem,
    upn_check_letter,
    upn_problem,
    valid,
)
from inspection.evidence.load import import_file
from inspection.journey.linkage import link_inspection
from inspection.models import SourceRecord, ValidationIssue
from tests.evidence.helpers import make_inspection
from tests.journey import factory as f


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("B801200005001", None),  # a UPN whose check letter is B
        ("b801 2000 05001", None),  # spaces and small letters as people write them
        ("E990123456789", None),
        ("E99012345678A", "its check letter should be C, not E"),  # a temporary UPN: A is 0
        ("C99012345678A", None),
        ("A990123456789", "its check letter should be E, not A"),
        ("E99012345678", "a UPN has 13 characters, this has 12"),
        (
            "I990123456789",
            "a UPN is a check letter, 11 digits and a last digit or letter (no I, O or S)",
        ),
        (
            "E9901234567O9",
            "a UPN is a check letter, 11 digits and a last digit or letter (no I, O or S)",
        ),
        ("", None),
    ],
)
def test_upn_check_letter(given, why):
    assert upn_problem(given) == why


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("9434765919", None),  # the NHS's own example number
        ("943 476 5919", None),
        ("943-476-5919", None),
        ("9434765918", "its check digit should be 9, not 8"),
        ("1234567890", "no NHS number begins with these nine digits (its check digit would be 10)"),
        ("943476591", "an NHS number is 10 digits"),
        ("94347659A9", "an NHS number is 10 digits"),
        ("", None),
    ],
)
def test_nhs_number_modulus_11(given, why):
    assert nhs_problem(given) == why


def test_check_characters_by_hand():
    # The body of B801200005001 weighted 2 to 13: 8·2 + 1·4 + 2·5 + 5·10 + 1·13 = 93, and
    # 93 mod 23 = 1, the second letter: B. A temporary UPN's letter counts by its place (A: 0).
    assert upn_check_letter("801200005001") == "B"
    assert upn_check_letter("99012345678A") == "C"  # 393 mod 23 = 2
    # 9·10 + 4·9 + 3·8 + 4·7 + 7·6 + 6·5 + 5·4 + 9·3 + 1·2 = 299, 299 mod 11 = 2, 11 − 2 = 9.
    assert nhs_check_digit("943476591") == 9
    assert valid(Scheme.NHS_NUMBER, "9434765919") and not valid(Scheme.NHS_NUMBER, "")


HEALTH = (
    "record_id,person_id,nhs_number,upn,la_child_id,given_name,family_name,date_of_birth,sex,"
    "postcode,address,event_date,event_end_date,event_type,details,lead_professional\n"
    "H1,P1,943 476 5919,,,Amy,Jones,01/01/2012,F,,,05/02/2026,,ed_attendance,,\n"
    "H2,P2,9434765918,A990123456789,,Bo,Lee,01/01/2013,F,,,05/02/2026,,ed_attendance,,\n"
)


async def test_an_invalid_identifier_is_a_warning_naming_the_cell_and_kept_as_given(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "health.csv"
    path.write_text(HEALTH)
    summary = await import_file(inspection.id, path, "agency", "Health", db)
    assert (summary.tables[0]["accepted"], summary.tables[0]["rejected"]) == (2, 0)
    issues = await ValidationIssue.filter(upload_id=summary.upload_id).order_by("id")
    assert [(i.severity, i.rule, i.source_row, i.column, i.cell, i.message) for i in issues] == [
        (
            "warning",
            "invalid_identifier",
            3,
            "nhs_number",
            "C3",
            "'9434765918' is not a valid NHS number: its check digit should be 9, not 8. It "
            "was kept as given, but it is not used to link this person's records to a child.",
        ),
        (
            "warning",
            "invalid_identifier",
            3,
            "upn",
            "D3",
            "'A990123456789' is not a valid unique pupil number (UPN): its check letter should "
            "be E, not A. It was kept as given, but it is not used to link this person's "
            "records to a child.",
        ),
    ]
    records = await SourceRecord.filter(inspection_id=inspection.id).order_by("person_id")
    assert [(r.person_id, r.nhs_number, r.upn) for r in records] == [
        ("P1", "943 476 5919", ""),
        ("P2", "9434765918", "A990123456789"),
    ]


async def test_census_upn_with_the_wrong_check_letter_is_a_warning(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "cin.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><Message><Children><Child><ChildIdentifiers>'
        "<LAchildID>100001</LAchildID><UPN>A990123456789</UPN>"
        "<PersonBirthDate>2015-03-04</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>"
        "<CINdetails><CINreferralDate>2024-01-10</CINreferralDate></CINdetails>"
        "</Child></Children></Message>"
    )
    summary = await import_file(inspection.id, path, "cin-census", None, db)
    issues = await ValidationIssue.filter(upload_id=summary.upload_id, rule="invalid_identifier")
    assert [(i.severity, i.column, i.value, i.message) for i in issues] == [
        (
            "warning",
            "UPN",
            "A990123456789",
            "'A990123456789' is not a valid unique pupil number (UPN): its check letter should "
            "be E, not A. It was kept as given, but it is not used to link this person's "
            "records to a child.",
        )
    ]


async def _two_records(nhs: str):
    """A social care record of a known child and a police record of someone else entirely
    (another name, sex, date of birth and postcode) that shares its NHS number."""
    insp = await f.inspection()
    sc = await f.upload(insp, "social_care.csv", "social_care")
    police = await f.upload(insp, "police.csv", "police")
    known = await f.record(
        insp,
        sc,
        "social_care",
        "S1",
        "Thomas",
        "Smith",
        date(2015, 4, 3),
        "M",
        "XS1 2AB",
        la_child_id="LA1",
        nhs=nhs,
    )
    other = await f.record(
        insp,
        police,
        "police",
        "PP9",
        "Olivia",
        "Jones",
        date(2011, 9, 30),
        "F",
        "XS9 9ZZ",
        nhs=nhs,
    )
    await link_inspection(insp.id)
    return await SourceRecord.get(id=known.id), await SourceRecord.get(id=other.id)


async def test_a_valid_shared_nhs_number_links_records(db):
    known, other = await _two_records("943 476 5919")
    assert other.child_id == known.child_id and other.link_method == "nhs_number"


async def test_an_invalid_shared_nhs_number_never_links_records(db):
    known, other = await _two_records("9434765918")
    assert other.child_id is not None and other.child_id != known.child_id
    assert other.link_method != "nhs_number"
