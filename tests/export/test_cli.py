import json
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import run_cli


def test_export_commands(cli_env, tmp_path):
    assert run_cli(["la", "add", "E09000098", "Southbury"], cli_env).returncode == 0
    made = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "E09000098",
            "--kind",
            "self-audit",
            "--title",
            "Spring audit",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    assert made.returncode == 0, made.stderr
    iid = json.loads(made.stdout)["id"]

    out = tmp_path / "qa.xlsx"
    result = run_cli(
        ["export", "xlsx", "--inspection", str(iid), "--out", str(out), "--pseudonymise", "--json"],
        cli_env,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["pseudonymised"] is True and doc["file"] == str(out)
    # the same job as the page's, run here with its progress on stderr; its kept copy removed
    assert result.stderr.splitlines() == [
        "Export: Reading what you may see of the inspection (10%)",
        "Export: Writing the file (90%)",
    ]
    kept = Path(cli_env["INSPECTION_DATA_DIR"]) / "exports" / str(iid)
    assert kept.is_dir() and list(kept.iterdir()) == []
    assert doc["rows"]["sample"] == 0
    wb = load_workbook(out)
    assert wb.sheetnames[:5] == ["About", "Judgement", "Summary", "By area and outcome", "Sample"]
    assert wb["About"]["B3"].value == f"Spring audit (inspection {iid})"

    result = run_cli(
        ["export", "csv", "--inspection", str(iid), "--out", str(tmp_path / "csv")], cli_env
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "actions.csv",
        "audits.csv",
        "conversations.csv",
        "indicators.csv",
        "issues.csv",
        "journeys.csv",
        "sample.csv",
        "scores.csv",
        "self_evaluation.csv",
    ]

    result = run_cli(["export", "xlsx", "--inspection", "999999", "--out", str(out)], cli_env)
    assert (result.returncode, result.stderr) == (1, "There is no inspection 999999.\n")
    result = run_cli(
        [
            "export",
            "offline-pack",
            "--inspection",
            str(iid),
            "--sample",
            "424242",
            "--out",
            str(tmp_path / "p.xlsx"),
        ],
        cli_env,
    )
    assert (result.returncode, result.stderr) == (
        1,
        f"There is no sample 424242 in inspection {iid}.\n",
    )
    assert run_cli(["export", "xlsx", "--inspection", str(iid)], cli_env).returncode == 2


def test_import_pack_refuses_a_file_that_is_not_a_pack(cli_env, tmp_path):
    run_cli(["la", "add", "E09000097", "Eastbury"], cli_env)
    made = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "E09000097",
            "--kind",
            "self-audit",
            "--title",
            "Audit",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    iid = json.loads(made.stdout)["id"]
    added = run_cli(
        ["user", "add", "lead@east.example", "--name", "Lee", "--role", "admin"],
        cli_env,
        input="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    bogus = tmp_path / "notes.xlsx"
    bogus.write_text("hello")
    result = run_cli(
        [
            "import",
            "offline-pack",
            str(bogus),
            "--inspection",
            str(iid),
            "--user",
            "lead@east.example",
        ],
        cli_env,
    )
    assert result.returncode == 1
    assert result.stderr == (
        "Nothing was loaded.\nnotes.xlsx is not an Excel workbook (.xlsx). "
        "Load the offline audit pack as it was saved.\n"
    )


def test_exports_are_pseudonymised_unless_identifiable_and_hold_what_the_user_may_see(
    cli_env, tmp_path
):
    run_cli(["la", "add", "E09000096", "Westbury"], cli_env)
    made = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "E09000096",
            "--kind",
            "self-audit",
            "--title",
            "Audit",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    iid = json.loads(made.stdout)["id"]
    added = run_cli(
        ["user", "add", "stranger@west.example", "--name", "Sue", "--role", "inspector"],
        cli_env,
        input="a-long-password\n",
    )
    assert added.returncode == 0, added.stderr
    out = tmp_path / "qa.xlsx"
    base = ["export", "xlsx", "--inspection", str(iid), "--out", str(out), "--json"]
    for flags, pseudonymised in (
        ([], True),
        (["--pseudonymise"], True),
        (["--identifiable"], False),
    ):
        result = run_cli([*base, *flags], cli_env)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["pseudonymised"] is pseudonymised, flags
        about = {r[0]: r[1] for r in load_workbook(out)["About"].iter_rows(values_only=True)}
        assert str(about["Pseudonymised"]).startswith("yes" if pseudonymised else "no")
        assert about["Audit work shown"].startswith("what every member may see (the command line")
    result = run_cli(
        ["export", "csv", "--inspection", str(iid), "--out", str(tmp_path / "c"), "--json"],
        cli_env,
    )
    assert json.loads(result.stdout)["pseudonymised"] is True
    both = run_cli([*base, "--identifiable", "--pseudonymise"], cli_env)
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr
    for command in (base, ["findings", "--inspection", str(iid)]):
        refused = run_cli([*command, "--user", "stranger@west.example"], cli_env)
        assert (refused.returncode, refused.stderr) == (
            1,
            f"stranger@west.example is not a member of inspection {iid}.\n",
        ), command
