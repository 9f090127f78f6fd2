"""Findings: grade distributions, share good or better with honest uncertainty, breakdowns,
themes, the trend across rounds, and the journey indicators beside (never blended).

Which grade counts: for each submitted first marking, a domain's (or the overall) grade is the
moderator's agreed grade when one was recorded, else the first marker's grade. Second markings
feed agreement statistics only. "Not applicable" and blank grades are left out of every base.

Findings are computed for a viewer (``inspection.audit.visibility``): only from the audits that
viewer may see, in this round and in every earlier round of the trend, so that no figure carries
a grade its reader could not open (a second marker never sees a share that includes the first
marking they are blind to).

Every figure carries ``audit_ids``: the audits it was computed from.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from inspection.audit import scoring
from inspection.audit.moderation import OVERALL
from inspection.audit.visibility import NotAMember, Viewer, viewer_for, visible_audits
from inspection.journey import kinds
from inspection.journey.indicators import KEYS as INDICATOR_KEYS
from inspection.journey.indicators import LABELS as INDICATOR_LABELS
from inspection.journey.indicators import aggregate, indicators_by_child
from inspection.models import Audit, Child, Event, Inspection, Moderation, SampleMember, Score

Z95 = 1.959963984540054
COHORT_ORDER = [
    ("care_leaver", "Care leaver"),
    ("looked_after_start", "Child in care"),
    ("cp_plan_start", "Child protection plan"),
    ("cin_plan_start", "Child in need plan"),
    ("early_help_start", "Early help"),
]
NO_HELP_COHORT = "No help episode recorded"


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson(successes: float, n: float, z: float = Z95) -> Interval | None:
    """Wilson score interval for a proportion (``n`` may be an effective sample size)."""
    if n <= 0:
        return None
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def kish_effective_n(weights: Iterable[float]) -> float:
    w = list(weights)
    total_sq = sum(x * x for x in w)
    return sum(w) ** 2 / total_sq if total_sq else 0.0


@dataclass(frozen=True)
class Share:
    """Share good or better among graded cases, and the design-weighted population estimate."""

    good: int
    n: int
    share: float | None
    low: float | None
    high: float | None
    weighted_share: float | None
    effective_n: float | None
    weighted_low: float | None
    weighted_high: float | None
    audit_ids: list[int]
    good_audit_ids: list[int]


def share_good(rows: list[tuple[int, bool, float]]) -> Share:
    """``rows`` = (audit id, good or better?, design weight) for graded cases only.

    Population estimate: the ratio estimator sum(w*y)/sum(w), with a Wilson interval computed
    on Kish's effective sample size (sum w)^2 / sum(w^2).
    """
    n = len(rows)
    good = sum(1 for _, g, _ in rows if g)
    ci = wilson(good, n)
    total_w = sum(w for _, _, w in rows)
    w_share = sum(w for _, g, w in rows if g) / total_w if total_w else None
    n_eff = kish_effective_n(w for _, _, w in rows) if rows else None
    w_ci = wilson(w_share * n_eff, n_eff) if w_share is not None and n_eff else None
    return Share(
        good=good,
        n=n,
        share=good / n if n else None,
        low=ci.low if ci else None,
        high=ci.high if ci else None,
        weighted_share=w_share,
        effective_n=n_eff,
        weighted_low=w_ci.low if w_ci else None,
        weighted_high=w_ci.high if w_ci else None,
        audit_ids=sorted(a for a, _, _ in rows),
        good_audit_ids=sorted(a for a, g, _ in rows if g),
    )


@dataclass
class Judged:
    """One submitted first marking with the grades that count and what it is broken down by."""

    audit_id: int
    rubric: str
    definition: dict[str, Any]
    grades: dict[str, str]
    themes: list[str]
    weight: float
    stratum: str
    team: str
    cohort: str
    agencies: list[str]


def cohort_of(kinds: set[str]) -> str:
    for kind, label in COHORT_ORDER:
        if kind in kinds:
            return label
    return NO_HELP_COHORT


async def judged_audits(
    inspection_id: int,
    sample_id: int | None = None,
    audit_ids: Collection[int] | None = None,
) -> list[Judged]:
    """Submitted first markings with the grades that count; only those among ``audit_ids``
    (the audits the viewer may see) when given."""
    query = Audit.filter(inspection_id=inspection_id, marking="first", status="submitted")
    if sample_id is not None:
        query = query.filter(member__sample_id=sample_id)
    if audit_ids is not None:
        query = query.filter(id__in=sorted(audit_ids))
    audits = list(await query.prefetch_related("rubric").order_by("id"))
    ids = [a.id for a in audits]
    scores: dict[int, dict[str, str]] = {}
    for s in await Score.filter(inspection_id=inspection_id, audit_id__in=ids):
        scores.setdefault(s.audit_id, {})[s.domain] = s.grade
    agreed: dict[int, dict[str, str]] = {}
    for m in await Moderation.filter(inspection_id=inspection_id, first_audit_id__in=ids):
        agreed.setdefault(m.first_audit_id, {})[m.domain] = m.agreed_grade
    member_ids = [a.member_id for a in audits if a.member_id]
    members = {
        m.id: m for m in await SampleMember.filter(inspection_id=inspection_id, id__in=member_ids)
    }
    child_ids = [a.child_id for a in audits if a.child_id]
    teams = dict(
        await Child.filter(inspection_id=inspection_id, id__in=child_ids).values_list("id", "team")
    )
    kinds: dict[int, set[str]] = {}
    agencies: dict[int, set[str]] = {}
    for child_id, kind, agency, team in await Event.filter(
        inspection_id=inspection_id, child_id__in=child_ids
    ).values_list("child_id", "kind", "agency", "team"):
        kinds.setdefault(child_id, set()).add(kind)
        agencies.setdefault(child_id, set()).add(agency)
        if team and not teams.get(child_id):
            teams[child_id] = team
    out = []
    for a in audits:
        definition = a.rubric.definition
        grades = {**scores.get(a.id, {}), OVERALL: a.overall, **agreed.get(a.id, {})}
        member = members.get(a.member_id) if a.member_id is not None else None
        cid = a.child_id if a.child_id is not None else 0
        out.append(
            Judged(
                audit_id=a.id,
                rubric=f"{definition['code']} v{definition['version']}",
                definition=definition,
                grades=grades,
                themes=list(a.themes or []),
                weight=member.weight if member else 1.0,
                stratum=(member.stratum if member else "") or "(none)",
                team=str(teams.get(cid) or "(not recorded)"),
                cohort=cohort_of(kinds.get(cid, set())),
                agencies=sorted(agencies.get(cid, set())) or ["(none)"],
            )
        )
    return out


def _domain_rows(judged: list[Judged], definition: dict[str, Any]) -> list[dict[str, Any]]:
    good = scoring.good_or_better(definition)
    scale = definition["scale"]
    na = definition.get("not_applicable")
    rows = []
    for d in [*definition["domains"], {"key": OVERALL, "title": "Overall judgement"}]:
        key = d["key"]
        dist = []
        for g in [*scale, *([na] if na else [])]:
            ids = [j.audit_id for j in judged if j.grades.get(key) == g["value"]]
            dist.append(
                {"grade": g["value"], "label": g["label"], "count": len(ids), "audit_ids": ids}
            )
        graded = [
            (j.audit_id, j.grades[key] in good, j.weight)
            for j in judged
            if j.grades.get(key) in scoring.ranks(definition)
        ]
        rows.append(
            {
                "domain": key,
                "title": d["title"],
                "distribution": dist,
                "good_or_better": asdict(share_good(graded)),
            }
        )
    return rows


def _breakdown(
    judged: list[Judged], definition: dict[str, Any], group_of: Any
) -> list[dict[str, Any]]:
    good = scoring.good_or_better(definition)
    ranks = scoring.ranks(definition)
    groups: dict[str, list[tuple[int, bool, float]]] = {}
    for j in judged:
        grade = j.grades.get(OVERALL, "")
        if grade not in ranks:
            continue
        for group in group_of(j):
            groups.setdefault(group, []).append((j.audit_id, grade in good, j.weight))
    return [{"group": g, **asdict(share_good(rows))} for g, rows in sorted(groups.items())]


async def journey_indicators(inspection_id: int, child_ids: list[int]) -> dict[str, Any]:
    """Indicator figures from the audited children's journeys, computed by the journey package
    and kept apart from the judgements. ``rows`` is what the findings page shows."""
    wanted = set(child_ids)
    # Only the audited children's journeys: building every child's would cost seconds per page
    # with a 100,000-child authority (bench/bench_load.py).
    audited = await indicators_by_child(inspection_id, wanted)
    figures = aggregate({cid: ind for cid, ind in audited.items() if cid in wanted})
    rows = []
    for key in INDICATOR_KEYS:
        figure = figures[key]
        rows.append(
            {
                "key": key,
                "label": INDICATOR_LABELS[key],
                "known": figure["known"],
                "with_value": figure.get("yes", figure.get("non_zero", 0)),
                "median": figure.get("median"),
                "total": figure.get("total"),
            }
        )
    return {"available": True, "children": len(wanted), "figures": figures, "rows": rows}


async def trend(inspection_id: int, viewer: Viewer) -> list[dict[str, Any]]:
    """Overall share good or better for each audit round of the same local authority that the
    viewer may see, each from the audits the viewer may see in that round."""
    la = await Inspection.filter(id=inspection_id).values("la_id")
    rounds = await Inspection.filter(la_id=la[0]["la_id"]).order_by("reference_date", "id")
    out = []
    for r in rounds:
        try:
            round_viewer = await viewer_for(viewer.user, r.id)
        except NotAMember:
            continue
        judged = await judged_audits(r.id, None, await visible_audits(r.id, round_viewer))
        rows = [
            (
                j.audit_id,
                j.grades.get(OVERALL, "") in scoring.good_or_better(j.definition),
                j.weight,
            )
            for j in judged
            if j.grades.get(OVERALL, "") in scoring.ranks(j.definition)
        ]
        out.append(
            {
                "inspection_id": r.id,
                "title": r.title,
                "reference_date": r.reference_date.isoformat(),
                **asdict(share_good(rows)),
            }
        )
    return out


async def findings(
    inspection_id: int,
    viewer: Viewer,
    sample_id: int | None = None,
    *,
    with_indicators: bool = True,
) -> dict[str, Any]:
    """Everything the findings page, the export and ``inspection findings --json`` show, from
    the audits ``viewer`` may see."""
    seen = await visible_audits(inspection_id, viewer)
    judged = await judged_audits(inspection_id, sample_id, seen)
    by_rubric: dict[str, list[Judged]] = {}
    for j in judged:
        by_rubric.setdefault(j.rubric, []).append(j)
    rubrics = []
    for name, rows in by_rubric.items():
        definition = rows[0].definition
        themes: dict[str, list[int]] = {}
        for j in rows:
            for t in j.themes:
                themes.setdefault(t, []).append(j.audit_id)
        rubrics.append(
            {
                "rubric": name,
                "title": definition.get("title") or name,
                "audits": len(rows),
                "audit_ids": [j.audit_id for j in rows],
                "weighted": len({j.weight for j in rows}) > 1,
                "domains": _domain_rows(rows, definition),
                "by_stratum": _breakdown(rows, definition, lambda j: [j.stratum]),
                "by_team": _breakdown(rows, definition, lambda j: [j.team]),
                "by_cohort": _breakdown(rows, definition, lambda j: [j.cohort]),
                "by_agency": _breakdown(
                    rows, definition, lambda j: [kinds.agency_label(a) for a in j.agencies]
                ),
                "themes": [
                    {"theme": t, "count": len(ids), "audit_ids": ids}
                    for t, ids in sorted(themes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
                ],
            }
        )
    child_ids = sorted(
        {
            int(row["child_id"])
            for row in await Audit.filter(id__in=[j.audit_id for j in judged]).values("child_id")
            if row["child_id"]
        }
    )
    return {
        "inspection_id": inspection_id,
        "sample_id": sample_id,
        "audits": len(judged),
        "rubrics": rubrics,
        "trend": await trend(inspection_id, viewer),
        "journey_indicators": (
            await journey_indicators(inspection_id, child_ids)
            if with_indicators
            else {"available": False}
        ),
    }


def find_figure_ids(doc: dict[str, Any], path: list[str]) -> list[int]:
    """The audit ids behind one figure, addressed by a path such as
    ``["child_help v1", "domains", "impact", "good_or_better"]``."""
    rubric = next((r for r in doc["rubrics"] if r["rubric"] == path[0]), None)
    if rubric is None:
        return []
    node: Any = rubric
    for part in path[1:]:
        if isinstance(node, list):
            node = next(
                (
                    x
                    for x in node
                    if part in (x.get("domain"), x.get("group"), x.get("grade"), x.get("theme"))
                ),
                None,
            )
        elif isinstance(node, dict):
            node = node.get(part)
        if node is None:
            return []
    return list(node.get("audit_ids", [])) if isinstance(node, dict) else []
