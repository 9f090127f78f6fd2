"""Audit programmes: rounds with their kind, theme, instrument and sample, and the trend across
rounds domain by domain, the same on the page, in the CSV and from the command line."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import httpx2

from inspection.audit.findings import wilson
from inspection.audit.programmes import (
    ProgrammeError,
    add_round,
    create_programme,
    programme_trend,
)
from inspection.audit.rubric import find_instrument
from inspection.export.programme import trend_csv
from inspection.models import (
    Audit,
    AuditProgramme,
    Inspection,
    Moderation,
    Sample,
    SampleMember,
    Score,
)
from inspection.web.app import create_app
from tests.audit.helpers import PASSWORD, make_sample, make_user
from tests.conftest import run_cli

IMPACT = "Impact: what difference the help made and whether it lasted"


async def _audit(
    inspection, member, auditor, rubric, impact, *, marking="first", status="submitted"
):
    audit = await Audit.create(
        inspection=inspection,
        member=member,
        child_id=member.child_id,
        auditor=auditor,
        rubric=rubric,
        marking=marking,
        status=status,
        overall="good",
        submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
    )
    for d in rubric.definition["domains"]:
        grade = impact if d["key"] == "impact" else "good"
        await Score.create(inspection_id=inspection.id, audit=audit, domain=d["key"], grade=grade)
    return audit


async def _world():
    """Two rounds of one programme: a monthly audit with two sampled children audited (impact
    Good, Requires improvement) and a draft; a practice week with three (Good, Outstanding,
    Inadequate agreed Good at moderation) and a tracked case."""
    from tests.audit.helpers import make_inspection

    setup = await make_inspection("T01")  # the authority, and a round outside the programme
    lead = await make_user(setup, "lead@x.test", "lead_inspector")
    programme = await create_programme("T01", "Audits 2026", "Learning from practice", lead)
    first = await add_round(
        programme, "monthly-audit", "September audit", date(2026, 9, 1), "Neglect", "", lead
    )
    second = await add_round(
        programme, "practice-week", "November week", date(2026, 11, 1), "", "child_help", lead
    )
    rubric = await find_instrument("child_help")
    auditor = await make_user(first, "a@x.test", "inspector")
    await make_user(second, "a@x.test", "inspector")
    await make_user(second, "qa@x.test", "qa_viewer")
    second_marker = await make_user(second, "b@x.test", "inspector")
    _, one = await make_sample(first, n=3)
    await Sample.filter(inspection_id=first.id).update(purpose="Monthly sample")
    await _audit(first, one[0], auditor, rubric, "good")
    await _audit(first, one[1], auditor, rubric, "requires_improvement")
    await _audit(first, one[2], auditor, rubric, "inadequate", status="draft")
    _, two = await make_sample(second, n=4)
    await Sample.filter(inspection_id=second.id).update(purpose="Practice week sample")
    await _audit(second, two[0], auditor, rubric, "good")
    await _audit(second, two[1], auditor, rubric, "outstanding")
    moderated = await _audit(second, two[2], auditor, rubric, "inadequate")
    counterpart = await _audit(second, two[2], second_marker, rubric, "good", marking="second")
    await Moderation.create(
        inspection_id=second.id,
        first_audit=moderated,
        second_audit=counterpart,
        domain="impact",
        agreed_grade="good",
        reason="Seen at home: safer.",
        moderator=lead,
    )
    await SampleMember.filter(id=two[3].id).update(status="tracked", reason="MI")
    await _audit(second, two[3], auditor, rubric, "inadequate")
    return programme, first, second


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


async def test_the_trend_by_domain_on_two_rounds(db):
    programme, first, second = await _world()
    doc = await programme_trend(programme, None)
    assert [
        (r["title"], r["kind_label"], r["theme"], r["instrument"], r["audits"])
        for r in doc["rounds"]
    ] == [
        (
            "September audit",
            "Monthly audit",
            "Neglect",
            "Child-centred case audit: was the child helped?",
            2,
        ),
        (
            "November week",
            "Practice week",
            "",
            "Child-centred case audit: was the child helped?",
            3,
        ),
    ]
    assert [[s["size"] for s in r["samples"]] for r in doc["rounds"]] == [[3], [3]]
    [instrument] = doc["instruments"]
    assert instrument["rubric"] == "child_help v2"
    domains = {d["domain"]: d for d in instrument["domains"]}
    assert list(domains)[-1] == "overall"
    impact = domains["impact"]
    assert impact["title"] == IMPACT
    assert (
        impact["area_label"]
        == "The experiences and progress of children who need help and protection"
    )
    got = [
        (r["title"], r["good"], r["n"], r["share"], r["low"], r["high"], r["few"])
        for r in impact["rounds"]
    ]
    half, all_three = wilson(1, 2), wilson(3, 3)
    assert got == [
        ("September audit", 1, 2, 0.5, half.low, half.high, True),
        ("November week", 3, 3, 1.0, all_three.low, all_three.high, True),
    ]
    assert [r["n"] for r in domains["assessment"]["rounds"]] == [2, 3]

    csv_rows = trend_csv(doc).splitlines()
    assert csv_rows[0] == (
        "Instrument,Domain,ILACS judgement area,National framework outcome,Round,Reference date,"
        "Graded,Good or better,Share good or better,95% interval from,95% interval to,"
        "Too few to say much"
    )
    impact_rows = [r for r in csv_rows if r.split(",")[1] == IMPACT.split(",")[0]]
    assert [r.split(",")[-8:] for r in impact_rows] == [
        [
            "September audit",
            "2026-09-01",
            "2",
            "1",
            "50.0%",
            _pct(half.low),
            _pct(half.high),
            "Yes",
        ],
        ["November week", "2026-11-01", "3", "3", "100.0%", _pct(all_three.low), "100.0%", "Yes"],
    ]

    # A member of the second round only sees that round, in the trend as in the list.
    qa = await _client(db, "qa@x.test")
    page = await qa.get(f"/programmes/{programme.id}")
    assert page.status_code == 200
    assert "September audit" not in page.text and "November week" in page.text
    await qa.aclose()


async def _client(db, email: str) -> httpx2.AsyncClient:
    app = create_app(db, manage_database=False)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    )
    r = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303
    return client


async def test_the_programme_in_the_browser_shows_words_and_adds_rounds(db):
    from tests.audit.test_findings_page import tables

    programme, first, second = await _world()
    lead = await _client(db, "lead@x.test")
    listing = (await lead.get("/programmes")).text
    assert f'<a class="govuk-link" href="/programmes/{programme.id}">Audits 2026</a>' in listing
    page = (await lead.get(f"/programmes/{programme.id}")).text
    found = tables(page)
    rounds = [[t for t, _ in row] for row in found["The rounds you can see, oldest first"]]
    assert rounds == [
        [
            "September auditReference date 01/09/2026",
            "Monthly audit",
            "Neglect",
            "Child-centred case audit: was the child helped?",
            "Monthly sample: 3 children",
            "2",
        ],
        [
            "November weekReference date 01/11/2026",
            "Practice week",
            "None recorded",
            "Child-centred case audit: was the child helped?",
            "Practice week sample: 3 children",
            "3",
        ],
    ]
    caption = next(c for c in found if c.startswith(IMPACT))
    assert caption == (
        f"{IMPACT}Informs: The experiences and progress of children who need help and "
        "protection; Children, young people and families stay together and get the help they need"
    )
    half, all_three = wilson(1, 2), wilson(3, 3)
    assert [[t for t, _ in row] for row in found[caption]] == [
        [
            "September audit (01/09/2026) Too few to say much",
            "1 of 2",
            f"50.0% ({_pct(half.low)} to {_pct(half.high)})",
        ],
        [
            "November week (01/11/2026) Too few to say much",
            "3 of 3",
            f"100.0% ({_pct(all_three.low)} to 100.0%)",
        ],
    ]
    for code in ("monthly-audit", "practice-week", "child_help", "help_and_protection"):
        assert code not in page
    csv = await lead.get(f"/programmes/{programme.id}/trend.csv")
    assert csv.status_code == 200 and csv.text == "\ufeff" + trend_csv(
        await programme_trend(programme, await _lead())
    )

    form = (await lead.get(f"/programmes/{programme.id}/rounds/new")).text
    assert (
        '<option value="domestic_abuse" >JTAI: children who are victims of domestic abuse</option>'
        in form
    )
    assert 'value="thematic-audit" checked' in form
    refused = await lead.post(
        f"/programmes/{programme.id}/rounds/new",
        data={
            "kind": "thematic-audit",
            "title": "Exploitation",
            "instrument": "schools",
            "reference-day": "1",
            "reference-month": "12",
            "reference-year": "2026",
        },
    )
    assert refused.status_code == 400
    assert "There is no instrument schools. The instruments are: child_help," in refused.text
    assert not await Inspection.filter(title="Exploitation").exists()
    added = await lead.post(
        f"/programmes/{programme.id}/rounds/new",
        data={
            "kind": "thematic-audit",
            "title": "Exploitation",
            "instrument": "youth_violence",
            "theme": "Criminal exploitation",
            "reference-day": "1",
            "reference-month": "12",
            "reference-year": "2026",
        },
    )
    assert added.status_code == 303
    made = await Inspection.get(title="Exploitation").prefetch_related("rubric", "programme")
    assert (made.kind, made.theme, made.rubric.code, made.programme.id) == (
        "thematic-audit",
        "Criminal exploitation",
        "youth_violence",
        programme.id,
    )
    overview = (await lead.get(f"/inspections/{made.id}")).text
    assert "JTAI: serious youth violence and extra-familial harm" in overview
    assert f'<a class="govuk-link" href="/programmes/{programme.id}">Audits 2026</a>' in overview

    # A lead changes a round's instrument; an inspector may not.
    changed = await lead.post(
        f"/inspections/{made.id}/instrument", data={"instrument": "csa_family"}
    )
    assert changed.status_code == 303
    assert (await Inspection.get(id=made.id).prefetch_related("rubric")).rubric.code == "csa_family"
    await lead.aclose()
    # the access log says in words what the lead did with the programme and the round
    from inspection.access_log import LogFilter, read_log

    _, entries = await read_log(LogFilter(user="lead@x.test"))
    done = [(e["action"], e["object"], e["detail"]) for e in entries if e["action"] != "Signed in"]
    assert done == [
        (
            "Chose the round's audit instrument",
            "",
            "JTAI: child sexual abuse in the family environment",
        ),
        ("Created an inspection", "", ""),
        ("Downloaded an audit programme's trend", "The audit programme Audits 2026", ""),
        ("Viewed an audit programme", "The audit programme Audits 2026", ""),
    ]
    inspector = await _client(db, "a@x.test")
    assert (await inspector.get(f"/inspections/{second.id}/instrument")).status_code == 404
    assert (await inspector.get("/programmes/new")).status_code == 404
    await inspector.aclose()


async def _lead():
    from inspection.models import User

    return await User.get(email="lead@x.test")


async def test_bad_input_is_refused_by_name(db):
    from tests.audit.helpers import make_inspection

    await make_inspection("T01")
    try:
        await create_programme("ZZ9", "Audits")
    except ProgrammeError as exc:
        assert (str(exc), exc.field) == ("There is no local authority with code ZZ9.", "la")
    programme = await create_programme("T01", "Audits")
    try:
        await add_round(programme, "jtai", "A", date(2026, 1, 1), "", "")
    except ProgrammeError as exc:
        assert str(exc) == (
            "A round is one of: thematic-audit, monthly-audit, practice-week (not 'jtai')."
        )
    assert await Inspection.filter(programme_id=programme.id).count() == 0
    assert await AuditProgramme.all().count() == 1


async def test_the_command_line_runs_a_programme(db, tmp_path):
    programme, first, second = await _world()
    env = {
        **os.environ,
        "INSPECTION_DATABASE_URL": db.database_url,
        "INSPECTION_DATA_DIR": str(tmp_path),
        "INSPECTION_SECRET_KEY": "cli-test-secret",
    }
    out = tmp_path / "trend.csv"
    trend = run_cli(
        ["programme", "trend", "--programme", str(programme.id), "--csv", str(out)], env
    )
    assert trend.returncode == 0, trend.stderr
    lines = trend.stdout.splitlines()
    assert lines[:3] == [
        "Audits 2026 (Authority T01): 2 rounds.",
        "  01/09/2026 Monthly audit: September audit, theme: Neglect; Child-centred case audit: "
        "was the child helped?; 2 audits of sampled children",
        "  01/11/2026 Practice week: November week; Child-centred case audit: was the child "
        "helped?; 3 audits of sampled children",
    ]
    at = lines.index(f"  {IMPACT}:")
    half, all_three = wilson(1, 2), wilson(3, 3)
    assert lines[at + 1 : at + 3] == [
        f"    September audit: good or better 1/2 50.0% (95% CI {_pct(half.low)} to "
        f"{_pct(half.high)})",
        f"    November week: good or better 3/3 100.0% (95% CI {_pct(all_three.low)} to 100.0%)",
    ]
    expected = trend_csv(await programme_trend(programme, None))
    assert out.read_bytes() == ("\ufeff" + expected).encode()

    made = run_cli(
        [
            "programme",
            "add-round",
            "--programme",
            str(programme.id),
            "--kind",
            "practice-week",
            "--title",
            "March week",
            "--reference-date",
            "2027-03-01",
            "--instrument",
            "family_help",
            "--json",
        ],
        env,
    )
    assert made.returncode == 0, made.stderr
    doc = json.loads(made.stdout)
    assert (doc["kind"], doc["instrument"], doc["programme"]) == (
        "practice-week",
        "family_help",
        programme.id,
    )
    chosen = run_cli(
        ["inspection", "set-instrument", "--inspection", str(doc["id"]), "--instrument", "leaders"],
        env,
    )
    assert chosen.stdout.strip() == (
        f"Inspection {doc['id']}: new audits are made with The impact of leaders on practice, "
        "seen through one child's experience (version 1)."
    )
    bad = run_cli(
        ["inspection", "set-instrument", "--inspection", str(doc["id"]), "--instrument", "x"], env
    )
    assert bad.returncode == 1 and bad.stderr.startswith("There is no instrument x.")
    assert (await Inspection.get(id=doc["id"]).prefetch_related("rubric")).rubric.code == "leaders"
    listed = run_cli(["programme", "list"], env)
    assert listed.stdout.strip() == f"{programme.id}: Audits 2026 (Authority T01), 3 rounds"


async def test_the_trend_takes_seven_queries_whatever_the_rounds(db):
    from tests.query_count import count_queries

    programme, first, second = await _world()
    with count_queries() as two_rounds:
        await programme_trend(programme, None)
    lead = await _lead()
    third = await add_round(programme, "monthly-audit", "December", date(2026, 12, 1), "", "", lead)
    _, members = await make_sample(third, n=2)
    rubric = await find_instrument("child_help")
    await _audit(third, members[0], lead, rubric, "good")
    with count_queries() as three_rounds:
        doc = await programme_trend(programme, lead)
    assert two_rounds.count == three_rounds.count == 7
    assert [r["title"] for r in doc["rounds"]] == ["September audit", "November week", "December"]
