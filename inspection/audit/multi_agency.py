"""Multi-agency audits and the authority's own audit of a child.

A multi-agency audit, as a joint targeted area inspection asks of the local agencies: the
children's social care, police, health and education auditors each audit their own agency's
part of the same child, on the same instrument as the inspectors' audit (every domain, so that
the joint discussion can set the agencies' grades side by side domain by domain and the
conclusion can be set beside the inspectors' audit); then a joint discussion records who took
part, when, the grades they agreed per domain and overall with their reasons, and where they
disagreed. Recording it completes the audit: the conclusion is kept as the authority's audit of
the child (marking ``authority``), submitted.

Each part is an ``Audit`` (marking ``part``, with its agency), started by a member recorded as
the auditor for that agency (``Membership.agency``) and saved, autosaved and submitted by the
audit machinery (``inspection.audit.audits``). Who sees a part is decided by
``inspection.audit.visibility``: an agency reads another's part only once both are submitted.

Without a multi-agency audit, an authority auditor (a member with the role ``la_auditor``) may
audit a child as the authority's own audit, beside the inspectors' audit of the same child
(``inspection.audit.authority_agreement`` compares the two).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from inspection.audit import scoring
from inspection.audit.agency import Agency, agency_label
from inspection.audit.audits import (
    AuditError,
    AuditNotFound,
    insert_marking,
    normalise_values,
)
from inspection.audit.definition import OVERALL, RubricDefinition, definition_of
from inspection.audit.rubric import round_rubric
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import Viewer, visible_audits
from inspection.models import (
    Audit,
    AuditRevision,
    Child,
    JointAudit,
    Membership,
    Rubric,
    SampleMember,
    Score,
    User,
)
from inspection.models.core import EDITORS, LEADS, Role
from inspection.sampling.status import AUDITED

MAX_TEXT = 20_000


def agency_of(value: str) -> Agency:
    """An agency by its stored value or its name in words."""
    wanted = " ".join(value.split()).lower()
    for agency in Agency:
        if wanted in (agency.value, agency.label.lower()):
            return agency
    names = ", ".join(a.label for a in Agency)
    raise AuditError(f"‘{value}’ is not an agency. The agencies are: {names}.")


async def set_agency(inspection_id: int, user: User, agency: str) -> Membership:
    """Record ``user`` as the auditor for ``agency`` in this inspection (``""``: for none)."""
    membership = await Membership.get_or_none(inspection_id=inspection_id, user_id=user.id)
    if membership is None:
        raise AuditError(f"{user.name} is not in this inspection’s team.")
    value = agency_of(agency).value if agency.strip() else ""
    if value and membership.role not in EDITORS:
        raise AuditError(
            f"{user.name} is a {Role(membership.role).label.lower()} here, who does not audit: "
            "only a member who audits can audit for an agency."
        )
    membership.agency = value
    await membership.save(update_fields=["agency"])
    return membership


async def agency_auditors(inspection_id: int) -> dict[str, list[dict[str, Any]]]:
    """Each agency's auditors in this inspection (``id``, ``name``, ``email``), by agency."""
    rows = (
        await Membership.filter(inspection_id=inspection_id)
        .exclude(agency="")
        .order_by("user__name", "user_id")
        .values("agency", id="user_id", name="user__name", email="user__email")
    )
    out: dict[str, list[dict[str, Any]]] = {a.value: [] for a in Agency}
    for r in rows:
        out.setdefault(str(r.pop("agency")), []).append(r)
    return out


async def _member(inspection_id: int, member_id: int) -> dict[str, Any]:
    found = await SampleMember.filter(
        id=member_id, inspection_id=inspection_id, status__in=AUDITED
    ).values("id", "child_id", "sample_id", "status")
    if not found:
        raise AuditNotFound("There is no such child to audit in this inspection.")
    return found[0]


async def set_up(
    inspection_id: int, member_id: int, agencies: list[str], by: User, role: Role
) -> JointAudit:
    """Set up the audit of a sample member as a multi-agency audit of these agencies (two or
    more), on the instrument of the inspectors' first marking (else the default)."""
    if role not in LEADS:
        raise AuditError("Only a lead inspector sets up a multi-agency audit.")
    await _member(inspection_id, member_id)
    chosen = sorted({agency_of(a) for a in agencies}, key=list(Agency).index)
    if len(chosen) < 2:
        raise AuditError("Choose at least two agencies to audit their parts.")
    if await Audit.filter(
        inspection_id=inspection_id, member_id=member_id, marking=Marking.AUTHORITY
    ).exists():
        raise AuditError("The authority has already audited this child on its own.")
    first = (
        await Audit.filter(inspection_id=inspection_id, member_id=member_id, marking=Marking.FIRST)
        .only("id", "rubric_id")
        .first()
    )
    rubric = await Rubric.get(id=first.rubric_id) if first else await round_rubric(inspection_id)
    try:
        return await JointAudit.create(
            inspection_id=inspection_id,
            member_id=member_id,
            rubric=rubric,
            agencies=[a.value for a in chosen],
            set_up_by=by,
        )
    except IntegrityError:
        raise AuditError("This child’s audit is already set up as multi-agency.") from None


async def joint_of(inspection_id: int, member_id: int) -> JointAudit | None:
    return (
        await JointAudit.filter(inspection_id=inspection_id, member_id=member_id)
        .select_related("rubric", "set_up_by")
        .first()
    )


async def start_part(inspection_id: int, member_id: int, auditor: User) -> Audit:
    """Start (or carry on with) the auditor's agency's part of a multi-agency audit."""
    member = await _member(inspection_id, member_id)
    joint = await joint_of(inspection_id, member_id)
    if joint is None:
        raise AuditError("This child’s audit is not set up as multi-agency.")
    agency = await Membership.filter(inspection_id=inspection_id, user_id=auditor.id).values_list(
        "agency", flat=True
    )
    mine = str(agency[0]) if agency else ""
    if not mine:
        raise AuditError("You are not recorded as the auditor for an agency in this inspection.")
    if mine not in joint.agencies:
        raise AuditError(f"{Agency(mine).label} has no part in this child’s multi-agency audit.")
    if joint.audit_id is not None:
        raise AuditError("The joint discussion is recorded: this audit is complete.")
    existing = await Audit.get_or_none(
        inspection_id=inspection_id, member_id=member_id, marking=Marking.PART, agency=mine
    )
    if existing is not None:
        if existing.auditor_id != auditor.id:
            raise AuditError(f"The {Agency(mine).label} part is already with another auditor.")
        return existing
    return await insert_marking(
        inspection_id, member_id, member["child_id"], auditor, joint.rubric, Marking.PART, mine
    )


async def start_authority_audit(inspection_id: int, member_id: int, auditor: User) -> Audit:
    """Start (or carry on with) the authority's own audit of a child: an authority auditor's."""
    member = await _member(inspection_id, member_id)
    roles = await Membership.filter(inspection_id=inspection_id, user_id=auditor.id).values_list(
        "role", flat=True
    )
    if not roles or roles[0] != Role.LA_AUDITOR:
        raise AuditError("The authority’s own audit is made by one of its auditors.")
    if await JointAudit.filter(inspection_id=inspection_id, member_id=member_id).exists():
        raise AuditError(
            "This child’s audit is multi-agency: the authority’s audit is the joint discussion."
        )
    existing = await Audit.get_or_none(
        inspection_id=inspection_id, member_id=member_id, marking=Marking.AUTHORITY
    )
    if existing is not None:
        if existing.auditor_id != auditor.id:
            raise AuditError("The authority’s audit of this child is already with another auditor.")
        return existing
    first = (
        await Audit.filter(inspection_id=inspection_id, member_id=member_id, marking=Marking.FIRST)
        .only("id", "rubric_id")
        .first()
    )
    rubric = await Rubric.get(id=first.rubric_id) if first else await round_rubric(inspection_id)
    return await insert_marking(
        inspection_id, member_id, member["child_id"], auditor, rubric, Marking.AUTHORITY
    )


@dataclass(frozen=True)
class Discussion:
    """What a joint discussion concluded, as typed."""

    discussed_on: date | None
    participants: list[int]
    others_present: str
    grades: dict[str, str]  # domain key (and ``overall``) -> agreed grade
    reasons: dict[str, str]  # domain key (and ``overall``) -> why
    disagreements: str


def discussion_problems(
    definition: RubricDefinition, d: Discussion, team: set[int]
) -> dict[str, str]:
    """What is missing or wrong in a joint discussion, by form field."""
    errors: dict[str, str] = {}
    if d.discussed_on is None:
        errors["discussed_on"] = "Enter the date of the joint discussion"
    if not d.participants:
        errors["participants"] = "Choose who took part in the joint discussion"
    elif not set(d.participants) <= team:
        errors["participants"] = "Choose people from this inspection’s team"
    allowed = {g.value for g in definition.scale}
    na = definition.not_applicable_value
    for domain in definition.domains_and_overall:
        grade = d.grades.get(domain.key, "")
        ok = grade in allowed or (na is not None and grade == na and domain.allows_not_applicable)
        if not ok:
            errors[f"grade:{domain.key}"] = f"Choose the agreed grade for {domain.title.lower()}"
        elif not d.reasons.get(domain.key, "").strip():
            errors[f"reason:{domain.key}"] = f"Enter why you agreed {domain.title.lower()}"
    for key, text in (("others_present", d.others_present), ("disagreements", d.disagreements)):
        if len(text) > MAX_TEXT:
            errors[key] = f"Write {MAX_TEXT:,} characters or fewer"
    return errors


class DiscussionRefused(AuditError):
    """The joint discussion was not recorded: ``errors`` says why, by form field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


async def record_discussion(
    inspection_id: int, member_id: int, user: User, role: Role, d: Discussion
) -> Audit:
    """Record the joint discussion, which completes the multi-agency audit: the agreed grades
    become the authority's audit of the child, submitted (each domain's reason as its
    evidence, the overall's as the reason for the overall judgement)."""
    await _member(inspection_id, member_id)
    joint = await joint_of(inspection_id, member_id)
    if joint is None:
        raise AuditError("This child’s audit is not set up as multi-agency.")
    if joint.audit_id is not None:
        raise AuditError("The joint discussion of this child is already recorded.")
    parts = await Audit.filter(
        inspection_id=inspection_id, member_id=member_id, marking=Marking.PART
    ).values("agency", "status", "auditor_id")
    submitted = {p["agency"] for p in parts if p["status"] == AuditStatus.SUBMITTED}
    waiting = [Agency(a).label for a in joint.agencies if a not in submitted]
    if waiting:
        raise AuditError(
            "The joint discussion follows every agency’s part: waiting for "
            + ", ".join(waiting)
            + "."
        )
    if role not in LEADS and user.id not in {p["auditor_id"] for p in parts}:
        raise AuditError("The joint discussion is recorded by a lead or an agency’s auditor.")
    team = set(
        int(str(i))
        for i in await Membership.filter(inspection_id=inspection_id).values_list(
            "user_id", flat=True
        )
    )
    definition = definition_of(joint.rubric)
    errors = discussion_problems(definition, d, team)
    if errors:
        raise DiscussionRefused(errors)
    child_id = (await _member(inspection_id, member_id))["child_id"]
    try:
        return await _conclude(inspection_id, joint, member_id, child_id, user, definition, d)
    except IntegrityError:  # recorded by another request at the same moment
        raise AuditError("The joint discussion of this child is already recorded.") from None


async def _conclude(
    inspection_id: int,
    joint: JointAudit,
    member_id: int,
    child_id: int | None,
    user: User,
    definition: RubricDefinition,
    d: Discussion,
) -> Audit:
    """Write the authority's audit the joint discussion concluded, and the discussion: one
    unit."""
    values = normalise_values(
        definition,
        {
            **{scoring.grade_key(k): v for k, v in d.grades.items() if k != OVERALL},
            **{scoring.evidence_key(k): v for k, v in d.reasons.items() if k != OVERALL},
            "overall": d.grades[OVERALL],
            "overall_reason": d.reasons[OVERALL].strip(),
        },
    )
    proposed = scoring.propose_overall(definition, scoring.domain_grades(definition, values))
    now = datetime.now(UTC)
    async with in_transaction():
        audit = await Audit.create(
            inspection_id=inspection_id,
            member_id=member_id,
            child_id=child_id,
            auditor=user,
            rubric_id=joint.rubric_id,  # type: ignore[attr-defined]
            marking=Marking.AUTHORITY,
            status=AuditStatus.SUBMITTED,
            proposed_overall=proposed,
            overall=values["overall"],
            overall_reason=values["overall_reason"],
            submitted_at=now,
            version=1,
        )
        await Score.bulk_create(
            [
                Score(
                    audit_id=audit.id,
                    inspection_id=inspection_id,
                    domain=dm.key,
                    grade=values[scoring.grade_key(dm.key)],
                    evidence=values[scoring.evidence_key(dm.key)],
                    cited_events=[],
                )
                for dm in definition.domains
            ]
        )
        await AuditRevision.create(
            inspection_id=inspection_id, audit=audit, version=1, values=values, saved_by=user
        )
        updated = await JointAudit.filter(id=joint.id, audit_id=None).update(
            audit_id=audit.id,
            discussed_on=d.discussed_on,
            participants=sorted(set(d.participants)),
            others_present=d.others_present.strip(),
            disagreements=d.disagreements.strip(),
        )
        if updated != 1:
            raise AuditError("The joint discussion of this child is already recorded.")
    return audit


async def joint_page(inspection_id: int, member_id: int, viewer: Viewer) -> dict[str, Any]:
    """Everything the multi-agency audit page shows: the child, the agencies with each part's
    auditor and status, each part's grades where the viewer may see them, what the viewer may
    do next, and the joint discussion once recorded (when the viewer may see it)."""
    member = await _member(inspection_id, member_id)
    joint = await joint_of(inspection_id, member_id)
    audits = list(
        await Audit.filter(inspection_id=inspection_id, member_id=member_id).prefetch_related(
            "auditor"
        )
    )
    seen = await visible_audits(inspection_id, viewer)
    scores: dict[int, dict[str, str]] = {}
    for s in await Score.filter(
        inspection_id=inspection_id, audit_id__in=[a.id for a in audits if a.id in seen]
    ).values("audit_id", "domain", "grade"):
        scores.setdefault(int(s["audit_id"]), {})[str(s["domain"])] = str(s["grade"])
    my_agency = ""
    if viewer.user is not None:
        found = await Membership.filter(
            inspection_id=inspection_id, user_id=viewer.user.id
        ).values_list("agency", flat=True)
        my_agency = str(found[0]) if found else ""
    auditors = await agency_auditors(inspection_id)
    parts_by_agency = {a.agency: a for a in audits if a.marking == Marking.PART}
    authority = next((a for a in audits if a.marking == Marking.AUTHORITY), None)
    definition = definition_of(joint.rubric) if joint else None
    parts: list[dict[str, Any]] = []
    for value in joint.agencies if joint else []:
        a = parts_by_agency.get(value)
        visible = a is not None and a.id in seen
        parts.append(
            {
                "agency": Agency(value),
                "auditors": auditors.get(value, []),
                "audit": a,
                "status_label": AuditStatus(a.status).label if a else "Not started",
                "auditor": a.auditor.name if a and a.auditor else "",
                "visible": visible,
                "grades": {**scores.get(a.id, {}), OVERALL: a.overall} if a and visible else {},
                "mine": a is not None and a.auditor_id == viewer.user_id,
                "may_start": a is None
                and value == my_agency
                and joint is not None
                and joint.audit_id is None,
            }
        )
    all_submitted = bool(parts) and all(
        p["audit"] is not None and p["audit"].status == AuditStatus.SUBMITTED for p in parts
    )
    participants: list[str] = []
    if joint and joint.participants:
        names = dict(await User.filter(id__in=joint.participants).values_list("id", "name"))
        participants = sorted(str(names[i]) for i in joint.participants if i in names)
    authority_visible = authority is not None and authority.id in seen
    team = [
        {**r, "agency_label": agency_label(str(r["agency"]))}
        for r in await Membership.filter(inspection_id=inspection_id)
        .order_by("user__name", "user_id")
        .values("agency", id="user_id", name="user__name")
    ]
    return {
        "member": member,
        "child": await Child.get_or_none(id=member["child_id"]) if member["child_id"] else None,
        "team": team,
        "joint": joint,
        "definition": definition,
        "parts": parts,
        "all_submitted": all_submitted,
        "my_agency": my_agency,
        "authority": authority,
        "authority_visible": authority_visible,
        "authority_grades": {
            **scores.get(authority.id, {}),
            OVERALL: authority.overall,
        }
        if authority is not None and authority_visible
        else {},
        "authority_reasons": {
            s.domain: s.evidence for s in await Score.filter(audit_id=authority.id)
        }
        if authority is not None and authority_visible
        else {},
        "participants": participants,
        "may_record": joint is not None
        and joint.audit_id is None
        and all_submitted
        and viewer.user is not None
        and (
            viewer.leads
            or any(
                p["audit"] is not None and p["audit"].auditor_id == viewer.user_id for p in parts
            )
        ),
    }


async def authority_column(
    inspection_id: int, viewer: Viewer, member_ids: list[int]
) -> dict[int, dict[str, Any]]:
    """For the audits board, per member: the authority's audit of the child (its auditor and
    status; its overall grade only where the viewer may see it), or the multi-agency audit (how
    many of its parts are submitted, and whether the joint discussion is recorded), and what
    the viewer may start: the authority's own audit (an authority auditor), or a multi-agency
    audit set up (a lead)."""
    joints = {
        int(j["member_id"]): j
        for j in await JointAudit.filter(
            inspection_id=inspection_id, member_id__in=member_ids
        ).values("member_id", "agencies", "audit_id")
    }
    audits = list(
        await Audit.filter(
            inspection_id=inspection_id,
            member_id__in=member_ids,
            marking__in=[Marking.AUTHORITY, Marking.PART],
        ).prefetch_related("auditor", "rubric")
    )
    seen = await visible_audits(inspection_id, viewer) if audits else frozenset()
    la_auditor = viewer.role == Role.LA_AUDITOR
    out: dict[int, dict[str, Any]] = {}
    for member_id in member_ids:
        mine = [a for a in audits if a.member_id == member_id]
        authority = next((a for a in mine if a.marking == Marking.AUTHORITY), None)
        joint = joints.get(member_id)
        parts = [a for a in mine if a.marking == Marking.PART]
        entry: dict[str, Any] = {"joint": None, "authority": None}
        if joint is not None:
            entry["joint"] = {
                "agencies": len(joint["agencies"]),
                "submitted": sum(a.status == AuditStatus.SUBMITTED for a in parts),
                "completed": joint["audit_id"] is not None,
            }
        if authority is not None:
            hidden = authority.id not in seen
            entry["authority"] = {
                "id": authority.id,
                "auditor": authority.auditor.name if authority.auditor else "",
                "status": authority.status,
                "hidden": hidden,
                "overall_label": ""
                if hidden or not authority.overall
                else definition_of(authority.rubric).grade_labels.get(
                    authority.overall, authority.overall
                ),
                "overall": "" if hidden else authority.overall,
            }
        entry["may_start"] = la_auditor and joint is None and authority is None
        entry["may_set_up"] = viewer.leads and joint is None and authority is None
        out[member_id] = entry
    return out
