"""The rules that flag impossible or inconsistent records, kept as versioned data.

``plausibility_rules_v2024.json`` holds every rule: its id (the Department for Education's
number for a CIN census validation rule, ``PL`` and a number for the product's own), the
cells it compares, its severity and its plain-English message. Census rules are checked on
each CIN census file as it is read (``cin_census``) and stored as validation issues whose rule
is ``cin_`` and the DfE's number; journey rules are checked on each child's journey, across
every source (``journey.consistency``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

RULES_FILE = Path(__file__).with_name("plausibility_rules_v2024.json")
AppliesTo = Literal["census", "journey"]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str  # the rule in a few words, as a report's group names it
    scheme: str
    severity: str
    applies_to: AppliesTo
    cells: tuple[str, ...]
    template: str

    @property
    def issue_rule(self) -> str:
        """The rule as a validation issue names it: ``cin_1103``, ``PL04``."""
        return f"cin_{self.id}" if self.scheme == "CIN census" else self.id

    def message(self, **values: Any) -> str:
        return self.template.format(**values)


@cache
def rules() -> dict[str, Rule]:
    """Every rule by id, in the file's order."""
    data = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    return {
        r["id"]: Rule(
            r["id"],
            r["name"],
            r["scheme"],
            r["severity"],
            r["applies_to"],
            tuple(r["cells"]),
            r["message"],
        )
        for r in data["rules"]
    }


def rule(rule_id: str) -> Rule:
    return rules()[rule_id]


def by_issue_rule() -> dict[str, Rule]:
    """Every rule by the name its validation issues carry (``cin_1103``, ``PL06``)."""
    return {r.issue_rule: r for r in rules().values()}
