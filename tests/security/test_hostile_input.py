"""Markup typed into any free-text field, or arriving in any imported file, is shown as text."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from xml.sax.saxutils import escape

import httpx2
import pytest_asyncio

from inspection.evidence.load import import_file
from inspection.models import Child, Upload
from inspection.models.core import Role
from inspection.settings import Settings
from inspection.web.app import create_app
from tests.evidence.workbooks import HEADERS, write_workbook
from tests.security.world import World, build_world

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RAW = ("<script>alert(1)", "<img src=x")
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;"


@pytest_asyncio.fixture
async def client(db: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest_asyncio.fixture
async def world(db: Settings) -> AsyncIterator[World]:
    w = await build_world(text=HOSTILE, user_name=HOSTILE)
    yield w


async def _page(client: httpx2.AsyncClient, world: World, path: str, role: Role) -> str:
    response = await client.get(path, headers=world.headers(role))
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["content-type"].startswith("text/html"), path
    for raw in RAW:
        assert raw not in response.text, (path, raw)
    return response.text


async def test_every_free_text_field_is_escaped_on_every_page(client, world):
    own = world.own
    i = f"/inspections/{own.inspection_id}"
    # page -> what hostile text it shows (each field appears on at least one page)
    pages = {
        "/inspections": "inspection title, user name",
        i: "inspection title",
        f"{i}/evidence": "user name (uploaded by)",
        f"{i}/evidence/uploads/{own.upload_id}": "imported value in a validation issue",
        f"{i}/evidence/jobs/{own.job_id}": "import error",
        f"{i}/children": "team",
        f"{i}/children/{own.child_id}": "team and worker, event attributes",
        f"{i}/children/{own.child_id}/chronology": "team and worker",
        f"{i}/linkage": "link decision reason",
        f"{i}/samples": "sample purpose",
        f"{i}/samples/{own.sample_id}": "replacement reason",
        f"{i}/audits": "auditor name",
        f"{i}/audits/{own.audit_id}": "evidence, strengths, improvements",
        f"{i}/audits/{own.draft_audit_id}": "evidence in the form fields",
        f"{i}/moderation": "moderation reason, evidence",
        f"{i}/concerns": "concern text",
        f"{i}/concerns/{own.concern_id}": "concern text and response",
        f"{i}/exports": "sample purpose",
    }
    shown = []
    for path in pages:
        text = await _page(client, world, path, Role.LEAD_INSPECTOR)
        if ESCAPED in text:
            shown.append(path)
    assert sorted(shown) == sorted(pages)
    log = await _page(client, world, "/admin/access-log", Role.ADMIN)
    assert ESCAPED in log  # the user's name in each entry


async def test_fields_typed_through_the_forms_are_escaped(client, world):
    own = world.own
    i = f"/inspections/{own.inspection_id}"
    lead = world.headers(Role.LEAD_INSPECTOR, **{"sec-fetch-site": "same-origin"})
    created = await client.post(
        "/inspections",
        data={
            "la": "E01",
            "kind": "jtai",
            "title": HOSTILE,
            "reference-day": "20",
            "reference-month": "11",
            "reference-year": "2026",
        },
        headers=lead,
    )
    assert created.status_code == 303
    assert ESCAPED in await _page(client, world, created.headers["location"], Role.LEAD_INSPECTOR)
    # A refused form shows what was typed back, escaped.
    search = await client.post(f"{i}/children", data={"q": HOSTILE}, headers=lead)
    assert search.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in search.text
    assert RAW[0] not in search.text
    again = await client.post(
        "/inspections",
        data={"la": HOSTILE, "kind": "jtai", "title": HOSTILE, "reference-day": "no"},
        headers=lead,
    )
    assert again.status_code == 400
    assert ESCAPED in again.text and RAW[0] not in again.text
    concern = await client.post(
        f"{i}/audits/{own.audit_id}/concerns", data={"text": HOSTILE}, headers=lead
    )
    assert concern.status_code == 303
    assert ESCAPED in await _page(client, world, concern.headers["location"], Role.LEAD_INSPECTOR)


CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message><Children><Child>
<ChildIdentifiers><LAchildID>CIN-1</LAchildID><UPN>{v}</UPN>
<PersonBirthDate>2015-03-04</PersonBirthDate><Sex>{v}</Sex></ChildIdentifiers>
<ChildCharacteristics><Ethnicity>{v}</Ethnicity></ChildCharacteristics>
<CINdetails><CINreferralDate>2024-01-10</CINreferralDate><ReferralSource>{v}</ReferralSource>
<PrimaryNeedCode>{v}</PrimaryNeedCode><ReasonForClosure>{v}</ReasonForClosure>
</CINdetails></Child></Children></Message>
"""


async def _import_hostile_files(world: World, settings: Settings, tmp: Path) -> dict[str, int]:
    inspection_id = world.own.inspection_id
    user = world.users[Role.LEAD_INSPECTOR]
    l6 = HEADERS[6]
    row = {h: "" for h in l6}
    row.update(
        {
            "Child Unique ID": "A-1",
            "Gender": HOSTILE,
            "Date of Birth": "01/02/2015",
            "CIN Start Date": "01/06/2026",
            "Primary Need Code": HOSTILE,
            "Allocated Team": HOSTILE,
            "Allocated Worker": HOSTILE,
        }
    )
    annex = write_workbook(tmp / "annex_a.xlsx", {6: [[row[h] for h in l6]]})
    agency = tmp / "agency.csv"
    agency.write_text(
        "record_id,person_id,given_name,family_name,date_of_birth,address,event_date,"
        "event_type,details,lead_professional\n"
        f'R1,P1,"{HOSTILE}","{HOSTILE}",01/02/2015,"{HOSTILE}",02/06/2026,'
        f'"{HOSTILE}","{HOSTILE}","{HOSTILE}"\n',
        encoding="utf-8",
    )
    census = tmp / "cin.xml"
    census.write_text(CENSUS.format(v=escape(HOSTILE)), encoding="utf-8")
    uploads = {}
    for name, path, kind, agency_name in (
        ("annex", annex, "annex-a", None),
        ("agency", agency, "agency", HOSTILE),
        ("census", census, "cin-census", None),
    ):
        summary = await import_file(
            inspection_id, path, kind, agency_name, settings, uploaded_by=user
        )
        uploads[name] = summary.upload_id
    return uploads


async def test_imported_values_are_escaped(client, world, db, tmp_path):
    uploads = await _import_hostile_files(world, db, tmp_path)
    i = f"/inspections/{world.own.inspection_id}"
    annex_child = await Child.get(inspection_id=world.own.inspection_id, la_child_id="A-1")
    census_child = await Child.get(inspection_id=world.own.inspection_id, la_child_id="CIN-1")
    agency_upload = await Upload.get(id=uploads["agency"])
    assert agency_upload.agency  # the agency's name, as typed, is kept
    pages = [
        f"{i}/evidence",
        f"{i}/children",
        f"{i}/children/{annex_child.id}",
        f"{i}/children/{annex_child.id}/chronology",
        f"{i}/children/{census_child.id}",
        f"{i}/linkage",
        *(f"{i}/evidence/uploads/{u}" for u in uploads.values()),
    ]
    shown = [p for p in pages if ESCAPED in await _page(client, world, p, Role.LEAD_INSPECTOR)]
    # Every page names something hostile: the team, worker, agency, details or a flagged value.
    assert shown == pages
