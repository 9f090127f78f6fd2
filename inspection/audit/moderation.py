"""Second marking and moderation.

Which members are second-marked is decided by the sample's ``ModerationPlan``: a share of the
sample chosen deterministically from the sample's own seed (anyone can recompute the choice),
plus, if the plan says so, every member whose first marking was submitted as Inadequate.
A moderator records the agreed grade for a domain (or ``overall``) with a reason; the two
original markings are never changed.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from inspection.audit.agreement import Agreement, agreement
from inspection.audit.definition import OVERALL, RubricDefinition, definition_of
from inspection.audit.status import AuditStatus, Marking
from inspection.models import Audit, Moderation, ModerationPlan, Sample, SampleMember, Score, User
from inspection.sampling.status import IN_SAMPLE, SampleMethod

# Agreement from fewer pairs than this is shown with a warning: too few to say much.
FEW_PAIRS = 10


class ModerationError(ValueError):
    pass


@dataclass
class AgreedGradeRefused(ModerationError):
    """An agreed grade that cannot be recorded: the message for each field of the form
    (``grade``, ``reason``), in the order the form asks for them."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return " ".join(self.errors.values())


def second_marking_rank(seed: str, member_id: int) -> str:
    return hashlib.sha256(f"{seed}:second-marking:{member_id}".encode()).hexdigest()


def seeded_choice(seed: str, member_ids: list[int], share: float) -> list[int]:
    """The members chosen for second marking: ceil(share x n), lowest seeded hash first."""
    if not 0 <= share <= 1:
        raise ModerationError("The share to second-mark must be between 0 and 1.")
    count = math.ceil(round(share * len(member_ids), 9))
    ranked = sorted(member_ids, key=lambda m: second_marking_rank(seed, m))
    return sorted(ranked[:count])


async def set_plan(
    inspection_id: int,
    sample_id: int,
    share: float,
    include_inadequate: bool,
    user: User | None = None,
) -> ModerationPlan:
    sample = (
        await Sample.filter(id=sample_id, inspection_id=inspection_id).only("id", "method").first()
    )
    if sample is None:
        raise ModerationError("There is no such sample in this inspection.")
    if sample.method == SampleMethod.PURPOSIVE:
        raise ModerationError(
            "The tracked cases were chosen on purpose: plan second marking for a random sample."
        )
    if not 0 <= share <= 1:
        raise ModerationError("The share to second-mark must be between 0 and 1.")
    plan, _ = await ModerationPlan.update_or_create(
        defaults={
            "share": share,
            "include_inadequate": include_inadequate,
            "set_by": user,
            "inspection_id": inspection_id,
        },
        sample_id=sample_id,
    )
    return plan


def chosen_members(
    seed: str,
    share: float,
    include_inadequate: bool,
    member_ids: list[int],
    worst_first: Collection[int],
) -> set[int]:
    """The rule of a ``ModerationPlan``: of a sample's active ``member_ids``, the seeded share,
    plus (``include_inadequate``) the members in ``worst_first``, those whose submitted first
    marking's overall grade is the worst on its rubric's scale."""
    chosen = set(seeded_choice(seed, member_ids, share))
    if include_inadequate:
        chosen |= set(worst_first) & set(member_ids)
    return chosen


def is_worst_first(audit: dict[str, Any]) -> bool:
    """A submitted first marking whose overall grade is the worst on its rubric's scale
    (``audit`` holds ``marking``, ``status``, ``overall`` and the rubric's ``definition``)."""
    return (
        audit["marking"] == Marking.FIRST
        and audit["status"] == AuditStatus.SUBMITTED
        and bool(audit["overall"])
        and audit["overall"] == audit["definition"].worst_value
    )


async def selected_member_ids(sample_id: int) -> set[int]:
    """Members chosen for second marking (empty when the sample has no plan)."""
    plan = await ModerationPlan.get_or_none(sample_id=sample_id)
    if plan is None:
        return set()
    sample = await Sample.filter(id=sample_id).only("id", "seed").get()
    members = await SampleMember.filter(sample_id=sample_id, status__in=IN_SAMPLE).values_list(
        "id", flat=True
    )
    member_ids = [int(m) for m in members]  # type: ignore[call-overload]
    worst: set[int] = set()
    if plan.include_inadequate:
        rows = await Audit.filter(
            member_id__in=member_ids,
            marking=Marking.FIRST,
            status=AuditStatus.SUBMITTED,
        ).prefetch_related("rubric")
        worst = {
            a.member_id
            for a in rows
            if a.member_id is not None
            and is_worst_first(
                {
                    "marking": a.marking,
                    "status": a.status,
                    "overall": a.overall,
                    "definition": definition_of(a.rubric),
                }
            )
        }
    return chosen_members(sample.seed, plan.share, plan.include_inadequate, member_ids, worst)


async def chosen_for_second_marking(
    inspection_ids: Collection[int], audits: list[dict[str, Any]]
) -> set[int]:
    """The members chosen for second marking in every sample of these inspections, in one
    query, given every audit of them (``audits``: rows with ``member_id``, ``marking``,
    ``status``, ``overall`` and the rubric's ``definition``)."""
    if not inspection_ids:
        return set()
    members: dict[int, list[int]] = {}
    plans: dict[int, tuple[str, float, bool]] = {}
    for row in await SampleMember.filter(
        inspection_id__in=sorted(inspection_ids),
        status__in=IN_SAMPLE,
        sample__moderation_plans__id__isnull=False,
    ).values(
        "id",
        "sample_id",
        seed="sample__seed",
        share="sample__moderation_plans__share",
        include_inadequate="sample__moderation_plans__include_inadequate",
    ):
        members.setdefault(row["sample_id"], []).append(int(row["id"]))
        plans[row["sample_id"]] = (row["seed"], row["share"], bool(row["include_inadequate"]))
    worst = {
        int(a["member_id"]) for a in audits if a["member_id"] is not None and is_worst_first(a)
    }
    chosen: set[int] = set()
    for sample_id, (seed, share, include) in plans.items():
        chosen |= chosen_members(seed, share, include, sorted(members[sample_id]), worst)
    return chosen


@dataclass
class Pair:
    member_id: int
    first: Audit
    second: Audit
    first_grades: dict[str, str]
    second_grades: dict[str, str]
    agreed: dict[str, Moderation]


async def submitted_pairs(
    inspection_id: int,
    sample_id: int | None = None,
    audit_ids: Collection[int] | None = None,
) -> list[Pair]:
    """Members whose first and second markings are both submitted (only then are they compared).

    ``audit_ids``: the audits the viewer may see (``inspection.audit.visibility``); a pair is
    kept only when both of its markings are among them.
    """
    query = Audit.filter(
        inspection_id=inspection_id, status=AuditStatus.SUBMITTED, member_id__not_isnull=True
    )
    if sample_id is not None:
        query = query.filter(member__sample_id=sample_id)
    if audit_ids is not None:
        query = query.filter(id__in=sorted(audit_ids))
    audits = await query.prefetch_related("rubric", "auditor", "child")
    by_member: dict[int, dict[str, Audit]] = {}
    for a in audits:
        if a.member_id is not None:
            by_member.setdefault(a.member_id, {})[a.marking] = a
    pairs = []
    ids = [a.id for a in audits]
    scores: dict[int, dict[str, str]] = {}
    for score in await Score.filter(inspection_id=inspection_id, audit_id__in=ids):
        scores.setdefault(score.audit_id, {})[score.domain] = score.grade
    mods: dict[tuple[int, int], dict[str, Moderation]] = {}
    for m in await Moderation.filter(inspection_id=inspection_id).prefetch_related("moderator"):
        mods.setdefault((m.first_audit_id, m.second_audit_id), {})[m.domain] = m
    for member_id in sorted(by_member):
        both = by_member[member_id]
        if Marking.FIRST in both and Marking.SECOND in both:
            f, s = both[Marking.FIRST], both[Marking.SECOND]
            fg = {**scores.get(f.id, {}), OVERALL: f.overall}
            sg = {**scores.get(s.id, {}), OVERALL: s.overall}
            pairs.append(Pair(member_id, f, s, fg, sg, mods.get((f.id, s.id), {})))
    return pairs


def _domain_agreement(
    definition: RubricDefinition,
    pairs: list[Pair],
    domain: str,
) -> tuple[Agreement, int]:
    rank = definition.ranks
    first, second, left_out = [], [], 0
    for p in pairs:
        a, b = p.first_grades.get(domain, ""), p.second_grades.get(domain, "")
        if a in rank and b in rank:
            first.append(rank[a] - 1)
            second.append(rank[b] - 1)
        else:
            left_out += 1
    return agreement(first, second, len(rank)), left_out


async def agreement_report(
    inspection_id: int,
    sample_id: int | None = None,
    audit_ids: Collection[int] | None = None,
) -> dict[str, Any]:
    """Agreement per domain, for the overall judgement and pooled over all domains, over the
    pairs whose markings are both among ``audit_ids`` (every pair when ``None``)."""
    pairs = await submitted_pairs(inspection_id, sample_id, audit_ids)
    by_rubric: dict[int, list[Pair]] = {}
    for p in pairs:
        by_rubric.setdefault(p.first.rubric_id, []).append(p)
    rubrics = []
    for rubric_pairs in by_rubric.values():
        definition = definition_of(rubric_pairs[0].first.rubric)
        rows = []
        pooled_first: list[int] = []
        pooled_second: list[int] = []
        rank = definition.ranks
        for d in definition.domains_and_overall:
            stats, left_out = _domain_agreement(definition, rubric_pairs, d.key)
            rows.append(
                {
                    "domain": d.key,
                    "title": d.title,
                    "left_out": left_out,
                    "few": stats.pairs < FEW_PAIRS,
                    **stats.__dict__,
                }
            )
            if d.key != OVERALL:
                for p in rubric_pairs:
                    a, b = p.first_grades.get(d.key, ""), p.second_grades.get(d.key, "")
                    if a in rank and b in rank:
                        pooled_first.append(rank[a] - 1)
                        pooled_second.append(rank[b] - 1)
        pooled = agreement(pooled_first, pooled_second, len(rank))
        rubrics.append(
            {
                "rubric": f"{definition.code} v{definition.version}",
                "title": f"{definition.title} (version {definition.version})",
                "pairs": len(rubric_pairs),
                "few": [r["title"] for r in rows if r["few"]],
                "domains": rows,
                "pooled": pooled.__dict__,
                "audit_ids": sorted(i for p in rubric_pairs for i in (p.first.id, p.second.id)),
            }
        )
    return {"pairs": len(pairs), "rubrics": rubrics}


def disagreements(pair: Pair) -> list[dict[str, Any]]:
    definition = definition_of(pair.first.rubric)
    labels = definition.grade_labels
    out = []
    for d in definition.domains_and_overall:
        a, b = pair.first_grades.get(d.key, ""), pair.second_grades.get(d.key, "")
        agreed = pair.agreed.get(d.key)
        out.append(
            {
                "domain": d.key,
                "title": d.title,
                "first": a,
                "second": b,
                "first_label": labels.get(a, a),
                "second_label": labels.get(b, b),
                "differs": a != b,
                "agreed": agreed,
                "agreed_label": labels.get(agreed.agreed_grade, "") if agreed else "",
            }
        )
    return out


async def record_agreed_grade(
    inspection_id: int,
    first_audit_id: int,
    second_audit_id: int,
    domain: str,
    grade: str,
    reason: str,
    moderator: User,
) -> Moderation:
    pairs = {(p.first.id, p.second.id): p for p in await submitted_pairs(inspection_id)}
    pair = pairs.get((first_audit_id, second_audit_id))
    if pair is None:
        raise ModerationError("Both markings must be submitted before they can be moderated.")
    definition = definition_of(pair.first.rubric)
    allowed = set(definition.ranks)
    keys = {d.key: d for d in definition.domains}
    na = definition.not_applicable_value
    if domain != OVERALL and domain not in keys:
        raise ModerationError(f"'{domain}' is not a domain of this rubric.")
    if domain != OVERALL and keys[domain].allows_not_applicable and na:
        allowed.add(na)
    errors = {}
    if not grade:
        errors["grade"] = "Choose the agreed grade."
    elif grade not in allowed:
        errors["grade"] = "Choose the agreed grade from the scale."
    if not reason.strip():
        errors["reason"] = "Write the reason for the agreed grade."
    if errors:
        raise AgreedGradeRefused(errors)
    moderation, _ = await Moderation.update_or_create(
        defaults={
            "agreed_grade": grade,
            "reason": reason.strip(),
            "moderator": moderator,
            "inspection_id": inspection_id,
        },
        first_audit_id=first_audit_id,
        second_audit_id=second_audit_id,
        domain=domain,
    )
    return moderation
