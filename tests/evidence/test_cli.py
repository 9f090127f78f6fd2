import json

import pytest

from tests.conftest import run_cli
from tests.evidence.workbooks import write_workbook

L1 = [
    ["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"],
    ["", "F", "WBRI", "01/01/2016", 10, "02/10/2026", "Police"],
]


@pytest.fixture(scope="module")
def inspection_id(cli_env):
    assert run_cli(["la", "add", "C99", "Cli Authority"], cli_env).returncode == 0
    result = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "C99",
            "--kind",
            "jtai",
            "--title",
            "T",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["id"]


def test_import_annex_a_prints_a_json_summary_and_recognises_the_same_file(
    cli_env, inspection_id, tmp_path
):
    path = write_workbook(tmp_path / "annex.xlsx", {1: L1})
    result = run_cli(
        ["import", "annex-a", str(path), "--inspection", str(inspection_id), "--json"], cli_env
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["status"] == "loaded" and len(doc["sha256"]) == 64
    assert doc["tables"] == [
        {
            "name": "List 1",
            "sheet": "List_1",
            "header_row": 2,
            "rows": 2,
            "accepted": 1,
            "rejected": 1,
            "issues": {"error": 1, "warning": 0, "info": 0},
        }
    ]
    assert doc["issues"] == {"error": 1, "warning": 0, "info": 0}
    again = run_cli(["import", "annex-a", str(path), "--inspection", str(inspection_id)], cli_env)
    assert again.returncode == 0
    assert again.stdout.startswith(f"annex.xlsx was already loaded as upload {doc['upload_id']}")


@pytest.mark.parametrize(
    ("kind", "name", "content", "message"),
    [
        ("annex-a", "bad.xlsx", "not a workbook", "bad.xlsx is not a spreadsheet"),
        ("cin-census", "bad.xml", '<!DOCTYPE x [<!ENTITY a "b">]><Message/>', "declares a DTD"),
        (
            "agency",
            "bad.csv",
            "record_id,given_name\nR1,Ann\n",
            "has no person_id, event_date, event_type column",
        ),
    ],
)
def test_bad_files_exit_1_with_a_plain_message(
    cli_env, inspection_id, tmp_path, kind, name, content, message
):
    path = tmp_path / name
    path.write_text(content)
    args = ["import", kind, str(path), "--inspection", str(inspection_id), "--json"]
    if kind == "agency":
        args += ["--agency", "police"]
    result = run_cli(args, cli_env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Nothing was loaded: ")
    assert message in result.stderr


def test_agency_needs_its_name(cli_env, inspection_id, tmp_path):
    result = run_cli(
        ["import", "agency", str(tmp_path / "x.csv"), "--inspection", str(inspection_id)], cli_env
    )
    assert result.returncode == 2
