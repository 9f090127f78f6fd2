"""The CIN census layout by collection year: a 2025 to 2026 return (the newest layout checked
against the published schema) reads without a note; a later or earlier collection is read as
that layout with a note naming the collection; an element the layout does not have is a warning
naming it, never dropped in silence; the census's code lists name every code they accept."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from inspection.evidence import codes
from inspection.evidence.cin_census import (
    NEWEST_COLLECTION_YEAR,
    UPN_UNKNOWN,
    collection_year,
    read_cin_census,
)

REFERENCE = date(2026, 11, 2)
MAX = 50 * 1024 * 1024
CENSUS_2026 = Path(__file__).resolve().parent / "fixtures" / "cin_census_2026.xml"


def _read(tmp_path: Path, text: str):
    path = tmp_path / "census.xml"
    path.write_text(text)
    return read_cin_census(path, REFERENCE, MAX)


def test_a_2025_to_2026_return_is_read_without_a_note():
    staged = read_cin_census(CENSUS_2026, REFERENCE, MAX)
    assert NEWEST_COLLECTION_YEAR == 2026
    assert staged.extra["census_collection_year"] == 2026
    assert [(i.rule, i.column) for i in staged.issues] == []
    assert sorted((e.record[1], e.kind, e.start) for e in staged.events) == [
        ("C2601", "assessment_authorised", date(2025, 5, 19)),
        ("C2601", "assessment_internal_review", date(2025, 5, 1)),
        ("C2601", "assessment_start", date(2025, 4, 8)),
        ("C2601", "referral", date(2025, 4, 7)),
        ("C2602", "expected_birth", date(2026, 6, 15)),
        ("C2602", "referral", date(2026, 1, 12)),
    ]
    assessment = next(e for e in staged.events if e.kind == "assessment_start")
    assert assessment.attributes["factors"] == ["18B", "24A"]
    assert staged.children["C2602"].attributes[UPN_UNKNOWN] == "UN7"


def test_the_collection_is_the_headers_year_else_its_reference_dates():
    from xml.etree.ElementTree import fromstring  # noqa: S405 - the test's own text

    def year(details: str) -> int | None:
        xml = (
            f"<Message><Header><CollectionDetails>{details}</CollectionDetails></Header></Message>"
        )
        return collection_year(fromstring(xml))  # noqa: S314

    assert year("<Year>2026</Year><ReferenceDate>2025-03-31</ReferenceDate>") == 2026
    assert year("<ReferenceDate>2026-03-31</ReferenceDate>") == 2026
    assert year("<Year>twenty</Year>") is None
    assert year("") is None


def test_a_later_collection_is_read_as_the_newest_layout_with_a_note(tmp_path: Path):
    text = CENSUS_2026.read_text().replace("<Year>2026</Year>", "<Year>2027</Year>")
    staged = _read(tmp_path, text)
    assert staged.extra["census_collection_year"] == 2027
    assert [(i.severity, i.rule, i.sheet, i.column, i.value, i.message) for i in staged.issues] == [
        (
            "info",
            "unchecked_collection_year",
            "Header",
            "Year",
            "2027",
            "The census is for the 2026 to 2027 collection; the newest layout this product has "
            "been checked against is the 2025 to 2026 collection's. It was read as that layout: "
            "any element that layout does not have is listed as not read.",
        )
    ]
    # read all the same: the same events as the 2025 to 2026 return
    assert len(staged.events) == len(read_cin_census(CENSUS_2026, REFERENCE, MAX).events)


def test_an_earlier_collection_than_the_layout_is_noted(tmp_path: Path):
    text = CENSUS_2026.read_text().replace("<Year>2026</Year>", "<Year>2015</Year>")
    staged = _read(tmp_path, text)
    assert [(i.rule, i.message) for i in staged.issues] == [
        (
            "unchecked_collection_year",
            "The census is for the 2014 to 2015 collection, older than the 2016 to 2017 layout "
            "this product reads. It was read as the 2025 to 2026 layout: any element that "
            "layout does not have is listed as not read.",
        )
    ]


def test_an_element_the_layout_does_not_have_is_a_warning_naming_it(tmp_path: Path):
    text = CENSUS_2026.read_text()
    text = text.replace(
        "<ReferralNFA>1</ReferralNFA>",
        "<ReferralNFA>1</ReferralNFA><FamilyHelpStartDate>2026-01-20</FamilyHelpStartDate>",
    ).replace(
        "<ReferralNFA>0</ReferralNFA>",
        "<ReferralNFA>0</ReferralNFA><FamilyHelpStartDate>2025-06-01</FamilyHelpStartDate>",
    )
    text = text.replace("<Release>1</Release>", "<Release>1</Release><Supplier>x</Supplier>")
    staged = _read(tmp_path, text)
    assert [(i.severity, i.rule, i.sheet, i.row, i.column, i.message) for i in staged.issues] == [
        (
            "warning",
            "unknown_element",
            "Header",
            None,
            "Supplier",
            "<Supplier> is not an element of the CIN census layout this product reads (the "
            "collections from 2016 to 2017 up to 2025 to 2026); it was not read (found once).",
        ),
        (
            "warning",
            "unknown_element",
            "Child",
            1,
            "FamilyHelpStartDate",
            "<FamilyHelpStartDate> is not an element of the CIN census layout this product reads "
            "(the collections from 2016 to 2017 up to 2025 to 2026); it was not read (found 2 "
            "times).",
        ),
    ]


def test_every_reason_for_no_upn_the_census_accepts_has_its_label():
    reasons = codes.code_lists()[UPN_UNKNOWN]
    assert list(reasons) == [f"UN{n}" for n in range(1, 8)]
    assert all(c.label and c.label != c.code for c in reasons.values())
    assert reasons["UN4"].label == (
        "Newly in need in the last week of the collection period, UPN not yet known"
    )
    assert reasons["UN6"].label == "Not looked after, and the authority could not obtain the UPN"
    # UN8 to UN10 are the SEN2 return's, not the census's
    assert codes.canonical(UPN_UNKNOWN, "UN8") is None


def test_physical_and_sexual_abuse_factors_name_who_as_the_schema_does():
    factors = codes.code_lists()["assessment_factor"]
    assert factors["18B"].label == "Physical abuse by another child"
    assert factors["18C"].label == "Physical abuse by an adult"
    assert factors["19B"].label == "Sexual abuse by another child"
    assert factors["19C"].label == "Sexual abuse by an adult"
