"""How well the authority knows its practice: the authority's audits against the inspectors'
on a constructed example (tests/audit/authority_example.py), on the page, in the workbook and
from the command line; and who may start the authority's audit."""

import io
import json
import re
import subprocess
import sys

from openpyxl import load_workbook

from inspection.audit.audits import create_audit, submit_audit
from inspection.audit.authority_agreement import authority_agreement
from inspection.audit.moderation import set_plan
from inspection.audit.multi_agency import start_authority_audit
from inspection.audit.visibility import COMMAND_LINE
from inspection.export.workbook import build_workbook
from inspection.models import User
from inspection.models.core import Role
from tests.audit.authority_example import build
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user
from tests.audit.test_multi_agency import _version
from tests.audit.test_web_and_cli import _client
from tests.conftest import ROOT, run_cli
from tests.web.crawl import offences


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_the_figures_are_exact_on_the_page_and_in_the_workbook(db):
    inspection = await build()
    doc = await authority_agreement(inspection.id, COMMAND_LINE)
    assert doc["children"] == 3
    (rubric,) = doc["rubrics"]
    seen = rubric["domains"][0]
    assert seen["title"] == "The child seen, heard and understood"
    assert (seen["pairs"], seen["agreed"], seen["within_one"]) == (3, 1, 2)
    assert seen["exact"] == 1 / 3 and seen["within_one_share"] == 2 / 3
    assert round(seen["kappa"], 12) == -0.25
    assert (seen["authority_better"], seen["authority_worse"], seen["left_out"]) == (2, 0, 0)
    overall = rubric["domains"][-1]
    assert overall["title"] == "Overall judgement"
    assert (overall["pairs"], overall["agreed"], overall["kappa"]) == (3, 3, None)

    client = await _client(db, "la@x.test")
    url = f"/inspections/{inspection.id}/findings/authority"
    page = await client.get(url)
    assert page.status_code == 200
    assert offences(url, page.text, set()) == []
    words = _text(page.text)
    assert "3 children have both audits." in words
    assert (
        "The child seen, heard and understood Too few to say much 3 1 (33%) 2 (67%) -0.25 2 0 0"
        in words
    )
    assert "Overall judgement Too few to say much 3 3 (100%) 3 (100%) Not defined 0 0 0" in words
    await client.aclose()

    user = await User.get(email="in@x.test")
    data = (await build_workbook(inspection.id, user)).data
    rows = list(
        load_workbook(io.BytesIO(data))["Authority and inspectors"].iter_rows(values_only=True)
    )
    assert rows[0] == (
        "Rubric",
        "Domain",
        "Children compared",
        "Same grade",
        "Share with the same grade",
        "Within one grade",
        "Share within one grade",
        "Cohen's kappa (quadratic weights)",
        "Authority graded better",
        "Authority graded worse",
        "Children left out (not applicable)",
    )
    assert rows[1] == (
        "child_help v2",
        "The child seen, heard and understood",
        3,
        1,
        0.3333,
        2,
        0.6667,
        -0.25,
        2,
        0,
        0,
    )
    assert rows[-1] == ("child_help v2", "Overall judgement", 3, 3, 1, 3, 1, None, 0, 0, 0)


async def test_the_authority_audit_is_blind_to_the_inspectors_until_both_are_submitted(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    await make_user(inspection, "la@x.test", "la_auditor")
    await make_user(inspection, "in@x.test", "inspector")
    base = f"/inspections/{inspection.id}"
    la = await _client(db, "la@x.test")
    board = await la.get(f"{base}/audits")
    assert "Start the authority’s audit" in board.text
    authority = {"member": members[0].id, "marking": "authority"}
    started = await la.post(f"{base}/audits", data=authority)
    assert started.status_code == 303
    authority_url = started.headers["location"]
    page = await la.get(authority_url)
    assert '<h1 class="govuk-heading-xl">The authority’s audit of Child0 Test</h1>' in page.text
    inspector = await _client(db, "in@x.test")
    refused = await inspector.post(f"{base}/audits", data=authority)
    assert refused.status_code == 400
    assert "The authority’s own audit is made by one of its auditors." in refused.text
    first = await inspector.post(f"{base}/audits", data={"member": members[0].id})
    first_url = first.headers["location"]

    form = await la.get(authority_url)
    await la.post(f"{authority_url}/submit", data={"version": _version(form.text), **ALL_GOOD})
    assert (await inspector.get(authority_url)).status_code == 404
    board = _text((await inspector.get(f"{base}/audits")).text)
    assert "la · Submitted (blind until your own audit of this child is submitted)" in board
    form = await inspector.get(first_url)
    await inspector.post(f"{first_url}/submit", data={"version": _version(form.text), **ALL_GOOD})
    assert (await inspector.get(authority_url)).status_code == 200
    assert (await la.get(first_url)).status_code == 200
    for c in (la, inspector):
        await c.aclose()


def test_the_command_line_prints_the_agreement_and_sets_agency_auditors(cli_env):
    made = subprocess.run(
        [sys.executable, "-m", "tests.audit.authority_example"],
        env={**cli_env, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stderr
    iid = made.stdout.strip().splitlines()[-1]
    result = run_cli(["authority-agreement", "--inspection", iid], cli_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"Inspection {iid}: 3 children have both the authority's audit and the inspectors' audit."
    )
    assert lines[1] == "child_help v2:"
    assert lines[2] == (
        "  The child seen, heard and understood: same grade 1/3 (33.3%), within one grade 2/3 "
        "(66.7%), kappa -0.250; authority better 2, worse 0 (too few to say much: fewer than 10)"
    )
    assert lines[-1] == (
        "  Overall judgement: same grade 3/3 (100.0%), within one grade 3/3 (100.0%), kappa "
        "not defined; authority better 0, worse 0 (too few to say much: fewer than 10)"
    )
    as_json = run_cli(["authority-agreement", "--inspection", iid, "--json"], cli_env)
    doc = json.loads(as_json.stdout)
    assert doc["rubrics"][0]["domains"][0]["within_one"] == 2

    auditor = run_cli(
        [
            "multi-agency",
            "auditor",
            "--inspection",
            iid,
            "--user",
            "la@x.test",
            "--agency",
            "Police",
        ],
        cli_env,
    )
    assert auditor.returncode == 0, auditor.stderr
    assert auditor.stdout.strip() == f"la audits for Police in inspection {iid}."
    listed = run_cli(["multi-agency", "auditors", "--inspection", iid], cli_env)
    assert listed.stdout.splitlines() == [
        "Children's social care: no auditor",
        "Police: la <la@x.test>",
        "Health: no auditor",
        "Education: no auditor",
    ]
    wrong = run_cli(
        ["multi-agency", "auditor", "--inspection", iid, "--user", "la@x.test", "--agency", "Fire"],
        cli_env,
    )
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == (
        "‘Fire’ is not an agency. The agencies are: Children's social care, Police, Health, "
        "Education."
    )
    # the children compared already have the authority's own audit: not multi-agency
    refused = run_cli(
        [
            "multi-agency",
            "set-up",
            "--inspection",
            iid,
            "--child",
            "C000",
            "--agencies",
            "police,health",
            "--by",
            "in@x.test",
        ],
        cli_env,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == "Only a lead inspector sets up a multi-agency audit."
    set_up = ["multi-agency", "set-up", "--inspection", iid, "--agencies", "police,Health"]
    refused = run_cli([*set_up, "--child", "C000", "--by", "lead@x.test"], cli_env)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "The authority has already audited this child on its own."
    made = run_cli([*set_up, "--child", "C004", "--by", "lead@x.test"], cli_env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == (
        "The audit of child C004 is multi-agency: Police, Health each audit their part, "
        "then a joint discussion."
    )
    assert run_cli(["authority-agreement", "--inspection", "999999"], cli_env).returncode == 1


async def test_the_authority_stays_blind_when_both_inspectors_markings_are_submitted(db):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=1)
    la = await make_user(inspection, "la@x.test", "la_auditor")
    first_marker = await make_user(inspection, "in@x.test", "inspector")
    second_marker = await make_user(inspection, "in2@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await set_plan(inspection.id, sample.id, 1.0, False, lead)
    authority = await start_authority_audit(inspection.id, members[0].id, la)
    first = await create_audit(inspection.id, members[0].id, first_marker)
    await submit_audit(inspection.id, first.id, first_marker, Role.INSPECTOR, 1, ALL_GOOD)
    second = await create_audit(inspection.id, members[0].id, second_marker, marking="second")
    await submit_audit(inspection.id, second.id, second_marker, Role.INSPECTOR, 1, ALL_GOOD)
    base = f"/inspections/{inspection.id}/audits"
    client = await _client(db, "la@x.test")
    # both inspectors' markings are in, but the authority's own audit is still a draft
    assert (await client.get(f"{base}/{first.id}")).status_code == 404
    assert (await client.get(f"{base}/{second.id}")).status_code == 404
    await submit_audit(inspection.id, authority.id, la, Role.LA_AUDITOR, 1, ALL_GOOD)
    assert (await client.get(f"{base}/{first.id}")).status_code == 200
    assert (await client.get(f"{base}/{second.id}")).status_code == 200
    await client.aclose()
