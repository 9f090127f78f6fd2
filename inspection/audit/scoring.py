"""The overall judgement rule and the completeness check, both read from the rubric definition.

The rule (documented in docs/audit.md):

1. Only graded domains count: "Not applicable" and blank domains are left out.
2. If any domain named in ``overall_rule.inadequate_if_inadequate`` (impact and the
   safety-critical domains) is Inadequate, the overall judgement is Inadequate.
3. Otherwise take the median grade of the graded domains; with an even number of grades the
   lower (worse) of the two middle grades. The overall judgement is that median, but never
   better than any domain named in ``overall_rule.no_better_than`` (impact): help that made no
   difference to the child cannot be judged good overall.
4. With no graded domain there is no proposal.
"""

from __future__ import annotations

from typing import Any

from inspection.audit.definition import RubricDefinition

OVERALL_FIELDS = (
    "overall",
    "overall_reason",
    "strengths",
    "improvements",
    "themes",
    "practitioner_reflection",
    "learning_conversation",
)


def grade_key(domain: str) -> str:
    return f"grade:{domain}"


def evidence_key(domain: str) -> str:
    return f"evidence:{domain}"


def cites_key(domain: str) -> str:
    return f"cites:{domain}"


def voices_key(domain: str) -> str:
    """The conversations a domain cites (``inspection.audit.conversations``)."""
    return f"voices:{domain}"


# The keys of a domain's cited evidence: events of the journey, and conversations.
CITED_PREFIXES = ("cites:", "voices:")


def propose_overall(rubric: RubricDefinition, grades: dict[str, str]) -> str:
    """The proposed overall grade value from the domain grades (``{domain: grade value}``)."""
    rank_of = rubric.ranks
    value_of = rubric.by_rank
    graded = {d: rank_of[g] for d, g in grades.items() if g in rank_of}
    if not graded:
        return ""
    rule = rubric.overall_rule
    worst = max(value_of)
    if any(graded.get(d) == worst for d in rule.inadequate_if_inadequate):
        return value_of[worst]
    ordered = sorted(graded.values())
    median = ordered[len(ordered) // 2]  # odd: the middle; even: the worse of the two middles
    limit = max((graded[d] for d in rule.no_better_than if d in graded), default=0)
    return value_of[max(median, limit)]


def domain_grades(rubric: RubricDefinition, values: dict[str, Any]) -> dict[str, str]:
    return {d.key: str(values.get(grade_key(d.key), "") or "") for d in rubric.domains}


def missing_items(rubric: RubricDefinition, values: dict[str, Any]) -> list[str]:
    """What must be done before the audit can be submitted, in the order of the form."""
    missing: list[str] = []
    allowed = set(rubric.ranks)
    na = rubric.not_applicable_value
    needs_evidence = set(rubric.evidence_required_for)
    labels = rubric.grade_labels
    for domain in rubric.domains:
        key, title = domain.key, domain.title
        grade = str(values.get(grade_key(key), "") or "")
        if not grade:
            missing.append(f"{title}: choose a grade.")
        elif grade == na and not domain.allows_not_applicable:
            missing.append(f"{title}: this domain always applies, so choose a grade.")
        elif grade != na and grade not in allowed:
            missing.append(f"{title}: '{grade}' is not a grade on this scale.")
        if grade in needs_evidence and not str(values.get(evidence_key(key), "")).strip():
            missing.append(f"{title}: write the evidence for {labels[grade]}.")
    proposed = propose_overall(rubric, domain_grades(rubric, values))
    overall = str(values.get("overall", "") or "")
    if overall and overall not in allowed:
        missing.append(f"Overall judgement: '{overall}' is not a grade on this scale.")
    elif overall and overall != proposed and not str(values.get("overall_reason", "")).strip():
        missing.append(
            "Overall judgement: you changed the proposed grade, so write your reason for it."
        )
    if not overall and not proposed:
        missing.append("Overall judgement: grade the domains so that one can be proposed.")
    if not str(values.get("strengths", "")).strip():
        missing.append("Feedback: write the strengths to feed back to the practitioner or team.")
    if not str(values.get("improvements", "")).strip():
        missing.append("Feedback: write what would make practice better for this child.")
    return missing


def final_overall(rubric: RubricDefinition, values: dict[str, Any]) -> str:
    """The overall judgement: the auditor's own grade when given, else the proposal."""
    overall = str(values.get("overall", "") or "")
    return overall or propose_overall(rubric, domain_grades(rubric, values))
