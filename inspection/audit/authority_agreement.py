"""How well the authority knows its practice: its own audits of children set beside the
inspectors' audits of the same children.

For every child with both a submitted authority's audit (an authority auditor's own audit, or
the joint discussion that concluded a multi-agency audit, ``inspection.audit.multi_agency``)
and a submitted inspectors' first marking, both of which the viewer may see
(``inspection.audit.visibility``), each domain and the overall judgement are a pair: the
authority's grade and the inspectors' grade (the moderator's agreed grade where one was
recorded, else the first marker's, as the findings count it). Pairs where either grade is Not
applicable or blank are left out, and counted. Per domain and overall, with the number of
pairs: exact agreement, agreement within one grade, Cohen's kappa with quadratic weights
(``inspection.audit.agreement``), and how often the authority graded better or worse than the
inspectors (local audits are often found over-optimistic). The page, the QA workbook and
``inspection audit agreement`` show this one result.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from inspection.audit.agreement import agreement, contingency, within_one_grade
from inspection.audit.definition import OVERALL, definition_of
from inspection.audit.moderation import FEW_PAIRS
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import Viewer, visible_audits
from inspection.models import Audit, Moderation, Score


def _share(count: int, n: int) -> float | None:
    return count / n if n else None


async def authority_agreement(
    inspection_id: int, viewer: Viewer, seen: Collection[int] | None = None
) -> dict[str, Any]:
    """The agreement between the authority's and the inspectors' judgements, per rubric, per
    domain and overall; ``seen``: the audits the viewer may see, when already known (an
    export's)."""
    if seen is None:
        seen = await visible_audits(inspection_id, viewer)
    audits = list(
        await Audit.filter(
            inspection_id=inspection_id,
            id__in=sorted(seen),
            status=AuditStatus.SUBMITTED,
            marking__in=[Marking.FIRST, Marking.AUTHORITY],
            member_id__not_isnull=True,
        ).prefetch_related("rubric")
    )
    by_member: dict[int, dict[str, Audit]] = {}
    for a in audits:
        by_member.setdefault(int(a.member_id or 0), {})[a.marking] = a
    pairs = [
        (m[Marking.AUTHORITY], m[Marking.FIRST])
        for _, m in sorted(by_member.items())
        if Marking.AUTHORITY in m and Marking.FIRST in m
    ]
    ids = [a.id for pair in pairs for a in pair]
    grades: dict[int, dict[str, str]] = {}
    for s in await Score.filter(inspection_id=inspection_id, audit_id__in=ids).values(
        "audit_id", "domain", "grade"
    ):
        grades.setdefault(int(s["audit_id"]), {})[str(s["domain"])] = str(s["grade"])
    agreed: dict[int, dict[str, str]] = {}
    for m in (
        await Moderation.filter(
            inspection_id=inspection_id, first_audit_id__in=[f.id for _, f in pairs]
        )
        .order_by("id")
        .values("first_audit_id", "domain", "agreed_grade")
    ):
        agreed.setdefault(int(m["first_audit_id"]), {})[str(m["domain"])] = str(m["agreed_grade"])
    by_rubric: dict[int, list[tuple[Audit, Audit]]] = {}
    for authority, first in pairs:
        if authority.rubric_id == first.rubric_id:
            by_rubric.setdefault(first.rubric_id, []).append((authority, first))
    rubrics = []
    for rubric_pairs in by_rubric.values():
        definition = definition_of(rubric_pairs[0][1].rubric)
        rank = definition.ranks
        rows = []
        for d in definition.domains_and_overall:
            theirs, ours, left_out, better, worse = [], [], 0, 0, 0
            for authority, first in rubric_pairs:
                mine = (
                    authority.overall
                    if d.key == OVERALL
                    else grades.get(authority.id, {}).get(d.key, "")
                )
                i = agreed.get(first.id, {}).get(d.key) or (
                    first.overall if d.key == OVERALL else grades.get(first.id, {}).get(d.key, "")
                )
                if mine in rank and i in rank:
                    ours.append(rank[mine] - 1)
                    theirs.append(rank[i] - 1)
                    better += rank[mine] < rank[i]
                    worse += rank[mine] > rank[i]
                else:
                    left_out += 1
            stats = agreement(ours, theirs, len(rank))
            within = within_one_grade(contingency(ours, theirs, len(rank)))
            rows.append(
                {
                    "domain": d.key,
                    "title": d.title,
                    "pairs": stats.pairs,
                    "agreed": stats.agreed,
                    "exact": stats.percent_agreement,
                    "within_one": within,
                    "within_one_share": _share(within, stats.pairs),
                    "kappa": stats.kappa_quadratic,
                    "authority_better": better,
                    "authority_worse": worse,
                    "left_out": left_out,
                    "few": stats.pairs < FEW_PAIRS,
                }
            )
        rubrics.append(
            {
                "rubric": definition.name,
                "title": f"{definition.title} (version {definition.version})",
                "children": len(rubric_pairs),
                "domains": rows,
            }
        )
    return {
        "inspection_id": inspection_id,
        "children": len(pairs),
        "few_pairs": FEW_PAIRS,
        "rubrics": rubrics,
    }
