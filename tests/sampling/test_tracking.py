"""Tracked cases: children chosen on purpose, with a reason and a line of enquiry, beside the
random sample; their rules and messages, their verification, and the findings that keep them
out of every estimate while saying how many sampled and tracked children stand behind each
figure."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from inspection.audit.audits import AuditError, create_audit
from inspection.audit.findings import findings
from inspection.audit.moderation import ModerationError, set_plan
from inspection.audit.rubric import default_rubric
from inspection.audit.visibility import COMMAND_LINE
from inspection.cli.audit import _text as findings_text
from inspection.export.offline import build_offline_pack
from inspection.models import Audit, Child, ModerationPlan, Sample, SampleMember, Score
from inspection.overview import inspection_overview
from inspection.sampling import service, tracking
from inspection.sampling.status import MemberStatus, SampleMethod
from tests.audit.helpers import make_inspection, make_sample, make_user

REASON = "Three contacts in a year, each closed with no further action."
LINE = "The response to repeat referrals at the front door"


async def _world():
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=10, weights=[5.0] * 4 + [20.0] * 6)
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    auditor = await make_user(inspection, "a@x.test", "inspector")
    extra = [
        await Child.create(
            inspection=inspection,
            la_child_id=f"T{i}",
            given_name=name,
            family_name="Brown",
            team="Front door",
        )
        for i, name in enumerate(["Amelia", "Ben", "Cara"])
    ]
    return inspection, sample, members, lead, auditor, extra


async def _snapshot(inspection_id: int) -> list[tuple]:
    """Every sample and member as stored: a refusal must leave these exactly as they were."""
    samples = (
        await Sample.filter(inspection_id=inspection_id).order_by("id").values_list("id", "method")
    )
    members = (
        await SampleMember.filter(inspection_id=inspection_id)
        .order_by("id")
        .values_list("id", "status", "reason", "line_of_enquiry", "untracked_reason")
    )
    return [*samples, *members]


async def test_tracking_a_child_makes_one_purposive_sample_with_weight_zero(db):
    inspection, _, _, lead, auditor, extra = await _world()
    assert await tracking.purposive_sample(inspection.id) is None
    first = await tracking.track(inspection, extra[0], f"  {REASON} ", LINE, lead)
    second = await tracking.track(inspection, extra[1].id, "Missing from care twice.", "", auditor)
    sample = await tracking.purposive_sample(inspection.id)
    assert sample is not None
    assert (sample.method, sample.purpose, sample.seed, sample.drawn_by_id) == (
        SampleMethod.PURPOSIVE,
        "Tracked cases",
        "",
        lead.id,
    )
    assert await Sample.filter(inspection_id=inspection.id, method="purposive").count() == 1
    stored = await SampleMember.filter(sample_id=sample.id).order_by("id")
    assert [(m.id, m.child_id, m.status, m.weight, m.order) for m in stored] == [
        (first.id, extra[0].id, MemberStatus.TRACKED, 0.0, 1),
        (second.id, extra[1].id, MemberStatus.TRACKED, 0.0, 2),
    ]
    assert (stored[0].reason, stored[0].line_of_enquiry, stored[0].changed_by_id) == (
        REASON,
        LINE,
        lead.id,
    )
    doc = await tracking.tracked_cases(inspection.id, COMMAND_LINE)
    assert [
        (c["name"], c["la_child_id"], c["reason"], c["line_of_enquiry"]) for c in doc["tracked"]
    ] == [
        ("Amelia Brown", "T0", REASON, LINE),
        ("Ben Brown", "T1", "Missing from care twice.", ""),
    ]
    assert [c["tracked_by"] for c in doc["tracked"]] == ["lead", "a"]
    assert doc["ended"] == []
    # the random samples' page lists only the samples drawn
    assert [s["method"] for s in await service.list_samples(inspection.id)] == ["stratified"]


async def test_each_refusal_says_why_and_changes_nothing(db):
    inspection, sample, members, lead, _, extra = await _world()
    await tracking.track(inspection, extra[0], REASON, LINE, lead)
    elsewhere = await make_inspection("T02")
    stranger = await Child.create(inspection=elsewhere, la_child_id="X1", given_name="Zed")
    before = await _snapshot(inspection.id)
    cases = [
        (extra[1], "   ", "reason", "Enter why you chose this child to track."),
        (stranger, REASON, "child", "That child is not in this inspection."),
        (
            extra[0],
            REASON,
            "child",
            f"Amelia Brown is already a tracked case (chosen by lead on "
            f"{datetime.now(UTC).strftime('%d/%m/%Y')}).",
        ),
        (
            members[0].child_id,
            REASON,
            "child",
            "Child0 Test is in the random sample ‘Sample drawn on "
            f"{sample.drawn_at.strftime('%d/%m/%Y at %H:%M')}’: they are audited there, so "
            "they cannot also be a tracked case.",
        ),
        (
            extra[1],
            "x" * 2001,
            "reason",
            "The reason is 2001 characters long: keep it to 2000 or fewer.",
        ),
    ]
    for child, reason, field, message in cases:
        with pytest.raises(tracking.TrackingError) as refused:
            await tracking.track(inspection, child, reason, LINE, lead)
        assert (str(refused.value), refused.value.field) == (message, field)
    with pytest.raises(tracking.TrackingError) as refused:
        await tracking.track(inspection, extra[1], REASON, "y" * 2001, lead)
    assert str(refused.value) == (
        "The line of enquiry is 2001 characters long: keep it to 2000 or fewer."
    )
    assert await _snapshot(inspection.id) == before


async def test_untracking_needs_a_reason_keeps_the_record_and_stops_once_audited(db):
    inspection, _, members, lead, auditor, extra = await _world()
    amelia = await tracking.track(inspection, extra[0], REASON, LINE, lead)
    ben = await tracking.track(inspection, extra[1], REASON, LINE, lead)
    before = await _snapshot(inspection.id)
    for member_id, reason, message in (
        (amelia.id, " ", "Enter why Amelia Brown is no longer tracked."),
        (members[0].id, "Moved away", "That child is not a tracked case of this inspection."),
    ):
        with pytest.raises(tracking.TrackingError) as refused:
            await tracking.untrack(inspection, member_id, reason, lead)
        assert str(refused.value) == message
    rubric = await default_rubric()
    await Audit.create(
        inspection=inspection, member=ben, child_id=ben.child_id, auditor=auditor, rubric=rubric
    )
    with pytest.raises(tracking.TrackingError) as refused:
        await tracking.untrack(inspection, ben.id, "Not needed", lead)
    assert str(refused.value) == (
        "Ben Brown’s audit as a tracked case has started, so they stay a tracked case."
    )
    assert await _snapshot(inspection.id) == before

    await tracking.untrack(inspection, amelia.id, "The family moved out of the area.", auditor)
    doc = await tracking.tracked_cases(inspection.id, COMMAND_LINE)
    assert [c["name"] for c in doc["tracked"]] == ["Ben Brown"]
    assert [(c["name"], c["untracked_reason"], c["untracked_by"]) for c in doc["ended"]] == [
        ("Amelia Brown", "The family moved out of the area.", "a")
    ]
    assert doc["tracked"][0]["audit"]["status_label"] == "Draft"
    with pytest.raises(AuditError) as refused:
        await create_audit(inspection.id, amelia.id, auditor)
    assert str(refused.value) == (
        "This child is no longer a tracked case: track them again to audit them."
    )
    assert not await Audit.filter(member_id=amelia.id).exists()
    # no longer tracked, the child may be tracked again (a new record; the old one is kept)
    again = await tracking.track(inspection, extra[0], "Back in the area.", LINE, lead)
    assert again.id != amelia.id
    assert await tracking.tracked_member(inspection.id, extra[0].id) == again


async def test_verifying_the_tracked_cases_says_they_were_chosen_on_purpose(db):
    inspection, sample, _, lead, _, extra = await _world()
    await tracking.track(inspection, extra[0], REASON, LINE, lead)
    member = await tracking.track(inspection, extra[1], "Missing from care twice.", "", lead)
    purposive = await tracking.purposive_sample(inspection.id)
    assert purposive is not None
    result = await service.verify(inspection.id, purposive.id)
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    assert result.ok and result.purposive
    assert [(c.name, c.label, c.ok) for c in result.checks] == [
        ("chosen_on_purpose", "Chosen on purpose", True),
        ("tracked_cases", "The tracked cases", True),
    ]
    assert result.checks[0].detail == (
        "Chosen on purpose by inspectors, not drawn at random: there is no seed and no draw "
        "to repeat."
    )
    assert result.checks[1].detail == (
        "2 tracked case(s), each recording who chose them, when and why, with design weight 0. "
        f"Child record {extra[0].id}: chosen by lead on {today}, because {REASON}; line of "
        f"enquiry: {LINE}. "
        f"Child record {extra[1].id}: chosen by lead on {today}, because Missing from care "
        "twice.."
    )
    # a tracked case given a weight would count in the estimates: verification says so
    await SampleMember.filter(id=member.id).update(weight=1.0)
    result = await service.verify(inspection.id, purposive.id)
    assert not result.ok
    assert [c.detail for c in result.failed] == [
        f"child record {extra[1].id} has design weight 1, not 0"
    ]
    # the random sample is not a purposive one: its check is a fresh draw, as before
    drawn = await service.verify(inspection.id, sample.id)
    assert not drawn.purposive


async def _submitted(inspection, member, auditor, grade: str) -> Audit:
    rubric = await default_rubric()
    audit = await Audit.create(
        inspection=inspection,
        member=member,
        child_id=member.child_id,
        auditor=auditor,
        rubric=rubric,
        status="submitted",
        overall=grade,
        submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
    )
    for d in rubric.definition["domains"]:
        await Score.create(inspection_id=inspection.id, audit=audit, domain=d["key"], grade=grade)
    return audit


def _impact(doc):
    rubric = doc["rubrics"][0]
    return next(d for d in rubric["domains"] if d["domain"] == "impact")


async def test_findings_keep_tracked_cases_out_of_the_estimates_and_count_them(db):
    inspection, _, members, lead, auditor, extra = await _world()
    # five sampled children: two of weight 5 good, three of weight 20 (one good, two inadequate)
    for member, grade in zip(
        members[2:7], ["good", "good", "good", "inadequate", "inadequate"], strict=True
    ):
        await _submitted(inspection, member, auditor, grade)
    before = await findings(inspection.id, COMMAND_LINE)
    tracked = [await tracking.track(inspection, c, REASON, LINE, lead) for c in extra]
    tracked_audits = [
        await _submitted(inspection, tracked[0], auditor, "inadequate"),
        await _submitted(inspection, tracked[1], auditor, "inadequate"),
        await _submitted(inspection, tracked[2], auditor, "good"),
    ]
    after = await findings(inspection.id, COMMAND_LINE)

    assert (before["audits"], before["tracked_audits"]) == (5, 0)
    assert (after["audits"], after["tracked_audits"]) == (5, 3)
    assert after["children"] == {"sampled": 5, "tracked": 3}
    sampled_share = _impact(after)["good_or_better"]
    # the estimate is the one the sampled children give, exactly as before any child was tracked
    assert sampled_share == _impact(before)["good_or_better"]
    assert (sampled_share["good"], sampled_share["n"]) == (3, 5)
    assert sampled_share["weighted_share"] == pytest.approx((5 + 5 + 20) / (5 + 5 + 60))
    assert (sampled_share["sampled"], sampled_share["tracked"]) == (5, 0)
    tracked_share = _impact(after)["tracked"]
    assert (tracked_share["good"], tracked_share["n"], tracked_share["share"]) == (1, 3, 1 / 3)
    assert (tracked_share["sampled"], tracked_share["tracked"]) == (0, 3)
    assert tracked_share["weighted_share"] is None and tracked_share["effective_n"] is None
    assert tracked_share["audit_ids"] == sorted(a.id for a in tracked_audits)
    inadequate = next(g for g in _impact(after)["distribution"] if g["grade"] == "inadequate")
    assert (inadequate["count"], inadequate["tracked"]["count"]) == (2, 2)
    rubric = after["rubrics"][0]
    assert (rubric["audits"], rubric["tracked_audits"]) == (5, 3)
    # breakdowns and the trend are of the sampled children only
    assert sum(g["n"] for g in rubric["by_team"]) == 5
    assert [(t["n"], t["sampled"], t["tracked"]) for t in after["trend"]] == [(5, 5, 0)]
    # the command line's findings say the same
    text = findings_text(after).splitlines()
    assert text[1] == (
        "And 3 of tracked cases (chosen on purpose), shown beside each domain and in no estimate."
    )
    impact_line = next(line for line in text if line.lstrip().startswith("Impact"))
    assert impact_line.endswith("(too few to say much: fewer than 10); tracked cases 1/3")


async def test_the_task_list_counts_the_figures_as_the_findings_do(db):
    inspection, _, members, lead, auditor, extra = await _world()
    for member in members[:2]:
        await _submitted(inspection, member, auditor, "good")
    tracked = await tracking.track(inspection, extra[0], REASON, LINE, lead)
    await _submitted(inspection, tracked, auditor, "good")
    tasks = {t.title: t for t in (await inspection_overview(inspection.id, COMMAND_LINE)).tasks}
    # the tracked case is one more child to audit, but not one more audit behind the figures
    assert tasks["Audits"].summary == "3 of 11 audits submitted"
    assert tasks["Findings"].summary == (
        "Figures from 2 submitted audits, with 1 tracked case beside them"
    )
    doc = await findings(inspection.id, COMMAND_LINE)
    assert (doc["audits"], doc["tracked_audits"]) == (2, 1)


async def test_second_marking_is_planned_only_for_random_samples(db):
    inspection, sample, _, lead, _, extra = await _world()
    await tracking.track(inspection, extra[0], REASON, LINE, lead)
    purposive = await tracking.purposive_sample(inspection.id)
    with pytest.raises(ModerationError) as refused:
        await set_plan(inspection.id, purposive.id, 0.5, True, lead)
    assert str(refused.value) == (
        "The tracked cases were chosen on purpose: plan second marking for a random sample."
    )
    assert await ModerationPlan.filter(inspection_id=inspection.id).count() == 0
    await set_plan(inspection.id, sample.id, 0.5, True, lead)
    assert await ModerationPlan.filter(sample_id=sample.id).count() == 1


async def test_two_first_children_tracked_at_once_share_one_purposive_sample(db):
    inspection, _, _, lead, auditor, extra = await _world()
    both = await asyncio.gather(
        tracking.track(inspection, extra[0], REASON, LINE, lead),
        tracking.track(inspection, extra[1], REASON, LINE, auditor),
    )
    samples = await Sample.filter(inspection_id=inspection.id, method="purposive")
    assert len(samples) == 1
    assert {m.sample_id for m in both} == {samples[0].id}
    assert sorted(m.order for m in both) == [1, 2]


async def test_an_offline_pack_of_the_tracked_cases_holds_each_tracked_child(db):
    inspection, _, _, lead, _, extra = await _world()
    await tracking.track(inspection, extra[0], REASON, LINE, lead)
    ended = await tracking.track(inspection, extra[1], REASON, LINE, lead)
    await tracking.untrack(inspection, ended.id, "Moved away.", lead)
    await tracking.track(inspection, extra[2], REASON, LINE, lead)
    purposive = await tracking.purposive_sample(inspection.id)
    pack = await build_offline_pack(inspection.id, purposive.id, lead)
    book = load_workbook(io.BytesIO(pack.data))
    sheet = next(ws for ws in book.worksheets if ws.title not in ("Instructions", "_pack"))
    header = [c.value for c in sheet[1]]
    children = [r[header.index("Child")] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert children == ["T0", "T2"]


async def test_stopping_tracking_and_starting_the_audit_at_once_never_both_happen(db):
    """An inspector starts a tracked child's audit as the lead stops tracking them: either the
    audit comes first and the child stays tracked, or tracking ends and the audit is refused."""
    inspection, _, _, lead, auditor, extra = await _world()
    for round_ in range(12):
        member = await tracking.track(inspection, extra[round_ % 3], REASON, LINE, lead)
        untracked, audit = await asyncio.gather(
            tracking.untrack(inspection, member.id, "The family moved away.", lead),
            create_audit(inspection.id, member.id, auditor),
            return_exceptions=True,
        )
        await member.refresh_from_db()
        audits = await Audit.filter(member_id=member.id).count()
        if isinstance(untracked, tracking.TrackingError):
            assert str(untracked).endswith(
                "audit as a tracked case has started, so they stay a tracked case."
            )
            assert isinstance(audit, Audit) and member.status == MemberStatus.TRACKED
            assert audits == 1
            await Audit.filter(member_id=member.id).delete()
            await tracking.untrack(inspection, member.id, "Done with this round.", lead)
        else:
            assert isinstance(audit, AuditError), audit
            assert str(audit) == (
                "This child is no longer a tracked case: track them again to audit them."
            )
            assert member.status == MemberStatus.UNTRACKED and audits == 0


async def test_an_audit_is_refused_for_a_child_no_longer_tracked_when_it_is_written(db):
    """The refusal holds where the audit is written, not only where it is first checked."""
    from inspection.audit.audits import insert_marking

    inspection, _, _, lead, auditor, extra = await _world()
    member = await tracking.track(inspection, extra[0], REASON, LINE, lead)
    await tracking.untrack(inspection, member.id, "The family moved away.", lead)
    with pytest.raises(AuditError) as refused:
        await insert_marking(
            inspection.id, member.id, extra[0].id, auditor, await default_rubric(), "first"
        )
    assert str(refused.value) == (
        "This child is no longer a tracked case: track them again to audit them."
    )
    assert not await Audit.filter(member_id=member.id).exists()
