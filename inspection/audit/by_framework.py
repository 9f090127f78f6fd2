"""The findings read by ILACS judgement area and by national framework outcome.

Each domain of a current instrument informs one area and one outcome (``audit.frameworks``).
Reading by area lists, under each area, every audited domain that informs it, with the figures
the findings already computed for that domain (share good or better among the sampled children,
its 95% interval, and the tracked cases beside it). Figures are not pooled across domains: two
domains of one child are not two children, so a pooled share would overstate what is known.
Domains of earlier instrument versions, which name no area or outcome, are listed apart.
"""

from __future__ import annotations

from typing import Any

from inspection.audit.frameworks import FrameworkOutcome, IlacsArea


def _entry(rubric: dict[str, Any], domain: dict[str, Any]) -> dict[str, Any]:
    return {
        "rubric": rubric["rubric"],
        "rubric_title": rubric["title"],
        "domain": domain["domain"],
        "title": domain["title"],
        "good_or_better": domain["good_or_better"],
        "tracked": domain["tracked"],
    }


def read_by_framework(rubrics: list[dict[str, Any]]) -> dict[str, Any]:
    """``areas`` and ``outcomes`` (each in the vocabulary's order, only those some audited domain
    informs: code, label, and the domains' figures), and ``untagged``: the domains that name
    neither, from the findings' ``rubrics`` rows."""
    areas: dict[str, list[dict[str, Any]]] = {}
    outcomes: dict[str, list[dict[str, Any]]] = {}
    untagged: list[dict[str, Any]] = []
    for rubric in rubrics:
        for domain in rubric["domains"]:
            if domain["domain"] == "overall":
                continue
            entry = _entry(rubric, domain)
            if domain.get("area"):
                areas.setdefault(domain["area"], []).append(entry)
            if domain.get("outcome"):
                outcomes.setdefault(domain["outcome"], []).append(entry)
            if not domain.get("area") and not domain.get("outcome"):
                untagged.append(entry)
    return {
        "areas": [
            {"area": a.value, "label": a.label, "domains": areas[a.value]}
            for a in IlacsArea
            if a.value in areas
        ],
        "outcomes": [
            {
                "outcome": o.value,
                "label": o.label,
                "enabler": o.enabler,
                "domains": outcomes[o.value],
            }
            for o in FrameworkOutcome
            if o.value in outcomes
        ],
        "untagged": untagged,
    }
