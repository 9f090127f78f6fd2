"""An unborn child (an expected date of birth, no date of birth yet) is a child in their own
right: loaded, listed as unborn with the expected date, and their journey says so."""

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.evidence.load import import_file
from inspection.inspections import add_member
from inspection.models import Child, ValidationIssue
from inspection.web.app import create_app
from tests.evidence.helpers import make_inspection

PASSWORD = "correct horse battery"
CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message><Children>
<Child><ChildIdentifiers><LAchildID>200001</LAchildID>
<ExpectedPersonBirthDate>2027-01-10</ExpectedPersonBirthDate><Sex>U</Sex></ChildIdentifiers>
<CINdetails><CINreferralDate>2026-09-01</CINreferralDate><ReferralSource>5A</ReferralSource>
<PrimaryNeedCode>N1</PrimaryNeedCode></CINdetails></Child>
</Children></Message>
"""


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def test_an_unborn_child_is_listed_as_unborn_and_their_journey_says_so(db, client, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "cin.xml"
    path.write_text(CENSUS)
    summary = await import_file(inspection.id, path, "cin-census", None, db)
    child = await Child.get(inspection_id=inspection.id, la_child_id="200001")
    assert child.dob is None and child.attributes["expected_birth"] == "2027-01-10"
    rules = await ValidationIssue.filter(upload_id=summary.upload_id).values_list("rule", flat=True)
    assert "after_reference_date" not in rules  # an expected birth is in the future by nature
    user = await create_user("lead@example.org", "Lee Dinspector", "lead_inspector", PASSWORD)
    await add_member(inspection, user, "lead_inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    children = (await client.get(f"/inspections/{inspection.id}/children")).text
    assert '<td class="govuk-table__cell">Unborn (expected 10/01/2027)</td>' in children
    journey = (await client.get(f"/inspections/{inspection.id}/children/{child.id}")).text
    assert "Not yet born: expected 10/01/2027" in journey
