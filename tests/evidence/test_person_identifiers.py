"""Every identifier a source gives for a person is kept in one table, with the record and upload
it came from and whether it passes its check; linkage joins records only by the ones that pass;
the journey page, the chronology and pseudonymised exports read them from there."""

from __future__ import annotations

import re
from datetime import date

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.evidence.identifiers import Scheme
from inspection.evidence.load import import_file
from inspection.evidence.staged import IdentifierFacts
from inspection.export.identities import hidden_in
from inspection.inspections import add_member
from inspection.journey.linkage import link_inspection
from inspection.journey.person_ids import child_identifiers
from inspection.models import Child, PersonIdentifier, SourceRecord, ValidationIssue
from inspection.web.app import create_app
from tests.evidence.helpers import make_inspection
from tests.evidence.workbooks import write_workbook
from tests.journey import factory as f

PASSWORD = "correct horse battery"

# C1 gives a UPN that passes its check and a former UPN that does not; C2 no UPN, with the
# census's reason; C3 a reason the census does not have.
CENSUS = (
    '<?xml version="1.0" encoding="utf-8"?><Message><Children>'
    "<Child><ChildIdentifiers><LAchildID>C1</LAchildID><UPN>A123456789012</UPN>"
    "<FormerUPN>B123456789012</FormerUPN><PersonBirthDate>2015-03-04</PersonBirthDate>"
    "<Sex>F</Sex></ChildIdentifiers>"
    "<CINdetails><CINreferralDate>2024-01-10</CINreferralDate></CINdetails></Child>"
    "<Child><ChildIdentifiers><LAchildID>C2</LAchildID><UPNunknown>UN1</UPNunknown>"
    "<PersonBirthDate>2022-05-06</PersonBirthDate><Sex>M</Sex></ChildIdentifiers>"
    "<CINdetails><CINreferralDate>2024-02-10</CINreferralDate></CINdetails></Child>"
    "<Child><ChildIdentifiers><LAchildID>C3</LAchildID><UPNunknown>UN99</UPNunknown>"
    "<PersonBirthDate>2021-05-06</PersonBirthDate><Sex>M</Sex></ChildIdentifiers>"
    "<CINdetails><CINreferralDate>2024-03-10</CINreferralDate></CINdetails></Child>"
    "</Children></Message>"
)
HEADER = (
    "record_id,person_id,nhs_number,upn,la_child_id,given_name,family_name,date_of_birth,sex,"
    "postcode,address,event_date,event_end_date,event_type,details,lead_professional\n"
)
POLICE = HEADER + (
    "R1,P1,943 476 5919,,,Amy,Jones,01/01/2012,F,,,05/02/2026,,domestic_abuse_notification,,\n"
    "R2,P2,9434765918,A990123456789,C9,Bo,Lee,01/01/2013,F,,,05/02/2026,,"
    "domestic_abuse_notification,,\n"
)


async def _kept(upload_id: int) -> list[tuple[str, str, str, bool | None]]:
    """The identifiers an upload gave: whose (the record's person id), scheme, value, check."""
    rows = (
        await PersonIdentifier.filter(upload_id=upload_id)
        .order_by("record_id", "id")
        .values("record__person_id", "scheme", "value", "valid")
    )
    return [(r["record__person_id"], r["scheme"], r["value"], r["valid"]) for r in rows]


async def test_a_census_keeps_each_childs_identifiers_with_the_verdict_of_their_check(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "cin.xml"
    path.write_text(CENSUS)
    summary = await import_file(inspection.id, path, "cin-census", None, db)
    assert await _kept(summary.upload_id) == [
        ("C1", "la_child_id", "C1", None),
        ("C1", "upn", "A123456789012", True),
        ("C1", "former_upn", "B123456789012", False),
        ("C2", "la_child_id", "C2", None),
        ("C3", "la_child_id", "C3", None),
    ]
    issues = await ValidationIssue.filter(upload_id=summary.upload_id).order_by("id")
    assert [(i.rule, i.source_row, i.column, i.value, i.message) for i in issues] == [
        (
            "invalid_identifier",
            1,
            "FormerUPN",
            "B123456789012",
            "'B123456789012' is not a valid former unique pupil number (UPN): its check letter "
            "should be A, not B. It was kept as given, but it is not used to link this "
            "person's records to a child.",
        ),
        (
            "unknown_code",
            3,
            "UPNunknown",
            "UN99",
            "<UPNunknown> 'UN99' is not one of the census's reasons for having no UPN (UN1 to "
            "UN7); it was left out.",
        ),
    ]
    c2 = await Child.get(inspection_id=inspection.id, la_child_id="C2")
    c3 = await Child.get(inspection_id=inspection.id, la_child_id="C3")
    assert (c2.attributes.get("upn_unknown"), c3.attributes.get("upn_unknown")) == ("UN1", None)
    assert (await child_identifiers(inspection.id, c2.id)).upn_unknown == (
        "Aged under 6 and not yet given a UPN"
    )


async def test_an_annex_a_workbook_keeps_each_childs_authority_id(db, tmp_path):
    inspection = await make_inspection()
    rows = [
        ["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"],
        ["C2", "F", "WBRI", "01/01/2016", 10, "02/10/2026", "Police"],
    ]
    summary = await import_file(
        inspection.id, write_workbook(tmp_path / "a.xlsx", {1: rows}), "annex-a", None, db
    )
    assert await _kept(summary.upload_id) == [
        ("C1", "la_child_id", "C1", None),
        ("C2", "la_child_id", "C2", None),
    ]


async def test_an_agency_extract_keeps_every_identifier_and_a_newer_one_replaces_them(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "police.csv"
    path.write_text(POLICE)
    first = await import_file(inspection.id, path, "agency", "police", db)
    assert await _kept(first.upload_id) == [
        ("P1", "nhs_number", "943 476 5919", True),
        ("P1", "police_id", "P1", None),
        ("P2", "la_child_id", "C9", None),
        ("P2", "nhs_number", "9434765918", False),
        ("P2", "upn", "A990123456789", False),
        ("P2", "police_id", "P2", None),
    ]
    # A newer extract from the police supersedes the first: its identifiers go with its records.
    path.write_text(POLICE.replace("R2,P2,9434765918,A990123456789,C9", "R2,P2,,,"))
    second = await import_file(inspection.id, path, "agency", "police", db)
    assert second.superseded == [first.upload_id]
    assert await _kept(first.upload_id) == []
    assert await _kept(second.upload_id) == [
        ("P1", "nhs_number", "943 476 5919", True),
        ("P1", "police_id", "P1", None),
        ("P2", "police_id", "P2", None),
    ]


async def _two_people(extra: str) -> tuple[SourceRecord, SourceRecord]:
    """A known child's social care record with an NHS number, and a police record of someone
    else entirely that gives the same NHS number only as a further identifier."""
    insp = await f.inspection()
    sc = await f.upload(insp, "social_care.csv", "social_care")
    police = await f.upload(insp, "police.csv", "police")
    known = await f.record(
        insp, sc, "social_care", "S1", "Thomas", "Smith", date(2015, 4, 3), "M", "XS1 2AB",
        la_child_id="LA1", nhs=extra,
    )  # fmt: skip
    other = await f.record(
        insp, police, "police", "PP9", "Olivia", "Jones", date(2011, 9, 30), "F", "XS9 9ZZ",
        identifiers=(IdentifierFacts(Scheme.NHS_NUMBER, extra),),
    )  # fmt: skip
    await link_inspection(insp.id)
    return await SourceRecord.get(id=known.id), await SourceRecord.get(id=other.id)


async def test_linkage_joins_records_by_an_identifier_kept_in_the_table_that_passes(db):
    known, other = await _two_people("943 476 5919")
    assert other.nhs_number == ""  # the record's own column is blank: the table gave it
    assert (other.child_id, other.link_method) == (known.child_id, "nhs_number")


async def test_linkage_never_joins_records_by_an_identifier_that_fails_its_check(db):
    known, other = await _two_people("9434765918")
    assert other.child_id is not None and other.child_id != known.child_id
    assert other.link_method != "nhs_number"


async def test_a_pseudonymised_export_hides_an_identifier_only_the_table_holds(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "cin.xml"
    path.write_text(CENSUS)
    await import_file(inspection.id, path, "cin-census", None, db)
    assert not await SourceRecord.filter(upn="B123456789012").exists()
    hidden = await hidden_in(inspection.id, ["Her old UPN B123456789012 was on the file."])
    assert hidden["b123456789012"] == "[id]"


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


async def test_the_journey_and_chronology_show_identifiers_in_words(client, db, tmp_path):
    inspection = await make_inspection()
    user = await create_user("inspector@example.org", "Ina Spector", "inspector", PASSWORD)
    await add_member(inspection, user, "inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    path = tmp_path / "cin.xml"
    path.write_text(CENSUS)
    await import_file(inspection.id, path, "cin-census", None, db, filename="census.xml")
    c1 = await Child.get(inspection_id=inspection.id, la_child_id="C1")
    c2 = await Child.get(inspection_id=inspection.id, la_child_id="C2")
    page = _text((await client.get(f"/inspections/{inspection.id}/children/{c1.id}")).text)
    assert (
        "Identifiers Every identifier the sources give for this child, as each gave it. One "
        "that does not pass its check is shown but is not used to link records. "
        "Identifiers given for this child Kind of identifier Identifier Given by Held Check "
        "Local authority's child id C1 Children's social care (census.xml) Dates not recorded "
        "No check is known "
        "Unique pupil number (UPN) A123456789012 Children's social care (census.xml) "
        "Dates not recorded Passes the check "
        "Former unique pupil number (UPN) B123456789012 Children's social care (census.xml) "
        "Dates not recorded Does not pass the check"
    ) in page
    page = _text((await client.get(f"/inspections/{inspection.id}/children/{c2.id}")).text)
    assert "No unique pupil number (UPN): Aged under 6 and not yet given a UPN." in page
    chronology = _text(
        (await client.get(f"/inspections/{inspection.id}/children/{c1.id}/chronology")).text
    )
    assert (
        "Identifiers: Local authority's child id C1; Unique pupil number (UPN) A123456789012; "
        "Former unique pupil number (UPN) B123456789012 (does not pass the check)." in chronology
    )
