"""The learning loop in the browser: an Inadequate audit's follow-up on the audit and the actions
page, an action recorded and closed through its forms, overdue actions on the audits board, a
re-audit refused without its reason and started with it, the before and after on the journey
and the findings, and the self-evaluation page."""

from __future__ import annotations

import re
from html import unescape

from inspection.learning.follow_up import FOLLOW_UP_WHAT
from inspection.models import AccessLog, Action, Audit
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.learning.helpers import graded, submitted
from tests.web.conftest import app_client, sign_in  # noqa: F401


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


async def _world():  # type: ignore[no-untyped-def]
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    auditor = await make_user(inspection, "aud@x.test", "inspector")
    await make_user(inspection, "contact@x.test", "la_auditor", la_contact=True)
    bad = await submitted(inspection.id, members[0], auditor, graded("inadequate"))
    return inspection, members, lead, auditor, bad


async def test_the_follow_up_and_the_actions_in_the_browser(app_client):  # noqa: F811
    inspection, _, lead, _, bad = await _world()
    base = f"/inspections/{inspection.id}"
    assert (await sign_in(app_client, "lead@x.test")).status_code == 303

    audit = await app_client.get(f"{base}/audits/{bad.id}")
    words = _text(audit.text)
    assert "Follow-up of an audit graded Inadequate" in words
    follow_up = await Action.get(audit_id=bad.id)
    assert (
        f"Due by {follow_up.due:%d/%m/%Y} (lead): Open. Told: lead (Lead inspector), "
        "contact (The authority's named contact)."
    ) in words

    page = await app_client.get(f"{base}/actions")
    assert page.status_code == 200
    words = _text(page.text)
    assert "Child0 Test: graded Inadequate" in words
    assert f"What must happen {FOLLOW_UP_WHAT}" in words
    assert "Who was told lead (Lead inspector)" in words
    assert "contact (The authority's named contact)" in words
    assert await AccessLog.filter(action="view-actions", object_id=str(bad.child_id)).count() == 1

    # an empty form: the error summary, nothing recorded
    refused = await app_client.post(
        f"{base}/actions", data={"what": "", "owner": "", "owner_name": "Head of service"}
    )
    assert refused.status_code == 400
    assert '<a href="#due-day">Enter the date the action is due by</a>' in refused.text
    refused = await app_client.post(
        f"{base}/actions",
        data={
            "what": " ",
            "owner_name": "Head",
            "due-day": "1",
            "due-month": "12",
            "due-year": "2026",
        },
    )
    assert '<a href="#what">Enter what must be done.</a>' in refused.text
    assert await Action.all().count() == 1

    added = await app_client.post(
        f"{base}/actions",
        data={
            "what": "Re-train team B on SMART plans.",
            "owner": "",
            "owner_name": "Head of service",
            "domain": "planning_review",
            "due-day": "1",
            "due-month": "1",
            "due-year": "2020",
        },
    )
    assert added.status_code == 303 and added.headers["location"] == f"{base}/actions?done=added"
    page = await app_client.get(added.headers["location"])
    words = _text(page.text)
    assert "The action has been recorded" in words
    assert "1 action is overdue." in words
    assert (
        "Re-train team B on SMART plans. From the findings Planning and review Head of service "
        "01/01/2020 Overdue"
    ) in words
    board = await app_client.get(f"{base}/audits")
    assert "1 action is overdue: see the actions ." in _text(board.text)

    plan = await Action.get(what="Re-train team B on SMART plans.")
    refused = await app_client.post(
        f"{base}/actions/{plan.id}/complete",
        data={"evidence": "", "done_on-day": "2", "done_on-month": "1", "done_on-year": "2020"},
    )
    assert refused.status_code == 400
    assert '<a href="#evidence">Enter the evidence that the action was done.</a>' in refused.text
    done = await app_client.post(
        f"{base}/actions/{plan.id}/complete",
        data={
            "evidence": "Twelve plans re-read.",
            "done_on-day": "2",
            "done_on-month": "1",
            "done_on-year": "2020",
        },
    )
    assert done.status_code == 303
    shown = _text((await app_client.get(f"{base}/actions/{plan.id}")).text)
    assert "Evidence that it was done Twelve plans re-read." in shown
    assert "Done on 02/01/2020 (confirmed by lead)" in shown
    board = await app_client.get(f"{base}/audits")
    assert "overdue" not in _text(board.text)

    # from the audit's own link: the action is raised from that audit
    assert f'href="{base}/actions?audit={bad.id}#add"' in audit.text
    form = await app_client.get(f"{base}/actions?audit={bad.id}")
    assert "From the audit of Child0 Test." in _text(form.text)
    assert f'<input type="hidden" name="audit" value="{bad.id}">' in form.text
    raised = await app_client.post(
        f"{base}/actions",
        data={
            "audit": str(bad.id),
            "what": "See Child0 alone.",
            "owner_name": "Team manager",
            "domain": "child_seen",
            "due-day": "1",
            "due-month": "1",
            "due-year": "2030",
        },
    )
    assert raised.status_code == 303
    assert (await Action.get(what="See Child0 alone.")).audit_id == bad.id


async def test_a_reaudit_in_the_browser_with_the_before_and_after(app_client):  # noqa: F811
    inspection, members, lead, auditor, bad = await _world()
    base = f"/inspections/{inspection.id}"
    assert (await sign_in(app_client, "aud@x.test")).status_code == 303
    refused = await app_client.post(f"{base}/reaudits", data={"child": "C000", "reason": " "})
    assert refused.status_code == 400
    assert bad.submitted_at is not None
    day = bad.submitted_at.strftime("%d/%m/%Y")
    assert (
        f'<a href="#reason">Enter why Child0 Test is audited again: their first marking in this '
        f"round was submitted on {day}, and a child is audited once in a round unless a reason "
        "is recorded.</a>"
    ) in refused.text
    started = await app_client.post(
        f"{base}/audits", data={"member": str(members[0].id), "marking": "reaudit"}
    )
    assert started.status_code == 400
    assert "Record why this child is audited again before starting the re-audit." in started.text

    recorded = await app_client.post(
        f"{base}/reaudits", data={"child": "C000", "reason": "The follow-up actions are done."}
    )
    assert recorded.status_code == 303
    page = await app_client.get(recorded.headers["location"])
    words = _text(page.text)
    assert "The reason has been recorded: the child may be audited again" in words
    assert "Why they are audited again The follow-up actions are done. (aud," in words
    assert "After Not audited again yet" in words
    assert 'name="marking" value="reaudit"' in page.text

    started = await app_client.post(
        f"{base}/audits", data={"member": str(members[0].id), "marking": "reaudit"}
    )
    assert started.status_code == 303
    again = await Audit.get(inspection_id=inspection.id, marking="reaudit")
    assert started.headers["location"] == f"{base}/audits/{again.id}"
    audit_page = await app_client.get(started.headers["location"])
    assert "Re-audit of Child0 Test" in _text(audit_page.text)
    # the audits board shows the re-audit with the first marking it follows
    board = _text((await app_client.get(f"{base}/audits")).text)
    assert "Re-audit of Child0 Test · aud · Draft" in board
    await submitted(inspection.id, members[0], auditor, graded("good"), "reaudit")
    board = _text((await app_client.get(f"{base}/audits")).text)
    assert "Re-audit of Child0 Test · aud · Submitted · Good" in board

    for url in (f"{base}/children/{members[0].child_id}", f"{base}/findings"):
        words = _text((await app_client.get(url)).text)
        assert "before and after" in words
        assert (
            "Impact: what difference the help made and whether it lasted Inadequate Good Better"
        ) in words
        assert "Overall judgement Inadequate Good Better" in words

    selfev = _text((await app_client.get(f"{base}/self-evaluation")).text)
    assert "What do you know about the quality and impact of practice?" in selfev
    assert (
        "After the actions Re-audits Of 1 child audited again, the overall grade was better for "
        "1, the same for 0 and worse for 0."
    ) in selfev
    assert "What are your plans? All actions Actions 1 action open (0 overdue)" in selfev


async def test_the_actions_page_costs_the_same_queries_however_many_actions(app_client):  # noqa: F811
    from tests.query_count import count_queries

    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=8)
    await make_user(inspection, "lead@x.test", "lead_inspector")
    auditor = await make_user(inspection, "aud@x.test", "inspector")
    await make_user(inspection, "contact@x.test", "la_auditor", la_contact=True)
    assert (await sign_in(app_client, "lead@x.test")).status_code == 303
    url = f"/inspections/{inspection.id}/actions"
    counts = []
    for batch in (members[:2], members[2:]):
        for member in batch:
            await submitted(inspection.id, member, auditor, graded("inadequate"))
        with count_queries() as queries:
            page = await app_client.get(url)
        assert page.status_code == 200
        counts.append(queries.count)
    assert page.text.count("graded Inadequate</h3>") == 8
    assert counts[0] == counts[1], counts
