"""The concerns list names each child, links to their journey and to the audit that raised the
concern, logs each child shown, and says when nobody at the authority will be told."""

from inspection.accounts import create_user
from inspection.audit.audits import create_audit
from inspection.models import AccessLog, Membership
from tests.audit.helpers import PASSWORD, make_inspection, make_sample, make_user
from tests.audit.test_web_and_cli import _client

NO_CONTACT = (
    '<span class="govuk-visually-hidden">Warning</span> No one at the authority will be told '
    "about a concern: this inspection has no named contact there.</strong>"
)
HOW_LEAD = (
    'To add one, go to <a class="govuk-link" href="/inspections/{id}#team">the team on the '
    "overview</a>, add the person and tick “The authority’s named contact for concerns”."
)
HOW_OTHERS = (
    "A lead inspector adds one under Team on the inspection’s overview: they add the person and "
    "tick “The authority’s named contact for concerns”."
)


def row_of(page: str, child: str) -> str:
    return next(r for r in page.split("<tr ") if f">{child}</a>" in r)


async def test_the_concerns_list_names_the_child_and_links_to_journey_and_audit(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    await make_user(inspection, "a1@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await create_user("dcs@x.test", "Dana Contact", "qa_viewer", PASSWORD)
    base = f"/inspections/{inspection.id}"
    auditor = await _client(db, "a1@x.test")
    started = await auditor.post(f"{base}/audits", data={"member": members[1].id})
    audit_url = started.headers["location"]

    form = (await auditor.get(audit_url)).text
    assert NO_CONTACT in form and HOW_OTHERS in form
    assert "It is recorded at once and shown to the lead inspector.</label>" in form
    raised = await auditor.post(f"{audit_url}/concerns", data={"text": "Left alone at night."})
    assert raised.status_code == 303
    concern_url = raised.headers["location"]

    client = await _client(db, "lead@x.test")
    last = await AccessLog.all().order_by("-id").first()
    before = last.id if last else 0
    page = (await client.get(f"{base}/concerns")).text
    assert NO_CONTACT in page and HOW_LEAD.format(id=inspection.id) in page
    row = row_of(page, "Child1 Test")
    child = members[1].child_id
    assert f'<a class="govuk-link" href="{base}/children/{child}">Child1 Test</a>' in row
    assert f'<a class="govuk-link" href="{concern_url}">Concern raised ' in row
    assert (
        f'<a class="govuk-link" href="{audit_url}">The first marking'
        '<span class="govuk-visually-hidden"> of Child1 Test</span></a>'
    ) in row
    assert '<strong class="govuk-tag govuk-tag--red">Open</strong>' in row
    logged = await AccessLog.filter(id__gt=before).values_list(
        "user_id", "action", "object_type", "object_id"
    )
    assert logged == [(lead.id, "view-concerns", "child", str(child))]

    # the lead adds the authority's named contact from the team on the overview
    added = await client.post(
        f"{base}/members", data={"email": "dcs@x.test", "role": "qa_viewer", "la_contact": "yes"}
    )
    assert added.status_code == 303
    assert await Membership.filter(inspection_id=inspection.id, is_la_contact=True).count() == 1
    page = (await client.get(f"{base}/concerns")).text
    assert "No one at the authority will be told" not in page
    assert (
        "Concerns are shown at once to the lead inspectors and to the authority's named "
        "contact: Dana Contact."
    ) in page
    form = (await auditor.get(audit_url)).text
    assert "No one at the authority will be told" not in form
    assert (
        "shown to the lead inspector and the authority's named contact (Dana Contact).</label>"
    ) in form

    # the contact sees the child and the concern, but not the audit, which is not theirs to open
    contact = await _client(db, "dcs@x.test")
    page = (await contact.get(f"{base}/concerns")).text
    row = row_of(page, "Child1 Test")
    assert f'href="{base}/children/{child}"' in row
    assert "An audit not open to you" in row and audit_url not in row
    assert (await contact.get(f"{base}/children/{child}")).status_code == 200
    for c in (auditor, client, contact):
        await c.aclose()


async def test_a_draft_blind_audit_is_not_linked_for_someone_who_may_not_open_it(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    await make_user(inspection, "a2@x.test", "inspector", la_contact=True)
    audit = await create_audit(inspection.id, members[0].id, a1)
    c1 = await _client(db, "a1@x.test")
    await c1.post(
        f"/inspections/{inspection.id}/audits/{audit.id}/concerns", data={"text": "Hurt."}
    )
    c2 = await _client(db, "a2@x.test")  # the named contact: sees every concern
    page = (await c2.get(f"/inspections/{inspection.id}/concerns")).text
    row = row_of(page, "Child0 Test")
    assert "An audit not open to you" in row
    assert (await c2.get(f"/inspections/{inspection.id}/audits/{audit.id}")).status_code == 404
    for c in (c1, c2):
        await c.aclose()
