"""A child's death, from the CIN census, is shown wherever the child appears: at the top of the
journey and the chronology, in the children list, on the sample and the audits board, and in
the workbook's sample sheet."""

from datetime import date

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.cli.journey import journey_document
from inspection.evidence.load import import_file
from inspection.inspections import add_member
from inspection.journey.build import journey_for_child
from inspection.models import Child, ValidationIssue
from inspection.sampling.service import draw_sample, sample_document
from inspection.web.app import create_app
from tests.evidence.helpers import make_inspection

PASSWORD = "correct horse battery"
CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message><Children>
<Child><ChildIdentifiers><LAchildID>100001</LAchildID>
<PersonBirthDate>2015-03-04</PersonBirthDate>{died}<Sex>F</Sex></ChildIdentifiers>
<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
<CINdetails><CINreferralDate>2024-01-10</CINreferralDate><ReferralSource>6</ReferralSource>
<PrimaryNeedCode>N1</PrimaryNeedCode></CINdetails></Child>
</Children></Message>
"""
WARNING = "This child died on 02/08/2025 (the CIN census records the date of death)."


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def _load(db, tmp_path, died: str):
    inspection = await make_inspection()
    path = tmp_path / "cin.xml"
    path.write_text(CENSUS.replace("{died}", died))
    summary = await import_file(inspection.id, path, "cin-census", None, db)
    return inspection, summary, await Child.get(inspection_id=inspection.id, la_child_id="100001")


async def test_the_census_date_of_death_is_the_childs_and_shown_everywhere(db, client, tmp_path):
    inspection, _, child = await _load(
        db, tmp_path, "<PersonDeathDate>2025-08-02</PersonDeathDate>"
    )
    assert child.death_date == date(2025, 8, 2)
    user = await create_user("lead@example.org", "Lee Dinspector", "lead_inspector", PASSWORD)
    await add_member(inspection, user, "lead_inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    base = f"/inspections/{inspection.id}"

    journey = (await client.get(f"{base}/children/{child.id}")).text
    assert WARNING in journey
    assert 'Date of death</dt><dd class="govuk-summary-list__value">02/08/2025' in journey
    chronology = (await client.get(f"{base}/children/{child.id}/chronology")).text
    assert WARNING in chronology
    children = (await client.get(f"{base}/children")).text
    assert '<strong class="govuk-tag govuk-tag--grey">Died 02/08/2025</strong>' in children

    sample = await draw_sample(inspection.id, {}, size=1, seed="ab" * 32)
    document = await sample_document(inspection.id, sample.id)
    (member,) = document["members"]
    assert member["died"] == date(2025, 8, 2)
    page = (await client.get(f"{base}/samples/{sample.id}")).text
    assert '<strong class="govuk-tag govuk-tag--grey">Died 02/08/2025</strong>' in page
    board = (await client.get(f"{base}/audits")).text
    assert '<strong class="govuk-tag govuk-tag--grey">Died 02/08/2025</strong>' in board

    doc = journey_document(await journey_for_child(inspection.id, child.id), {})
    assert doc["child"]["death_date"] == date(2025, 8, 2)


async def test_a_living_child_has_no_death_shown(db, client, tmp_path):
    inspection, _, child = await _load(db, tmp_path, "")
    assert child.death_date is None
    user = await create_user("lead@example.org", "Lee Dinspector", "lead_inspector", PASSWORD)
    await add_member(inspection, user, "lead_inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    journey = (await client.get(f"/inspections/{inspection.id}/children/{child.id}")).text
    assert "died on" not in journey and "Date of death" not in journey
    children = (await client.get(f"/inspections/{inspection.id}/children")).text
    assert "Died " not in children


async def test_a_death_before_birth_is_a_warning(db, tmp_path):
    _, summary, child = await _load(db, tmp_path, "<PersonDeathDate>2014-01-01</PersonDeathDate>")
    (issue,) = await ValidationIssue.filter(upload_id=summary.upload_id, rule="cin_8535Q")
    assert (issue.severity, issue.column, issue.message) == (
        "warning",
        "PersonDeathDate",
        "The child's date of death 01/01/2014 is before their date of birth 04/03/2015 (CIN "
        "census rule 8535Q); both were loaded as given.",
    )
    assert child.death_date == date(2014, 1, 1)
