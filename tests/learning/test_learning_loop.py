"""The learning loop: actions and overdue, the follow-up of an Inadequate audit, re-audit with
its reason, the before and after, and the self-evaluation."""

from datetime import UTC, date, datetime, timedelta

import pytest

from inspection.audit.audits import AuditError, create_audit
from inspection.audit.status import Marking
from inspection.audit.visibility import COMMAND_LINE, Viewer
from inspection.learning import actions as acts
from inspection.learning.follow_up import FOLLOW_UP_WHAT, follow_ups, set_follow_up_days
from inspection.learning.reaudit import ReauditError, allow_reaudit, before_after
from inspection.learning.self_evaluation import self_evaluation
from inspection.models import Action, Audit, FollowUpNotice, Inspection
from inspection.models.core import Role
from inspection.sampling import service
from inspection.uk_time import in_uk
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.learning.helpers import graded, submitted


async def _team(inspection: Inspection):  # type: ignore[no-untyped-def]
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    auditor = await make_user(inspection, "aud@x.test", "inspector")
    contact = await make_user(inspection, "contact@x.test", "la_auditor", la_contact=True)
    return lead, auditor, contact


async def test_an_action_is_added_completed_with_evidence_and_overdue_when_past_its_date(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    lead, auditor, _ = await _team(inspection)
    as_lead = Viewer(lead, Role.LEAD_INSPECTOR)
    as_auditor = Viewer(auditor, Role.INSPECTOR)
    audit = await submitted(inspection.id, members[0], auditor, graded("good"))

    with pytest.raises(acts.ActionError) as refused:
        await acts.add_action(inspection.id, as_lead, what=" ", due=date(2026, 12, 1))
    assert str(refused.value) == "Enter what must be done."
    with pytest.raises(acts.ActionError) as refused:
        await acts.add_action(inspection.id, as_lead, what="Visit", due=None, owner=auditor)
    assert str(refused.value) == "Enter the date the action is due by."
    with pytest.raises(acts.ActionError) as refused:
        await acts.add_action(inspection.id, as_lead, what="Visit", due=date(2026, 12, 1))
    assert str(refused.value) == (
        "Enter who owns the action: a member of the team, or a named person or role."
    )
    with pytest.raises(acts.ActionError) as refused:
        await acts.add_action(
            inspection.id,
            as_lead,
            what="Visit",
            due=date(2026, 12, 1),
            owner_name="Head",
            domain="x",
        )
    assert str(refused.value) == "'x' is not a domain of this inspection's audits."
    assert await Action.all().count() == 0

    visit = await acts.add_action(
        inspection.id,
        as_lead,
        what="See the child alone and record their words.",
        due=date(2026, 11, 20),
        owner=auditor,
        audit_id=audit.id,
        domain="child_seen",
    )
    plan = await acts.add_action(
        inspection.id,
        as_lead,
        what="Re-train team B on SMART plans.",
        due=date(2026, 12, 20),
        owner_name="Head of service, children in need",
        domain="planning_review",
    )
    shown = await acts.actions_of(inspection.id, as_lead, today=date(2026, 12, 1))
    assert [(a.id, a.overdue, a.status_label, a.owner, a.child, a.domain_title) for a in shown] == [
        (visit.id, True, "Open", "aud", "Child0 Test", "The child seen, heard and understood"),
        (plan.id, False, "Open", "Head of service, children in need", "", "Planning and review"),
    ]
    assert [a.id for a in acts.overdue(shown)] == [visit.id]

    now = datetime(2026, 12, 1, 10, tzinfo=UTC)
    with pytest.raises(acts.ActionError) as refused:
        await acts.complete_action(
            inspection.id, visit.id, as_auditor, evidence="", done_on=date(2026, 11, 30), now=now
        )
    assert str(refused.value) == "Enter the evidence that the action was done."
    with pytest.raises(acts.ActionError) as refused:
        await acts.complete_action(
            inspection.id, visit.id, as_auditor, evidence="Seen", done_on=date(2026, 12, 2), now=now
        )
    assert str(refused.value) == "The date the action was done must be today or in the past."
    with pytest.raises(acts.ActionError) as refused:
        await acts.drop_action(inspection.id, plan.id, as_auditor, reason="Done elsewhere")
    assert str(refused.value) == "Only a lead inspector can drop an action."

    await acts.complete_action(
        inspection.id,
        visit.id,
        as_auditor,
        evidence="Seen alone at school on 28/11; her words are in the case record.",
        done_on=date(2026, 11, 28),
        now=now,
    )
    with pytest.raises(acts.ActionError) as refused:
        await acts.complete_action(
            inspection.id, visit.id, as_lead, evidence="Again", done_on=date(2026, 11, 28)
        )
    assert str(refused.value) == "This action is already done."
    with pytest.raises(acts.ActionError) as refused:
        await acts.drop_action(inspection.id, plan.id, as_lead, reason=" ")
    assert str(refused.value) == "Enter why the action is dropped."
    await acts.drop_action(inspection.id, plan.id, as_lead, reason="The service was restructured.")

    shown = await acts.actions_of(inspection.id, COMMAND_LINE, today=date(2026, 12, 1))
    assert [
        (a.status_label, a.overdue, a.evidence, a.done_on, a.closed_by, a.drop_reason)
        for a in shown
    ] == [
        (
            "Done",
            False,
            "Seen alone at school on 28/11; her words are in the case record.",
            date(2026, 11, 28),
            "aud",
            "",
        ),
        ("Dropped", False, "", None, "lead", "The service was restructured."),
    ]


async def test_an_inadequate_submission_tells_the_lead_and_the_contact_and_sets_a_due_action(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=3)
    lead, auditor, contact = await _team(inspection)
    await set_follow_up_days(inspection.id, Viewer(lead, Role.LEAD_INSPECTOR), "14")
    with pytest.raises(acts.ActionError) as refused:
        await set_follow_up_days(inspection.id, Viewer(lead, Role.LEAD_INSPECTOR), "0")
    assert str(refused.value) == "Enter the number of days as a whole number from 1 to 365."

    await submitted(inspection.id, members[0], auditor, graded("good"))
    assert await Action.all().count() == 0  # a good audit starts nothing
    bad = await submitted(inspection.id, members[1], auditor, graded("inadequate"))

    action = await Action.get(audit_id=bad.id)
    assert (action.origin, action.what, action.owner_id, action.status) == (
        "follow-up",
        FOLLOW_UP_WHAT,
        lead.id,
        "open",
    )
    assert bad.submitted_at is not None
    assert action.due == in_uk(bad.submitted_at).date() + timedelta(days=14)
    notices = (
        await FollowUpNotice.filter(audit_id=bad.id)
        .order_by("id")
        .values_list("recipient__email", "told_as", "action_id")
    )
    assert notices == [
        ("lead@x.test", "Lead inspector", action.id),
        ("contact@x.test", "The authority's named contact", action.id),
    ]
    [shown] = await follow_ups(inspection.id, Viewer(lead, Role.LEAD_INSPECTOR))
    assert (shown.audit_id, shown.owner, shown.due, shown.no_contact) == (
        bad.id,
        "lead",
        action.due,
        False,
    )
    assert [(t.name, t.told_as) for t in shown.told] == [
        ("lead", "Lead inspector"),
        ("contact", "The authority's named contact"),
    ]


async def test_a_blind_second_marker_is_not_told_of_the_first_markings_inadequate(db):
    from inspection.audit.moderation import set_plan

    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=1)
    lead, auditor, _ = await _team(inspection)
    second = await make_user(inspection, "second@x.test", "inspector")
    await set_plan(inspection.id, sample.id, 1.0, True, lead)
    await submitted(inspection.id, members[0], auditor, graded("inadequate"))
    await create_audit(inspection.id, members[0].id, second, Marking.SECOND)
    assert await follow_ups(inspection.id, Viewer(second, Role.INSPECTOR)) == []
    assert await acts.actions_of(inspection.id, Viewer(second, Role.INSPECTOR)) == []
    assert len(await follow_ups(inspection.id, Viewer(lead, Role.LEAD_INSPECTOR))) == 1


async def test_a_reaudit_needs_its_reason_and_shows_the_before_and_after(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    lead, auditor, _ = await _team(inspection)
    as_lead = Viewer(lead, Role.LEAD_INSPECTOR)
    first = await submitted(
        inspection.id, members[0], auditor, graded("requires_improvement", impact="inadequate")
    )
    assert first.submitted_at is not None
    day = in_uk(first.submitted_at).strftime("%d/%m/%Y")

    with pytest.raises(AuditError) as refused:
        await create_audit(inspection.id, members[0].id, auditor, Marking.REAUDIT)
    assert (
        str(refused.value) == "Record why this child is audited again before starting the re-audit."
    )
    with pytest.raises(AuditError) as refused:
        await create_audit(inspection.id, members[1].id, auditor, Marking.REAUDIT)
    assert (
        str(refused.value)
        == "A re-audit follows the child's submitted first marking in this round."
    )
    with pytest.raises(ReauditError) as no_reason:
        await allow_reaudit(inspection.id, members[0].child_id, "  ", as_lead)
    assert str(no_reason.value) == (
        f"Enter why Child0 Test is audited again: their first marking in this round was "
        f"submitted on {day}, and a child is audited once in a round unless a reason is recorded."
    )
    with pytest.raises(ReauditError) as never:
        await allow_reaudit(inspection.id, members[1].child_id, "Because", as_lead)
    assert str(never.value) == "Child1 Test has no submitted audit to follow: audit them as usual."

    await allow_reaudit(
        inspection.id, members[0].child_id, "The follow-up actions are done.", as_lead
    )
    with pytest.raises(ReauditError) as twice:
        await allow_reaudit(inspection.id, members[0].child_id, "Again", as_lead)
    assert str(twice.value) == "Child0 Test is already to be audited again in this round."
    [waiting] = await before_after(inspection.id, as_lead)
    assert waiting.later is None
    assert [(d.before, d.after) for d in waiting.domains][-2:] == [
        ("Inadequate", ""),
        ("Inadequate", ""),
    ]

    again = await submitted(
        inspection.id,
        members[0],
        auditor,
        graded("good", assessment="requires_improvement", child_seen="inadequate"),
        Marking.REAUDIT,
    )
    assert again.marking == Marking.REAUDIT
    [shown] = await before_after(inspection.id, COMMAND_LINE)
    assert (shown.child, shown.reason, shown.decided_by) == (
        "Child0 Test",
        "The follow-up actions are done.",
        "lead",
    )
    assert shown.earlier is not None and shown.later is not None
    assert (shown.earlier.marking_label, shown.later.marking_label) == ("First marking", "Re-audit")
    ri, bad, good = "Requires improvement to be good", "Inadequate", "Good"
    assert [(d.key, d.before, d.after, d.change) for d in shown.domains] == [
        ("child_seen", ri, bad, "Worse"),
        ("need_and_risk", ri, good, "Better"),
        ("assessment", ri, ri, "The same"),
        ("help_matched", ri, good, "Better"),
        ("agencies_together", ri, good, "Better"),
        ("planning_review", ri, good, "Better"),
        ("management_oversight", ri, good, "Better"),
        ("impact", bad, good, "Better"),
        ("overall", bad, good, "Better"),
    ]
    assert shown.domains[-1].title == "Overall judgement"
    # the re-audit counts in no estimate: the findings still rest on the one first marking
    from inspection.audit.findings import findings

    doc = await findings(inspection.id, COMMAND_LINE)
    assert doc["audits"] == 1


async def test_a_reason_lets_a_child_audited_in_an_earlier_round_back_into_the_draw(db):
    october = await make_inspection(reference=date(2026, 10, 1))
    _, members = await make_sample(october, n=1)
    lead, auditor, _ = await _team(october)
    await submitted(october.id, members[0], auditor, graded("inadequate"))
    await Audit.filter(inspection_id=october.id).update(
        submitted_at=datetime(2026, 10, 2, 9, tzinfo=UTC)
    )
    december = await make_inspection(reference=date(2026, 12, 1))
    _, later = await make_sample(december, n=1)
    lead = await make_user(december, "lead@x.test", "lead_inspector")
    assert await service.recently_audited(december, 12) == {"C000"}
    before = await service.preview(december.id, {})
    assert (before.size, before.excluded) == (0, 1)  # left out of December's draws
    with pytest.raises(ReauditError) as no_reason:
        await allow_reaudit(december.id, later[0].child_id, "", Viewer(lead, Role.LEAD_INSPECTOR))
    assert str(no_reason.value) == (
        "Enter why Child0 Test is audited again: they were audited in Audit round 2026-10-01 on "
        "02/10/2026, and a child audited in the 12 months before the reference date is left out "
        "of samples unless a reason is recorded."
    )
    await allow_reaudit(
        december.id,
        later[0].child_id,
        "Actions done after October",
        Viewer(lead, Role.LEAD_INSPECTOR),
    )
    from inspection.learning.reaudit import allowed_in_draws

    assert await allowed_in_draws(december.id) == {"C000"}
    after = await service.preview(december.id, {})
    assert (after.size, after.excluded) == (1, 0)  # back in, for the recorded reason
    [shown] = await before_after(december.id, Viewer(lead, Role.LEAD_INSPECTOR))
    assert shown.earlier is not None and shown.earlier.round == "Audit round 2026-10-01"
    assert shown.earlier.visible  # the lead of December is a lead in October too
    assert shown.later is None


async def test_the_self_evaluation_answers_the_three_questions_from_the_evidence(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=3)
    lead, auditor, _ = await _team(inspection)
    as_lead = Viewer(lead, Role.LEAD_INSPECTOR)
    await submitted(inspection.id, members[0], auditor, graded("good"))
    await submitted(
        inspection.id, members[1], auditor, graded("good", impact="requires_improvement")
    )
    bad = await submitted(inspection.id, members[2], auditor, graded("inadequate"))
    follow_up = await Action.get(audit_id=bad.id)
    await Action.filter(id=follow_up.id).update(due=date(2026, 11, 10))
    done = await acts.add_action(
        inspection.id,
        as_lead,
        what="Audit team B's plans.",
        due=date(2026, 11, 30),
        owner_name="Practice lead",
        domain="planning_review",
    )
    await acts.complete_action(
        inspection.id,
        done.id,
        as_lead,
        evidence="12 plans reviewed.",
        done_on=date(2026, 11, 20),
        now=datetime(2026, 11, 25, tzinfo=UTC),
    )
    rows = await self_evaluation(inspection.id, as_lead, today=date(2026, 11, 25))
    got = [(s.question, s.source, s.topic, s.text) for s in rows]
    title = "Child-centred case audit: was the child helped?"
    two_of_three = (
        "2 of 3 sampled children's help was good or better (67%; 95% interval 21% to 94%). "
        "Too few children to say much."
    )
    one_of_three = (
        "1 of 3 sampled children's help was good or better (33%; 95% interval 6% to 79%). "
        "Too few children to say much."
    )
    domains = [
        "The child seen, heard and understood",
        "Need and risk recognised early across agencies",
        "Quality of assessment and analysis",
        "Help matched to need and received",
        "Agencies working together",
        "Planning and review",
        "Management oversight",
    ]
    impact = "Impact: what difference the help made and whether it lasted"
    audited = (
        "3 children drawn at random from a recorded seed were audited, and 0 tracked cases "
        f"chosen on purpose (in no estimate), on: {title}."
    )
    assert got == [
        *[("know", "Audit findings", f"{title}: {d}", two_of_three) for d in domains],
        ("know", "Audit findings", f"{title}: {impact}", one_of_three),
        ("know", "Audit findings", f"{title}: Overall judgement", one_of_three),
        ("how", "Case audits", "Children audited", audited),
        ("plans", "Actions", "All actions", "1 action open (1 overdue), 1 done, 0 dropped."),
        (
            "plans",
            "Actions",
            "Follow-up of an audit graded Inadequate",
            f"{FOLLOW_UP_WHAT} Owner: lead; due 10/11/2026. Overdue.",
        ),
        (
            "plans",
            "Actions",
            "Planning and review",
            "Done: Audit team B's plans. Evidence: 12 plans reviewed. (20/11/2026, confirmed by "
            "lead).",
        ),
    ]
    share = rows[0]
    assert (share.share, share.graded) == (2 / 3, 3)
    assert share.low is not None and round(share.low, 4) == 0.2077
