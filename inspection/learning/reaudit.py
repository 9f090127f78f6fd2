"""Re-audit: a child audited again after the actions, for a recorded reason.

Two rules keep a child from being audited twice: a child has one first marking in a round (the
database holds (sample member, marking) unique), and a random draw leaves out children with an
audit submitted in another round of the same authority in the 12 months before the reference
date (``sampling.service.recently_audited``). A re-audit is the deliberate exception, and it
needs a reason recorded by a member who audits (``allow_reaudit``), with the earlier audit it
follows. Then:

- when the earlier audit is this round's first marking, the child's re-audit (marking
  ``reaudit``) can be started beside it, on the same rubric;
- when it is another round's, the child is no longer left out of this round's draws, and their
  audit in this round (a sampled child or a tracked case) is the later audit.

A re-audit counts in no estimate (the findings count first markings only). ``before_after``
sets the earlier and the later audit's grades side by side per domain, as the journey, the
findings and the re-audits page show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from inspection.audit.definition import OVERALL, RubricDefinition, definition_of
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import Viewer, round_viewers, visible_audits
from inspection.journey import profile
from inspection.models import Audit, Child, Inspection, Moderation, Reaudit, Rubric, Score

# The re-audit exclusion of a random draw, in months (sampling's default window).
EXCLUSION_MONTHS = 12
MAX_REASON = 2000
COUNTED = (Marking.FIRST, Marking.REAUDIT)


class ReauditError(ValueError):
    """A re-audit request that cannot be done; the message says why in plain English."""


def _name(child: Child) -> str:
    return profile.display_name(child.given_name, child.family_name, child.la_child_id, child.dob)


def _day(at: datetime | None) -> str:
    return at.strftime("%d/%m/%Y") if at else ""


async def earlier_audit(inspection: Inspection, child: Child) -> Audit | None:
    """The child's latest submitted audit (a first marking or a re-audit) that a re-audit
    would follow: in this round, else in another round of the same authority up to this
    round's reference date (the same child by the authority's id)."""
    here = (
        await Audit.filter(
            inspection_id=inspection.id,
            child_id=child.id,
            status=AuditStatus.SUBMITTED,
            marking__in=COUNTED,
        )
        .order_by("-submitted_at", "-id")
        .prefetch_related("inspection")
        .first()
    )
    if here is not None or not child.la_child_id:
        return here
    end = datetime.combine(inspection.reference_date, time.max, UTC)
    return (
        await Audit.filter(
            inspection__la_id=inspection.la_id,  # type: ignore[attr-defined]
            child__la_child_id=child.la_child_id,
            status=AuditStatus.SUBMITTED,
            marking__in=COUNTED,
            submitted_at__lte=end,
        )
        .exclude(inspection_id=inspection.id)
        .order_by("-submitted_at", "-id")
        .prefetch_related("inspection")
        .first()
    )


def reason_missing(name: str, earlier: Audit, inspection_id: int) -> str:
    """Why a reason is needed, in the words the page and the command line show."""
    if earlier.inspection_id == inspection_id:
        return (
            f"Enter why {name} is audited again: their first marking in this round was "
            f"submitted on {_day(earlier.submitted_at)}, and a child is audited once in a round "
            "unless a reason is recorded."
        )
    return (
        f"Enter why {name} is audited again: they were audited in "
        f"{earlier.inspection.title} on {_day(earlier.submitted_at)}, and a child audited in "
        f"the {EXCLUSION_MONTHS} months before the reference date is left out of samples unless "
        "a reason is recorded."
    )


async def allow_reaudit(inspection_id: int, child_id: int, reason: str, viewer: Viewer) -> Reaudit:
    """Record why a child of this round is audited again, and the earlier audit it follows.
    Refused, with nothing written, without a reason, for a child with no submitted audit, or a
    child already recorded for a re-audit in this round."""
    inspection = await Inspection.get(id=inspection_id)
    child = await Child.get_or_none(id=child_id, inspection_id=inspection_id)
    if child is None:
        raise ReauditError("There is no such child in this inspection.")
    name = _name(child)
    existing = await Reaudit.get_or_none(inspection_id=inspection_id, child_id=child_id)
    if existing is not None:
        raise ReauditError(f"{name} is already to be audited again in this round.")
    earlier = await earlier_audit(inspection, child)
    if earlier is None:
        raise ReauditError(f"{name} has no submitted audit to follow: audit them as usual.")
    reason = reason.strip()
    if not reason:
        raise ReauditError(reason_missing(name, earlier, inspection_id))
    if len(reason) > MAX_REASON:
        raise ReauditError(
            f"The reason is {len(reason)} characters long: keep it to {MAX_REASON} or fewer."
        )
    return await Reaudit.create(
        inspection_id=inspection_id,
        child_id=child_id,
        earlier_audit_id=earlier.id,
        reason=reason,
        decided_by=viewer.user,
    )


async def reaudit_refusal(inspection_id: int, child_id: int | None, first: Audit | None) -> str:
    """Why this child's re-audit cannot be started in this round ("" when it can): it follows
    this round's submitted first marking, for a recorded reason."""
    if first is None or first.status != AuditStatus.SUBMITTED:
        return "A re-audit follows the child's submitted first marking in this round."
    if (
        child_id is None
        or not await Reaudit.filter(
            inspection_id=inspection_id, child_id=child_id, earlier_audit_id=first.id
        ).exists()
    ):
        return "Record why this child is audited again before starting the re-audit."
    return ""


async def allowed_in_draws(inspection_id: int) -> set[str]:
    """The authority's ids of the children this round's draws no longer leave out: those with
    a recorded reason to audit them again."""
    rows = await Reaudit.filter(inspection_id=inspection_id).values_list(
        "child__la_child_id", flat=True
    )
    return {str(r) for r in rows if r}


@dataclass(frozen=True)
class AuditSide:
    """One audit of a before-and-after comparison."""

    id: int
    inspection_id: int
    member_id: int | None
    round: str
    marking_label: str
    submitted_at: datetime | None
    overall: str
    visible: bool  # the viewer may open it (a hidden audit shows no grade)


@dataclass(frozen=True)
class DomainChange:
    key: str
    title: str
    before: str
    after: str
    change: str  # Better, The same, Worse, or "" when either is not graded


@dataclass(frozen=True)
class BeforeAfter:
    child_id: int
    child: str
    reason: str
    decided_by: str
    decided_at: datetime
    earlier: AuditSide | None
    later: AuditSide | None
    domains: list[DomainChange]


def _change(definition: RubricDefinition, before: str, after: str) -> str:
    ranks = definition.ranks
    if before not in ranks or after not in ranks:
        return ""
    if ranks[after] < ranks[before]:
        return "Better"
    return "The same" if ranks[after] == ranks[before] else "Worse"


async def _grades(audit_ids: list[int], overall: dict[int, str]) -> dict[int, dict[str, str]]:
    """Each audit's grades that count: the moderator's agreed grade where recorded, else the
    marker's; the overall beside the domains."""
    grades: dict[int, dict[str, str]] = {a: {OVERALL: overall[a]} for a in audit_ids}
    for audit_id, domain, grade in await Score.filter(audit_id__in=audit_ids or [0]).values_list(
        "audit_id", "domain", "grade"
    ):
        grades[int(audit_id)][str(domain)] = str(grade)
    for audit_id, domain, grade in (
        await Moderation.filter(first_audit_id__in=audit_ids or [0])
        .order_by("id")
        .values_list("first_audit_id", "domain", "agreed_grade")
    ):
        grades[int(audit_id)][str(domain)] = str(grade)
    return grades


_AUDIT_FIELDS = (
    "id",
    "inspection_id",
    "inspection__title",
    "member_id",
    "child_id",
    "marking",
    "status",
    "submitted_at",
    "overall",
    "rubric_id",
)


async def before_after(
    inspection_id: int, viewer: Viewer, child_id: int | None = None
) -> list[BeforeAfter]:
    """Every child of this round recorded for a re-audit (or the one ``child_id``), with the
    earlier and the later audit's grades side by side per domain and overall, from the audits
    ``viewer`` may see. The later audit is this round's re-audit of the child when the earlier
    is this round's, else the child's first marking in this round; until it is submitted the
    comparison has only the earlier side."""
    query = Reaudit.filter(inspection_id=inspection_id)
    if child_id is not None:
        query = query.filter(child_id=child_id)
    records = await query.order_by("id").values(
        "child_id",
        "reason",
        "decided_by__name",
        "decided_at",
        "earlier_audit_id",
        "child__given_name",
        "child__family_name",
        "child__la_child_id",
        "child__dob",
    )
    if not records:
        return []
    earlier_ids = [r["earlier_audit_id"] for r in records if r["earlier_audit_id"]]
    later_rows = await Audit.filter(
        inspection_id=inspection_id,
        child_id__in=[r["child_id"] for r in records],
        status=AuditStatus.SUBMITTED,
        marking__in=COUNTED,
    ).values(*_AUDIT_FIELDS)
    rows = {
        r["id"]: r for r in await Audit.filter(id__in=earlier_ids or [0]).values(*_AUDIT_FIELDS)
    }
    rows.update({r["id"]: r for r in later_rows})
    seen = await _seen(inspection_id, viewer, {r["inspection_id"] for r in rows.values()})
    rubrics = {
        r.id: definition_of(r)
        for r in await Rubric.filter(id__in=sorted({r["rubric_id"] for r in rows.values()}))
    }
    grades = await _grades(
        sorted(i for i in rows if i in seen), {i: r["overall"] for i, r in rows.items()}
    )
    out = []
    for rec in records:
        earlier = rows.get(rec["earlier_audit_id"])
        later = _later(inspection_id, rec, earlier, later_rows)
        out.append(_comparison(rec, earlier, later, seen, rubrics, grades))
    return out


def _later(
    inspection_id: int,
    rec: dict[str, Any],
    earlier: dict[str, Any] | None,
    later_rows: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """This round's later audit of the child: the re-audit when the earlier audit is this
    round's first marking, else their first marking here."""
    here = earlier is not None and earlier["inspection_id"] == inspection_id
    wanted = Marking.REAUDIT if here else Marking.FIRST
    return next(
        (r for r in later_rows if r["child_id"] == rec["child_id"] and r["marking"] == wanted),
        None,
    )


async def _seen(inspection_id: int, viewer: Viewer, rounds: set[int]) -> frozenset[int]:
    """The audits of ``rounds`` whose content ``viewer`` may see (as they are in each round)."""
    seen: set[int] = set(await visible_audits(inspection_id, viewer))
    others = rounds - {inspection_id}
    if others:
        _, viewers = await round_viewers(inspection_id, viewer)
        for round_id in sorted(others):
            if round_id in viewers:
                seen |= await visible_audits(round_id, viewers[round_id])
    return frozenset(seen)


def _side(
    row: dict[str, Any] | None, seen: frozenset[int], rubrics: dict[int, RubricDefinition]
) -> AuditSide | None:
    if row is None:
        return None
    visible = row["id"] in seen
    definition = rubrics[row["rubric_id"]]
    return AuditSide(
        id=row["id"],
        inspection_id=row["inspection_id"],
        member_id=row["member_id"],
        round=row["inspection__title"],
        marking_label=Marking(row["marking"]).label,
        submitted_at=row["submitted_at"],
        overall=definition.grade_labels.get(row["overall"], "") if visible else "",
        visible=visible,
    )


def _comparison(
    rec: dict[str, Any],
    earlier: dict[str, Any] | None,
    later: dict[str, Any] | None,
    seen: frozenset[int],
    rubrics: dict[int, RubricDefinition],
    grades: dict[int, dict[str, str]],
) -> BeforeAfter:
    sides = [s for s in (earlier, later) if s is not None and s["id"] in seen]
    domains: list[DomainChange] = []
    if sides:
        definition = rubrics[sides[-1]["rubric_id"]]
        before = grades.get(earlier["id"], {}) if earlier and earlier["id"] in seen else {}
        after = grades.get(later["id"], {}) if later and later["id"] in seen else {}
        before_labels = rubrics[earlier["rubric_id"]].grade_labels if earlier else {}
        for d in definition.domains_and_overall:
            b, a = before.get(d.key, ""), after.get(d.key, "")
            domains.append(
                DomainChange(
                    d.key,
                    d.title,
                    before_labels.get(b, ""),
                    definition.grade_labels.get(a, ""),
                    _change(definition, b, a),
                )
            )
    child = profile.display_name(
        rec["child__given_name"],
        rec["child__family_name"],
        rec["child__la_child_id"],
        rec["child__dob"],
    )
    return BeforeAfter(
        child_id=rec["child_id"],
        child=child,
        reason=rec["reason"],
        decided_by=rec["decided_by__name"] or "A former member of the team",
        decided_at=rec["decided_at"],
        earlier=_side(earlier, seen, rubrics),
        later=_side(later, seen, rubrics),
        domains=domains,
    )
