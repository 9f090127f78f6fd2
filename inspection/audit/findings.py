"""Findings: grade distributions, share good or better with honest uncertainty, breakdowns,
themes, the trend across rounds, and the journey indicators beside (never blended).

Which grade counts: for each submitted first marking, a domain's (or the overall) grade is the
moderator's agreed grade when one was recorded, else the first marker's grade. Second markings
feed agreement statistics only. "Not applicable" and blank grades are left out of every base.

Findings are computed for a viewer (``inspection.audit.visibility``): only from the audits that
viewer may see, in this round and in every earlier round of the trend, so that no figure carries
a grade its reader could not open (a second marker never sees a share that includes the first
marking they are blind to).

Every figure carries ``audit_ids``: the audits it was computed from, and ``few``: whether it
rests on fewer than ``FEW_AUDITS`` graded audits, too few to say much about the authority's
practice (the page and the workbook warn). The findings open with the inspectors' written
judgement of the round (``judgement``, written by a lead: ``inspection.audit.judgement``).

Tracked cases (children chosen on purpose: ``inspection.sampling.tracking``) are audited with the
same instruments but kept out of every estimate: each figure (a share, a breakdown, the trend,
the journey indicators) is computed from the sampled children only, and each domain also gives
the tracked cases' grades beside it (``tracked``). Every share says how many sampled and how many
tracked children stand behind it (``sampled``, ``tracked``); the findings count both
(``children``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from tortoise import connections

from inspection.audit.by_framework import read_by_framework
from inspection.audit.definition import OVERALL, RubricDefinition, stored_definition
from inspection.audit.moderation import chosen_for_second_marking
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import (
    Viewer,
    marking_of,
    round_viewers,
    visible_among,
)
from inspection.journey import kinds
from inspection.journey.build import (
    CHILD_FIELDS,
    Journey,
    event_rows,
    journeys_for_inspection,
    journeys_from_rows,
)
from inspection.journey.indicators import KEYS as INDICATOR_KEYS
from inspection.journey.indicators import LABELS as INDICATOR_LABELS
from inspection.journey.indicators import aggregate, for_journey
from inspection.journey.indicators import hint as indicator_hint
from inspection.models import Moderation, Score
from inspection.sampling.status import MemberStatus

Z95 = 1.959963984540054
# A share from fewer graded audits than this is shown with a warning: with so few children the
# 95% interval is at least 30 percentage points wide, and over 50 for a share near a half
# (nine audits, 5 good: 27% to 81%).
FEW_AUDITS = 10
COHORT_ORDER = [
    ("care_leaver", "Care leaver"),
    ("looked_after_start", "Child in care"),
    ("cp_plan_start", "Child protection plan"),
    ("child_in_need", "Child in need"),
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
    few: bool  # fewer than FEW_AUDITS graded audits
    sampled: int  # graded children behind the share drawn in a random sample
    tracked: int  # graded children behind the share chosen on purpose (tracked cases)


def share_good(rows: list[tuple[int, bool, float]], *, tracked: bool = False) -> Share:
    """``rows`` = (audit id, good or better?, design weight) for graded cases only, all of
    sampled children or (``tracked``) all of tracked cases.

    Population estimate: the ratio estimator sum(w*y)/sum(w), with a Wilson interval computed
    on Kish's effective sample size (sum w)^2 / sum(w^2); none from tracked cases, which were
    chosen on purpose and stand for nobody but themselves.
    """
    n = len(rows)
    good = sum(1 for _, g, _ in rows if g)
    ci = wilson(good, n)
    total_w = 0.0 if tracked else sum(w for _, _, w in rows)
    w_share = sum(w for _, g, w in rows if g) / total_w if total_w else None
    n_eff = kish_effective_n(w for _, _, w in rows) if rows and not tracked else None
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
        few=n < FEW_AUDITS,
        sampled=0 if tracked else n,
        tracked=n if tracked else 0,
    )


@dataclass
class Judged:
    """One submitted first marking with the grades that count and what it is broken down by."""

    audit_id: int
    rubric: str
    definition: RubricDefinition
    grades: dict[str, str]
    themes: list[str]
    weight: float
    stratum: str
    team: str
    cohort: str
    agencies: list[str]
    tracked: bool = False  # a tracked case (chosen on purpose), not a sampled child


def cohort_of(events: Iterable[dict[str, Any]]) -> str:
    """The most significant help a child's events show (``COHORT_ORDER``); a child in need is
    one by ``kinds.child_in_need``, as sampling's children-in-need cohort counts them."""
    found: set[str] = set()
    for e in events:
        found.add(e["kind"])
        if e["kind"] in kinds.CHILD_IN_NEED_KINDS and kinds.child_in_need(
            e["kind"], _as_dict(e["attributes"])
        ):
            found.add("child_in_need")
    for key, label in COHORT_ORDER:
        if key in found:
            return label
    return NO_HELP_COHORT


def _as_dict(value: Any) -> dict[str, Any]:
    """An event's details as stored (a mapping, or JSON text on SQLite)."""
    loaded = json.loads(value) if isinstance(value, str) else value
    return loaded if isinstance(loaded, dict) else {}


# What an audit row holds for the findings: the marking, its rubric, its member and its child.
# A statement of its own rather than the query builder's: it reads every audit of every round
# on each findings page, and the rubric's definition comes as text, parsed once per process
# (``stored_definition``), not once per audit.
_AUDIT_SQL = (
    "SELECT a.id, a.inspection_id, a.member_id, a.marking, a.status, a.auditor_id, "
    "a.overall, a.themes, a.rubric_id, a.child_id, r.definition, r.sha256, "
    "m.sample_id, m.weight, m.stratum, m.status AS member_status, "
    + ", ".join(f"c.{f} AS child__{f}" for f in CHILD_FIELDS)
    + " FROM audit a JOIN rubric r ON r.id = a.rubric_id "
    "LEFT JOIN sample_member m ON m.id = a.member_id "
    "LEFT JOIN child c ON c.id = a.child_id "
    "WHERE a.inspection_id {among} ORDER BY a.id"
)


async def audit_rows(inspection_ids: Collection[int]) -> list[dict[str, Any]]:
    """Every audit of these inspections with its rubric, sample member and child: one query."""
    wanted = sorted({int(i) for i in inspection_ids})
    if not wanted:
        return []
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = _AUDIT_SQL.format(among="= ANY($1::int[])")
        rows = list(await conn.execute_query_dict(sql, [wanted]))
    else:
        sql = _AUDIT_SQL.format(among=f"IN ({', '.join('?' for _ in wanted)})")
        rows = list(await conn.execute_query_dict(sql, wanted))
    for row in rows:
        row["marking"] = Marking(row["marking"])
        row["status"] = AuditStatus(row["status"])
        row["definition"] = stored_definition(row.pop("sha256"), row["definition"])
    return rows


async def _grades(
    inspection_id: int, scored: list[int], moderated: list[int]
) -> tuple[dict[int, dict[str, str]], dict[int, dict[str, str]]]:
    """Domain grades of the ``scored`` audits (this round) and the moderators' agreed grades
    of the ``moderated`` first markings (every round): two queries."""
    scores: dict[int, dict[str, str]] = {}
    if scored:
        for audit_id, domain, grade in await Score.filter(
            inspection_id=inspection_id, audit_id__in=scored
        ).values_list("audit_id", "domain", "grade"):
            scores.setdefault(audit_id, {})[domain] = grade
    agreed: dict[int, dict[str, str]] = {}
    if moderated:
        for audit_id, domain, grade in await Moderation.filter(
            first_audit_id__in=moderated
        ).values_list("first_audit_id", "domain", "agreed_grade"):
            agreed.setdefault(audit_id, {})[domain] = grade
    return scores, agreed


def _judged(
    row: dict[str, Any],
    scores: dict[str, str],
    agreed: dict[str, str],
    events: list[dict[str, Any]],
) -> Judged:
    """One submitted first marking, from its audit row, grades and its child's events."""
    definition = row["definition"]
    team = row["child__team"] or next((e["team"] for e in events if e["team"]), "")
    return Judged(
        audit_id=row["id"],
        rubric=f"{definition.code} v{definition.version}",
        definition=definition,
        grades={**scores, OVERALL: row["overall"], **agreed},
        themes=list(_as_list(row["themes"])),
        weight=row["weight"] if row["member_id"] is not None else 1.0,
        stratum=(row["stratum"] if row["member_id"] is not None else "") or "(none)",
        team=str(team or "(not recorded)"),
        cohort=cohort_of(events),
        agencies=sorted({e["agency"] for e in events}) or ["(none)"],
        tracked=is_tracked(row),
    )


def is_tracked(row: dict[str, Any]) -> bool:
    """An audit row of a tracked case (its member chosen on purpose, tracked still or not)."""
    return row.get("member_status") in (MemberStatus.TRACKED, MemberStatus.UNTRACKED)


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        loaded = json.loads(value) if value else []
        return loaded if isinstance(loaded, list) else [loaded]
    return list(value or [])


def first_markings(rows: list[dict[str, Any]], seen: Collection[int]) -> list[dict[str, Any]]:
    """The submitted first markings among ``rows`` that are in ``seen``, oldest first."""
    return [
        r
        for r in rows
        if r["marking"] == Marking.FIRST
        and r["status"] == AuditStatus.SUBMITTED
        and r["id"] in seen
    ]


def judgement_of(round_: dict[str, Any]) -> dict[str, Any] | None:
    """The written judgement of a round (a row of ``round_viewers``), or None if none yet."""
    text = str(round_.get("judgement") or "").strip()
    if not text:
        return None
    at = round_.get("judgement_at")
    return {
        "text": text,
        "paragraphs": [" ".join(p.split()) for p in text.split("\n\n") if p.strip()],
        "written_by": round_.get("judgement_by__name") or "",
        "written_at": at.isoformat() if isinstance(at, datetime) else at,
    }


def _domain_rows(judged: list[Judged], definition: RubricDefinition) -> list[dict[str, Any]]:
    """Each domain's grades and share good or better from the sampled children, with the
    tracked cases' grades and share beside them (``tracked``), never mixed in."""
    good = definition.good_or_better
    labels = definition.grade_labels
    sampled = [j for j in judged if not j.tracked]
    tracked = [j for j in judged if j.tracked]
    rows = []
    for d in definition.domains_and_overall:
        key = d.key
        dist = []
        for value, label in labels.items():
            ids = [j.audit_id for j in sampled if j.grades.get(key) == value]
            tracked_ids = [j.audit_id for j in tracked if j.grades.get(key) == value]
            dist.append(
                {
                    "grade": value,
                    "label": label,
                    "count": len(ids),
                    "audit_ids": ids,
                    "tracked": {"count": len(tracked_ids), "audit_ids": tracked_ids},
                }
            )

        def graded(among: list[Judged], key: str = key) -> list[tuple[int, bool, float]]:
            return [
                (j.audit_id, j.grades[key] in good, j.weight)
                for j in among
                if j.grades.get(key) in definition.ranks
            ]

        rows.append(
            {
                "domain": key,
                "title": d.title,
                "area": d.area.value if d.area else None,
                "area_label": d.area.label if d.area else None,
                "outcome": d.outcome.value if d.outcome else None,
                "outcome_label": d.outcome.label if d.outcome else None,
                "distribution": dist,
                "good_or_better": asdict(share_good(graded(sampled))),
                "tracked": asdict(share_good(graded(tracked), tracked=True)),
            }
        )
    return rows


def _breakdown(
    judged: list[Judged], definition: RubricDefinition, group_of: Any
) -> list[dict[str, Any]]:
    good = definition.good_or_better
    ranks = definition.ranks
    groups: dict[str, list[tuple[int, bool, float]]] = {}
    for j in judged:
        grade = j.grades.get(OVERALL, "")
        if grade not in ranks:
            continue
        for group in group_of(j):
            groups.setdefault(group, []).append((j.audit_id, grade in good, j.weight))
    return [{"group": g, **asdict(share_good(rows))} for g, rows in sorted(groups.items())]


def indicator_rows(journeys: dict[int, Journey]) -> dict[str, Any]:
    """Indicator figures from the audited children's journeys, computed by the journey package
    and kept apart from the judgements. ``rows`` is what the findings page shows."""
    figures = aggregate({cid: for_journey(j) for cid, j in journeys.items()})
    rows = []
    for key in INDICATOR_KEYS:
        figure = figures[key]
        rows.append(
            {
                "key": key,
                "label": INDICATOR_LABELS[key],
                "hint": indicator_hint(key),
                "known": figure["known"],
                "with_value": figure.get("yes", figure.get("non_zero", 0)),
                "median": figure.get("median"),
                "total": figure.get("total"),
            }
        )
    return {"available": True, "children": len(journeys), "figures": figures, "rows": rows}


async def journey_indicators(inspection_id: int, child_ids: list[int]) -> dict[str, Any]:
    """``indicator_rows`` of these children only: building every child's journey would cost
    seconds per page with a 100,000-child authority (bench/bench_load.py)."""
    return indicator_rows(await journeys_for_inspection(inspection_id, child_ids))


def _trend_row(round_: dict[str, Any], judged: list[Judged]) -> dict[str, Any]:
    rows = [
        (
            j.audit_id,
            j.grades.get(OVERALL, "") in j.definition.good_or_better,
            j.weight,
        )
        for j in judged
        if j.grades.get(OVERALL, "") in j.definition.ranks
    ]
    return {
        "inspection_id": round_["id"],
        "title": round_["title"],
        "reference_date": _as_date(round_["reference_date"]).isoformat(),
        **asdict(share_good(rows)),
    }


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _rubric_rows(judged: list[Judged]) -> list[dict[str, Any]]:
    """Each instrument's figures: the domains (sampled, with tracked cases beside), and the
    breakdowns and themes of the sampled children."""
    by_rubric: dict[str, list[Judged]] = {}
    for j in judged:
        by_rubric.setdefault(j.rubric, []).append(j)
    rubrics = []
    for name, every in by_rubric.items():
        definition = every[0].definition
        rows = [j for j in every if not j.tracked]
        tracked = [j for j in every if j.tracked]
        themes: dict[str, list[int]] = {}
        for j in rows:
            for t in j.themes:
                themes.setdefault(t, []).append(j.audit_id)
        rubrics.append(
            {
                "rubric": name,
                "title": definition.title or name,
                "audits": len(rows),
                "audit_ids": [j.audit_id for j in rows],
                "tracked_audits": len(tracked),
                "tracked_audit_ids": [j.audit_id for j in tracked],
                "weighted": len({j.weight for j in rows}) > 1,
                "scale": [{"value": g.value, "label": g.label} for g in definition.scale],
                "not_applicable": definition.not_applicable_value,
                "domains": _domain_rows(every, definition),
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
    return rubrics


async def findings(
    inspection_id: int,
    viewer: Viewer,
    sample_id: int | None = None,
    *,
    with_indicators: bool = True,
) -> dict[str, Any]:
    """Everything the findings page, the export and ``inspection findings --json`` show, from
    the audits ``viewer`` may see: in this round, and (the trend) in every round of the same
    local authority the viewer may see, each from the audits they may see in that round.

    At most six queries, whatever the size of the sample and the number of rounds: the rounds
    (with the viewer's role in each), every audit of them with its rubric, member and child,
    the members chosen for second marking, the domain grades, the agreed grades, and the
    events of the audited children (from which their journeys are built).
    """
    rounds, viewers = await round_viewers(inspection_id, viewer)
    viewers[inspection_id] = viewer
    rows = await audit_rows([r["id"] for r in rounds])
    chosen = await chosen_for_second_marking([r["id"] for r in rounds], rows)
    by_round: dict[int, list[dict[str, Any]]] = {r["id"]: [] for r in rounds}
    for row in rows:
        by_round[row["inspection_id"]].append(row)
    firsts: dict[int, list[dict[str, Any]]] = {}
    for r in rounds:
        round_rows = by_round[r["id"]]
        seen = visible_among(viewers[r["id"]], [marking_of(x) for x in round_rows], chosen)
        firsts[r["id"]] = first_markings(round_rows, seen)
    here = [
        r for r in firsts.get(inspection_id, []) if sample_id is None or r["sample_id"] == sample_id
    ]
    scores, agreed = await _grades(
        inspection_id,
        [r["id"] for r in here],
        [r["id"] for rs in firsts.values() for r in rs],
    )
    child_ids = sorted({int(r["child_id"]) for r in here if r["child_id"]})
    events = await event_rows(inspection_id, child_ids)
    by_child: dict[int, list[dict[str, Any]]] = {}
    for e in events:
        by_child.setdefault(e["child_id"], []).append(e)
    judged = [
        _judged(
            r, scores.get(r["id"], {}), agreed.get(r["id"], {}), by_child.get(r["child_id"], [])
        )
        for r in here
    ]
    trend = [
        _trend_row(
            r,
            [
                _judged(x, {}, agreed.get(x["id"], {}), [])
                for x in firsts[r["id"]]
                if not is_tracked(x)
            ],
        )
        for r in rounds
    ]
    here_round = next(r for r in rounds if r["id"] == inspection_id)
    rubric_rows = _rubric_rows(judged)
    indicators: dict[str, Any] = {"available": False}
    if with_indicators:
        children = {
            r["child__id"]: {f: r[f"child__{f}"] for f in CHILD_FIELDS}
            for r in here
            if r["child__id"] is not None and not is_tracked(r)
        }
        indicators = indicator_rows(
            journeys_from_rows(
                list(children.values()), events, _as_date(here_round["reference_date"])
            )
        )
    return {
        "inspection_id": inspection_id,
        "sample_id": sample_id,
        "authority": here_round["la__name"],
        "judgement": judgement_of(here_round),
        "audits": sum(1 for j in judged if not j.tracked),
        "tracked_audits": sum(1 for j in judged if j.tracked),
        "children": {
            "sampled": len({r["child_id"] for r in here if not is_tracked(r)}),
            "tracked": len({r["child_id"] for r in here if is_tracked(r)}),
        },
        "few_audits": FEW_AUDITS,
        "rubrics": rubric_rows,
        "by_framework": read_by_framework(rubric_rows),
        "trend": trend,
        "journey_indicators": indicators,
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
