import json
import re

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


def test_invite_link_deactivate_and_membership_from_the_command_line(cli_env):
    assert run_cli(["la", "add", "CLI2", "Clitown"], env=cli_env).returncode == 0
    invited = run_cli(
        [
            "user",
            "invite",
            "Ivy@Example.org",
            "--name",
            "Ivy Invited",
            "--role",
            "inspector",
            "--base-url",
            "https://audit.example.org/",
        ],
        env=cli_env,
    )
    assert invited.returncode == 0, invited.stderr
    lines = invited.stdout.splitlines()
    assert lines[0].startswith(
        "Added user ivy@example.org (inspector). Give Ivy Invited this link to set their "
        "password (it works once, until "
    )
    assert re.fullmatch(r"https://audit\.example\.org/invitations/[\w-]{43}", lines[1])
    again = run_cli(["user", "link", "ivy@example.org", "--json"], env=cli_env)
    doc = json.loads(again.stdout)
    assert doc["link"].startswith("http://127.0.0.1:8000/invitations/")
    assert doc["link"].rsplit("/", 1)[1] != lines[1].rsplit("/", 1)[1]
    taken = run_cli(
        ["user", "invite", "ivy@example.org", "--name", "I", "--role", "inspector"], env=cli_env
    )
    assert taken.returncode == 1
    assert taken.stderr == "A user with e-mail ivy@example.org already exists.\n"

    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "CLI2",
            "--kind",
            "jtai",
            "--title",
            "T",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        env=cli_env,
    )
    inspection = str(json.loads(created.stdout)["id"])
    added = run_cli(
        [
            "inspection",
            "add-member",
            "--inspection",
            inspection,
            "--user",
            "ivy@example.org",
            "--role",
            "inspector",
        ],
        env=cli_env,
    )
    assert added.returncode == 0, added.stderr
    removed = run_cli(
        ["inspection", "remove-member", "--inspection", inspection, "--user", "ivy@example.org"],
        env=cli_env,
    )
    assert removed.stdout == f"ivy@example.org is no longer on inspection {inspection}.\n"
    twice = run_cli(
        ["inspection", "remove-member", "--inspection", inspection, "--user", "ivy@example.org"],
        env=cli_env,
    )
    assert (twice.returncode, twice.stderr) == (1, "Ivy Invited is not in the team of T.\n")

    off = run_cli(["user", "deactivate", "ivy@example.org"], env=cli_env)
    assert off.stdout == (
        "ivy@example.org is deactivated: they cannot sign in, their sessions ended.\n"
    )
    no_link = run_cli(["user", "link", "ivy@example.org"], env=cli_env)
    assert (no_link.returncode, no_link.stderr) == (
        1,
        "Ivy Invited is deactivated: reactivate them first.\n",
    )
    on = run_cli(["user", "reactivate", "ivy@example.org"], env=cli_env)
    assert on.stdout == "ivy@example.org may sign in again.\n"
    nobody = run_cli(["user", "deactivate", "nobody@example.org"], env=cli_env)
    assert (nobody.returncode, nobody.stderr) == (
        1,
        "There is no user with e-mail nobody@example.org.\n",
    )
