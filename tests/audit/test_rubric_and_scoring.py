import json
import re

import pytest

from inspection.audit import findings, scoring
from inspection.audit.definition import Domain, Grade, NotApplicable, OverallRule, parse_definition
from inspection.audit.rubric import (
    RubricError,
    builtin_rubric_files,
    ensure_builtin_rubrics,
    register_rubric,
    validate_definition,
)
from inspection.models import Rubric

TIMESCALE = re.compile(
    r"timescale|time scale|working[- ]day|deadline|target date|within \d+|\d+\s*(day|week|hour)",
    re.I,
)


def test_builtin_rubrics_are_valid_and_cover_the_domains():
    files = {f.definition["code"]: f.definition for f in builtin_rubric_files()}
    assert set(files) == {
        "care_leavers",
        "child_help",
        "child_protection",
        "children_in_care",
        "csa_family",
        "domestic_abuse",
        "family_help",
        "front_door",
        "leaders",
        "youth_violence",
    }
    keys = [d["key"] for d in files["child_help"]["domains"]]
    assert keys == [
        "child_seen",
        "need_and_risk",
        "assessment",
        "help_matched",
        "agencies_together",
        "planning_review",
        "management_oversight",
        "impact",
    ]
    labels = [g["label"] for g in files["child_help"]["scale"]]
    assert labels == ["Outstanding", "Good", "Requires improvement to be good", "Inadequate"]
    assert files["child_help"]["evidence_required_for"] == ["requires_improvement", "inadequate"]
    for definition in files.values():
        assert validate_definition(definition) == []


def test_no_rubric_scores_timescales():
    for f in builtin_rubric_files():
        text = json.dumps(f.definition)
        assert TIMESCALE.findall(text) == [], f.path.name
    assert TIMESCALE.search("assessment within 45 working days")  # the scan itself works


async def test_registration_keeps_versions_and_refuses_changed_content(db):
    first = await ensure_builtin_rubrics()
    again = await ensure_builtin_rubrics()
    assert [r.id for r in first] == [r.id for r in again]
    changed = json.loads(json.dumps(first[0].definition))
    changed["domains"][0]["question"] = "Something else?"
    with pytest.raises(RubricError, match="new version"):
        await register_rubric(changed)
    changed["version"] = "99"
    v2 = await register_rubric(changed)
    assert v2.id != first[0].id
    assert await Rubric.filter(code=first[0].code).count() == 2


def test_invalid_definition_problems():
    assert validate_definition({"code": "x"}) == [
        "'version' must be a non-empty string.",
        "'title' must be a non-empty string.",
        "'scale' must list at least two grades.",
        "'domains' must list at least one domain.",
    ]


def _child_help():
    return next(
        f.definition for f in builtin_rubric_files() if f.definition["code"] == "child_help"
    )


def test_overall_rule():
    d = parse_definition(_child_help())
    base = {k.key: "good" for k in d.domains}
    assert scoring.propose_overall(d, base) == "good"
    assert scoring.propose_overall(d, {**base, "need_and_risk": "inadequate"}) == "inadequate"
    assert scoring.propose_overall(d, {**base, "impact": "inadequate"}) == "inadequate"
    # a non-critical Inadequate does not force the overall: median of 7 good + 1 inadequate
    assert scoring.propose_overall(d, {**base, "assessment": "inadequate"}) == "good"
    # never better than impact
    outstanding = {k: "outstanding" for k in base}
    assert scoring.propose_overall(d, {**outstanding, "impact": "requires_improvement"}) == (
        "requires_improvement"
    )
    # even count: the worse of the two middle grades (4 outstanding, 4 good -> good)
    mixed = dict(zip(base, ["outstanding"] * 4 + ["good"] * 4, strict=True))
    assert scoring.propose_overall(d, mixed) == "good"
    assert scoring.propose_overall(d, {**base, "assessment": "not_applicable"}) == "good"
    assert scoring.propose_overall(d, {}) == ""


def test_missing_items_lists_what_is_missing():
    d = parse_definition(_child_help())
    values = {"grade:child_seen": "inadequate", "grade:impact": "not_applicable", "overall": "good"}
    missing = scoring.missing_items(d, values)
    assert missing[0] == (
        "The child seen, heard and understood: write the evidence for Inadequate."
    )
    assert "Need and risk recognised early across agencies: choose a grade." in missing
    assert (
        "Impact: what difference the help made and whether it lasted: this domain always "
        "applies, so choose a grade."
    ) in missing
    assert (
        "Overall judgement: you changed the proposed grade, so write your reason for it." in missing
    )
    assert "Feedback: write the strengths to feed back to the practitioner or team." in missing
    complete = {f"grade:{k.key}": "good" for k in d.domains}
    complete.update(strengths="s", improvements="i")
    assert scoring.missing_items(d, complete) == []


def test_one_grade_scale_names_every_grade_the_same_way():
    d = {**_child_help(), "not_applicable": {"value": "not_applicable"}}
    assert validate_definition(d) == []
    labels = {
        "outstanding": "Outstanding",
        "good": "Good",
        "requires_improvement": "Requires improvement to be good",
        "inadequate": "Inadequate",
        "not_applicable": "Not applicable",
    }
    typed = parse_definition(d)
    assert typed.grade_labels == labels
    # The findings (page, CLI and workbook) break every domain down by the same labels.
    rows = findings._domain_rows([], typed)
    assert [g["label"] for g in rows[0]["distribution"]] == list(labels.values())


def test_every_rubric_file_reads_as_one_typed_definition():
    for f in builtin_rubric_files():
        raw = f.definition
        typed = parse_definition(raw)
        assert (typed.code, typed.version, typed.title) == (
            raw["code"],
            raw["version"],
            raw["title"],
        )
        assert [g.rank for g in typed.scale] == list(range(1, len(raw["scale"]) + 1))
        assert typed.worst_value == typed.by_rank[len(typed.scale)]
        assert [d.key for d in typed.domains] == [d["key"] for d in raw["domains"]]
        assert typed.domains_and_overall[-1].key == "overall"
    child_help = parse_definition(_child_help())
    assert child_help.scale[0] == Grade("outstanding", "Outstanding", 1, True)
    assert child_help.scale[-1] == Grade("inadequate", "Inadequate", 4, False)
    assert child_help.not_applicable == NotApplicable("not_applicable", "Not applicable")
    assert child_help.overall_rule == OverallRule(("need_and_risk", "impact"), ("impact",))
    assert child_help.good_or_better == {"outstanding", "good"}
    assert child_help.evidence_required_for == ("requires_improvement", "inadequate")
    impact = child_help.domains[-1]
    assert isinstance(impact, Domain)
    assert (impact.key, impact.allows_not_applicable, impact.impact) == ("impact", False, True)
    assert child_help.name == "child_help v1"
