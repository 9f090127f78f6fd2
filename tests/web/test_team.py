"""The Team section of an inspection's overview: a lead adds an existing user with a role."""

from __future__ import annotations

import re
from datetime import date

from inspection.inspections import add_local_authority, create_inspection
from inspection.models import AccessLog, Membership
from tests.web.conftest import make_inspection, make_user, member, sign_in


async def test_lead_adds_an_existing_user_and_it_is_logged(app_client):
    inspection = await make_inspection()
    lead = await make_user("lead@example.org", "lead_inspector")
    other = await make_user("Other@Example.org", "inspector")
    await member(inspection, lead)
    await sign_in(app_client, lead.email)
    url = f"/inspections/{inspection.id}"
    page = await app_client.get(url)
    assert f'action="/inspections/{inspection.id}/members"' in page.text
    response = await app_client.post(
        f"{url}/members", data={"email": " other@example.ORG ", "role": "la_auditor"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?added={other.id}#team"
    assert await Membership.filter(inspection_id=inspection.id, user_id=other.id).values_list(
        "role", flat=True
    ) == ["la_auditor"]
    page = await app_client.get(f"{url}?added={other.id}")
    assert "Other was added to the team as local authority auditor." in page.text
    assert '<td class="govuk-table__cell">other@example.org</td>' in page.text
    log = await AccessLog.filter(action="add-member").values(
        "user_id", "inspection_id", "object_type", "object_id", "detail"
    )
    assert log == [
        {
            "user_id": lead.id,
            "inspection_id": inspection.id,
            "object_type": "user",
            "object_id": str(other.id),
            "detail": "Local authority auditor",
        }
    ]


async def test_unknown_email_and_bad_role_are_refused_with_messages(app_client):
    inspection = await make_inspection()
    lead = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, lead)
    await sign_in(app_client, lead.email)
    response = await app_client.post(
        f"/inspections/{inspection.id}/members",
        data={"email": "nobody@example.org", "role": "admin"},
    )
    assert response.status_code == 400
    assert "There is no active user with that e-mail address." in response.text
    assert "Choose the role this person has in the inspection." in response.text
    assert await Membership.filter(inspection_id=inspection.id).count() == 1


async def test_an_inspector_cannot_add_members_and_sees_no_form(app_client):
    inspection = await make_inspection()
    inspector = await make_user("ina@example.org", "inspector")
    other = await make_user("other@example.org", "inspector")
    await member(inspection, inspector)
    await sign_in(app_client, inspector.email)
    page = await app_client.get(f"/inspections/{inspection.id}")
    assert page.status_code == 200
    assert "/members" not in page.text
    response = await app_client.post(
        f"/inspections/{inspection.id}/members", data={"email": other.email, "role": "inspector"}
    )
    assert response.status_code == 404
    assert not await Membership.filter(user_id=other.id).exists()


async def test_lead_removes_a_member_after_confirming_and_never_the_only_lead(app_client):
    inspection = await make_inspection()
    lead = await make_user("lead@example.org", "lead_inspector")
    other = await make_user("ina@example.org", "inspector")
    await member(inspection, lead)
    await member(inspection, other)
    await sign_in(app_client, lead.email)
    url = f"/inspections/{inspection.id}"
    remove = f"{url}/members/{other.id}/remove"
    page = await app_client.get(url)
    assert f'href="{remove}">Remove<span class="govuk-visually-hidden"> Ina from the team' in (
        page.text
    )
    assert f"{url}/members/{lead.id}/remove" not in page.text
    assert "The only lead inspector" in page.text

    confirm = await app_client.get(remove)
    assert confirm.status_code == 200
    assert "Remove Ina from the team?" in confirm.text
    assert "will no longer see this inspection" in confirm.text
    assert f'<a class="govuk-link" href="{url}#team">Cancel</a>' in confirm.text
    assert await Membership.filter(inspection_id=inspection.id).count() == 2

    done = await app_client.post(remove)
    assert done.status_code == 303
    assert done.headers["location"] == f"{url}?removed={other.id}#team"
    assert not await Membership.exists(inspection_id=inspection.id, user_id=other.id)
    after = await app_client.get(f"{url}?removed={other.id}")
    assert "Ina is no longer in the team." in after.text
    log = await AccessLog.filter(action="remove-member").values_list(
        "user_id", "object_id", "detail"
    )
    assert log == [(lead.id, str(other.id), "Inspector")]

    # the only lead: the page says why, and a forged request changes nothing
    own = await app_client.get(f"{url}/members/{lead.id}/remove")
    assert "Lead is the only lead inspector: add another lead inspector" in own.text
    assert "Remove Lead</button>" not in own.text
    refused = await app_client.post(f"{url}/members/{lead.id}/remove")
    assert refused.status_code == 400
    assert await Membership.exists(inspection_id=inspection.id, user_id=lead.id)
    assert await AccessLog.filter(action="remove-member").count() == 1
    # an address naming someone never removed says nothing
    assert "no longer in the team" not in (await app_client.get(f"{url}?removed={lead.id}")).text


async def test_team_shows_roles_by_their_labels_and_not_the_admin_who_created_it(app_client):
    la = await add_local_authority("T02", "Authority T02")
    admin = await make_user("admin@example.org", "admin")
    inspection = await create_inspection(
        la.code, "ilacs-standard", "Admin's inspection", date(2026, 11, 2), created_by=admin
    )
    assert not await Membership.exists(inspection_id=inspection.id, user_id=admin.id)
    await member(inspection, await make_user("lena@example.org", "lead_inspector"))
    await member(inspection, await make_user("ina@example.org", "inspector"))
    await member(inspection, await make_user("laura@example.org", "la_auditor"))
    await sign_in(app_client, admin.email)
    page = await app_client.get(f"/inspections/{inspection.id}")
    assert page.status_code == 200
    cells = re.findall(r'<td class="govuk-table__cell">([^<]*)</td>', page.text)
    assert cells == [
        "Ina", "ina@example.org", "Inspector",
        "Laura", "laura@example.org", "Local authority auditor",
        "Lena", "lena@example.org", "Lead inspector",
    ]  # fmt: skip
    assert "admin@example.org" not in page.text
