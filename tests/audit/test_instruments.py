"""Every shipped instrument, its tags, and the findings read by ILACS area and by national
framework outcome: the page, the workbook and ``inspection findings --by`` from one function."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime

import httpx2
from markupsafe import escape
from openpyxl import load_workbook

from inspection.audit.audits import create_audit
from inspection.audit.definition import parse_definition
from inspection.audit.findings import findings, wilson
from inspection.audit.frameworks import FrameworkOutcome, IlacsArea
from inspection.audit.rubric import (
    builtin_rubric_files,
    current_rubric_files,
    definition_sha256,
    find_instrument,
    validate_definition,
)
from inspection.audit.visibility import COMMAND_LINE
from inspection.export.workbook import build_workbook
from inspection.models import Audit, Inspection, Rubric, SampleMember, Score, User
from inspection.web.app import create_app
from tests.audit.helpers import PASSWORD, make_inspection, make_sample, make_user
from tests.conftest import run_cli

CURRENT = {
    ("care_leavers", "1"),
    ("child_help", "2"),
    ("child_protection", "1"),
    ("children_in_care", "1"),
    ("csa_family", "1"),
    ("domestic_abuse", "1"),
    ("family_help", "1"),
    ("front_door", "2"),
    ("leaders", "1"),
    ("youth_violence", "1"),
}
# The registered versions before areas and outcomes were named: never changed.
EARLIER = {
    ("child_help", "1"): "child_help_v1.json",
    ("front_door", "1"): "front_door_v1.json",
}


def test_every_current_instrument_parses_and_tags_every_domain():
    current = {(f.definition["code"], f.definition["version"]): f for f in current_rubric_files()}
    assert set(current) == CURRENT
    for f in current.values():
        assert validate_definition(f.definition) == []
        definition = parse_definition(f.definition)
        for d in definition.domains:
            assert isinstance(d.area, IlacsArea), (f.path.name, d.key)
            assert isinstance(d.outcome, FrameworkOutcome), (f.path.name, d.key)
            assert d.area.label and d.outcome.label
        assert definition.overall_rule.no_better_than  # the impact domain caps the overall
    every_area = {d.area for f in current.values() for d in parse_definition(f.definition).domains}
    assert every_area == set(IlacsArea)
    outcomes = {d.outcome for f in current.values() for d in parse_definition(f.definition).domains}
    assert outcomes == set(FrameworkOutcome)


def test_earlier_versions_are_kept_and_the_new_ones_ask_the_same_questions():
    files = {(f.definition["code"], f.definition["version"]): f for f in builtin_rubric_files()}
    assert set(files) == CURRENT | set(EARLIER)
    for (code, _), name in EARLIER.items():
        earlier = files[(code, "1")]
        assert earlier.path.name == name
        assert all("area" not in d and "outcome" not in d for d in earlier.definition["domains"])
        newer = files[(code, "2")].definition
        asked = [(d["key"], d["title"], d["question"], d["guidance"]) for d in newer["domains"]]
        assert asked == [
            (d["key"], d["title"], d["question"], d["guidance"])
            for d in earlier.definition["domains"]
        ]
        assert newer["overall_rule"] == earlier.definition["overall_rule"]
    # The sha256 of each earlier version is what databases have registered.
    assert (
        definition_sha256(files[("child_help", "1")].definition)
        == files[("child_help", "1")].sha256
    )


def test_an_unknown_area_or_outcome_is_refused_by_name():
    definition = next(f.definition for f in current_rubric_files())
    broken = {**definition, "domains": [{**d} for d in definition["domains"]]}
    broken["domains"][0]["area"] = "schools"
    broken["domains"][0]["outcome"] = "happy"
    problems = validate_definition(broken)
    key = definition["domains"][0]["key"]
    assert problems == [
        f"Domain '{key}': unknown area 'schools' (known: help_and_protection, children_in_care, "
        "care_leavers, leaders).",
        f"Domain '{key}': unknown outcome 'happy' (known: help_they_need, family_network, safe, "
        "stable_homes, multi_agency, leaders_conditions, workforce).",
    ]


async def _submitted(
    inspection: Inspection, member: SampleMember, auditor: User, rubric: Rubric, grades: dict
) -> Audit:
    audit = await Audit.create(
        inspection=inspection,
        member=member,
        child_id=member.child_id,
        auditor=auditor,
        rubric=rubric,
        status="submitted",
        overall=grades.get("overall", "good"),
        submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
    )
    for d in rubric.definition["domains"]:
        await Score.create(
            inspection_id=inspection.id,
            audit=audit,
            domain=d["key"],
            grade=grades.get(d["key"], grades["*"]),
        )
    return audit


async def _world():
    """Three sampled children and one tracked case audited with child_help v2, and one
    sampled child with child_help v1 (which names no area or outcome)."""
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=5)
    await SampleMember.filter(id=members[3].id).update(status="tracked", reason="MI")
    auditor = await make_user(inspection, "a@x.test", "inspector")
    await make_user(inspection, "lead@x.test", "lead_inspector")
    v2 = await find_instrument("child_help")
    v1 = await find_instrument("child_help", "1")
    await _submitted(
        inspection, members[0], auditor, v2, {"*": "good", "management_oversight": "inadequate"}
    )
    await _submitted(
        inspection,
        members[1],
        auditor,
        v2,
        {"*": "requires_improvement", "assessment": "not_applicable"},
    )
    await _submitted(inspection, members[2], auditor, v2, {"*": "outstanding"})
    await _submitted(inspection, members[3], auditor, v2, {"*": "good"})
    await _submitted(inspection, members[4], auditor, v1, {"*": "good"})
    return inspection


HELP_AND_PROTECTION = [
    "The child seen, heard and understood",
    "Need and risk recognised early across agencies",
    "Quality of assessment and analysis",
    "Help matched to need and received",
    "Agencies working together",
    "Planning and review",
    "Impact: what difference the help made and whether it lasted",
]


async def test_findings_by_area_and_by_outcome_on_a_constructed_example(db):
    inspection = await _world()
    doc = await findings(inspection.id, COMMAND_LINE)
    read = doc["by_framework"]
    assert [(a["area"], a["label"]) for a in read["areas"]] == [
        (
            "help_and_protection",
            "The experiences and progress of children who need help and protection",
        ),
        ("leaders", "The impact of leaders on social work practice with children and families"),
    ]
    hp, leaders = read["areas"]
    assert [d["title"] for d in hp["domains"]] == HELP_AND_PROTECTION
    assert {d["rubric"] for d in hp["domains"] + leaders["domains"]} == {"child_help v2"}
    two_of_three = wilson(2, 3)
    for d in hp["domains"]:
        g = d["good_or_better"]
        expected = (2, 2) if d["domain"] == "assessment" else (2, 3)
        assert (g["good"], g["n"], g["sampled"]) == (*expected, expected[1])
        assert (d["tracked"]["good"], d["tracked"]["n"]) == (1, 1)
        if expected == (2, 3):
            assert (g["low"], g["high"]) == (two_of_three.low, two_of_three.high)
    [oversight] = leaders["domains"]
    assert oversight["title"] == "Management oversight"
    assert (oversight["good_or_better"]["good"], oversight["good_or_better"]["n"]) == (1, 3)
    assert [(o["outcome"], [d["domain"] for d in o["domains"]]) for o in read["outcomes"]] == [
        (
            "help_they_need",
            ["child_seen", "assessment", "help_matched", "planning_review", "impact"],
        ),
        ("safe", ["need_and_risk"]),
        ("multi_agency", ["agencies_together"]),
        ("leaders_conditions", ["management_oversight"]),
    ]
    assert [o["enabler"] for o in read["outcomes"]] == [False, False, True, True]
    assert len(read["untagged"]) == 8 and {d["rubric"] for d in read["untagged"]} == {
        "child_help v1"
    }


async def _client(db, email: str) -> httpx2.AsyncClient:
    app = create_app(db, manage_database=False)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    )
    r = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303
    return client


async def test_the_page_workbook_and_command_line_read_by_area_in_words(db, tmp_path):
    from tests.audit.test_findings_page import tables

    inspection = await _world()
    client = await _client(db, "lead@x.test")
    page = (await client.get(f"/inspections/{inspection.id}/findings")).text
    await client.aclose()
    assert '<h2 class="govuk-heading-l" id="by-area">By ILACS judgement area</h2>' in page
    found = tables(page)
    leaders = found["The impact of leaders on social work practice with children and families"]
    assert [[text for text, _ in row] for row in leaders] == [
        [
            "Management oversight (Child-centred case audit: was the child helped?) Too few to "
            "say much",
            "1 of 3",
            "33.3% (6.1% to 79.2%)",
            "33.3% (6.1% to 79.2%; as precise as 3.0 children drawn at random)",
            "1 of 1",
            "3 sampled, 1 tracked",
        ]
    ]
    safe = found["Children and young people are safe in and outside of their homes"]
    assert (
        safe[0][0][0]
        == "Need and risk recognised early across agencies (Child-centred case audit: was the "
        "child helped?) Too few to say much"
    )
    assert "Enabler: multi-agency working is prioritised and effective" in found
    for code in ("help_and_protection", "leaders_conditions", "multi_agency", "help_they_need"):
        assert code not in page
    assert "8 domains of an earlier instrument version name no area or outcome" in page

    lead = await User.get(email="lead@x.test")
    export = await build_workbook(inspection.id, lead, pseudonymise=False)
    wb = load_workbook(io.BytesIO(export.data))
    assert wb.sheetnames[:4] == ["About", "Judgement", "Summary", "By area and outcome"]
    rows = [r for r in wb["By area and outcome"].iter_rows(values_only=True)]
    assert rows[0] == (
        "Read by",
        "Area or outcome",
        "Instrument",
        "Domain",
        "Graded",
        "Good or better",
        "Share good or better",
        "95% interval from",
        "95% interval to",
        "Tracked cases graded (in no estimate)",
        "Tracked cases good or better",
        "Fewer than 10 graded audits",
    )
    oversight = [r for r in rows[1:] if r[3] == "Management oversight"]
    assert [r[:6] + r[9:11] for r in oversight] == [
        ("ILACS judgement area", leaders_label(), INSTRUMENT, "Management oversight", 3, 1, 1, 1),
        (
            "National framework outcome",
            "Enabler: leaders drive conditions for effective practice",
            INSTRUMENT,
            "Management oversight",
            3,
            1,
            1,
            1,
        ),
    ]
    assert len(rows) == 1 + 8 + 8

    env = {
        **os.environ,
        "INSPECTION_DATABASE_URL": db.database_url,
        "INSPECTION_DATA_DIR": str(tmp_path),
        "INSPECTION_SECRET_KEY": "cli-test-secret",
    }
    by_area = run_cli(["findings", "--inspection", str(inspection.id), "--by", "area"], env)
    assert by_area.returncode == 0, by_area.stderr
    lines = by_area.stdout.splitlines()
    at = lines.index("The impact of leaders on social work practice with children and families:")
    assert lines[at + 1] == (
        f"  Management oversight ({INSTRUMENT}): good or better 1/3 33.3% (95% CI 6.1% to "
        "79.2%) (too few to say much: fewer than 10); tracked cases 1/1"
    )
    assert lines[-1] == "8 domain(s) of an earlier instrument version name no area or outcome."
    by_outcome = run_cli(["findings", "--inspection", str(inspection.id), "--by", "outcome"], env)
    assert (
        "Children and young people are safe in and outside of their homes:"
        in by_outcome.stdout.splitlines()
    )


INSTRUMENT = "Child-centred case audit: was the child helped?"


def leaders_label() -> str:
    return IlacsArea.LEADERS.label


async def test_a_rounds_instrument_is_what_its_new_audits_are_made_with(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "a@x.test", "inspector")
    first = await create_audit(inspection.id, members[0].id, auditor)
    assert (await Rubric.get(id=first.rubric_id)).code == "child_help"
    assert (await Rubric.get(id=first.rubric_id)).version == "2"
    await Inspection.filter(id=inspection.id).update(
        rubric_id=(await find_instrument("children_in_care")).id
    )
    second = await create_audit(inspection.id, members[1].id, auditor)
    chosen = await Rubric.get(id=second.rubric_id)
    assert (chosen.code, chosen.version) == ("children_in_care", "1")
    kept = await Audit.get(id=first.id).prefetch_related("rubric")
    assert kept.rubric.code == "child_help"  # started before the change: keeps its instrument


async def test_every_instrument_is_described_and_choosable_in_the_browser(db):
    inspection = await make_inspection("T01")
    await make_user(inspection, "lead@x.test", "lead_inspector")
    client = await _client(db, "lead@x.test")
    page = (await client.get("/instruments")).text
    titles = [parse_definition(f.definition).title for f in current_rubric_files()]
    for title in titles:
        assert f'<h2 class="govuk-heading-l">{escape(title)}' in page
    assert "Default</strong>" in page
    assert '<td class="govuk-table__cell">The experiences and progress of care leavers</td>' in page
    for code in ("care_leavers", "stable_homes", "help_and_protection", "csa_family"):
        assert code not in page
    form = (await client.get("/inspections/new")).text
    options = form.split('id="instrument" name="instrument"')[1].split("</select>")[0]
    assert options.count("<option") == len(CURRENT)
    assert '<option value="child_help" selected>' in options
    made = await client.post(
        "/inspections",
        data={
            "la": "T01",
            "kind": "jtai",
            "title": "JTAI 2026",
            "instrument": "csa_family",
            "theme": "Child sexual abuse in the family environment",
            "reference-day": "2",
            "reference-month": "11",
            "reference-year": "2026",
        },
    )
    assert made.status_code == 303
    jtai = await Inspection.get(title="JTAI 2026").prefetch_related("rubric")
    assert (jtai.rubric.code, jtai.theme) == (
        "csa_family",
        "Child sexual abuse in the family environment",
    )
    overview = (await client.get(f"/inspections/{jtai.id}")).text
    assert (
        '<dd class="govuk-summary-list__value">JTAI: child sexual abuse in the family '
        "environment</dd>" in overview
    )
    refused = await client.post(
        "/inspections",
        data={
            "la": "T01",
            "kind": "jtai",
            "title": "Another",
            "instrument": "nothing",
            "reference-day": "2",
            "reference-month": "11",
            "reference-year": "2026",
        },
    )
    assert refused.status_code == 400
    assert '<a href="#instrument">There is no instrument nothing.' in refused.text
    assert not await Inspection.filter(title="Another").exists()
    await client.aclose()
