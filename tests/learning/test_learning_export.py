"""The actions and the self-evaluation in the QA workbook and the CSV files, exactly, on a
constructed round: three sampled children audited (good; good but for impact; Inadequate, whose
follow-up is overdue), and one action from the findings done with its evidence."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from inspection.audit.visibility import Viewer
from inspection.export.csv import build_csv
from inspection.export.workbook import build_workbook
from inspection.learning import actions as acts
from inspection.learning.follow_up import FOLLOW_UP_WHAT
from inspection.models import Action
from inspection.models.core import Role
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.learning.helpers import graded, submitted

TITLE = "Child-centred case audit: was the child helped?"
KNOW = "What do you know about the quality and impact of practice?"


async def _round():  # type: ignore[no-untyped-def]
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=3)
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    auditor = await make_user(inspection, "aud@x.test", "inspector")
    await submitted(inspection.id, members[0], auditor, graded("good"))
    await submitted(
        inspection.id, members[1], auditor, graded("good", impact="requires_improvement")
    )
    bad = await submitted(inspection.id, members[2], auditor, graded("inadequate"))
    follow_up = await Action.get(audit_id=bad.id)
    await Action.filter(id=follow_up.id).update(due=date(2020, 1, 10))
    plan = await acts.add_action(
        inspection.id,
        Viewer(lead, Role.LEAD_INSPECTOR),
        what="Audit team B's plans.",
        due=date(2020, 1, 31),
        owner_name="Practice lead",
        domain="planning_review",
    )
    await acts.complete_action(
        inspection.id,
        plan.id,
        Viewer(lead, Role.LEAD_INSPECTOR),
        evidence="12 plans reviewed.",
        done_on=date(2020, 1, 20),
        now=datetime(2020, 1, 25, tzinfo=UTC),
    )
    return inspection, lead, follow_up, plan


async def test_the_self_evaluation_and_the_actions_in_the_csv_files_exactly(db):
    inspection, lead, follow_up, plan = await _round()
    export = await build_csv(inspection.id, lead, pseudonymise=False)
    rows = export.files["self_evaluation.csv"].split("\r\n")
    assert rows[0] == "question,source,topic,statement,share,low,high,graded"
    assert rows[1] == (
        f'{KNOW},Audit findings,"{TITLE}: The child seen, heard and understood",'
        "2 of 3 sampled children's help was good or better (67%; 95% interval 21% to 94%). "
        "Too few children to say much.,0.6667,0.2077,0.9385,3"
    )
    assert rows[8] == (
        f"{KNOW},Audit findings,{TITLE}: Impact: what difference the help made and whether it "
        "lasted,1 of 3 sampled children's help was good or better (33%; 95% interval 6% to 79%). "
        "Too few children to say much.,0.3333,0.0615,0.7923,3"
    )
    assert rows[10:] == [
        'How do you know it?,Case audits,Children audited,"3 children drawn at random from a '
        "recorded seed were audited, and 0 tracked cases chosen on purpose (in no estimate), on: "
        f'{TITLE}.",,,,',
        'What are your plans?,Actions,All actions,"1 action open (1 overdue), 1 done, 0 '
        'dropped.",,,,',
        f'What are your plans?,Actions,Follow-up of an audit graded Inadequate,"{FOLLOW_UP_WHAT}'
        ' Owner: lead; due 10/01/2020. Overdue.",,,,',
        "What are your plans?,Actions,Planning and review,\"Done: Audit team B's plans. "
        'Evidence: 12 plans reviewed. (20/01/2020, confirmed by lead).",,,,',
        "",
    ]
    actions = export.files["actions.csv"].split("\r\n")
    assert actions[0] == (
        "action_id,origin,what,owner,due,status,overdue,child,audit_id,domain,evidence,done_on,"
        "closed_by,closed_at,drop_reason,created_by,created_at"
    )
    created = f"{follow_up.created_at:%Y-%m-%d}"
    assert actions[1].startswith(
        f'{follow_up.id},Follow-up of an audit graded Inadequate,"{FOLLOW_UP_WHAT}",lead,'
        f"2020-01-10,Open,yes,C002,{follow_up.audit_id},,,,,,,aud,{created} "
    )
    assert actions[2].startswith(
        f"{plan.id},From the findings,Audit team B's plans.,Practice lead,2020-01-31,Done,no,,,"
        "Planning and review,12 plans reviewed.,2020-01-20,lead,2020-01-25 00:00,,lead,"
    )


async def test_the_workbook_holds_the_actions_and_the_self_evaluation(db):
    inspection, lead, follow_up, _ = await _round()
    export = await build_workbook(inspection.id, lead, pseudonymise=True, key=b"k" * 32)
    wb = load_workbook(io.BytesIO(export.data))
    assert wb.sheetnames[-2:] == ["Actions", "Self-evaluation"]
    sheet = [tuple(r) for r in wb["Self-evaluation"].iter_rows(values_only=True)]
    assert sheet[0] == (
        "Question",
        "Source",
        "About",
        "What the evidence says",
        "Share good or better",
        "95% interval from",
        "95% interval to",
        "Children graded",
    )
    assert [r[0] for r in sheet[1:]] == [KNOW] * 9 + ["How do you know it?"] + [
        "What are your plans?"
    ] * 3
    assert sheet[1][4:] == (0.6667, 0.2077, 0.9385, 3)
    actions = [tuple(r) for r in wb["Actions"].iter_rows(values_only=True)]
    # pseudonymised: the child is a keyed pseudonym, never the authority's id or the name
    child = actions[1][7]
    assert child not in ("C002", "Child2 Test") and len(child) > 4
    assert actions[1][4] == datetime(2020, 1, 10)
    assert actions[1][6] == "yes"
