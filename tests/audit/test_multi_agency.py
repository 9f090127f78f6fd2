"""Multi-agency audits in the browser: the agencies' auditors, each agency's part blind to the
others until its own is submitted (pages, board, workbook, offline pack), and the joint
discussion that completes the audit."""

import io
import re

from openpyxl import load_workbook

from inspection.audit.status import AuditStatus, Marking
from inspection.export.offline import build_offline_pack
from inspection.export.workbook import build_workbook
from inspection.models import Audit, JointAudit
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user
from tests.audit.test_web_and_cli import _client
from tests.web.crawl import offences

POLICE_GRADES = {**ALL_GOOD, "strengths": "Police shared the notification the same day."}
HEALTH_GRADES = {
    **ALL_GOOD,
    "grade:impact": "requires_improvement",
    "evidence:impact": "The health visitor saw no change in the home.",
    "strengths": "The health visitor knew the family well.",
}


def _version(page: str) -> str:
    found = re.search(r'id="audit-version" value="(\d+)"', page)
    assert found
    return found.group(1)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _sheet(data: bytes, name: str) -> list[tuple]:
    return [tuple(r) for r in load_workbook(io.BytesIO(data))[name].iter_rows(values_only=True)]


async def _set_agency(lead, base, user, agency):
    r = await lead.post(f"{base}/members/agencies", data={"user": user.id, "agency": agency})
    assert r.status_code == 303, r.text


async def test_each_agency_audits_its_part_blind_then_the_joint_discussion_completes_it(db):
    inspection = await make_inspection()
    inspection.title = "Joint inspection"
    await inspection.save()
    sample, members = await make_sample(inspection, n=2)
    child_url = f"/inspections/{inspection.id}/audits/members/{members[0].id}/multi-agency"
    lead_user = await make_user(inspection, "lead@x.test", "lead_inspector")
    police = await make_user(inspection, "pc@x.test", "la_auditor")
    health = await make_user(inspection, "hv@x.test", "la_auditor")
    await make_user(inspection, "qa@x.test", "qa_viewer")
    base = f"/inspections/{inspection.id}"
    lead = await _client(db, "lead@x.test")

    # the lead records each agency's auditor; a quality assurance viewer cannot audit
    await _set_agency(lead, base, police, "police")
    await _set_agency(lead, base, health, "health")
    qa_user = await make_user(inspection, "qa@x.test", "qa_viewer")
    refused = await lead.post(
        f"{base}/members/agencies", data={"user": qa_user.id, "agency": "education"}
    )
    assert refused.status_code == 400
    assert (
        "qa is a quality assurance viewer here, who does not audit: only a member who audits "
        "can audit for an agency." in refused.text
    )
    auditors = await lead.get(f"{base}/members/agencies")
    assert offences(f"{base}/members/agencies", auditors.text, set()) == []
    assert '<option value="police" selected>Police</option>' in auditors.text

    # setting up needs two agencies; the refusal says so and keeps the choice
    one = await lead.post(child_url, data={"agencies": ["police"]})
    assert one.status_code == 400
    assert "Choose at least two agencies to audit their parts." in one.text
    assert 'value="police" checked' in one.text
    made = await lead.post(child_url, data={"agencies": ["police", "health"]})
    assert made.status_code == 303
    page = await lead.get(made.headers["location"])
    assert "The audit is set up as multi-agency" in page.text
    assert offences(child_url, page.text, set()) == []

    # the police auditor starts and submits their part
    pc = await _client(db, "pc@x.test")
    part = {"member": members[0].id, "marking": "part"}
    started = await pc.post(f"{base}/audits", data=part)
    assert started.status_code == 303
    police_url = started.headers["location"]
    form = await pc.get(police_url)
    assert (
        '<h1 class="govuk-heading-xl">Police part of the multi-agency audit of Child0 Test</h1>'
        in form.text
    )
    done = await pc.post(
        f"{police_url}/submit", data={"version": _version(form.text), **POLICE_GRADES}
    )
    assert done.status_code == 303
    confirmation = await pc.get(done.headers["location"])
    assert (
        '<div class="govuk-panel__body">Police part of the multi-agency audit of Child0 Test'
        in confirmation.text
    )

    # health may not read the police part until it has submitted its own: page, board, export
    hv = await _client(db, "hv@x.test")
    assert (await hv.get(police_url)).status_code == 404
    started = await hv.post(f"{base}/audits", data=part)
    health_url = started.headers["location"]
    joint_page = _text((await hv.get(child_url)).text)
    assert (
        "Police pc Submitted (not shown to you until you have submitted your own part)"
        in joint_page
    )
    # only health's own draft is beside nothing: the police grades are not on the page
    assert "Domain Health The child seen, heard and understood Not graded yet" in joint_page
    assert "Domain Police" not in joint_page
    board = _text((await hv.get(f"{base}/audits")).text)
    assert "Multi-agency audit of Child0 Test · 1 of 2 parts submitted" in board
    police_audit = await Audit.get(marking=Marking.PART, agency="police")
    blind = await build_workbook(inspection.id, health, pseudonymise=False)
    audits_sheet = _sheet(blind.data, "Audits")
    assert [r for r in audits_sheet[1:] if r[0] == police_audit.id] == []
    parts_sheet = _sheet(blind.data, "Multi-agency audits")
    assert parts_sheet[1:] == [
        ("C000", "Police", "pc", "Submitted", None, None, None, None),
        ("C000", "Health", "hv", "Draft", None, None, None, None),
    ]
    # the offline pack holds first markings only, so no agency's part
    pack = await build_offline_pack(inspection.id, sample.id, health)
    assert b"Police shared" not in pack.data
    # a member who is neither an agency's auditor nor a lead sees no submitted part until the
    # joint discussion is recorded
    await make_user(inspection, "in@x.test", "inspector")
    other = await _client(db, "in@x.test")
    assert (await other.get(police_url)).status_code == 404
    # the lead reads the police part (leads see every part but their own counterparts')
    assert (await lead.get(police_url)).status_code == 200

    # the discussion cannot be recorded before every part is in
    early = await lead.post(f"{child_url}/discussion", data={})
    assert early.status_code == 400
    assert "The joint discussion follows every agency’s part: waiting for Health." in early.text

    form = await hv.get(health_url)
    await hv.post(f"{health_url}/submit", data={"version": _version(form.text), **HEALTH_GRADES})
    assert (await hv.get(police_url)).status_code == 200
    assert (await pc.get(health_url)).status_code == 200
    assert (await other.get(police_url)).status_code == 404  # until the joint discussion
    side_by_side = _text((await pc.get(child_url)).text)
    assert "Domain Police Health" in side_by_side
    assert (
        "Impact: what difference the help made and whether it lasted Good Requires improvement "
        "to be good" in side_by_side
    )
    seen = await build_workbook(inspection.id, health, pseudonymise=False)
    # one row per domain of the police part
    assert [r[0] for r in _sheet(seen.data, "Audits")[1:]].count(police_audit.id) == 8

    # the joint discussion: every grade and reason asked for, what was typed kept
    keys = [
        "child_seen",
        "need_and_risk",
        "assessment",
        "help_matched",
        "agencies_together",
        "planning_review",
        "management_oversight",
        "impact",
    ]
    partial = {
        "discussed_on-day": "2",
        "discussed_on-month": "12",
        "discussed_on-year": "2026",
        "participants": [str(police.id), str(health.id)],
        "grade:child_seen": "good",
        "disagreements": "Health saw less change than the police did.",
    }
    refused = await pc.post(f"{child_url}/discussion", data=partial)
    assert refused.status_code == 400
    assert '<a href="#reason:child_seen">Enter why you agreed the child seen' in refused.text
    assert (
        '<a href="#grade:need_and_risk">Choose the agreed grade for need and risk' in refused.text
    )
    assert 'value="good" checked' in refused.text
    # each reason is named by its domain, and each message is tied to what it is about
    assert (
        '<label class="govuk-label" for="reason:child_seen">Why you agreed it<span '
        'class="govuk-visually-hidden">: The child seen, heard and understood</span></label>'
    ) in refused.text
    assert (
        '<textarea class="govuk-textarea govuk-textarea--error" id="reason:child_seen" '
        'name="reason:child_seen" rows="2" aria-describedby="reason:child_seen-error">'
    ) in refused.text
    assert (
        '<fieldset class="govuk-fieldset" aria-describedby="grade:need_and_risk-error">'
        in refused.text
    )
    assert 'rows="4" aria-describedby="disagreements-hint">Health saw less' in refused.text
    assert "Health saw less change than the police did." in refused.text
    assert await JointAudit.filter(audit_id__not_isnull=True).count() == 0
    agreed = {
        **partial,
        **{f"grade:{k}": "good" for k in keys},
        **{f"reason:{k}": f"Agreed on {k.replace('_', ' ')}." for k in keys},
        "grade:impact": "requires_improvement",
        "grade:overall": "requires_improvement",
        "reason:overall": "Help came but did not last.",
    }
    recorded = await pc.post(f"{child_url}/discussion", data=agreed)
    assert recorded.status_code == 303
    final = await pc.get(recorded.headers["location"])
    assert "The joint discussion is recorded: the multi-agency audit is complete" in final.text
    assert offences(child_url, final.text, set()) == []
    words = _text(final.text)
    assert "Date 02/12/2026" in words
    assert "Who took part hv, pc" in words
    assert "Recorded by pc" in words
    assert "Where they disagreed Health saw less change than the police did." in words
    assert "Overall judgement Requires improvement to be good Help came but did not last." in words
    assert (await other.get(police_url)).status_code == 200
    authority = await Audit.get(marking=Marking.AUTHORITY)
    assert authority.status == AuditStatus.SUBMITTED
    assert authority.overall == "requires_improvement"
    board = _text((await lead.get(f"{base}/audits")).text)
    assert "Multi-agency audit of Child0 Test · Complete · Requires improvement to be good" in board
    # recorded once only
    again = await pc.post(f"{child_url}/discussion", data=agreed)
    assert "The joint discussion of this child is already recorded." in again.text
    done_sheet = _sheet(
        (await build_workbook(inspection.id, lead_user)).data, "Multi-agency audits"
    )
    assert [r[1:] for r in done_sheet[1:]] == [
        (
            "Police",
            "pc",
            "Submitted",
            "Good",
            done_sheet[1][5],
            "Requires improvement to be good",
            "Health saw less change than the police did.",
        ),
        (
            "Health",
            "hv",
            "Submitted",
            "Requires improvement to be good",
            done_sheet[1][5],
            "Requires improvement to be good",
            "Health saw less change than the police did.",
        ),
    ]
    assert done_sheet[1][5].strftime("%d/%m/%Y") == "02/12/2026"
    for c in (lead, pc, hv, other):
        await c.aclose()


async def test_an_agency_part_is_started_only_by_that_agencys_auditor(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    await make_user(inspection, "lead@x.test", "lead_inspector")
    police = await make_user(inspection, "pc@x.test", "la_auditor")
    await make_user(inspection, "ed@x.test", "la_auditor")
    base = f"/inspections/{inspection.id}"
    url = f"{base}/audits/members/{members[0].id}/multi-agency"
    lead = await _client(db, "lead@x.test")
    await _set_agency(lead, base, police, "police")
    assert (await lead.post(url, data={"agencies": ["police", "health"]})).status_code == 303
    ed = await _client(db, "ed@x.test")
    refused = await ed.post(f"{base}/audits", data={"member": members[0].id, "marking": "part"})
    assert refused.status_code == 400
    assert "You are not recorded as the auditor for an agency in this inspection." in refused.text
    page = _text((await ed.get(url)).text)
    assert "Health No auditor recorded for Health Not started" in page
    # only a lead sets a child's audit up as multi-agency
    assert (await ed.post(url, data={"agencies": ["police", "health"]})).status_code == 404
    for c in (lead, ed):
        await c.aclose()
