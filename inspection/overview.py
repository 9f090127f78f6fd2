"""Where an inspection's work stands: its task list, as the overview page and the CLI show it.

The work runs in order: set up and team, evidence, linkage review, samples, audits,
moderation, findings, exports. Each task has a status (one of ``TaskStatus``), a sentence saying
what is there, and the next thing to do. Audit work is counted as ``viewer`` may see it, and
concerns only those ``viewer`` may open (the one visibility rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from inspection.audit.findings import is_tracked
from inspection.audit.moderation import selected_member_ids
from inspection.audit.status import AuditStatus, ConcernStatus, Marking
from inspection.audit.visibility import Viewer, concerns_seen, visible_audits
from inspection.evidence.upload_status import UploadStatus
from inspection.journey.decision_kinds import DecisionKind
from inspection.models import (
    AccessLog,
    Audit,
    Child,
    LinkDecision,
    Membership,
    ModerationPlan,
    Sample,
    SampleMember,
    SourceRecord,
    Upload,
)
from inspection.models.core import EDITORS, LEADS, READERS, Role
from inspection.sampling.status import AUDITED, IN_SAMPLE, SampleMethod

EXPORT_ACTIONS = ("export-xlsx", "export-csv", "export-offline-pack")


class TaskStatus(StrEnum):
    NOT_STARTED = "Not started"
    IN_PROGRESS = "In progress"
    COMPLETED = "Completed"
    CANNOT_START = "Cannot start yet"


class Section(StrEnum):
    """The parts of an inspection, each a page of its own (the value is its path)."""

    OVERVIEW = ""
    EVIDENCE = "evidence"
    CHILDREN = "children"
    LINKAGE = "linkage"
    SAMPLES = "samples"
    TRACKED = "tracked"
    AUDITS = "audits"
    MODERATION = "moderation"
    FINDINGS = "findings"
    CONCERNS = "concerns"
    ACTIONS = "actions"
    REAUDITS = "reaudits"
    SELF_EVALUATION = "self-evaluation"
    EXPORTS = "exports"


SECTION_TITLES: dict[Section, str] = {
    Section.OVERVIEW: "Overview",
    Section.EVIDENCE: "Evidence",
    Section.CHILDREN: "Children",
    Section.LINKAGE: "Linkage review",
    Section.SAMPLES: "Samples",
    Section.TRACKED: "Tracked cases",
    Section.AUDITS: "Audits",
    Section.MODERATION: "Moderation",
    Section.FINDINGS: "Findings",
    Section.CONCERNS: "Concerns",
    Section.ACTIONS: "Actions",
    Section.REAUDITS: "Re-audits",
    Section.SELF_EVALUATION: "Self-evaluation",
    Section.EXPORTS: "Exports",
}
# Who may open each section's page.
SECTION_ROLES: dict[Section, frozenset[Role]] = {
    Section.AUDITS: EDITORS,
    Section.MODERATION: LEADS,
    Section.REAUDITS: EDITORS,
}
# The service navigation inside an inspection, in this order.
NAVIGATION = (
    Section.OVERVIEW,
    Section.EVIDENCE,
    Section.CHILDREN,
    Section.SAMPLES,
    Section.TRACKED,
    Section.AUDITS,
    Section.MODERATION,
    Section.FINDINGS,
    Section.CONCERNS,
    Section.ACTIONS,
    Section.EXPORTS,
)

# A section without a place of its own in the navigation is shown under this one.
NAVIGATION_PARENT = {
    Section.LINKAGE: Section.CHILDREN,
    Section.REAUDITS: Section.AUDITS,
    Section.SELF_EVALUATION: Section.FINDINGS,
}


def may_open(section: Section, role: Role) -> bool:
    return role in SECTION_ROLES.get(section, READERS)


def sections_for(role: Role) -> list[Section]:
    """The sections of the service navigation that ``role`` may open."""
    return [s for s in NAVIGATION if may_open(s, role)]


@dataclass(frozen=True)
class Task:
    title: str
    section: Section
    status: TaskStatus
    summary: str
    next_step: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "section": self.section.value,
            "status": self.status.value,
            "summary": self.summary,
            "next_step": self.next_step,
        }


@dataclass(frozen=True)
class Overview:
    tasks: list[Task]
    open_concerns: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "tasks": [t.as_dict() for t in self.tasks],
            "open_concerns": self.open_concerns,
        }


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


async def _team(inspection_id: int) -> Task:
    roles = await Membership.filter(inspection_id=inspection_id).values_list("role", flat=True)
    people = len(roles)
    auditors = sum(1 for r in roles if Role(str(r)) in EDITORS - LEADS)
    summary = f"{_count(people, 'person', 'people')} in the team"
    if people == 0:
        return Task(
            "Set up and team",
            Section.OVERVIEW,
            TaskStatus.NOT_STARTED,
            summary,
            "Add the inspectors and auditors to the team",
        )
    if auditors == 0:
        return Task(
            "Set up and team",
            Section.OVERVIEW,
            TaskStatus.IN_PROGRESS,
            summary + ", no auditor yet",
            "Add the inspectors and auditors to the team",
        )
    return Task("Set up and team", Section.OVERVIEW, TaskStatus.COMPLETED, summary)


async def _evidence(inspection_id: int) -> tuple[Task, bool]:
    rows = await Upload.filter(inspection_id=inspection_id, status=UploadStatus.LOADED).values(
        "source_kind", "summary"
    )
    warnings = sum(int(((r["summary"] or {}).get("issues") or {}).get("warning", 0)) for r in rows)
    errors = sum(int(((r["summary"] or {}).get("issues") or {}).get("error", 0)) for r in rows)
    annex_a = any(r["source_kind"] == "annex-a" for r in rows)
    title, section = "Evidence", Section.EVIDENCE
    if not rows:
        return Task(
            title,
            section,
            TaskStatus.NOT_STARTED,
            "No files loaded",
            "Upload the authority's Annex A workbook",
        ), False
    summary = f"{_count(len(rows), 'file')} loaded, {_count(warnings, 'warning')} to read"
    if errors:
        summary += f", {_count(errors, 'error')}"
    if not annex_a:
        return Task(
            title,
            section,
            TaskStatus.IN_PROGRESS,
            summary,
            "Upload the authority's Annex A workbook",
        ), True
    next_step = "Read the validation reports" if warnings or errors else ""
    return Task(title, section, TaskStatus.COMPLETED, summary, next_step), True


async def _linkage(inspection_id: int, has_evidence: bool) -> Task:
    title, section = "Linkage review", Section.LINKAGE
    if not has_evidence:
        return Task(title, section, TaskStatus.CANNOT_START, "Load evidence first")
    unlinked = await SourceRecord.filter(inspection_id=inspection_id, child_id__isnull=True).count()
    pending = await LinkDecision.filter(
        inspection_id=inspection_id, decision=DecisionKind.PENDING
    ).count()
    decided = (
        await LinkDecision.filter(inspection_id=inspection_id)
        .exclude(decision=DecisionKind.PENDING)
        .count()
    )
    if unlinked:
        return Task(
            title,
            section,
            TaskStatus.NOT_STARTED,
            f"{_count(unlinked, 'record')} not yet linked to a child",
            "Run linkage",
        )
    summary = f"{_count(pending, 'pair')} waiting for a decision, {decided} decided"
    if pending:
        status = TaskStatus.IN_PROGRESS if decided else TaskStatus.NOT_STARTED
        return Task(title, section, status, summary, "Decide the pairs waiting for a decision")
    return Task(title, section, TaskStatus.COMPLETED, summary)


async def _samples(inspection_id: int) -> tuple[Task, list[int]]:
    title, section = "Samples", Section.SAMPLES
    if not await Child.filter(inspection_id=inspection_id).exists():
        return Task(title, section, TaskStatus.CANNOT_START, "Load evidence first"), []
    samples = await Sample.filter(inspection_id=inspection_id).order_by("id").values("id", "method")
    # every sample's children are audited; the task counts the random samples (tracked cases
    # are chosen on the page of their own)
    sample_ids = [int(s["id"]) for s in samples]
    drawn = [int(s["id"]) for s in samples if s["method"] != SampleMethod.PURPOSIVE]
    if not drawn:
        return Task(
            title,
            section,
            TaskStatus.NOT_STARTED,
            "No sample drawn",
            "Draw a sample of children to audit",
        ), sample_ids
    children = await SampleMember.filter(sample_id__in=drawn, status__in=IN_SAMPLE).count()
    summary = f"{_count(len(drawn), 'sample')} of {_count(children, 'child', 'children')}"
    return Task(title, section, TaskStatus.COMPLETED, summary), sample_ids


@dataclass(frozen=True)
class Submitted:
    """The submitted first markings the viewer may see: of sampled children (the findings'
    figures come from these) and of tracked cases (shown beside them, in no estimate)."""

    sampled: int
    tracked: int

    @property
    def total(self) -> int:
        return self.sampled + self.tracked


async def _audits(sample_ids: list[int], seen: frozenset[int]) -> tuple[Task, Submitted, bool]:
    title, section = "Audits", Section.AUDITS
    none = Submitted(0, 0)
    if not sample_ids:
        return Task(title, section, TaskStatus.CANNOT_START, "Draw a sample first"), none, False
    to_audit = await SampleMember.filter(sample_id__in=sample_ids, status__in=AUDITED).count()
    firsts = await Audit.filter(
        id__in=sorted(seen), member__sample_id__in=sample_ids, marking=Marking.FIRST
    ).values("status", member_status="member__status")
    done = [r for r in firsts if r["status"] == AuditStatus.SUBMITTED]
    tracked = sum(1 for r in done if is_tracked(r))
    submitted = Submitted(len(done) - tracked, tracked)
    summary = f"{submitted.total} of {to_audit} audits submitted"
    if not firsts:
        return (
            Task(title, section, TaskStatus.NOT_STARTED, summary, "Start the first audit"),
            none,
            False,
        )
    if submitted.total < to_audit:
        # a child whose audit nobody has started is not an audit in progress
        drafts = len(firsts) > submitted.total
        next_step = "Finish the audits in progress" if drafts else "Start the next child's audit"
        return (
            Task(title, section, TaskStatus.IN_PROGRESS, summary, next_step),
            submitted,
            False,
        )
    return Task(title, section, TaskStatus.COMPLETED, summary), submitted, True


async def _moderation(sample_ids: list[int], submitted: int, seen: frozenset[int]) -> Task:
    title, section = "Moderation", Section.MODERATION
    if not submitted:
        return Task(title, section, TaskStatus.CANNOT_START, "Submit an audit first")
    planned = [
        int(i)  # type: ignore[call-overload]
        for i in await ModerationPlan.filter(sample_id__in=sample_ids).values_list(
            "sample_id", flat=True
        )
    ]
    if not planned:
        return Task(
            title,
            section,
            TaskStatus.NOT_STARTED,
            "No second marking planned",
            "Choose the share of each sample to second-mark",
        )
    chosen: set[int] = set()
    for sample_id in planned:
        chosen |= await selected_member_ids(sample_id)
    done = await Audit.filter(
        id__in=sorted(seen),
        member_id__in=sorted(chosen),
        marking=Marking.SECOND,
        status=AuditStatus.SUBMITTED,
    ).count()
    summary = f"{done} of {len(chosen)} second markings submitted"
    if done < len(chosen):
        return Task(
            title, section, TaskStatus.IN_PROGRESS, summary, "Second-mark the children chosen"
        )
    return Task(title, section, TaskStatus.COMPLETED, summary)


def _findings(submitted: Submitted, audits_done: bool, moderation: Task) -> Task:
    """As the findings page counts: its figures come from the sampled children's audits; the
    tracked cases' are beside them."""
    title, section = "Findings", Section.FINDINGS
    if not submitted.total:
        return Task(title, section, TaskStatus.CANNOT_START, "Submit an audit first")
    summary = f"Figures from {_count(submitted.sampled, 'submitted audit')}"
    if submitted.tracked:
        summary += f", with {_count(submitted.tracked, 'tracked case')} beside them"
    if audits_done and moderation.status in (TaskStatus.COMPLETED, TaskStatus.NOT_STARTED):
        return Task(title, section, TaskStatus.COMPLETED, summary, "Read the findings")
    return Task(title, section, TaskStatus.IN_PROGRESS, summary, "Read the findings so far")


async def _exports(inspection_id: int, has_children: bool) -> Task:
    title, section = "Exports", Section.EXPORTS
    if not has_children:
        return Task(title, section, TaskStatus.CANNOT_START, "Load evidence first")
    exported = await AccessLog.filter(
        inspection_id=inspection_id, action__in=EXPORT_ACTIONS
    ).count()
    if not exported:
        return Task(
            title,
            section,
            TaskStatus.NOT_STARTED,
            "Nothing exported yet",
            "Make the workbook or an offline audit pack",
        )
    return Task(title, section, TaskStatus.COMPLETED, f"{_count(exported, 'export')} made")


async def inspection_overview(inspection_id: int, viewer: Viewer) -> Overview:
    """The task list, counting only the audits and concerns ``viewer`` may see."""
    seen = await visible_audits(inspection_id, viewer)
    team = await _team(inspection_id)
    evidence, has_evidence = await _evidence(inspection_id)
    linkage = await _linkage(inspection_id, has_evidence)
    samples, sample_ids = await _samples(inspection_id)
    audits, submitted, audits_done = await _audits(sample_ids, seen)
    moderation = await _moderation(sample_ids, submitted.total, seen)
    findings = _findings(submitted, audits_done, moderation)
    exports = await _exports(inspection_id, samples.status != TaskStatus.CANNOT_START)
    concerns = await concerns_seen(inspection_id, viewer)
    return Overview(
        tasks=[team, evidence, linkage, samples, audits, moderation, findings, exports],
        open_concerns=await concerns.filter(status=ConcernStatus.OPEN).count(),
    )
