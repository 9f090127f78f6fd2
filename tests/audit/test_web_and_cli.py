import json

import httpx2

from inspection.audit.audits import create_audit
from inspection.audit.moderation import selected_member_ids, set_plan
from inspection.web.app import create_app
from tests.audit.helpers import ALL_GOOD, PASSWORD, make_inspection, make_sample, make_user
from tests.conftest import run_cli


async def _client(db, email):
    app = create_app(db, manage_database=False)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    )
    r = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303
    return client


async def test_audit_in_the_browser_autosave_conflict_blind_and_findings(db):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=5)
    await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await make_user(inspection, "qa@x.test", "qa_viewer")
    base = f"/inspections/{inspection.id}"
    c1 = await _client(db, "a1@x.test")
    r = await c1.post(f"{base}/audits", data={"member": members[0].id, "marking": "first"})
    assert r.status_code == 303
    audit_url = r.headers["location"]
    page = await c1.get(audit_url)
    assert page.status_code == 200
    assert '<h1 class="govuk-heading-xl">First marking of ' in page.text
    assert f"/children/{members[0].child_id}#event-" in page.text
    assert 'hx-trigger="input changed delay:1s' in page.text
    hx = {"HX-Request": "true"}
    saved = await c1.post(
        f"{audit_url}/save", data={"version": "1", "strengths": "Kind."}, headers=hx
    )
    assert saved.status_code == 200 and "Saved at" in saved.text
    assert 'id="audit-version" value="2"' in saved.text
    stale = await c1.post(
        f"{audit_url}/save", data={"version": "1", "strengths": "Mine."}, headers=hx
    )
    assert stale.status_code == 409
    assert "Kind." in stale.text and "Mine." in stale.text
    # submit incomplete: the completeness list
    incomplete = await c1.post(f"{audit_url}/submit", data={"version": "2", "strengths": "Kind."})
    assert incomplete.status_code == 400
    assert "The child seen, heard and understood: choose a grade." in incomplete.text
    done = await c1.post(f"{audit_url}/submit", data={"version": "3", **ALL_GOOD})
    assert done.status_code == 303

    # blind second marking, through the routes
    await set_plan(inspection.id, sample.id, 1.0, False, lead)
    assert members[0].id in await selected_member_ids(sample.id)
    second = await create_audit(inspection.id, members[0].id, a2, marking="second")
    c2 = await _client(db, "a2@x.test")
    first_id = audit_url.rsplit("/", 1)[1]
    assert (await c2.get(f"{base}/audits/{first_id}")).status_code == 404
    assert (await c2.get(f"{base}/audits/{second.id}")).status_code == 200
    board = await c2.get(f"{base}/audits")
    assert "blind until both are submitted" in board.text
    assert "· Submitted (blind until both are submitted)" in " ".join(board.text.split())

    qa = await _client(db, "qa@x.test")
    assert (await qa.get(f"{base}/audits")).status_code == 404
    # the only submitted first marking is blind until the second is submitted: the viewer's
    # findings are computed without it, the lead's with it
    findings_page = await qa.get(f"{base}/findings")
    assert findings_page.status_code == 200
    assert "0 submitted first markings that you may see." in findings_page.text
    assert 'class="app-grade-chart" role="img"' not in findings_page.text
    assert (await qa.get(f"{base}/moderation")).status_code == 404
    cl = await _client(db, "lead@x.test")
    findings_page = await cl.get(f"{base}/findings")
    assert "1 submitted first marking that you may see." in findings_page.text
    assert 'class="app-grade-chart" role="img"' in findings_page.text
    assert f"{base}/findings/audits?ids={first_id}" in findings_page.text
    assert (await cl.get(f"{base}/moderation")).status_code == 200

    # a concern raised from the audit page reaches the lead
    r = await c1.post(f"{audit_url}/concerns", data={"text": "Bruising seen, no action."})
    assert r.status_code == 303
    concerns = await cl.get(f"{base}/concerns")
    assert "Concern " in concerns.text and "open" in concerns.text
    for c in (c1, c2, qa, cl):
        await c.aclose()


def test_cli_rubric_list_and_findings(cli_env):
    r = run_cli(["rubric", "list", "--json"], cli_env)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["code"], x["version"], x["default"]) for x in rows] == [
        ("care_leavers", "1", False),
        ("child_help", "1", False),
        ("child_help", "2", True),
        ("child_protection", "1", False),
        ("children_in_care", "1", False),
        ("csa_family", "1", False),
        ("domestic_abuse", "1", False),
        ("family_help", "1", False),
        ("front_door", "1", False),
        ("front_door", "2", False),
        ("leaders", "1", False),
        ("youth_violence", "1", False),
    ]
    assert [x["code"] for x in rows if not x["current"]] == ["child_help", "front_door"]
    text = run_cli(["rubric", "list"], cli_env).stdout.splitlines()
    assert text[:3] == [
        "care_leavers v1: Care leavers: is the young person well supported into adulthood?",
        "  informs: The experiences and progress of care leavers",
        "child_help v1 (earlier version, kept for its audits): Child-centred case audit: was "
        "the child helped?",
    ]
    r = run_cli(["findings", "--inspection", "999", "--json"], cli_env)
    assert r.returncode == 1 and "no inspection 999" in r.stderr


async def test_the_agreed_grade_has_no_default_and_a_refusal_keeps_what_was_typed(db):
    from inspection.audit.audits import submit_audit
    from inspection.models import Moderation
    from inspection.models.core import Role

    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=1)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "la_auditor")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await set_plan(inspection.id, sample.id, 1.0, False, lead)
    first = await create_audit(inspection.id, members[0].id, a1)
    await submit_audit(inspection.id, first.id, a1, Role.INSPECTOR, first.version, ALL_GOOD)
    second = await create_audit(inspection.id, members[0].id, a2, marking="second")
    worse = {**ALL_GOOD, "grade:impact": "inadequate", "evidence:impact": "No change."}
    await submit_audit(inspection.id, second.id, a2, Role.LA_AUDITOR, second.version, worse)
    base = f"/inspections/{inspection.id}/moderation"
    field = f"g-{first.id}-impact"
    client = await _client(db, "lead@x.test")
    page = await client.get(base)
    select = page.text.split(f'id="{field}" name="grade">')[1].split("</select>")[0]
    assert select.count(" selected") == 1
    assert '<option value="" selected>Choose a grade</option>' in select
    form = {"first": first.id, "second": second.id, "domain": "impact"}
    attempts = [
        ({"grade": "", "reason": "Seen at home twice."}, ["Choose the agreed grade."]),
        ({"grade": "good", "reason": "  "}, ["Write the reason for the agreed grade."]),
        (
            {"grade": "", "reason": ""},
            ["Choose the agreed grade.", "Write the reason for the agreed grade."],
        ),
    ]
    for typed, messages in attempts:
        refused = await client.post(f"{base}/agree", data={**form, **typed})
        assert refused.status_code == 400
        assert "<title>Error: Moderation" in refused.text
        summary = refused.text.split('govuk-error-summary__list">')[1].split("</ul>")[0]
        anchors = {"Choose the agreed grade.": field, "Write the reason": f"r-{first.id}-impact"}
        assert summary.count("<li>") == len(messages)
        for message in messages:
            anchor = next(a for k, a in anchors.items() if message.startswith(k))
            assert f'<a href="#{anchor}">{message}</a>' in summary
            assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in refused.text
        kept = refused.text.split(f'id="{field}" name="grade"')[1].split("</select>")[0]
        chosen = "" if not typed["grade"] else typed["grade"]
        assert f'<option value="{chosen}" selected>' in kept
        reason = refused.text.split(f'id="r-{first.id}-impact" name="reason"')[1]
        assert reason.split(">", 1)[1].startswith(typed["reason"] + "</textarea>")
    assert await Moderation.filter(inspection_id=inspection.id).count() == 0
    done = await client.post(f"{base}/agree", data={**form, "grade": "good", "reason": "Agreed."})
    assert done.status_code == 303
    assert await Moderation.filter(inspection_id=inspection.id).values_list(
        "domain", "agreed_grade", "reason"
    ) == [("impact", "good", "Agreed.")]
    await client.aclose()


async def test_the_audits_board_names_strata_in_words(db):
    from inspection.models import Sample, SampleMember

    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=2)
    await Sample.filter(id=sample.id).update(params={"stratify_by": "age_band"})
    await SampleMember.filter(id=members[0].id).update(stratum="1-4")
    await SampleMember.filter(id=members[1].id).update(stratum="under 1")
    await make_user(inspection, "lead@x.test", "lead_inspector")
    lead = await _client(db, "lead@x.test")
    board = (await lead.get(f"/inspections/{inspection.id}/audits")).text
    assert f'id="member-{members[0].id}">' in board
    cells = [board.split(f'id="member-{m.id}">')[1].split("</td>")[1].strip() for m in members]
    assert cells == [
        '<td class="govuk-table__cell">Aged 1–4',
        '<td class="govuk-table__cell">Under 1',
    ]
    assert '<td class="govuk-table__cell">1-4</td>' not in board


async def test_the_audit_page_names_the_journeys_agencies_in_words(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    inspector = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, inspector)
    client = await _client(db, "a1@x.test")
    page = (await client.get(f"/inspections/{inspection.id}/audits/{audit.id}")).text
    journey = page.split('<ol class="govuk-list app-journey">')[1].split("</ol>")[0]
    agencies = [s.split("</span>")[0] for s in journey.split('<span class="app-muted">')[1:]]
    # oldest first: the police's concern, the referral, the child protection plan
    assert agencies == ["Police", "Children&#39;s social care", "Children&#39;s social care"]
