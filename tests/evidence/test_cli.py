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
    # Progress lines (stderr is not a terminal), then the reason on the last line.
    assert result.stderr.splitlines()[-1].startswith("Nothing was loaded: ")
    assert message in result.stderr.splitlines()[-1]


def test_agency_needs_its_name(cli_env, inspection_id, tmp_path):
    result = run_cli(
        ["import", "agency", str(tmp_path / "x.csv"), "--inspection", str(inspection_id)], cli_env
    )
    assert result.returncode == 2


def test_import_bundle_loads_each_file_and_reports_the_one_it_refused(
    cli_env, inspection_id, tmp_path
):
    annex = write_workbook(tmp_path / "bundle_annex.xlsx", {1: [L1[0]]})
    police = tmp_path / "bundle_police.csv"
    police.write_text("person_id,event_date,event_type\nP1,01/10/2026,missing_episode\n")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    args = ["import", "bundle", "--inspection", str(inspection_id)]
    files = [f"annex-a={annex}", f"police={police}", f"health={empty}"]
    result = run_cli([*args, *files, "--json"], cli_env)
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert [(f["filename"], f["status"]) for f in doc["files"]] == [
        ("bundle_annex.xlsx", "loaded"),
        ("bundle_police.csv", "loaded"),
        ("empty.csv", "refused"),
    ]
    assert doc["files"][1]["agency"] == "police" and doc["files"][1]["events"] == 1
    assert doc["files"][2]["error"] == "empty.csv is empty (0 bytes)."
    assert doc["refused"] == 1
    again = run_cli([*args, *files[:2]], cli_env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("was already loaded as upload") == 2


def test_import_bundle_needs_each_file_named_by_kind(cli_env, inspection_id, tmp_path):
    result = run_cli(
        ["import", "bundle", "--inspection", str(inspection_id), str(tmp_path / "x.csv")], cli_env
    )
    assert result.returncode == 2
    assert "does not say what the file is: write KIND=FILE" in result.stderr


def test_import_ssda903_loads_a_zip_of_the_returns_tables(cli_env, inspection_id, tmp_path):
    from tests.evidence.test_ssda903 import GOOD, write_zip

    path = write_zip(tmp_path / "ssda903.zip", GOOD)
    result = run_cli(["import", "ssda903", str(path), "--inspection", str(inspection_id)], cli_env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Loaded ssda903.zip as upload ")
    assert lines[1:] == [
        "  Header (file header.csv): 1 rows read, 1 accepted, 0 rejected",
        "  Episodes (file episodes.csv): 4 rows read, 4 accepted, 0 rejected",
        "  Reviews (file reviews.csv): 1 rows read, 1 accepted, 0 rejected",
        "  Missing (file missing.csv): 2 rows read, 2 accepted, 0 rejected",
        "Issues: 0 errors, 0 warnings, 0 notes. Events: 7.",
    ]
    bad = tmp_path / "bad.zip"
    write_zip(bad, {}, {"notes.txt": "x"})
    refused = run_cli(["import", "ssda903", str(bad), "--inspection", str(inspection_id)], cli_env)
    assert refused.returncode == 1
    assert "bad.zip holds notes.txt, which is not a CSV file" in refused.stderr
