"""A rubric's definition, typed: its grade scale, "not applicable", domains and overall rule.

The versioned data files in ``audit/rubrics/`` are validated by ``audit.rubric`` and stored on
the ``Rubric`` row as JSON; every reader takes them through ``definition_of`` (one parse per
definition, kept for the life of the process: a stored definition never changes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from inspection.audit.frameworks import FrameworkOutcome, IlacsArea

NOT_APPLICABLE_LABEL = "Not applicable"
# The overall judgement is kept beside the domains' grades under this key (no domain has it).
OVERALL = "overall"


@dataclass(frozen=True)
class Grade:
    """One grade of the scale; rank 1 is the best."""

    value: str
    label: str
    rank: int
    good_or_better: bool = False


@dataclass(frozen=True)
class NotApplicable:
    value: str
    label: str = NOT_APPLICABLE_LABEL


@dataclass(frozen=True)
class Domain:
    """One question the auditor answers with a grade and the evidence for it."""

    key: str
    title: str
    question: str
    guidance: tuple[str, ...] = ()
    allows_not_applicable: bool = False
    impact: bool = False
    safety_critical: bool = False
    # What the domain's figures inform (``audit.frameworks``); instruments before these tags
    # have none, and their domains are read under no area and no outcome.
    area: IlacsArea | None = None
    outcome: FrameworkOutcome | None = None


@dataclass(frozen=True)
class OverallRule:
    """The domains whose Inadequate makes the overall Inadequate, and those the overall can be
    no better than (``audit.scoring``)."""

    inadequate_if_inadequate: tuple[str, ...] = ()
    no_better_than: tuple[str, ...] = ()


@dataclass(frozen=True)
class RubricDefinition:
    code: str
    version: str
    title: str
    description: str
    scale: tuple[Grade, ...]  # best first
    not_applicable: NotApplicable | None
    evidence_required_for: tuple[str, ...]
    overall_rule: OverallRule
    domains: tuple[Domain, ...]

    @property
    def name(self) -> str:
        """The rubric as the findings and exports name it: ``child_help v1``."""
        return f"{self.code} v{self.version}"

    @cached_property
    def grade_labels(self) -> dict[str, str]:
        """Stored grade value → the label people read: the scale, best first, then "not
        applicable"."""
        labels = {g.value: g.label for g in self.scale}
        if self.not_applicable is not None:
            labels[self.not_applicable.value] = self.not_applicable.label
        return labels

    @cached_property
    def ranks(self) -> dict[str, int]:
        return {g.value: g.rank for g in self.scale}

    @cached_property
    def by_rank(self) -> dict[int, str]:
        return {g.rank: g.value for g in self.scale}

    @cached_property
    def good_or_better(self) -> frozenset[str]:
        return frozenset(g.value for g in self.scale if g.good_or_better)

    @property
    def worst_value(self) -> str:
        return self.scale[-1].value

    @property
    def not_applicable_value(self) -> str | None:
        return self.not_applicable.value if self.not_applicable is not None else None

    @cached_property
    def domains_and_overall(self) -> tuple[Domain, ...]:
        """The domains, then the overall judgement as one more row (findings, moderation)."""
        return (*self.domains, Domain(OVERALL, "Overall judgement", ""))

    @cached_property
    def areas(self) -> tuple[IlacsArea, ...]:
        """The ILACS areas the domains inform, in the vocabulary's order."""
        return tuple(a for a in IlacsArea if any(d.area == a for d in self.domains))

    @cached_property
    def outcomes(self) -> tuple[FrameworkOutcome, ...]:
        """The national framework outcomes and enablers the domains inform, in order."""
        return tuple(o for o in FrameworkOutcome if any(d.outcome == o for d in self.domains))

    @cached_property
    def titles(self) -> dict[str, str]:
        return {d.key: d.title for d in self.domains}


class StoredRubric(Protocol):
    """What ``definition_of`` needs of a ``Rubric`` row."""

    sha256: str
    definition: Any


def parse_definition(definition: dict[str, Any]) -> RubricDefinition:
    """The typed form of a definition ``audit.rubric.validate_definition`` accepts."""
    na = definition.get("not_applicable")
    rule = definition.get("overall_rule") or {}
    return RubricDefinition(
        code=str(definition["code"]),
        version=str(definition["version"]),
        title=str(definition["title"]),
        description=str(definition.get("description") or ""),
        scale=tuple(
            sorted(
                (
                    Grade(
                        str(g["value"]),
                        str(g["label"]),
                        int(g["rank"]),
                        bool(g.get("good_or_better")),
                    )
                    for g in definition["scale"]
                ),
                key=lambda g: g.rank,
            )
        ),
        not_applicable=(
            NotApplicable(str(na["value"]), str(na.get("label") or NOT_APPLICABLE_LABEL))
            if na
            else None
        ),
        evidence_required_for=tuple(str(v) for v in definition.get("evidence_required_for", [])),
        overall_rule=OverallRule(
            tuple(str(k) for k in rule.get("inadequate_if_inadequate", [])),
            tuple(str(k) for k in rule.get("no_better_than", [])),
        ),
        domains=tuple(
            Domain(
                key=str(d["key"]),
                title=str(d["title"]),
                question=str(d["question"]),
                guidance=tuple(str(g) for g in d.get("guidance", [])),
                allows_not_applicable=bool(d.get("allows_not_applicable")),
                impact=bool(d.get("impact")),
                safety_critical=bool(d.get("safety_critical")),
                area=IlacsArea(d["area"]) if d.get("area") else None,
                outcome=FrameworkOutcome(d["outcome"]) if d.get("outcome") else None,
            )
            for d in definition["domains"]
        ),
    )


_PARSED: dict[str, RubricDefinition] = {}


def definition_of(rubric: StoredRubric) -> RubricDefinition:
    """The typed definition of a stored rubric, parsed once per definition (by its sha256)."""
    return stored_definition(rubric.sha256, rubric.definition)


def stored_definition(sha256: str, stored: Any) -> RubricDefinition:
    """The typed definition from a ``Rubric`` row's columns read as values (the definition as
    a mapping, or as JSON text), parsed once per sha256."""
    found = _PARSED.get(sha256)
    if found is None:
        found = _PARSED[sha256] = parse_definition(
            json.loads(stored) if isinstance(stored, str) else stored
        )
    return found
