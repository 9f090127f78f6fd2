"""Two complete inspections (rows created directly) and signed-in users for security tests.

Each inspection has children with events and source records, a pending link decision and a
decided one, a sample with a replaced member, a first and a second marking (both submitted)
and a draft audit, a moderation, a concern with a response, an upload with a validation issue
and an evidence job. Every free-text field holds ``text`` so the same world serves the access
matrix (plain text) and the hostile-input tests (markup).
"""

from __future__ import annotations

import atexit
import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from inspection.audit.definition import definition_of
from inspection.audit.rubric import default_rubric
from inspection.export import stored
from inspection.export.log import ExportEntry
from inspection.export.stored import ExportFormat
from inspection.inspections import add_member
from inspection.invitations import invite_user
from inspection.jobs import queue
from inspection.jobs.runner import sample_check_work
from inspection.models import (
    Action,
    Audit,
    AuditProgramme,
    Child,
    Concern,
    Event,
    Inspection,
    Job,
    JobKind,
    JobStatus,
    LinkDecision,
    LocalAuthority,
    Membership,
    Moderation,
    Sample,
    SampleMember,
    Score,
    Session,
    SourceRecord,
    Upload,
    User,
    ValidationIssue,
)
from inspection.models.core import Role
from inspection.sampling import tracking
from inspection.web.sessions import COOKIE_NAME

ROLES = tuple(Role)


@dataclass
class Case:
    """The ids of one inspection's objects, by path parameter name."""

    inspection_id: int
    child_id: int
    other_child_id: int
    record_id: int
    decision_id: int
    sample_id: int
    member_id: int
    audit_id: int
    second_audit_id: int
    draft_audit_id: int
    concern_id: int
    upload_id: int
    job_id: str
    extra: dict[str, Any] = field(default_factory=dict)

    def params(self) -> dict[str, Any]:
        return {
            "inspection_id": self.inspection_id,
            "child_id": self.child_id,
            "other_id": self.other_child_id,
            "record_id": self.record_id,
            "decision_id": self.decision_id,
            "sample_id": self.sample_id,
            "member_id": self.member_id,
            "audit_id": self.audit_id,
            "concern_id": self.concern_id,
            "upload_id": self.upload_id,
            "job_id": self.job_id,
            "linkage_job_id": self.extra.get("linkage_job_id", "no-such-job"),
            "verification_id": self.extra.get("verification_id", "no-such-job"),
            "export_id": self.extra.get("export_id", "no-such-job"),
            "agency": self.extra.get("agency", "police"),
            "action": "respond",
            "user_id": self.extra.get("user_id", 10_000_000),
            "person_id": self.extra.get("team_member_id", 10_000_000),
            "token": self.extra.get("token", "not-a-token"),
            "tracked_id": self.extra.get("tracked_id", 10_000_000),
            "table": self.extra.get("table", "episodes"),
            "programme_id": self.extra.get("programme_id", 10_000_000),
            "action_id": self.extra.get("action_id", 10_000_000),
        }


@dataclass
class World:
    own: Case
    other: Case
    users: dict[Role, User]
    cookies: dict[Role, str]

    def headers(self, role: Role | None, **extra: str) -> dict[str, str]:
        headers = {"accept": "text/html", **extra}
        if role is not None:
            headers["cookie"] = f"{COOKIE_NAME}={self.cookies[role]}"
        return headers


async def _user(email: str, role: Role, name: str) -> User:
    return await User.create(email=email, name=name, password_hash="x", role=role)


async def session_for(user: User) -> str:
    now = datetime.now(UTC)
    session = await Session.create(
        id=secrets.token_urlsafe(32), user=user, created_at=now, last_seen_at=now
    )
    return session.id


async def build_inspection(
    code: str, text: str, users: dict[Role, User], la_name: str | None = None
) -> Case:
    """One inspection; ``users`` are made members with their own role (la_auditor as the
    authority's named contact)."""
    la = await LocalAuthority.create(code=code, name=la_name or f"Authority {code}")
    lead = users[Role.LEAD_INSPECTOR]
    inspector = users[Role.INSPECTOR]
    la_auditor = users[Role.LA_AUDITOR]
    inspection = await Inspection.create(
        la=la,
        kind="jtai",
        title=f"{code} {text}",
        reference_date=date(2026, 11, 2),
        created_by=lead,
    )
    for role, user in users.items():
        await add_member(inspection, user, role, is_la_contact=role == Role.LA_AUDITOR)
    upload = await Upload.create(
        inspection=inspection,
        source_kind="annex-a",
        filename="annex_a.xlsx",
        sha256=secrets.token_hex(32),
        uploaded_by=lead,
        summary={"children": 3, "events": 6},
    )
    await ValidationIssue.create(
        inspection_id=inspection.id,
        upload=upload,
        sheet="List_1",
        list_name="List 1",
        source_row=3,
        column="Contact source",
        cell="F3",
        value=text,
        rule="unknown-code",
        severity="warning",
        message=f"Unknown contact source '{text}'",
    )
    children = []
    records = []
    for i, (given, family) in enumerate((("Jayden", "Smith"), ("Maya", "Khan"), ("Ola", "Ode"))):
        child = await Child.create(
            inspection=inspection,
            la_child_id=f"{code}-{i}",
            given_name=given,
            family_name=family,
            dob=date(2015, 4, 3 + i),
            sex="M",
            team=f"Team {text}",
            worker=f"Worker {text}",
        )
        children.append(child)
        record = await SourceRecord.create(
            inspection=inspection,
            upload=upload,
            agency="social_care",
            la_child_id=child.la_child_id,
            given_name=given,
            family_name=family,
            dob=child.dob,
            child=child,
            link_method="la_child_id",
        )
        records.append(record)
        await Event.create(
            inspection=inspection,
            child=child,
            record=record,
            upload=upload,
            agency="social_care",
            kind="contact",
            start=date(2026, 4, 10),
            source_sheet="List_1",
            source_row=3 + i,
            team=f"Team {text}",
            worker=f"Worker {text}",
            attributes={"source": text},
        )
        await Event.create(
            inspection=inspection,
            child=child,
            record=record,
            upload=upload,
            agency="social_care",
            kind="cin_plan_start",
            start=date(2026, 5, 20),
            source_sheet="List_6",
            source_row=3 + i,
        )
    police = await SourceRecord.create(
        inspection=inspection,
        upload=upload,
        agency="police",
        person_id=f"{code}-P1",
        given_name="Jaden",
        family_name="Smith",
        dob=date(2015, 4, 3),
    )
    await Event.create(
        inspection=inspection,
        record=police,
        upload=upload,
        agency="police",
        kind="police_concern",
        start=date(2026, 3, 1),
        attributes={"detail": text},
    )
    pending = await LinkDecision.create(
        inspection=inspection,
        left_record=records[0],
        right_record=police,
        decision="pending",
        probability=0.91,
        evidence={"dob": "exact"},
    )
    await LinkDecision.create(
        inspection=inspection,
        left_record=records[1],
        right_record=records[2],
        decision="reject",
        probability=0.4,
        decided_by=lead,
        decided_at=datetime.now(UTC),
        reason=text,
    )
    rubric = await default_rubric()
    sample = await Sample.create(
        inspection=inspection,
        purpose=text,
        method="srs",
        seed="5eed",
        population_hash="ef" * 32,
        population_size=3,
        drawn_by=lead,
    )
    members = []
    for i, (child, status) in enumerate(
        zip(children, ("selected", "selected", "reserve"), strict=True)
    ):
        members.append(
            await SampleMember.create(
                inspection_id=inspection.id,
                sample=sample,
                child=child,
                population_key=child.la_child_id,
                stratum="cin",
                inclusion_probability=1.0,
                weight=1.0,
                order=i + 1,
                status=status,
            )
        )
    replacement = await SampleMember.create(
        inspection_id=inspection.id,
        sample=sample,
        child=children[2],
        population_key=children[2].la_child_id,
        stratum="cin",
        inclusion_probability=1.0,
        weight=1.0,
        order=3,
        status="replacement",
        reason=text,
        changed_by=lead,
        changed_at=datetime.now(UTC),
    )
    await SampleMember.filter(id=members[1].id).update(
        status="replaced", replaced_by_id=replacement.id, reason=text, changed_by_id=lead.id
    )
    domains = [d.key for d in definition_of(rubric).domains]
    # the replaced child, chosen on purpose as a tracked case
    tracked = await tracking.track(inspection, children[1], text, text, lead)

    async def audit(member: SampleMember, auditor: User, marking: str, status: str) -> Audit:
        row = await Audit.create(
            inspection=inspection,
            member=member,
            child_id=member.child_id,
            auditor=auditor,
            rubric=rubric,
            marking=marking,
            status=status,
            overall="good" if status == "submitted" else "",
            proposed_overall="good" if status == "submitted" else "",
            strengths=text,
            improvements=text,
            overall_reason="",
            submitted_at=datetime.now(UTC) if status == "submitted" else None,
        )
        for key in domains:
            await Score.create(
                inspection_id=inspection.id,
                audit=row,
                domain=key,
                grade="good" if status == "submitted" else "",
                evidence=text,
                cited_events=[],
            )
        return row

    first = await audit(members[0], inspector, "first", "submitted")
    second = await audit(members[0], la_auditor, "second", "submitted")
    draft = await audit(replacement, inspector, "first", "draft")
    await Moderation.create(
        inspection_id=inspection.id,
        first_audit=first,
        second_audit=second,
        domain=domains[0],
        agreed_grade="good",
        reason=text,
        moderator=lead,
    )
    concern = await Concern.create(
        inspection=inspection,
        child=children[0],
        audit=first,
        raised_by=inspector,
        text=text,
        status="responded",
        response=text,
        responded_by=lead,
        responded_at=datetime.now(UTC),
        actions=[{"at": "2026-11-20T10:00:00", "by": inspector.name, "action": "raised"}],
    )
    job = await queue.enqueue(inspection.id, JobKind.IMPORT, None, "annex_a.xlsx")
    await Job.filter(id=job.id).update(
        status=JobStatus.FAILED, message=f"Nothing was loaded: {text}"
    )
    linkage_job = await queue.enqueue(inspection.id, JobKind.LINKAGE)
    counts = dict.fromkeys(
        ("records", "children", "deterministic_links", "auto_linked", "for_review"), 1
    )
    await Job.filter(id=linkage_job.id).update(
        status=JobStatus.DONE, message="1 records are now 1 children.", outcome=counts
    )
    check = await queue.enqueue(
        inspection.id, JobKind.SAMPLE_CHECK, work=sample_check_work(sample.id)
    )
    await Job.filter(id=check.id).update(
        status=JobStatus.DONE,
        message="Identical.",
        outcome={"identical": True, "checks": [{"name": "seed", "ok": True, "detail": "Fine."}]},
    )
    export = await _made_export(inspection.id, lead)
    action = await Action.create(
        inspection=inspection,
        origin="findings",
        what=text,
        owner_name=text[:200],
        due=date(2026, 12, 1),
        created_by=lead,
    )
    return Case(
        inspection_id=inspection.id,
        child_id=children[0].id,
        other_child_id=children[1].id,
        record_id=records[0].id,
        decision_id=pending.id,
        sample_id=sample.id,
        member_id=members[0].id,
        audit_id=first.id,
        second_audit_id=second.id,
        draft_audit_id=draft.id,
        concern_id=concern.id,
        upload_id=upload.id,
        job_id=job.token,
        extra={
            "linkage_job_id": linkage_job.token,
            "verification_id": check.token,
            "export_id": export.token,
            "tracked_id": tracked.id,
            "action_id": action.id,
        },
    )


# Where the worlds' exports are kept (a world has no data directory), removed at exit.
_EXPORTS = Path(tempfile.mkdtemp(prefix="world-exports-"))
atexit.register(shutil.rmtree, _EXPORTS, True)


async def _made_export(inspection_id: int, lead: User) -> Job:
    """A workbook the inspection's lead made, ready for them to download."""
    work, _ = stored.export_work(
        _EXPORTS,
        inspection_id,
        ExportFormat.WORKBOOK,
        role=Role.LEAD_INSPECTOR,
    )
    stored.keep(Path(work["file"]), b"a workbook")
    job = await queue.enqueue(inspection_id, JobKind.EXPORT, lead, work=work)
    entry = ExportEntry("export-xlsx", "inspection", str(inspection_id), "export 0; xlsx")
    await Job.filter(id=job.id).update(
        status=JobStatus.DONE,
        message="The QA workbook is ready to download.",
        outcome={
            "filename": f"inspection-{inspection_id}.xlsx",
            "entry": entry.as_dict(),
            "kept_until": time.time() + 3600,
        },
    )
    return job


async def build_world(text: str = "note", user_name: str | None = None) -> World:
    """Inspection ``own`` (users of every role are members) and ``other`` (they are not)."""
    users = {
        role: await _user(f"{role.value}@example.org", role, user_name or role.value.title())
        for role in ROLES
    }
    strangers = {
        role: await _user(f"{role.value}@other.example.org", role, f"Other {role.value}")
        for role in ROLES
    }
    own = await build_inspection("E01", text, users)
    other = await build_inspection("E02", text, strangers)
    # the person the admin pages act on: not signed in anywhere in the tests
    own.extra["user_id"] = strangers[Role.INSPECTOR].id
    # a member of each team who is not signed in anywhere: the one a lead may remove
    for case, code in ((own, "e01"), (other, "e02")):
        person = await _user(f"team@{code}.example.org", Role.INSPECTOR, "Tess Team")
        await Membership.create(
            user_id=person.id, inspection_id=case.inspection_id, role=Role.INSPECTOR
        )
        case.extra["team_member_id"] = person.id
    # a set-password link that works, so that its page and form are reached
    invited = await invite_user("invited@example.org", "Invited Person", "inspector", None)
    own.extra["token"] = invited.token
    # an audit programme whose round is the own inspection: every role is in its team
    programme = await AuditProgramme.create(
        la_id=(await Inspection.get(id=own.inspection_id)).la_id,
        title="Monthly audits",
        created_by=users[Role.LEAD_INSPECTOR],
    )
    await Inspection.filter(id=own.inspection_id).update(programme_id=programme.id)
    own.extra["programme_id"] = programme.id
    cookies = {role: await session_for(user) for role, user in users.items()}
    return World(own, other, users, cookies)


async def missing_case(world: World) -> Case:
    """Ids that exist nowhere (well past every id in use)."""
    n = 10_000_000
    return Case(
        inspection_id=n,
        child_id=n,
        other_child_id=n + 1,
        record_id=n,
        decision_id=n,
        sample_id=n,
        member_id=n,
        audit_id=n,
        second_audit_id=n + 1,
        draft_audit_id=n + 2,
        concern_id=n,
        upload_id=n,
        job_id="no-such-job",
        extra={"agency": "nonexistent", "table": "nonexistent"},
    )
