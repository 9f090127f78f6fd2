"""Administration in the browser: the access log, local authorities, invitations, memberships and
deactivation, each change written to the access log."""

import hashlib
import re
from datetime import UTC, datetime, timedelta

import httpx2
import pytest

from inspection.inspections import add_member
from inspection.invitations import INVITATION_PATH
from inspection.models import (
    AccessLog,
    Child,
    Inspection,
    Invitation,
    LocalAuthority,
    Membership,
    Session,
    User,
)
from inspection.models.core import Role
from inspection.uk_time import uk_datetime
from inspection.web.app import create_app
from tests.web.conftest import PASSWORD, make_inspection, make_user, member, sign_in

NEW_PASSWORD = "a password of my own"
LINK = re.compile(
    r'<code id="password-link" class="app-break">http://testserver(/invitations/[^<]+)</code>'
)


def _client(db) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=create_app(db, manage_database=False)),
        base_url="http://testserver",
    )


def _text(html: str) -> str:
    """The page's words, tags dropped and spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def _log(action: str) -> list[dict]:
    return await AccessLog.filter(action=action).values(
        "user_email", "inspection_id", "object_type", "object_id", "detail"
    )


async def _admin(app_client) -> User:
    admin = await make_user("admin@example.org", "admin")
    await sign_in(app_client, "admin@example.org")
    return admin


ADMIN_ROUTES = [
    ("GET", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/{id}"),
    ("POST", "/admin/users/{id}/password-link"),
    ("GET", "/admin/users/{id}/deactivate"),
    ("POST", "/admin/users/{id}/deactivate"),
    ("POST", "/admin/users/{id}/reactivate"),
    ("POST", "/admin/users/{id}/memberships"),
    ("POST", "/admin/users/{id}/memberships/{inspection}/remove"),
    ("GET", "/admin/authorities"),
    ("POST", "/admin/authorities"),
    ("GET", "/admin/access-log"),
    ("POST", "/admin/access-log"),
    ("GET", "/admin/access-log.csv"),
]


async def test_only_admins_reach_the_administration(app_client):
    lead = await make_user("lead@example.org", "lead_inspector")
    inspection = await make_inspection()
    await add_member(inspection, lead, Role.LEAD_INSPECTOR)
    await sign_in(app_client, "lead@example.org")
    for method, path in ADMIN_ROUTES:
        url = path.format(id=lead.id, inspection=inspection.id)
        response = await app_client.request(method, url, data={"name": "X", "code": "X"})
        assert response.status_code == 404, (method, url)
    assert await LocalAuthority.filter(code="X").count() == 0
    assert await User.filter(id=lead.id, active=True).count() == 1
    assert await Membership.filter(user_id=lead.id).count() == 1


async def test_admin_adds_a_local_authority(app_client):
    await _admin(app_client)
    page = await app_client.get("/admin/authorities")
    assert "There is no local authority yet." in page.text
    added = await app_client.post(
        "/admin/authorities", data={"name": " Northshire Council ", "code": "nth1"}
    )
    assert added.status_code == 303
    assert added.headers["location"] == "/admin/authorities?added=NTH1"
    page = await app_client.get(added.headers["location"])
    assert "Northshire Council was added. Create its first inspection from the table." in page.text
    row = re.search(
        r"<tr class=\"govuk-table__row\">\s*<td[^>]*>Northshire Council</td>.*?</tr>",
        page.text,
        re.S,
    )
    assert row is not None
    assert (
        _text(row.group(0))
        == "Northshire Council NTH1 0 Create an inspection for Northshire Council"
    )
    assert 'href="/inspections/new?la=NTH1"' in row.group(0)
    assert await _log("add-authority") == [
        {
            "user_email": "admin@example.org",
            "inspection_id": None,
            "object_type": "",
            "object_id": "",
            "detail": "Northshire Council (NTH1)",
        }
    ]
    # the new inspection form opens with the authority chosen
    form = await app_client.get("/inspections/new?la=NTH1")
    assert '<option value="NTH1" selected>Northshire Council</option>' in form.text


async def test_a_local_authority_needs_a_name_and_a_new_code(app_client):
    await _admin(app_client)
    await app_client.post("/admin/authorities", data={"name": "Northshire", "code": "NTH1"})
    empty = await app_client.post("/admin/authorities", data={"name": "", "code": ""})
    assert empty.status_code == 400
    assert '<li><a href="#name">Enter the local authority&#39;s name</a></li>' in empty.text
    assert '<li><a href="#code">Enter the local authority&#39;s code</a></li>' in empty.text
    again = await app_client.post("/admin/authorities", data={"name": "Other", "code": "nth1"})
    assert again.status_code == 400
    assert '<li><a href="#code">Local authority NTH1 already exists</a></li>' in again.text
    assert 'value="Other"' in again.text  # what was typed stays
    assert await LocalAuthority.all().count() == 1
    assert len(await _log("add-authority")) == 1


async def _invite(app_client, email="lena@example.org", name="Lena Lead", role="lead_inspector"):
    response = await app_client.post(
        "/admin/users", data={"name": name, "email": email, "role": role}
    )
    assert response.status_code == 200, response.text
    found = LINK.search(response.text)
    assert found, response.text
    return response, found.group(1)


async def test_an_invited_person_sets_their_own_password_once(app_client, db):
    admin = await _admin(app_client)
    response, path = await _invite(app_client)
    text = _text(response.text)
    assert "Lena Lead is invited As lead inspector" in text
    assert "Give Lena Lead this link" in text
    expires = uk_datetime(datetime.now(UTC) + timedelta(days=7), "%d/%m/%Y")
    assert re.search(
        r"The link is shown only now\. It works once, until "
        rf"{re.escape(expires)} \d\d:\d\d \(UK time\)\.",
        text,
    )
    lena = await User.get(email="lena@example.org")
    assert (lena.name, lena.role, lena.active) == ("Lena Lead", Role.LEAD_INSPECTOR, True)
    token = path.removeprefix(INVITATION_PATH)
    invitation = await Invitation.get(user_id=lena.id)
    # only the token's digest is kept, nowhere the token itself
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in lena.password_hash and token != invitation.token_hash
    assert invitation.created_by_id == admin.id
    assert await _log("invite-user") == [
        {
            "user_email": "admin@example.org",
            "inspection_id": None,
            "object_type": "user",
            "object_id": str(lena.id),
            "detail": "Lead inspector",
        }
    ]
    users = _text((await app_client.get("/admin/users")).text)
    assert "Lena Lead lena@example.org Lead inspector Invited" in users

    async with _client(db) as lena_browser:
        # no password yet: nothing signs in
        assert (await sign_in(lena_browser, "lena@example.org", "!")).status_code == 401
        form = await lena_browser.get(path)
        assert form.status_code == 200
        assert (
            "You are setting the password for Lena Lead, who signs in as lena@example.org."
            in form.text
        )
        short = await lena_browser.post(path, data={"password": "short", "confirmation": "short"})
        assert short.status_code == 400
        assert '<a href="#password">Your password must be at least 10 characters</a>' in short.text
        differ = await lena_browser.post(
            path, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD + "!"}
        )
        assert differ.status_code == 400
        assert (
            '<a href="#confirmation">The passwords do not match: type the same password twice</a>'
            in differ.text
        )
        done = await lena_browser.post(
            path, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/login?password=set"
        login = await lena_browser.get(done.headers["location"])
        assert (
            "Your password is set. Sign in with your e-mail address and your new password."
            in login.text
        )
        assert (await sign_in(lena_browser, "lena@example.org", NEW_PASSWORD)).status_code == 303
        # the link worked once
        used = await lena_browser.get(path)
        assert used.status_code == 404
        assert '<h1 class="govuk-heading-xl">This link does not work</h1>' in used.text
        assert "Ask your administrator for a new link." in used.text
        again = await lena_browser.post(path, data={"password": "x" * 12, "confirmation": "x" * 12})
        assert again.status_code == 404
    assert await _log("set-password") == [
        {
            "user_email": "lena@example.org",
            "inspection_id": None,
            "object_type": "user",
            "object_id": str(lena.id),
            "detail": "",
        }
    ]
    users = _text((await app_client.get("/admin/users")).text)
    assert "Lena Lead lena@example.org Lead inspector Active" in users


async def test_a_link_expires_and_a_new_one_ends_the_old(app_client, db):
    await _admin(app_client)
    _, first = await _invite(app_client)
    lena = await User.get(email="lena@example.org")
    page = await app_client.post(f"/admin/users/{lena.id}/password-link")
    assert page.status_code == 200
    assert "New set-password link for Lena Lead" in page.text
    assert "any earlier link for Lena Lead no longer works." in page.text
    second = LINK.search(page.text).group(1)
    assert second != first
    assert len(await _log("new-password-link")) == 1
    async with _client(db) as browser:
        assert (await browser.get(first)).status_code == 404
        assert (await browser.get(second)).status_code == 200
        await Invitation.filter(used_at__isnull=True).update(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)
        )
        expired = await browser.post(
            second, data={"password": NEW_PASSWORD, "confirmation": NEW_PASSWORD}
        )
        assert expired.status_code == 404
        assert "This link does not work" in expired.text
        assert (await browser.get(INVITATION_PATH + "not-a-token")).status_code == 404
    assert (await User.get(id=lena.id)).password_hash == "!"


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            {"name": "", "email": "", "role": ""},
            [
                ("name", "Enter the person's full name"),
                ("email", "Enter the person's e-mail address"),
                ("role", "Choose the person's role"),
            ],
        ),
        (
            {"name": "Sam", "email": "sam at example", "role": "inspector"},
            [
                (
                    "email",
                    "'sam at example' is not an e-mail address: enter one like name@example.org",
                )
            ],
        ),
        (
            {"name": "Ad Min", "email": "ADMIN@example.org", "role": "inspector"},
            [("email", "A user with e-mail admin@example.org already exists")],
        ),
        (
            {"name": "Sam", "email": "sam@example.org", "role": "superuser"},
            [("role", "Choose the person's role")],
        ),
    ],
)
async def test_an_invitation_needs_a_name_a_new_address_and_a_role(app_client, form, errors):
    await _admin(app_client)
    response = await app_client.post("/admin/users", data=form)
    assert response.status_code == 400
    summary = re.findall(r'<li><a href="#(\w+)">([^<]+)</a></li>', response.text)
    assert summary == [(f, m.replace("'", "&#39;")) for f, m in errors]
    assert await User.all().count() == 1
    assert await Invitation.all().count() == 0


async def test_admin_adds_and_removes_a_membership(app_client, db):
    await _admin(app_client)
    inspection = await make_inspection("Northshire JTAI", "NTH")
    await make_inspection("Other inspection", "OTH")
    sam = await make_user("sam@example.org", "inspector")
    page = await app_client.get(f"/admin/users/{sam.id}")
    assert "Sam is not in any inspection's team yet." in page.text
    assert f'<option value="{inspection.id}">Northshire JTAI (Authority NTH)</option>' in page.text
    refused = await app_client.post(
        f"/admin/users/{sam.id}/memberships", data={"inspection": "", "role": "admin"}
    )
    assert refused.status_code == 400
    assert re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a></li>', refused.text) == [
        ("inspection", "Choose the inspection"),
        ("member-role", "Choose the role this person has in the inspection"),
    ]
    added = await app_client.post(
        f"/admin/users/{sam.id}/memberships",
        data={"inspection": str(inspection.id), "role": "la_auditor"},
    )
    assert added.status_code == 303
    page = await app_client.get(added.headers["location"])
    assert "Sam was added to Northshire JTAI." in page.text
    row = re.search(r"<tbody.*?</tbody>", page.text, re.S).group(0)
    assert (
        _text(row)
        == "Northshire JTAI Authority NTH Local authority auditor Remove from Northshire JTAI"
    )
    membership = await Membership.get(user_id=sam.id)
    assert (membership.inspection_id, membership.role) == (inspection.id, Role.LA_AUDITOR)
    async with _client(db) as sam_browser:
        await sign_in(sam_browser, "sam@example.org")
        assert (await sam_browser.get(f"/inspections/{inspection.id}")).status_code == 200
        removed = await app_client.post(f"/admin/users/{sam.id}/memberships/{inspection.id}/remove")
        assert removed.status_code == 303
        page = await app_client.get(removed.headers["location"])
        assert "Sam was taken off Northshire JTAI." in page.text
        assert (await sam_browser.get(f"/inspections/{inspection.id}")).status_code == 404
    assert await Membership.filter(user_id=sam.id).count() == 0
    entry = {
        "user_email": "admin@example.org",
        "inspection_id": inspection.id,
        "object_type": "user",
        "object_id": str(sam.id),
    }
    assert await _log("add-member") == [{**entry, "detail": "Local authority auditor"}]
    assert await _log("remove-member") == [{**entry, "detail": ""}]
    # removing a membership that is not there changes nothing
    again = await app_client.post(f"/admin/users/{sam.id}/memberships/{inspection.id}/remove")
    assert again.status_code == 404
    assert len(await _log("remove-member")) == 1


async def test_the_only_lead_stays_in_the_team_whoever_removes_them(app_client, db):
    await _admin(app_client)
    inspection = await make_inspection("Northshire JTAI", "NTH")
    lee = await make_user("lee@example.org", "lead_inspector")
    await member(inspection, lee, "lead_inspector")
    refused = await app_client.post(f"/admin/users/{lee.id}/memberships/{inspection.id}/remove")
    assert refused.status_code == 400
    message = (
        "Lee is the only lead inspector: add another lead inspector to the team before "
        "removing them."
    )
    assert re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a></li>', refused.text) == [
        ("inspections", message)
    ]
    assert await Membership.filter(user_id=lee.id, inspection_id=inspection.id).exists()
    assert await _log("remove-member") == []
    # with a second lead, the first may go
    kim = await make_user("kim@example.org", "lead_inspector")
    await member(inspection, kim, "lead_inspector")
    removed = await app_client.post(f"/admin/users/{lee.id}/memberships/{inspection.id}/remove")
    assert removed.status_code == 303
    assert not await Membership.filter(user_id=lee.id).exists()


async def test_admin_deactivates_and_reactivates_a_user(app_client, db):
    admin = await _admin(app_client)
    sam = await make_user("sam@example.org", "inspector")
    async with _client(db) as sam_browser:
        await sign_in(sam_browser, "sam@example.org")
        assert (await sam_browser.get("/inspections")).status_code == 200
        confirm = await app_client.get(f"/admin/users/{sam.id}/deactivate")
        assert '<h1 class="govuk-heading-xl">Deactivate Sam?</h1>' in confirm.text
        assert "Sam will not be able to sign in, and is signed out everywhere now." in confirm.text
        done = await app_client.post(f"/admin/users/{sam.id}/deactivate")
        assert done.status_code == 303
        page = await app_client.get(done.headers["location"])
        assert (
            "Sam is deactivated: they cannot sign in, and their sessions have ended." in page.text
        )
        assert "Reactivate Sam" in page.text
        assert await Session.filter(user_id=sam.id).count() == 0
        ended = await sam_browser.get("/inspections", headers={"accept": "text/html"})
        assert (ended.status_code, ended.headers["location"]) == (303, "/login")
        assert (await sign_in(sam_browser, "sam@example.org")).status_code == 401
        # a deactivated person gets no new link
        refused = await app_client.post(f"/admin/users/{sam.id}/password-link")
        assert refused.status_code == 409
        assert "Sam is deactivated: reactivate them first" in refused.text
        back = await app_client.post(f"/admin/users/{sam.id}/reactivate")
        assert back.status_code == 303
        assert "Sam may sign in again." in (await app_client.get(back.headers["location"])).text
        assert (await sign_in(sam_browser, "sam@example.org", PASSWORD)).status_code == 303
    entry = {
        "user_email": "admin@example.org",
        "inspection_id": None,
        "object_type": "user",
        "object_id": str(sam.id),
        "detail": "",
    }
    assert await _log("deactivate-user") == [entry]
    assert await _log("reactivate-user") == [entry]
    # an admin cannot lock themselves out
    own = await app_client.get(f"/admin/users/{admin.id}")
    assert "Deactivate Admin" not in own.text
    assert (await app_client.get(f"/admin/users/{admin.id}/deactivate")).status_code == 404
    refused = await app_client.post(f"/admin/users/{admin.id}/deactivate")
    assert refused.status_code == 409
    assert "You cannot deactivate your own account" in refused.text
    assert (await User.get(id=admin.id)).active


async def _log_world():
    """Two entries about children, one of each inspection, and an admin's own entry."""
    inspection = await make_inspection("Northshire ILACS", "NTH")
    other = await make_inspection("Southshire ILACS", "STH")
    amy = await Child.create(
        inspection=inspection, la_child_id="NTH-0042", given_name="Amy", family_name="Turner"
    )
    bo = await Child.create(
        inspection=other, la_child_id="STH-7", given_name="Bo", family_name="Turnbull"
    )
    await AccessLog.create(
        user_email="insp@example.org",
        action="view-journey",
        inspection_id=inspection.id,
        object_type="child",
        object_id=str(amy.id),
        detail='=HYPERLINK("http://x")',
    )
    await AccessLog.create(
        user_email="insp@example.org",
        action="view-chronology",
        inspection_id=other.id,
        object_type="child",
        object_id=str(bo.id),
    )
    return inspection, other, amy, bo


async def test_the_access_log_names_what_each_entry_is_about(app_client):
    await _admin(app_client)
    await make_user("insp@example.org", "inspector")
    inspection, _, amy, _ = await _log_world()
    page = await app_client.post("/admin/access-log", data={"action": "view-journey"})
    assert page.status_code == 200
    assert "1 entry." in page.text
    row = re.search(r"<tbody.*?</tbody>", page.text, re.S).group(0)
    cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1:5] == [
        "insp@example.org",
        "Viewed a child's journey".replace("'", "&#39;"),
        "Northshire ILACS: Amy Turner (NTH-0042)",
        "=HYPERLINK(&#34;http://x&#34;)",
    ]
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", cells[0])
    assert f">{amy.id}<" not in row and f">{inspection.id}<" not in row
    csv_text = (await app_client.get("/admin/access-log.csv", params={"user": "insp"})).text
    lines = csv_text.splitlines()
    assert lines[0] == "at,user,action,inspection,object,detail,ip"
    assert len(lines) == 3  # the journey and the chronology (newest first)
    assert lines[2].split(",")[1:5] == [
        "insp@example.org",
        "Viewed a child's journey",
        "Northshire ILACS",
        "Amy Turner (NTH-0042)",
    ]
    assert "'=HYPERLINK" in lines[2]
    assert await AccessLog.filter(action="export-access-log").count() == 1


@pytest.mark.parametrize(
    ("child", "expected"),
    [
        ("amy", ["Amy Turner (NTH-0042)"]),
        ("turn", ["Bo Turnbull (STH-7)", "Amy Turner (NTH-0042)"]),
        ("Amy Turner", ["Amy Turner (NTH-0042)"]),
        ("nth-0042", ["Amy Turner (NTH-0042)"]),
        ("STH-7", ["Bo Turnbull (STH-7)"]),
        ("Zed", []),
    ],
)
async def test_the_access_log_filters_by_child_name_or_authority_id(app_client, child, expected):
    await _admin(app_client)
    await _log_world()
    page = await app_client.post("/admin/access-log", data={"child": child})
    assert page.status_code == 200
    about = re.findall(r'<td class="govuk-table__cell">[^<]*ILACS:<br>([^<]+)</td>', page.text)
    assert about == expected
    assert f"{len(expected)} entr" in page.text
    assert f'value="{child}"' in page.text  # the filter shows what was typed


async def test_the_access_log_filters_by_dates_typed_as_day_month_year(app_client):
    await _admin(app_client)
    await _log_world()
    today = datetime.now(UTC).date()
    day = {
        "since-day": str(today.day),
        "since-month": str(today.month),
        "since-year": str(today.year),
    }
    same = await app_client.post("/admin/access-log", data={**day, "action": "view-journey"})
    assert "1 entry." in same.text
    assert (
        f'id="since-day" name="since-day" type="text" inputmode="numeric" value="{today.day}"'
        in same.text
    )
    tomorrow = today + timedelta(days=1)
    later = await app_client.post(
        "/admin/access-log",
        data={
            "since-day": str(tomorrow.day),
            "since-month": str(tomorrow.month),
            "since-year": str(tomorrow.year),
            "action": "view-journey",
        },
    )
    assert "0 entries." in later.text
    wrong = await app_client.post(
        "/admin/access-log",
        data={
            "since-day": "30",
            "since-month": "2",
            "since-year": "2026",
            "until-day": "1",
            "until-year": "2026",
        },
    )
    assert wrong.status_code == 400
    assert re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a></li>', wrong.text) == [
        ("since-day", "The first day must be a real date"),
        ("until-month", "The last day must include a month"),
    ]
    assert "Correct the dates to see the entries." in wrong.text
    backwards = await app_client.post(
        "/admin/access-log",
        data={
            "since-day": "2",
            "since-month": "1",
            "since-year": "2026",
            "until-day": "1",
            "until-month": "1",
            "until-year": "2026",
        },
    )
    assert re.findall(r'<li><a href="#([\w-]+)">([^<]+)</a></li>', backwards.text) == [
        ("until-day", "The last day must be the same as or after the first day"),
    ]


async def test_a_new_inspection_for_any_authority_is_logged(app_client):
    await _admin(app_client)
    la = await LocalAuthority.create(code="NTH", name="Northshire")
    created = await app_client.post(
        "/inspections",
        data={
            "la": "NTH",
            "kind": "focused-visit",
            "title": "Northshire visit",
            "reference-day": "2",
            "reference-month": "11",
            "reference-year": "2026",
        },
    )
    assert created.status_code == 303
    inspection = await Inspection.get(title="Northshire visit")
    assert (inspection.la_id, str(inspection.reference_date)) == (la.id, "2026-11-02")
    page = await app_client.get(created.headers["location"])
    assert "Northshire · Focused visit · reference date 02/11/2026" in page.text
    assert await _log("create-inspection") == [
        {
            "user_email": "admin@example.org",
            "inspection_id": inspection.id,
            "object_type": "inspection",
            "object_id": str(inspection.id),
            "detail": "",
        }
    ]
