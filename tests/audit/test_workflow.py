"""Thirty children audited, a fifth second-marked blind, moderated, and the findings checked."""

import pytest

from inspection.audit.audits import (
    AuditConflict,
    AuditError,
    AuditNotFound,
    audit_values,
    create_audit,
    open_audit,
    save_audit,
    submit_audit,
)
from inspection.audit.concerns import ConcernError, close, raise_concern, respond, visible_concerns
from inspection.audit.definition import definition_of
from inspection.audit.findings import find_figure_ids, findings, wilson
from inspection.audit.moderation import (
    agreement_report,
    record_agreed_grade,
    selected_member_ids,
    set_plan,
)
from inspection.audit.visibility import Viewer, may_see_audit
from inspection.models import Audit, Event
from inspection.models.core import Role
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user


async def test_autosave_conflict_refuses_and_keeps_both(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "aud@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    saved = await save_audit(
        inspection.id,
        audit.id,
        auditor,
        Role.INSPECTOR,
        1,
        {"evidence:child_seen": "Seen alone at school."},
    )
    assert saved.version == 2
    # the lead saves from version 2 first
    await save_audit(
        inspection.id,
        audit.id,
        lead,
        Role.LEAD_INSPECTOR,
        2,
        {"evidence:child_seen": "Seen alone at school.", "strengths": "Lead's note."},
    )
    with pytest.raises(AuditConflict) as info:
        await save_audit(
            inspection.id,
            audit.id,
            auditor,
            Role.INSPECTOR,
            2,
            {"evidence:child_seen": "Seen alone at school, twice.", "grade:impact": "good"},
        )
    conflict = info.value
    assert conflict.current_version == 3 and conflict.saved_by == "lead"
    changes = {c.field: (c.theirs, c.yours) for c in conflict.changes}
    assert changes == {
        "evidence:child_seen": ("Seen alone at school.", "Seen alone at school, twice."),
        "grade:impact": ("", "good"),
        "strengths": ("Lead's note.", ""),
    }
    assert conflict.yours["evidence:child_seen"] == "Seen alone at school, twice."
    current = await Audit.get(id=audit.id).prefetch_related("rubric")
    stored = await audit_values(current, definition_of(current.rubric))
    assert stored["strengths"] == "Lead's note."


async def test_cited_events_must_belong_to_the_child(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "aud@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    own = await Event.filter(child_id=members[0].child_id).values_list("id", flat=True)
    other = await Event.filter(child_id=members[1].child_id).values_list("id", flat=True)
    ok = await save_audit(
        inspection.id,
        audit.id,
        auditor,
        Role.INSPECTOR,
        1,
        {"cites:need_and_risk": [str(i) for i in own]},
    )
    assert ok.version == 2
    with pytest.raises(AuditError, match="this child's journey"):
        await save_audit(
            inspection.id,
            audit.id,
            auditor,
            Role.INSPECTOR,
            2,
            {"cites:need_and_risk": [str(other[0])]},
        )


async def test_thirty_children_double_marked_moderated_and_found(db):
    inspection = await make_inspection()
    weights = [5.0 if i % 3 == 0 else 20.0 for i in range(30)]
    sample, members = await make_sample(inspection, n=30, weights=weights)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "la_auditor")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await set_plan(inspection.id, sample.id, 0.2, include_inadequate=False, user=lead)
    chosen = await selected_member_ids(sample.id)
    assert len(chosen) == 6

    first_ids = {}
    for i, m in enumerate(members):
        audit = await create_audit(inspection.id, m.id, a1)
        values = dict(ALL_GOOD)
        if i % 5 == 0:  # 6 children whose help made too little difference
            values["grade:impact"] = "requires_improvement"
            values["evidence:impact"] = "Neglect returned after the plan ended."
        values["themes"] = "neglect, voice of the child" if i % 5 == 0 else "voice of the child"
        done, missing = await submit_audit(
            inspection.id, audit.id, a1, Role.INSPECTOR, audit.version, values
        )
        assert missing == []
        first_ids[m.id] = done.id

    # nobody else chosen can be second-marked
    not_chosen = next(m for m in members if m.id not in chosen)
    with pytest.raises(AuditError, match="not chosen"):
        await create_audit(inspection.id, not_chosen.id, a2, marking="second")
    chosen_member = sorted(chosen)[0]
    with pytest.raises(AuditError, match="someone other"):
        await create_audit(inspection.id, chosen_member, a1, marking="second")

    seconds = {}
    for m_id in sorted(chosen):
        second = await create_audit(inspection.id, m_id, a2, marking="second")
        seconds[m_id] = second
        # blind: the second marker cannot open the first marking
        first = await Audit.get(id=first_ids[m_id])
        assert not await may_see_audit(first, Viewer(a2, Role.LA_AUDITOR))
        with pytest.raises(AuditNotFound):
            await open_audit(inspection.id, first.id, a2, Role.LA_AUDITOR)
        assert await may_see_audit(first, Viewer(lead, Role.LEAD_INSPECTOR))

    # second marker grades: disagree on impact for the first two chosen
    for k, m_id in enumerate(sorted(chosen)):
        values = dict(ALL_GOOD)
        if k < 2:
            values["grade:impact"] = "inadequate"
            values["evidence:impact"] = "No lasting change."
        _, missing = await submit_audit(
            inspection.id, seconds[m_id].id, a2, Role.LA_AUDITOR, seconds[m_id].version, values
        )
        assert missing == []
    first = await Audit.get(id=first_ids[sorted(chosen)[0]])
    assert await may_see_audit(first, Viewer(a2, Role.LA_AUDITOR))

    report = await agreement_report(inspection.id)
    assert report["pairs"] == 6
    rows = {d["domain"]: d for d in report["rubrics"][0]["domains"]}
    assert rows["child_seen"]["pairs"] == 6 and rows["child_seen"]["percent_agreement"] == 1.0
    assert rows["impact"]["pairs"] == 6
    index = {m.id: i for i, m in enumerate(members)}
    first_impact = {
        m_id: "requires_improvement" if index[m_id] % 5 == 0 else "good" for m_id in chosen
    }
    second_impact = {
        m_id: "inadequate" if k < 2 else "good" for k, m_id in enumerate(sorted(chosen))
    }
    assert rows["impact"]["agreed"] == sum(first_impact[m] == second_impact[m] for m in chosen)

    # moderation: the agreed grade replaces the first grade in findings; originals kept
    m0 = sorted(chosen)[0]
    await record_agreed_grade(
        inspection.id,
        first_ids[m0],
        seconds[m0].id,
        "overall",
        "inadequate",
        "Child harmed again after closure.",
        lead,
    )
    first_again = await Audit.get(id=first_ids[m0])
    assert first_again.overall in ("good", "requires_improvement")

    doc = await findings(inspection.id, Viewer(lead, Role.LEAD_INSPECTOR), sample.id)
    assert doc["audits"] == 30
    r = doc["rubrics"][0]
    overall = next(d for d in r["domains"] if d["domain"] == "overall")
    good_or_better = overall["good_or_better"]
    # first markings: 24 good overall, 6 requires improvement (impact limits the overall);
    # then the moderator's Inadequate replaces one of them
    expected = {
        first_ids[m.id]: "requires_improvement" if i % 5 == 0 else "good"
        for i, m in enumerate(members)
    }
    expected[first_ids[m0]] = "inadequate"
    expected_good = sum(g == "good" for g in expected.values())
    assert good_or_better["good"] == expected_good and good_or_better["n"] == 30
    ci = wilson(expected_good, 30)
    assert (good_or_better["low"], good_or_better["high"]) == (ci.low, ci.high)
    weights_by_audit = {first_ids[m.id]: m.weight for m in members}
    good_ids = good_or_better["good_audit_ids"]
    w_good = sum(weights_by_audit[a] for a in good_ids)
    assert good_or_better["weighted_share"] == pytest.approx(w_good / sum(weights))
    dist = {x["grade"]: x["count"] for x in overall["distribution"]}
    assert dist == {
        "outstanding": 0,
        "good": expected_good,
        "requires_improvement": 29 - expected_good,
        "inadequate": 1,
        "not_applicable": 0,
    }
    assert sorted(good_ids) == sorted(a for a, g in expected.items() if g == "good")
    inadequate_ids = find_figure_ids(
        doc, ["child_help v2", "domains", "overall", "distribution", "inadequate"]
    )
    assert inadequate_ids == [first_ids[m0]]
    themes = {t["theme"]: t["count"] for t in r["themes"]}
    assert themes == {"voice of the child": 30, "neglect": 6}
    strata = {g["group"]: g["n"] for g in r["by_stratum"]}
    assert strata == {"cin": 20, "cp": 10}
    cohorts = {g["group"]: g["n"] for g in r["by_cohort"]}
    assert cohorts == {"Child protection plan": 10, "No help episode recorded": 20}
    agencies = {g["group"]: g["n"] for g in r["by_agency"]}
    assert agencies == {"Police": 10, "Children's social care": 30}
    assert [t["n"] for t in doc["trend"]] == [30]


async def test_concern_cannot_close_without_response(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "aud@x.test", "la_auditor")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    contact = await make_user(inspection, "dcs@x.test", "qa_viewer", la_contact=True)
    other = await make_user(inspection, "other@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    concern = await raise_concern(
        inspection.id, audit.id, auditor, Role.LA_AUDITOR, "Child left alone overnight."
    )
    assert concern.child_id == members[0].child_id
    assert [
        c.id for c in await visible_concerns(inspection.id, Viewer(contact, Role.QA_VIEWER))
    ] == [concern.id]
    assert [
        c.id for c in await visible_concerns(inspection.id, Viewer(lead, Role.LEAD_INSPECTOR))
    ] == [concern.id]
    assert await visible_concerns(inspection.id, Viewer(other, Role.INSPECTOR)) == []
    with pytest.raises(ConcernError, match="until a response"):
        await close(inspection.id, concern.id, lead, Role.LEAD_INSPECTOR)
    await respond(inspection.id, concern.id, contact, Role.QA_VIEWER, "Visited today; safe.")
    closed = await close(inspection.id, concern.id, lead, Role.LEAD_INSPECTOR)
    assert closed.status == "closed"
    assert [a["action"] for a in closed.actions] == ["raised", "responded", "closed"]
