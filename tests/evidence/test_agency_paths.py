"""A CSV extract's plain rows are read by a shorter path (``_AgencyRows.text_rows``) than every
other row (``_AgencyRows.row``). The two must stage exactly the same thing: this property test
reads generated rows both ways, every row by the general path on one side, and compares
everything staged: records, events, children, issues, counts and rejected rows."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspection.evidence.agencies import COLUMNS, IDENTITY_ONLY, KINDS, _AgencyRows
from inspection.evidence.staged import Staged

REFERENCE = date(2026, 11, 2)
# Cells as extracts give them: clean, padded, blank markers, doubled spaces, non-ASCII, bad.
TEXT = st.sampled_from(["", "Ann", " Ann", "Ann ", "Ann  Lee", "N/A", "null", "Siân", "a|b", "-"])
PERSON = st.sampled_from(["P1", "P2", "P3", " P1", "", "n/a", "P\u00e92"])
DATE = st.sampled_from(
    ["", "01/10/2026", "2026-10-02", "1/9/2026", "32/01/2026", "not a date", "01/12/2027"]
)
BIRTH = st.sampled_from(["", "01/01/2015", "2016-02-29", "31/02/2015", "01/01/2027"])
SEX = st.sampled_from(["", "M", "F", "U", "m", "x", "Male"])


def _row(agency: str, width_change: int) -> st.SearchStrategy[list[str]]:
    kinds = sorted(KINDS.get(agency, {})) + ["", "something_else", " missing_episode"]
    cells = {
        "record_id": TEXT,
        "person_id": PERSON,
        "nhs_number": st.sampled_from(["", "9434765919", "943 476 5919"]),
        "upn": st.sampled_from(["", "A123456789012"]),
        "la_child_id": st.sampled_from(["", "C1", "C2 "]),
        "given_name": TEXT,
        "family_name": TEXT,
        "date_of_birth": BIRTH,
        "sex": SEX,
        "postcode": st.sampled_from(["", "AB1 2CD", "ab12cd"]),
        "address": TEXT,
        "event_date": DATE,
        "event_end_date": DATE,
        "event_type": st.sampled_from(kinds),
        "details": TEXT,
        "lead_professional": TEXT,
    }
    row = st.tuples(*(cells[c] for c in COLUMNS)).map(list)
    if width_change < 0:
        return row.map(lambda cells: cells[:width_change])
    return row.map(lambda cells: cells + [""] * width_change)


ROWS = st.sampled_from(["police", "health", "early_help", IDENTITY_ONLY]).flatmap(
    lambda agency: st.tuples(
        st.just(agency),
        st.lists(
            st.one_of(_row(agency, 0), _row(agency, 0), _row(agency, -1), _row(agency, 1)),
            max_size=25,
        ),
    )
)


def _staged(agency: str, rows: list[list[str]], plain_path: bool) -> tuple[object, ...]:
    staged = Staged(source_kind="agency", agency=agency, creates_children=agency == IDENTITY_ONLY)
    columns = {column: index for index, column in enumerate(COLUMNS)}
    reader = _AgencyRows(staged, agency, agency, list(COLUMNS), columns, REFERENCE, True)
    copies = [list(row) for row in rows]
    counts = reader.text_rows(copies, 2) if plain_path else reader.cell_rows(copies, 2)
    return (
        counts,
        sorted(reader.rejected),
        {key: astuple(record) for key, record in staged.records.items()},
        [astuple(event) for event in staged.events],
        {key: astuple(child) for key, child in staged.children.items()},
        [astuple(issue) for issue in staged.issues],
    )


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(ROWS)
def test_plain_rows_are_staged_as_the_general_path_stages_them(case):
    agency, rows = case
    assert _staged(agency, rows, plain_path=True) == _staged(agency, rows, plain_path=False)


def test_the_comparison_sees_a_difference(monkeypatch):
    """The comparison is not vacuous: a plain row takes the plain path (the general one is
    never called for it), and different rows stage differently."""
    row = ["r1", "P1", "", "", "", "Ann", "Lee", "01/01/2015", "F", "", "", "01/10/2026", ""]
    row += ["missing_episode", "", ""]
    other = [*row[:11], "02/10/2026", *row[12:]]
    assert _staged("police", [row], plain_path=True) != _staged("police", [other], True)
    assert _staged("police", [row], plain_path=True)[3]  # the row was staged as an event
    general = []
    original = _AgencyRows.row

    def counted(reader, raw, number):
        general.append(number)
        return original(reader, raw, number)

    monkeypatch.setattr(_AgencyRows, "row", counted)
    _staged("police", [row, ["r2", "P2", *row[2:7], "31/02/2015", *row[8:]]], plain_path=True)
    assert general == [3]  # only the second row, whose date of birth is not a date
