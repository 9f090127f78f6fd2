"""The Run linkage button on the linkage review page."""

from __future__ import annotations

import re
from datetime import date

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.inspections import add_member
from inspection.models import AccessLog, Job, JobKind, LinkDecision, SourceRecord
from inspection.web.app import create_app
from tests.journey import factory as f

PASSWORD = "correct horse battery"


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


async def _records(role: str):
    insp = await f.inspection()
    user = await create_user(f"{role}@example.org", "Ina Spector", role, PASSWORD)
    await add_member(insp, user, role)
    sc_up = await f.upload(insp, "social_care.csv", "social_care")
    police_up = await f.upload(insp, "police.csv", "police")
    await f.record(
        insp,
        sc_up,
        "social_care",
        "LA1",
        "Oliver",
        "Brown",
        date(2014, 5, 6),
        "M",
        "XS1 1AA",
        la_child_id="LA1",
    )
    await f.record(
        insp, police_up, "police", "PP1", "Oliver", "Brown", date(2014, 5, 6), "M", "XS1 1AA"
    )
    await f.record(insp, police_up, "police", "PP2", "Oliver", "Brown", None, "", "XS1 1BB")
    return insp, user


async def test_run_linkage_links_and_shows_the_counts(client):
    insp, user = await _records("inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = await client.get(f"/inspections/{insp.id}/linkage")
    assert f'action="/inspections/{insp.id}/linkage/run"' in page.text
    response = await client.post(f"/inspections/{insp.id}/linkage/run")
    assert response.status_code == 303
    job = await Job.get(inspection_id=insp.id, kind=JobKind.LINKAGE)
    assert response.headers["location"] == f"/inspections/{insp.id}/linkage/jobs/{job.token}"
    await client.app.state.jobs.idle()  # the worker of this process ran it
    done = await client.get(response.headers["location"], headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.text
    assert (
        "3 records are now 2 children: 0 joined by a shared identifier, 1 joined "
        "automatically by match probability, 1 pair waiting for a decision."
    ) in done.text
    location = re.search(r'href="([^"]+/linkage\?[^"]+)"', done.text).group(1)
    assert location == (
        f"/inspections/{insp.id}/linkage?records=3&amp;children=2&amp;deterministic_links=0"
        "&amp;auto_linked=1&amp;for_review=1"
    )
    location = location.replace("&amp;", "&")
    children = dict(
        await SourceRecord.filter(inspection_id=insp.id).values_list("person_id", "child_id")
    )
    assert children["PP1"] == children["LA1"] != children["PP2"]
    assert await LinkDecision.filter(inspection_id=insp.id, decision="pending").count() == 1
    page = await client.get(location)
    assert "3 records are now 2 children." in page.text
    assert "0 joined by a shared identifier, 1 joined automatically" in page.text
    assert "1 pair waiting for a decision." in page.text
    assert "Waiting for a decision (1)" in page.text
    log = await AccessLog.filter(action="link-run").values("user_id", "inspection_id")
    assert log == [{"user_id": user.id, "inspection_id": insp.id}]


async def test_a_viewer_cannot_run_linkage(client):
    insp, user = await _records("qa_viewer")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = await client.get(f"/inspections/{insp.id}/linkage")
    assert "/linkage/run" not in page.text
    response = await client.post(f"/inspections/{insp.id}/linkage/run")
    assert response.status_code == 404
    assert await SourceRecord.filter(inspection_id=insp.id, child_id=None).count() == 3
