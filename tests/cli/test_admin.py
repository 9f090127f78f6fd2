import json

from tests.conftest import run_cli


def test_unknown_command_prints_usage_and_exits_2(cli_env):
    result = run_cli(["frobnicate"], env=cli_env)
    assert result.returncode == 2
    assert result.stderr.startswith("usage: inspection")
    assert "invalid choice: 'frobnicate'" in result.stderr


def test_unknown_option_exits_2(cli_env):
    result = run_cli(["la", "add", "X", "Y", "--colour", "red"], env=cli_env)
    assert result.returncode == 2
    assert "unrecognized arguments: --colour red" in result.stderr


def test_la_user_inspection_flow_with_json(cli_env):
    la = run_cli(["la", "add", "cli1", "Cliville Council", "--json"], env=cli_env)
    assert la.returncode == 0, la.stderr
    assert json.loads(la.stdout) == {
        "id": json.loads(la.stdout)["id"],
        "code": "CLI1",
        "name": "Cliville Council",
    }

    user = run_cli(
        [
            "user",
            "add",
            "Lead.CLI@Example.org",
            "--name",
            "Lee Lead",
            "--role",
            "lead_inspector",
            "--json",
        ],
        env=cli_env,
        input="a long enough password\n",
    )
    assert user.returncode == 0, user.stderr
    doc = json.loads(user.stdout)
    assert (doc["email"], doc["name"], doc["role"]) == (
        "lead.cli@example.org",
        "Lee Lead",
        "lead_inspector",
    )

    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "CLI1",
            "--kind",
            "jtai",
            "--title",
            "Neglect JTAI",
            "--reference-date",
            "2026-11-02",
            "--created-by",
            "lead.cli@example.org",
            "--json",
        ],
        env=cli_env,
    )
    assert created.returncode == 0, created.stderr
    doc = json.loads(created.stdout)
    assert (doc["la"], doc["kind"], doc["title"], doc["reference_date"]) == (
        "CLI1",
        "jtai",
        "Neglect JTAI",
        "2026-11-02",
    )


def test_bad_input_exits_1_with_a_plain_reason(cli_env):
    missing_la = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "NOPE",
            "--kind",
            "jtai",
            "--title",
            "T",
            "--reference-date",
            "2026-11-02",
        ],
        env=cli_env,
    )
    assert missing_la.returncode == 1
    assert missing_la.stderr == "There is no local authority with code NOPE.\n"
    assert missing_la.stdout == ""

    short = run_cli(
        ["user", "add", "a@example.org", "--name", "A", "--role", "inspector"],
        env=cli_env,
        input="short\n",
    )
    assert short.returncode == 1
    assert short.stderr == "The password must be at least 10 characters.\n"

    no_password = run_cli(
        ["user", "add", "b@example.org", "--name", "B", "--role", "inspector"],
        env=cli_env,
        input="",
    )
    assert no_password.returncode == 1
    assert no_password.stderr.startswith("No password on standard input")


def test_bad_date_is_a_usage_error(cli_env):
    result = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "X",
            "--kind",
            "jtai",
            "--title",
            "T",
            "--reference-date",
            "02/11/2026",
        ],
        env=cli_env,
    )
    assert result.returncode == 2
    assert "'02/11/2026' is not a date in YYYY-MM-DD form" in result.stderr


def test_unreachable_database_is_one_clear_line(cli_env):
    env = {**cli_env, "INSPECTION_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}
    result = run_cli(["db", "upgrade"], env=env)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Cannot reach the database at postgres://nobody@127.0.0.1:1/none")


def test_db_upgrade_twice_is_harmless(cli_env):
    first = run_cli(["db", "upgrade", "--json"], env=cli_env)
    second = run_cli(["db", "upgrade", "--json"], env=cli_env)
    assert first.returncode == second.returncode == 0
    assert json.loads(second.stdout)["status"] == "up to date"
