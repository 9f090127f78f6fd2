"""A problem repeated many times in one column (or along one row) of a file is stored once,
with its count and its first places; ordinary files keep one issue per cell. Through the real
import path (CLI and import_file), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json

import httpx2
import openpyxl

from inspection.evidence.load import import_file
from inspection.evidence.staged import GROUP_ABOVE
from inspection.models import ValidationIssue
from inspection.web.app import create_app
from tests.conftest import run_cli
from tests.evidence.helpers import make_inspection
from tests.evidence.workbooks import HEADERS, write_workbook
from tests.web.conftest import make_user, member, sign_in

HEADER = "record_id,person_id,sex,event_date,event_type"


def _unknown_columns(count: int) -> str:
    """A police extract with ``count`` columns not in the format after its five, and one row."""
    extra = ",".join(f"x{n}" for n in range(1, count + 1))
    cells = "," * count
    return f"{HEADER},{extra}\nR1,P1,M,01/02/2026,missing_episode{cells}\n"


async def _stored(upload_id: int) -> list[ValidationIssue]:
    return await ValidationIssue.filter(upload_id=upload_id).order_by("id")


def test_100000_unknown_columns_are_one_issue_from_the_command_line(cli_env, tmp_path):
    assert run_cli(["la", "add", "G01", "Grouping Authority"], cli_env).returncode == 0
    created = run_cli(
        ["inspection", "create", "--la", "G01", "--kind", "jtai", "--title", "Grouping"]
        + ["--reference-date", "2026-11-02", "--json"],
        cli_env,
    )
    inspection = str(json.loads(created.stdout)["id"])
    path = tmp_path / "police.csv"
    path.write_text(_unknown_columns(100_000))
    assert path.stat().st_size > 690_000
    result = run_cli(
        ["import", "agency", str(path), "--inspection", inspection, "--agency", "police"],
        cli_env,
    )
    assert result.returncode == 0, result.stderr
    assert "Issues: 0 errors, 0 warnings, 100000 notes." in result.stdout
    out = tmp_path / "tables"
    exported = run_cli(["export", "csv", "--inspection", inspection, "--out", str(out)], cli_env)
    assert exported.returncode == 0, exported.stderr
    issues = (out / "issues.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(issues) == 2  # the header and the one issue
    assert issues[1].startswith(
        'police.csv,police,police,1,F1,,x1,unrecognised_column,info,"The same problem 100,000 '
        "times in row 1"
    )


async def test_100000_unknown_columns_are_stored_as_one_issue(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "police.csv"
    path.write_text(_unknown_columns(100_000))
    summary = await import_file(inspection.id, path, "agency", "police", db)
    assert summary.issues == {"error": 0, "warning": 0, "info": 100_000}
    assert summary.tables[0]["issues"] == {"error": 0, "warning": 0, "info": 100_000}
    stored = await _stored(summary.upload_id)
    assert [
        (i.severity, i.rule, i.source_row, i.column, i.cell, i.value, i.count) for i in stored
    ] == [("info", "unrecognised_column", 1, "", "F1", "x1", 100_000)]
    # The last column is the 100,005th: EQXI.
    assert stored[0].message == (
        "The same problem 100,000 times in row 1 (columns F to EQXI), reported once here: at "
        "F1 ('x1'), G1 ('x2'), H1 ('x3') and 99,997 more. At F1: The column 'x1' is not part "
        "of the agency extract format; it was not loaded."
    )


async def test_a_few_unknown_columns_keep_one_issue_each(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "police.csv"
    path.write_text(_unknown_columns(GROUP_ABOVE))
    summary = await import_file(inspection.id, path, "agency", "police", db)
    stored = await _stored(summary.upload_id)
    assert len(stored) == GROUP_ABOVE
    assert {i.count for i in stored} == {1}
    assert [(i.cell, i.value) for i in stored[:2]] == [("F1", "x1"), ("G1", "x2")]


async def test_a_problem_down_a_column_is_grouped_beyond_the_threshold(db, tmp_path):
    """1,500 unknown sexes in one column: one issue; 3 in another column: three; and 1,200
    rows without a person_id: one issue that says all 1,200 rows were not loaded."""
    inspection = await make_inspection()
    rows = [f"R{n},P{n},X,01/02/2026,missing_episode" for n in range(1, 1501)]
    rows += [f"S{n},,M,01/02/2026,missing_episode" for n in range(1, 1201)]
    rows += [f"T{n},Q{n},M,01/02/2026,graffiti" for n in range(1, 4)]
    path = tmp_path / "police.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    summary = await import_file(inspection.id, path, "agency", "police", db)
    table = summary.tables[0]
    assert (table["rows"], table["accepted"], table["rejected"]) == (2703, 1503, 1200)
    assert summary.issues == {"error": 1200, "warning": 1503, "info": 0}
    stored = await _stored(summary.upload_id)
    assert [
        (i.severity, i.rule, i.source_row, i.column, i.cell, i.row_rejected, i.count)
        for i in stored
    ] == [
        ("warning", "unknown_code", 2, "sex", "C2", False, 1500),
        ("error", "missing_identifier", 1502, "person_id", "B1502", True, 1200),
        ("warning", "unknown_code", 2702, "event_type", "E2702", False, 1),
        ("warning", "unknown_code", 2703, "event_type", "E2703", False, 1),
        ("warning", "unknown_code", 2704, "event_type", "E2704", False, 1),
    ]
    assert stored[0].message == (
        "The same problem 1,500 times in 'sex' (rows 2 to 1,501), reported once here: at C2 "
        "('X'), C3 ('X'), C4 ('X') and 1,497 more. At C2: 'X' is not a sex (M, F or U); it "
        "was stored as U."
    )
    assert stored[1].message == (
        "The same problem 1,200 times in 'person_id' (rows 1,502 to 2,701), reported once "
        "here: at B1502, B1503, B1504 and 1,197 more. At B1502: The row has no person_id, so "
        "it cannot be placed in any child's journey; it was not loaded."
    )


async def test_annex_a_repeated_problems_are_grouped_too(db, tmp_path):
    inspection = await make_inspection()
    headers = {1: HEADERS[1] + [f"Extra {n}" for n in range(1, 1201)]}
    rows = [
        [f"C{n}", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "Neighbour"] for n in range(1, 1101)
    ]
    path = write_workbook(tmp_path / "annex.xlsx", {1: rows}, headers=headers)
    summary = await import_file(inspection.id, path, "annex-a", None, db)
    stored = await _stored(summary.upload_id)
    assert [(i.rule, i.source_row, i.column, i.cell, i.count) for i in stored] == [
        ("unrecognised_column", 2, "", f"{chr(65 + len(HEADERS[1]))}2", 1200),
        ("unknown_code", 3, "Contact Source", "G3", 1100),
    ]
    assert summary.issues == {"error": 0, "warning": 1100, "info": 1200}


async def test_the_report_page_and_download_show_a_grouped_issue_plainly(db, tmp_path):
    inspection = await make_inspection()
    user = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, user)
    path = tmp_path / "police.csv"
    path.write_text(_unknown_columns(100_000))
    summary = await import_file(inspection.id, path, "agency", "police", db)
    app = create_app(db, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await sign_in(client, "lead@example.org")).status_code == 303
        url = f"/inspections/{inspection.id}/evidence/uploads/{summary.upload_id}"
        page = await client.get(url)
        assert page.status_code == 200
        assert (
            "1 issue at 100,000 places (a problem repeated many times in one column or row is "
            "one issue)." in page.text
        )
        assert (
            '<code>police!F1</code><br><strong class="govuk-tag govuk-tag--blue">100,000 places'
            "</strong>" in page.text
        )
        assert "H1 (&#39;x3&#39;) and 99,997 more." in page.text
        download = await client.get(f"{url}/issues.xlsx")
        book = openpyxl.load_workbook(io.BytesIO(download.content))
        rows = list(book["Issues"].iter_rows(values_only=True))
        assert rows[0][-1] == "Places"
        assert [(r[0], r[6], r[8], r[-1]) for r in rows[1:]] == [
            ("info", "police!F1", "unrecognised_column", 100_000)
        ]
