"""Every page type of the demo inspection, read as an inspector reads it: nothing internal shows.

The demo authority is loaded and linked, a sample is drawn, audited (one submitted, one in
progress), chosen for second marking, and a concern is raised. Then a lead inspector, an
auditor and an admin each follow every link from the inspection's overview (one page of each
page type) and every page is checked by the rules in ``tests/web/crawl.py``. The test reports
every offending page and snippet at once.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx2

from inspection.audit.audits import create_audit, save_audit, submit_audit
from inspection.audit.concerns import raise_concern
from inspection.audit.moderation import set_plan
from inspection.audit.visibility import Viewer
from inspection.demo import load_demo_evidence
from inspection.invitations import invite_user
from inspection.models import SampleMember, User
from inspection.models.core import Role
from inspection.overview import inspection_overview
from inspection.web.app import create_app
from tests.audit.helpers import ALL_GOOD
from tests.web.conftest import PASSWORD, make_inspection, make_user, member
from tests.web.crawl import DOWNLOADS, LEAD_PAGES, Offence, draw_children_in_need, links, offences

SEED = "5eed" * 16
AUDITOR_PAGES = {
    "/inspections/{id}",
    "/inspections/{id}/children/{id}",
    "/inspections/{id}/audits",
    "/inspections/{id}/audits/{id}",
    "/inspections/{id}/concerns",
    "/inspections/{id}/concerns/{id}",
    "/inspections/{id}/findings",
}
ADMIN_PAGES = {
    "/admin/access-log",
    "/admin/authorities",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{id}",
    "/admin/users/{id}/deactivate",
    "/inspections",
    "/inspections/new",
    "/invitations/{token}",
}


def page_type(path: str) -> str:
    path = re.sub(r"^/invitations/[^/]+$", "/invitations/{token}", path)
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


async def crawl(
    client: httpx2.AsyncClient, start: list[str], inspection_id: int, seeds: set[str]
) -> tuple[dict[str, str], list[Offence]]:
    """Follow every same-site link from ``start``, one page per page type."""
    visited: dict[str, str] = {}
    found: list[Offence] = []
    queue = list(start)
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        kind = page_type(path)
        if kind in visited:
            continue
        visited[kind] = url
        response = await client.get(url)
        if response.status_code != 200:
            found.append(Offence(url, "not a page", f"status {response.status_code}"))
            continue
        found.extend(offences(url, response.text, seeds))
        for href in links(response.text):
            target = urlsplit(href)
            if target.scheme or target.netloc or not target.path.startswith("/"):
                continue
            inside = target.path.startswith(f"/inspections/{inspection_id}")
            if not (inside or target.path.startswith("/admin")):
                continue
            if DOWNLOADS.search(target.path):
                continue
            queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return visited, found


async def _signed_in(db, email: str) -> httpx2.AsyncClient:
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=create_app(db, manage_database=False)),
        base_url="http://testserver",
    )
    response = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return client


async def demo_inspection_with_audits(db):
    """The demo authority with a sample, two audits, a second-marking plan and a concern."""
    lead = await make_user("lead@crawl.example", Role.LEAD_INSPECTOR)
    auditor = await make_user("auditor@crawl.example", Role.LA_AUDITOR)
    await make_user("admin@crawl.example", Role.ADMIN)
    inspection = await make_inspection("Demoshire crawl", "DEMO")
    await member(inspection, lead)
    await member(inspection, auditor)
    await load_demo_evidence(inspection, lead, db)
    sample = await draw_children_in_need(inspection.id, lead, SEED)
    members = await SampleMember.filter(sample_id=sample.id, status="selected").order_by("order")
    submitted = await create_audit(inspection.id, members[0].id, auditor)
    await submit_audit(inspection.id, submitted.id, auditor, Role.LA_AUDITOR, 1, ALL_GOOD)
    draft = await create_audit(inspection.id, members[1].id, auditor)
    await save_audit(
        inspection.id, draft.id, auditor, Role.LA_AUDITOR, 1, {"strengths": "Seen alone."}
    )
    await raise_concern(
        inspection.id, submitted.id, auditor, Role.LA_AUDITOR, "Bruising seen on a home visit."
    )
    await set_plan(inspection.id, sample.id, 0.5, True, lead)
    return inspection, sample


async def test_no_page_of_the_demo_shows_anything_internal(db):
    inspection, sample = await demo_inspection_with_audits(db)
    # an invited person, not yet signed in: the admin's users list links to them
    link = await invite_user("new.person@crawl.example", "Nia Newcomer", "inspector", None)
    start = [f"/inspections/{inspection.id}"]
    seeds = {sample.seed}
    report: list[Offence] = []
    reached: dict[str, set[str]] = {}
    for email, required, first in (
        ("lead@crawl.example", LEAD_PAGES, start),
        ("auditor@crawl.example", AUDITOR_PAGES, start),
        (
            "admin@crawl.example",
            ADMIN_PAGES,
            [
                "/admin/access-log",
                "/inspections",
                "/inspections/new",
                link.path,
                f"/admin/users/{link.user.id}/deactivate",
                *start,
            ],
        ),
    ):
        client = await _signed_in(db, email)
        try:
            visited, found = await crawl(client, first, inspection.id, seeds)
        finally:
            await client.aclose()
        reached[email] = set(visited)
        report.extend(Offence(f"{email} {o.url}", o.rule, o.snippet) for o in found)
        missing = required - set(visited)
        assert not missing, f"{email} did not reach {sorted(missing)}"
    listing = "\n".join(str(o) for o in report)
    assert report == [], f"{len(report)} internal things on screen:\n{listing}"


async def _tasks(inspection_id: int, user, role: Role) -> list[tuple[str, str, str, str]]:
    overview = await inspection_overview(inspection_id, Viewer(user, role))
    return [(t.title, t.status.value, t.summary, t.next_step) for t in overview.tasks]


async def test_task_list_of_a_fresh_inspection(db):
    lead = await make_user("lead@fresh.example", Role.LEAD_INSPECTOR)
    inspection = await make_inspection("Fresh", "FR1")
    await member(inspection, lead)
    assert await _tasks(inspection.id, lead, Role.LEAD_INSPECTOR) == [
        (
            "Set up and team",
            "In progress",
            "1 person in the team, no auditor yet",
            "Add the inspectors and auditors to the team",
        ),
        ("Evidence", "Not started", "No files loaded", "Upload the authority's Annex A workbook"),
        ("Linkage review", "Cannot start yet", "Load evidence first", ""),
        ("Samples", "Cannot start yet", "Load evidence first", ""),
        ("Audits", "Cannot start yet", "Draw a sample first", ""),
        ("Moderation", "Cannot start yet", "Submit an audit first", ""),
        ("Findings", "Cannot start yet", "Submit an audit first", ""),
        ("Exports", "Cannot start yet", "Load evidence first", ""),
    ]
    client = await _signed_in(db, "lead@fresh.example")
    try:
        page = (await client.get(f"/inspections/{inspection.id}")).text
    finally:
        await client.aclose()
    assert re.search(
        r'<p class="govuk-body" id="next-step">Next: <a class="govuk-link" '
        rf'href="/inspections/{inspection.id}#team">'
        "Add the inspectors and auditors to the team</a>",
        page,
    )
    assert 'id="open-concerns">Open concerns about children: 0</p>' in page


async def test_task_list_of_the_demo_inspection(db):
    inspection, _sample = await demo_inspection_with_audits(db)
    lead = await User.get(email="lead@crawl.example")
    auditor = await User.get(email="auditor@crawl.example")
    expected_lead = [
        ("Set up and team", "Completed", "2 people in the team", ""),
        ("Evidence", "Completed", "8 files loaded, 0 warnings to read", ""),
        (
            "Linkage review",
            "Not started",
            "1 pair waiting for a decision, 0 decided",
            "Decide the pairs waiting for a decision",
        ),
        ("Samples", "Completed", "1 sample of 6 children", ""),
        ("Audits", "In progress", "1 of 6 audits submitted", "Finish the audits in progress"),
        (
            "Moderation",
            "In progress",
            "0 of 3 second markings submitted",
            "Second-mark the children chosen",
        ),
        ("Findings", "In progress", "Figures from 1 submitted audit", "Read the findings so far"),
        (
            "Exports",
            "Not started",
            "Nothing exported yet",
            "Make the workbook or an offline audit pack",
        ),
    ]
    assert await _tasks(inspection.id, lead, Role.LEAD_INSPECTOR) == expected_lead
    # the auditor counts what the auditor may see: the same here (no blind second marking yet)
    assert await _tasks(inspection.id, auditor, Role.LA_AUDITOR) == expected_lead
    client = await _signed_in(db, "auditor@crawl.example")
    try:
        page = (await client.get(f"/inspections/{inspection.id}")).text
    finally:
        await client.aclose()
    # an auditor may not open moderation: the task is listed without a link
    assert "<div>Moderation</div>" in page
    assert f'href="/inspections/{inspection.id}/moderation"' not in page
    assert 'id="open-concerns">Open concerns about children: <a class="govuk-link"' in page


NAVIGATION_TITLES = [
    "Overview",
    "Evidence",
    "Children",
    "Samples",
    "Tracked cases",
    "Audits",
    "Moderation",
    "Findings",
    "Concerns",
    "Actions",
    "Exports",
]


async def test_every_inspection_page_has_the_service_navigation_and_a_way_back(db):
    inspection, sample = await demo_inspection_with_audits(db)
    client = await _signed_in(db, "lead@crawl.example")
    try:
        visited, _ = await crawl(client, [f"/inspections/{inspection.id}"], inspection.id, set())
        checked = 0
        for kind, url in sorted(visited.items()):
            if not kind.startswith("/inspections/{id}"):
                continue
            html = (await client.get(url)).text
            nav = re.search(
                r'<nav aria-label="Inspection" class="govuk-service-navigation__wrapper">'
                r"(.*?)</nav>",
                html,
                re.S,
            )
            assert nav, url
            titles = re.findall(
                r'<a class="govuk-service-navigation__link"[^>]*>(?:<strong[^>]*>)?([^<]+)<',
                nav.group(1),
            )
            assert titles == NAVIGATION_TITLES, url
            current = re.findall(r'aria-current="(page|true)"><strong[^>]*>([^<]+)<', nav.group(1))
            section = kind.split("/")[3] if kind.count("/") >= 3 else ""
            expected = {
                "": "Overview",
                "members": "Overview",
                "instrument": "Overview",
                "linkage": "Children",
                "tracked": "Tracked cases",
                "reaudits": "Audits",
                "self-evaluation": "Findings",
            }.get(section, section.title())
            assert [title for _, title in current] == [expected], url
            assert 'class="govuk-breadcrumbs"' in html or 'class="govuk-back-link"' in html, url
            checked += 1
        assert checked == len([k for k in visited if k.startswith("/inspections/{id}")]) >= 17
    finally:
        await client.aclose()


def test_the_crawl_rules_catch_an_object_named_by_its_id():
    found = offences("/inspections/1/audits/12", "<h1>Audit 12</h1><p>Concern 4</p>", set())
    assert [(o.rule, o.snippet) for o in found] == [
        ("object named by its id", "Audit 12"),
        ("object named by its id", "Concern 4"),
    ]
    command = "<p>inspection sample verify --inspection 1 --sample 3</p>"
    assert offences("/inspections/1/samples/3", command, set()) == []
