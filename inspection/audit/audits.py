"""Creating, saving and submitting audits, with optimistic concurrency and blind second marking.

An audit's values are one flat mapping (``grade:<domain>``, ``evidence:<domain>``,
``cites:<domain>`` the events cited, ``voices:<domain>`` the conversations cited, ``overall``,
``overall_reason``, ``strengths``, ``improvements``, ``themes``, and for an audit done with the
practitioner ``practitioner_reflection`` and ``learning_conversation``) so that a refused save
can say field by field what changed. Every save carries the
version it started from; if the stored version has moved on the save is refused and nothing the
user typed is lost: the refusal carries their unsaved values beside the stored ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from inspection.audit import scoring
from inspection.audit.conversations import conversation_ids_of_child
from inspection.audit.definition import RubricDefinition, definition_of
from inspection.audit.moderation import selected_member_ids
from inspection.audit.rubric import round_rubric
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import LEAD_ROLES, Viewer, may_see_audit, visible_audits
from inspection.learning.follow_up import start_follow_up
from inspection.learning.reaudit import reaudit_refusal
from inspection.models import (
    Audit,
    AuditRevision,
    Child,
    Event,
    Rubric,
    Sample,
    SampleMember,
    Score,
    User,
)
from inspection.models.core import Role
from inspection.models.ids import BIG_ROW_ID, ROW_ID
from inspection.sampling.population import stratum_label
from inspection.sampling.status import AUDITED, MemberStatus

# Why an audit of a child no longer tracked is refused.
UNTRACKED = "This child is no longer a tracked case: track them again to audit them."
AUDITOR_ROLES = frozenset({Role.ADMIN, Role.LEAD_INSPECTOR, Role.INSPECTOR, Role.LA_AUDITOR})


class AuditError(ValueError):
    """A request that cannot be done, in plain English."""


class AuditNotFound(AuditError):
    """No such audit for this user (also used when the audit is hidden from them)."""


@dataclass
class FieldChange:
    field: str
    label: str
    base: Any
    theirs: Any
    yours: Any


@dataclass
class AuditConflict(Exception):
    """A save refused because someone else saved first."""

    audit_id: int
    base_version: int
    current_version: int
    changes: list[FieldChange]
    yours: dict[str, Any]
    theirs: dict[str, Any]
    saved_by: str = ""


@dataclass
class SaveResult:
    audit_id: int
    version: int
    saved_at: datetime
    proposed_overall: str
    missing: list[str] = field(default_factory=list)


def value_keys(definition: RubricDefinition) -> list[str]:
    keys: list[str] = []
    for d in definition.domains:
        keys += [
            scoring.grade_key(d.key),
            scoring.evidence_key(d.key),
            scoring.cites_key(d.key),
            scoring.voices_key(d.key),
        ]
    return keys + list(scoring.OVERALL_FIELDS)


def field_label(definition: RubricDefinition, key: str) -> str:
    titles = definition.titles
    kind, _, domain = key.partition(":")
    if domain:
        part = {
            "grade": "grade",
            "evidence": "evidence",
            "cites": "cited events",
            "voices": "cited conversations",
        }[kind]
        return f"{titles.get(domain, domain)}: {part}"
    return {
        "overall": "Overall judgement",
        "overall_reason": "Reason for changing the overall",
        "strengths": "Strengths",
        "improvements": "What would make it better",
        "themes": "Themes",
        "practitioner_reflection": "The practitioner's reflection",
        "learning_conversation": "The learning conversation",
    }.get(key, key)


def normalise_values(definition: RubricDefinition, raw: dict[str, Any]) -> dict[str, Any]:
    """Only the rubric's fields, each in its one shape (text, sorted id list, theme list)."""
    out: dict[str, Any] = {}
    for key in value_keys(definition):
        value = raw.get(key)
        if key.startswith(scoring.CITED_PREFIXES):
            items = value if isinstance(value, list) else ([] if value in (None, "") else [value])
            events = key.startswith("cites:")
            what = "an event" if events else "a conversation"
            # an id as written, or None; events' ids are 64-bit, conversations' 32-bit
            ids_of = BIG_ROW_ID if events else ROW_ID
            ids = set()
            for item in items:
                cited_id = ids_of.parse(str(item))
                if cited_id is None:
                    raise AuditError(f"'{str(item)[:40]}' is not {what} id.")
                ids.add(cited_id)
            out[key] = sorted(ids)
        elif key == "themes":
            if isinstance(value, str):
                value = value.split(",")
            seen: list[str] = []
            for theme in value or []:
                t = " ".join(str(theme).split()).lower()
                if t and t not in seen:
                    seen.append(t)
            out[key] = seen
        else:
            out[key] = "" if value is None else str(value).replace("\r\n", "\n")
    return out


def grade_problems(definition: RubricDefinition, values: dict[str, Any]) -> list[str]:
    """What is wrong with the grades in ``values`` for this rubric version, field by field.

    A domain grade is blank (not graded yet), a grade of the scale, or "Not applicable" where
    the domain allows it; the overall judgement is blank (as proposed) or a grade of the scale.
    """
    scale = definition.scale
    allowed = {g.value for g in scale}
    choices = ", ".join(g.label for g in scale[:-1]) + f" or {scale[-1].label}"
    na = definition.not_applicable
    problems = []
    for domain in definition.domains:
        key = scoring.grade_key(domain.key)
        grade = values.get(key) or ""
        if not grade or grade in allowed:
            continue
        label = field_label(definition, key)
        if na is not None and grade == na.value:
            if not domain.allows_not_applicable:
                problems.append(f"{label} cannot be {na.label}: this domain always applies.")
            continue
        problems.append(f"{label} must be {choices}.")
    overall = values.get("overall") or ""
    if overall and overall not in allowed:
        problems.append(
            f"{field_label(definition, 'overall')} must be {choices}, or left as proposed."
        )
    return problems


async def audit_values(audit: Audit, definition: RubricDefinition) -> dict[str, Any]:
    scores = {s.domain: s for s in await Score.filter(audit_id=audit.id)}
    raw: dict[str, Any] = {
        "overall": audit.overall,
        "overall_reason": audit.overall_reason,
        "strengths": audit.strengths,
        "improvements": audit.improvements,
        "themes": list(audit.themes or []),
        "practitioner_reflection": audit.practitioner_reflection,
        "learning_conversation": audit.learning_conversation,
    }
    for d in definition.domains:
        s = scores.get(d.key)
        raw[scoring.grade_key(d.key)] = s.grade if s else ""
        raw[scoring.evidence_key(d.key)] = s.evidence if s else ""
        raw[scoring.cites_key(d.key)] = list(s.cited_events) if s else []
        raw[scoring.voices_key(d.key)] = list(s.cited_conversations or []) if s else []
    return normalise_values(definition, raw)


# What a page about one audit shows beside it; saving needs only the rubric.
AUDIT_PAGE_RELATED = ("rubric", "member", "child", "auditor")


async def get_audit(
    inspection_id: int, audit_id: int, related: tuple[str, ...] = AUDIT_PAGE_RELATED
) -> Audit:
    # One query: the audit joined with its rubric (and, for a page, member, child and auditor).
    audit = (
        await Audit.filter(id=audit_id, inspection_id=inspection_id)
        .select_related(*related)
        .first()
    )
    if audit is None:
        raise AuditNotFound("There is no such audit.")
    return audit


async def open_audit(
    inspection_id: int,
    audit_id: int,
    user: User,
    role: Role,
    related: tuple[str, ...] = AUDIT_PAGE_RELATED,
) -> Audit:
    """The audit, if this user may see it at all (``inspection.audit.visibility``: hidden
    blind markings and other auditors' drafts answer not found), read with ``related``
    (``("rubric",)`` to save it)."""
    if role not in AUDITOR_ROLES:
        raise AuditNotFound("There is no such audit.")
    audit = await get_audit(inspection_id, audit_id, related)
    if not await may_see_audit(audit, Viewer(user, role)):
        raise AuditNotFound("There is no such audit.")
    return audit


def may_edit(audit: Audit, user: User, role: Role) -> bool:
    return audit.status == AuditStatus.DRAFT and (audit.auditor_id == user.id or role in LEAD_ROLES)


def _started(existing: Audit, auditor: User, marking: str) -> Audit:
    """The marking already started: its own auditor carries on with it; nobody else may."""
    if existing.auditor_id != auditor.id:
        raise AuditError(f"This child's {marking} marking is already with another auditor.")
    return existing


async def create_audit(
    inspection_id: int,
    member_id: int,
    auditor: User,
    marking: str = Marking.FIRST,
    rubric: Rubric | None = None,
) -> Audit:
    """Start the first or second marking of a sample member; returns an existing one if any.

    A first marking is made with ``rubric`` if given, else the round's instrument; a second
    marking with its first marking's.

    A member has at most one marking of each kind: the database holds (member, marking) unique,
    so of requests that start the same marking at once (a double click, two auditors) exactly
    one creates it, and every other gets that one back, or, for another auditor, the refusal.
    """
    if marking not in (Marking.FIRST, Marking.SECOND, Marking.REAUDIT):
        raise AuditError("Marking is first, second or a re-audit.")
    found = await SampleMember.filter(id=member_id, inspection_id=inspection_id).values(
        "sample_id", "child_id", "status"
    )
    if not found:
        raise AuditNotFound("There is no such sample member in this inspection.")
    if found[0]["status"] == MemberStatus.UNTRACKED:
        raise AuditError(UNTRACKED)
    existing = await Audit.get_or_none(
        inspection_id=inspection_id, member_id=member_id, marking=marking
    )
    if existing is not None:
        return _started(existing, auditor, marking)
    first = None
    if marking == Marking.REAUDIT:
        first = await Audit.get_or_none(
            inspection_id=inspection_id, member_id=member_id, marking=Marking.FIRST
        )
        refusal = await reaudit_refusal(inspection_id, found[0]["child_id"], first)
        if refusal:
            raise AuditError(refusal)
    if marking == Marking.SECOND:
        first = await Audit.get_or_none(
            inspection_id=inspection_id, member_id=member_id, marking=Marking.FIRST
        )
        if first is None:
            raise AuditError("A second marking needs a first marking to compare with.")
        if first.auditor_id == auditor.id:
            raise AuditError("The second marking must be done by someone other than the first.")
        if member_id not in await selected_member_ids(int(found[0]["sample_id"])):
            raise AuditError("This child was not chosen for second marking.")
    if rubric is None:
        rubric = (
            await Rubric.get(id=first.rubric_id) if first else await round_rubric(inspection_id)
        )
    return await insert_marking(
        inspection_id, member_id, found[0]["child_id"], auditor, rubric, marking
    )


async def insert_marking(
    inspection_id: int,
    member_id: int,
    child_id: int | None,
    auditor: User,
    rubric: Rubric,
    marking: str,
    agency: str = "",
) -> Audit:
    """Start one audit of a sample member (checked by the caller), or find the one a request
    started at the same moment: (member, marking, agency) is unique in the database. Refused
    when the member is no longer a tracked case, checked with the member's row held, as
    ``sampling.tracking.untrack`` holds it, so the two cannot both happen."""
    try:
        # The audit and its first revision are one unit: both exist or neither does.
        async with in_transaction() as conn:
            held = (
                await SampleMember.filter(id=member_id, inspection_id=inspection_id)
                .using_db(conn)
                .select_for_update()
                .values_list("status", flat=True)
            )
            if not held:
                raise AuditNotFound("There is no such sample member in this inspection.")
            if held[0] == MemberStatus.UNTRACKED:
                raise AuditError(UNTRACKED)
            audit = await Audit.create(
                inspection_id=inspection_id,
                member_id=member_id,
                child_id=child_id,
                auditor=auditor,
                rubric=rubric,
                marking=marking,
                agency=agency,
                version=1,
            )
            await AuditRevision.create(
                inspection_id=inspection_id,
                audit=audit,
                version=1,
                values=normalise_values(definition_of(rubric), {}),
                saved_by=auditor,
            )
    except IntegrityError:
        # Another request started this marking between the caller's check and this insert.
        existing = await Audit.get_or_none(
            inspection_id=inspection_id, member_id=member_id, marking=marking, agency=agency
        )
        if existing is None:  # not that: the member went away meanwhile
            raise AuditNotFound("There is no such sample member in this inspection.") from None
        return _started(existing, auditor, marking)
    return audit


async def _cited_event_ids(inspection_id: int, child_id: int | None, cited: set[int]) -> set[int]:
    """Those of ``cited`` that are events of this child's journey (no query if none is cited)."""
    if child_id is None or not cited:
        return set()
    rows = await Event.filter(
        inspection_id=inspection_id, child_id=child_id, id__in=sorted(cited)
    ).values_list("id", flat=True)
    return {int(r) for r in rows}  # type: ignore[call-overload]


async def save_audit(
    inspection_id: int,
    audit_id: int,
    user: User,
    role: Role,
    base_version: int,
    raw_values: dict[str, Any],
) -> SaveResult:
    """Save a draft if nobody else saved since ``base_version``; otherwise raise AuditConflict."""
    audit = await open_audit(inspection_id, audit_id, user, role, ("rubric",))
    return await save_opened(audit, user, role, base_version, raw_values)


async def save_opened(
    audit: Audit, user: User, role: Role, base_version: int, raw_values: dict[str, Any]
) -> SaveResult:
    """``save_audit`` of an audit this user has just opened (``open_audit``): the page that
    opened it to answer 404 saves it without reading it again."""
    inspection_id = audit.inspection_id
    if not may_edit(audit, user, role):
        raise AuditError("This audit cannot be changed: it is submitted or it is not yours.")
    definition = definition_of(audit.rubric)
    yours = normalise_values(definition, raw_values)
    problems = grade_problems(definition, yours)
    if problems:  # checked against this audit's own rubric version, before anything is written
        raise AuditError(" ".join(problems))
    cited = {i for key, value in yours.items() if key.startswith("cites:") for i in value}
    if cited and not cited <= await _cited_event_ids(inspection_id, audit.child_id, cited):
        raise AuditError("Evidence can only cite events from this child's journey.")
    heard = {i for key, value in yours.items() if key.startswith("voices:") for i in value}
    if heard and not heard <= await conversation_ids_of_child(inspection_id, audit.child_id, heard):
        raise AuditError("Evidence can only cite conversations about this child.")
    grades = scoring.domain_grades(definition, yours)
    proposed = scoring.propose_overall(definition, grades)
    now = datetime.now(UTC)
    async with in_transaction():
        updated = await Audit.filter(
            id=audit.id,
            inspection_id=inspection_id,
            version=base_version,
            status=AuditStatus.DRAFT,
        ).update(
            version=base_version + 1,
            overall=yours["overall"],
            overall_reason=yours["overall_reason"],
            strengths=yours["strengths"],
            improvements=yours["improvements"],
            themes=yours["themes"],
            practitioner_reflection=yours["practitioner_reflection"],
            learning_conversation=yours["learning_conversation"],
            proposed_overall=proposed,
            updated_at=now,
        )
        if updated == 1:
            # Every domain's score in one upsert (insert the first time, update after): the
            # row lock taken by the UPDATE above keeps concurrent saves of this audit apart.
            await Score.bulk_create(
                [
                    Score(
                        audit_id=audit.id,
                        domain=d.key,
                        grade=yours[scoring.grade_key(d.key)],
                        evidence=yours[scoring.evidence_key(d.key)],
                        cited_events=yours[scoring.cites_key(d.key)],
                        cited_conversations=yours[scoring.voices_key(d.key)],
                        inspection_id=inspection_id,
                    )
                    for d in definition.domains
                ],
                on_conflict=("audit_id", "domain"),
                update_fields=(
                    "grade",
                    "evidence",
                    "cited_events",
                    "cited_conversations",
                    "inspection_id",
                ),
            )
            await AuditRevision.create(
                inspection_id=inspection_id,
                audit_id=audit.id,
                version=base_version + 1,
                values=yours,
                saved_by=user,
            )
    if updated != 1:
        raise await _conflict(inspection_id, audit.id, definition, base_version, yours)
    return SaveResult(
        audit.id, base_version + 1, now, proposed, scoring.missing_items(definition, yours)
    )


async def _conflict(
    inspection_id: int,
    audit_id: int,
    definition: RubricDefinition,
    base_version: int,
    yours: dict[str, Any],
) -> AuditConflict:
    current = await Audit.get(id=audit_id, inspection_id=inspection_id)
    theirs = await audit_values(current, definition)
    base_rev = await AuditRevision.get_or_none(audit_id=audit_id, version=base_version)
    base = normalise_values(definition, base_rev.values) if base_rev else None
    last = (
        await AuditRevision.filter(audit_id=audit_id)
        .order_by("-version")
        .first()
        .prefetch_related("saved_by")
    )
    changes = []
    for key in value_keys(definition):
        moved = theirs[key] != base[key] if base is not None else theirs[key] != yours[key]
        if moved or (theirs[key] != yours[key] and base is not None and yours[key] != base[key]):
            changes.append(
                FieldChange(
                    key,
                    field_label(definition, key),
                    base[key] if base else None,
                    theirs[key],
                    yours[key],
                )
            )
    who = last.saved_by.name if last and last.saved_by else ""
    return AuditConflict(audit_id, base_version, current.version, changes, yours, theirs, who)


async def submit_audit(
    inspection_id: int,
    audit_id: int,
    user: User,
    role: Role,
    base_version: int,
    raw_values: dict[str, Any] | None = None,
) -> tuple[Audit, list[str]]:
    """Save (if values are given) then submit when complete; else return what is missing."""
    version = base_version
    if raw_values is not None:
        version = (
            await save_audit(inspection_id, audit_id, user, role, base_version, raw_values)
        ).version
    audit = await open_audit(inspection_id, audit_id, user, role)
    if not may_edit(audit, user, role):
        raise AuditError("This audit cannot be submitted: it is submitted or it is not yours.")
    definition = definition_of(audit.rubric)
    values = await audit_values(audit, definition)
    missing = scoring.missing_items(definition, values)
    if missing:
        return audit, missing
    overall = scoring.final_overall(definition, values)
    submitted_at = datetime.now(UTC)
    # The status change, its revision and an Inadequate audit's follow-up are one unit: a cut
    # connection leaves none of them.
    async with in_transaction():
        updated = await Audit.filter(id=audit.id, version=version, status=AuditStatus.DRAFT).update(
            status=AuditStatus.SUBMITTED,
            submitted_at=submitted_at,
            overall=overall,
            proposed_overall=scoring.propose_overall(
                definition, scoring.domain_grades(definition, values)
            ),
            version=version + 1,
        )
        if updated == 1:
            await AuditRevision.create(
                inspection_id=inspection_id,
                audit_id=audit.id,
                version=version + 1,
                values={**values, "overall": overall},
                saved_by=user,
            )
            audit.overall = overall
            await start_follow_up(audit, submitted_at)
    if updated != 1:
        raise await _conflict(inspection_id, audit.id, definition, version, values)
    return await get_audit(inspection_id, audit.id), []


async def child_events(inspection_id: int, child_id: int | None) -> list[Event]:
    if child_id is None:
        return []
    return list(
        await Event.filter(inspection_id=inspection_id, child_id=child_id).order_by("start", "id")
    )


class SecondMarking(StrEnum):
    """Where a sampled child stands for blind second marking, as the board shows it to a user."""

    NOT_CHOSEN = "not chosen"
    WAITING_FOR_FIRST = "waiting for the first marking"
    FOR_SOMEONE_ELSE = "for someone else"
    READY = "ready to start"
    STARTED = "started"


SECOND_MARKING_LABELS = {
    SecondMarking.NOT_CHOSEN: "Not chosen for second marking",
    SecondMarking.WAITING_FOR_FIRST: "Chosen, waiting for the first marking",
    SecondMarking.FOR_SOMEONE_ELSE: (
        "Chosen: to be second-marked by someone other than you, the first auditor"
    ),
    SecondMarking.READY: "Chosen for second marking",
    SecondMarking.STARTED: "Second marking started",
}


def second_marking_state(chosen: bool, first: dict[str, Any] | None, second: Any) -> SecondMarking:
    """The rules ``create_audit`` applies to a second marking, read for one board row."""
    if second is not None:
        return SecondMarking.STARTED
    if not chosen:
        return SecondMarking.NOT_CHOSEN
    if first is None:
        return SecondMarking.WAITING_FOR_FIRST
    if first["mine"]:
        return SecondMarking.FOR_SOMEONE_ELSE
    return SecondMarking.READY


def may_start(row: dict[str, Any]) -> list[Marking]:
    """The markings of a board row the user may start (each one ``create_audit`` accepts)."""
    out = [Marking.FIRST] if row[Marking.FIRST] is None else []
    if row["second_state"] is SecondMarking.READY:
        out.append(Marking.SECOND)
    return out


@dataclass(frozen=True)
class NextChild:
    """The next child in an auditor's list: their own draft to carry on with (``audit_id``),
    or a marking nobody has started that they may start (``audit_id`` is ``None``)."""

    member_id: int
    child: Child | None
    marking: str
    audit_id: int | None = None


def next_in_list(rows: list[dict[str, Any]], after_member_id: int | None) -> NextChild | None:
    """After the board row of ``after_member_id`` (wrapping round): the user's next draft,
    else the next marking they may start; ``None`` when nothing is left for them."""
    at = next((i for i, r in enumerate(rows) if r["member"]["id"] == after_member_id), -1)
    ordered = rows[at + 1 :] + rows[: at + 1]
    for row in ordered:
        for marking in (Marking.FIRST, Marking.SECOND):
            a = row[marking]
            if a is not None and a["mine"] and a["status"] == AuditStatus.DRAFT:
                return NextChild(row["member"]["id"], row["child"], marking, a["id"])
    for row in ordered:
        for marking in row["may_start"]:
            return NextChild(row["member"]["id"], row["child"], marking)
    return None


def _board_cell(a: Audit, hidden: bool, user: User) -> dict[str, Any]:
    """One marking on the audits board: who, where it stands, and its grade when ``user``
    may see it."""
    return {
        "id": a.id,
        "status": a.status,
        "status_label": AuditStatus(a.status).label,
        "auditor": a.auditor.name if a.auditor else "",
        "overall": "" if hidden else a.overall,
        "overall_label": ""
        if hidden or not a.overall
        else definition_of(a.rubric).grade_labels.get(a.overall, a.overall),
        "hidden": hidden,
        "mine": a.auditor_id == user.id,
    }


async def audit_board(inspection_id: int, user: User, role: Role) -> list[dict[str, Any]]:
    """Every child to audit (in a random sample or a tracked case, ``tracked``) with their
    first and second markings and their re-audit, if any; a marking whose content the
    user may not see (``inspection.audit.visibility``) shows its auditor and status only.
    ``second_state`` and ``may_start`` say what the user may do next with each child."""
    members = (
        await SampleMember.filter(
            inspection_id=inspection_id,
            status__in=AUDITED,
        )
        .order_by("sample_id", "stratum", "order", "id")
        .values("id", "sample_id", "child_id", "stratum", "order", "status")
    )
    audits = await Audit.filter(inspection_id=inspection_id).prefetch_related("auditor", "rubric")
    seen = await visible_audits(inspection_id, Viewer(user, role))
    by_member: dict[tuple[int, str], Audit] = {
        (a.member_id, a.marking): a for a in audits if a.member_id is not None
    }
    children = {
        c.id: c
        for c in await Child.filter(
            inspection_id=inspection_id, id__in=[m["child_id"] for m in members if m["child_id"]]
        )
    }
    stratified = {
        s["id"]: (s["params"] or {}).get("stratify_by")
        for s in await Sample.filter(inspection_id=inspection_id).values("id", "params")
    }
    selected: dict[int, set[int]] = {}
    rows = []
    for m in members:
        sid = int(m["sample_id"])
        if sid not in selected:
            selected[sid] = await selected_member_ids(sid)
        row: dict[str, Any] = {
            "member": m,
            "stratum_label": stratum_label(stratified.get(sid), m["stratum"] or ""),
            "child": children.get(m["child_id"]),
            "second_marking": m["id"] in selected[sid],
            "tracked": m["status"] == MemberStatus.TRACKED,
        }
        # a re-audit (after the actions) is shown with the first marking it follows
        for marking in (Marking.FIRST, Marking.SECOND, Marking.REAUDIT):
            a = by_member.get((m["id"], marking))
            row[marking] = None if a is None else _board_cell(a, a.id not in seen, user)
        row["second_state"] = second_marking_state(
            row["second_marking"], row["first"], row["second"]
        )
        row["second_label"] = SECOND_MARKING_LABELS[row["second_state"]]
        row["may_start"] = may_start(row)
        rows.append(row)
    return rows
