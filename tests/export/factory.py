"""A small, fully known inspection for the export tests (rows created directly)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from inspection.inspections import add_member
from inspection.models import (
    Audit,
    Child,
    Concern,
    Event,
    Inspection,
    LocalAuthority,
    Moderation,
    Rubric,
    Sample,
    SampleMember,
    Score,
    SourceRecord,
    Upload,
    User,
    ValidationIssue,
)

DEFINITION = {
    "code": "mini",
    "version": "1",
    "title": "Mini rubric",
    "scale": [
        {"value": "outstanding", "label": "Outstanding", "rank": 1, "good_or_better": True},
        {"value": "good", "label": "Good", "rank": 2, "good_or_better": True},
        {
            "value": "requires_improvement",
            "label": "Requires improvement to be good",
            "rank": 3,
            "good_or_better": False,
        },
        {"value": "inadequate", "label": "Inadequate", "rank": 4, "good_or_better": False},
    ],
    "not_applicable": {"value": "not_applicable", "label": "Not applicable"},
    "evidence_required_for": ["requires_improvement", "inadequate"],
    "overall_rule": {"inadequate_if_inadequate": ["impact"], "no_better_than": ["impact"]},
    "domains": [
        {
            "key": "child_seen",
            "title": "Child seen",
            "question": "Seen?",
            "allows_not_applicable": False,
        },
        {"key": "impact", "title": "Impact", "question": "Better?", "allows_not_applicable": False},
    ],
}
HYPERLINK = '=HYPERLINK("http://evil.example","click")'
EXPORTED_AT = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)


@dataclass
class World:
    inspection: Inspection
    lead: User
    auditor: User
    second: User
    rubric: Rubric
    sample: Sample
    members: list[SampleMember]
    children: list[Child]
    audits: list[Audit]


async def build_world() -> World:
    la = await LocalAuthority.create(code="E09000099", name="Northbury")
    lead = await User.create(
        email="lead@example.org", name="Lena Lead", password_hash="x", role="lead_inspector"
    )
    auditor = await User.create(
        email="ann@example.org", name="Ann Auditor", password_hash="x", role="inspector"
    )
    second = await User.create(
        email="sam@example.org", name="Sam Second", password_hash="x", role="inspector"
    )
    insp = await Inspection.create(
        la=la,
        kind="jtai",
        title="Northbury JTAI",
        reference_date=date(2026, 11, 2),
        created_by=lead,
    )
    upload = await Upload.create(
        inspection=insp,
        source_kind="annex-a",
        filename="annex_a.xlsx",
        sha256="ab" * 32,
        uploaded_by=lead,
    )
    for user, role in ((lead, "lead_inspector"), (auditor, "inspector"), (second, "inspector")):
        await add_member(insp, user, role)
    await Inspection.filter(id=insp.id).update(created_at=datetime(2026, 11, 2, 9, tzinfo=UTC))
    await Upload.filter(id=upload.id).update(uploaded_at=datetime(2026, 11, 2, 9, 15, tzinfo=UTC))
    people = [
        ("LA001", "Jayden", "Smith", date(2015, 4, 3), "LS6 2AB"),
        ("LA002", HYPERLINK, "Khan", date(2012, 9, 30), "BD1 1AA"),
        ("LA003", "Maya", "O'Neill", date(2019, 1, 15), "HX1 4QT"),
    ]
    children = []
    for la_id, given, family, dob, postcode in people:
        child = await Child.create(
            inspection=insp,
            la_child_id=la_id,
            given_name=given,
            family_name=family,
            dob=dob,
            postcode=postcode,
        )
        children.append(child)
        record = await SourceRecord.create(
            inspection=insp,
            upload=upload,
            agency="social_care",
            la_child_id=la_id,
            given_name=given,
            family_name=family,
            dob=dob,
            child=child,
        )
        await Event.create(
            inspection=insp,
            child=child,
            record=record,
            upload=upload,
            agency="police",
            kind="police_domestic_abuse",
            start=date(2026, 3, 1),
            source_sheet="police.csv",
            source_row=2,
            team="",
            worker="",
        )
        await Event.create(
            inspection=insp,
            child=child,
            record=record,
            upload=upload,
            agency="social_care",
            kind="contact",
            start=date(2026, 4, 10),
            source_sheet="List_1",
            source_row=3,
            team="Front door",
            worker="W. Jones",
        )
        await Event.create(
            inspection=insp,
            child=child,
            record=record,
            upload=upload,
            agency="social_care",
            kind="cin_plan_start",
            start=date(2026, 5, 20),
            end=date(2026, 9, 1),
            source_sheet="List_6",
            source_row=4,
        )
    rubric = await Rubric.create(
        code="mini", version="1", title="Mini rubric", definition=DEFINITION, sha256="cd" * 32
    )
    sample = await Sample.create(
        inspection=insp,
        purpose="JTAI tracked cases",
        method="srs",
        seed="5eed",
        population_hash="ef" * 32,
        population_size=3,
        drawn_by=lead,
    )
    await Sample.filter(id=sample.id).update(drawn_at=datetime(2026, 11, 3, 8, tzinfo=UTC))
    members = []
    for i, child in enumerate(children):
        members.append(
            await SampleMember.create(
                inspection_id=insp.id,
                sample=sample,
                child=child,
                population_key=child.la_child_id,
                stratum="cin",
                inclusion_probability=0.5,
                weight=2.0,
                order=i + 1,
                status="selected",
            )
        )
    audits = []
    for member, grades in (
        (members[0], ("good", "good")),
        (members[1], ("requires_improvement", "inadequate")),
    ):
        audit = await Audit.create(
            inspection=insp,
            member=member,
            child_id=member.child_id,
            auditor=auditor,
            rubric=rubric,
            status="submitted",
            overall=grades[1],
            proposed_overall=grades[1],
            strengths="Jayden was seen alone",
            improvements="Plan sooner",
            submitted_at=datetime(2026, 11, 4, 12, tzinfo=UTC),
        )
        audits.append(audit)
        for domain, grade in zip(("child_seen", "impact"), grades, strict=True):
            await Score.create(
                inspection_id=insp.id,
                audit=audit,
                domain=domain,
                grade=grade,
                evidence=f"Evidence for {domain}: -note",
                cited_events=[],
            )
    second_audit = await Audit.create(
        inspection=insp,
        member=members[0],
        child_id=members[0].child_id,
        auditor=second,
        rubric=rubric,
        marking="second",
        status="submitted",
        overall="good",
    )
    for domain, grade in (("child_seen", "good"), ("impact", "requires_improvement")):
        await Score.create(
            inspection_id=insp.id,
            audit=second_audit,
            domain=domain,
            grade=grade,
            evidence="second look",
        )
    await Moderation.create(
        inspection_id=insp.id,
        first_audit=audits[0],
        second_audit=second_audit,
        domain="impact",
        agreed_grade="good",
        reason="Agreed after discussion",
        moderator=lead,
    )
    audits.append(second_audit)
    await ValidationIssue.create(
        inspection_id=insp.id,
        upload=upload,
        sheet="List_1",
        list_name="List 1",
        source_row=7,
        column="Contact source",
        cell="F7",
        value="@SUM(A1)",
        rule="unknown-code",
        severity="warning",
        message="Unknown contact source '@SUM(A1)'",
    )
    await Concern.create(
        inspection=insp,
        child=children[1],
        audit=audits[1],
        raised_by=auditor,
        text="Khan family: no visit since 2012-09-30",
        status="open",
    )
    return World(insp, lead, auditor, second, rubric, sample, members, children, audits)
