"""``inspection action …``, ``inspection reaudit …`` and ``inspection self-evaluation`` as a QA
team would script them."""

from __future__ import annotations

import json
import textwrap

from inspection.learning.follow_up import FOLLOW_UP_WHAT
from tests.conftest import run_cli
from tests.sampling.test_cli import _python

SEED_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from inspection import settings
    from inspection.db import database
    from tests.audit.helpers import make_inspection, make_sample, make_user
    from tests.learning.helpers import graded, submitted

    async def main():
        async with database(settings.load()):
            inspection = await make_inspection(sys.argv[1])
            _, members = await make_sample(inspection, n=2)
            await make_user(inspection, "lead@cli.test", "lead_inspector")
            auditor = await make_user(inspection, "aud@cli.test", "inspector")
            audit = await submitted(inspection.id, members[0], auditor, graded("inadequate"))
            print(inspection.id, audit.submitted_at.strftime("%d/%m/%Y"))

    asyncio.run(main())
""")


def test_actions_reaudits_and_the_self_evaluation_from_the_command_line(cli_env):
    inspection, day = _python(SEED_SCRIPT, ["CLI9"], cli_env).split()

    listed = run_cli(["action", "list", "--inspection", inspection, "--json"], env=cli_env)
    assert listed.returncode == 0, listed.stderr
    [follow_up] = json.loads(listed.stdout)
    assert (follow_up["origin"], follow_up["what"], follow_up["owner"], follow_up["child"]) == (
        "follow-up",
        FOLLOW_UP_WHAT,
        "lead",
        "Child0 Test",
    )

    add = ["action", "add", "--inspection", inspection, "--by", "lead@cli.test"]
    refused = run_cli([*add, "--what", " ", "--due", "2026-12-01", "--owner-name", "Head"], cli_env)
    assert (refused.returncode, refused.stderr) == (1, "Enter what must be done.\n")
    refused = run_cli(
        [*add, "--what", "Visit", "--due", "2026-12-01", "--owner", "nobody@cli.test"], cli_env
    )
    assert (refused.returncode, refused.stderr) == (
        1,
        "There is no user with e-mail nobody@cli.test.\n",
    )
    added = run_cli(
        [*add, "--what", "Audit team B's plans.", "--due", "2020-01-31", "--owner", "aud@cli.test"],
        cli_env,
    )
    assert added.returncode == 0, added.stderr
    number = added.stdout.split()[1]
    assert added.stdout == (
        f"Action {number} recorded: {number}. Overdue: Audit team B's plans. Owner aud; "
        "due 31/01/2020\n"
    )
    overdue = run_cli(["action", "list", "--inspection", inspection, "--overdue"], cli_env)
    assert overdue.stdout == f"{number}. Overdue: Audit team B's plans. Owner aud; due 31/01/2020\n"

    done = ["action", "complete", "--inspection", inspection, "--action", number]
    confirmed = run_cli(
        [*done, "--evidence", "Read", "--done-on", "2020-01-30", "--by", "lead@cli.test", "--json"],
        cli_env,
    )
    assert confirmed.returncode == 0, confirmed.stderr  # a lead may confirm another's action
    assert (json.loads(confirmed.stdout)["closed_by"], json.loads(confirmed.stdout)["status"]) == (
        "lead",
        "done",
    )
    again = run_cli(
        [*done, "--evidence", "Read", "--done-on", "2020-01-30", "--by", "aud@cli.test"], cli_env
    )
    assert (again.returncode, again.stderr) == (1, "This action is already done.\n")

    allow = ["reaudit", "allow", "--inspection", inspection, "--by", "aud@cli.test"]
    refused = run_cli([*allow, "--child", "C000"], cli_env)
    assert (refused.returncode, refused.stderr) == (
        1,
        f"Enter why Child0 Test is audited again: their first marking in this round was "
        f"submitted on {day}, and a child is audited once in a round unless a reason is "
        "recorded.\n",
    )
    refused = run_cli([*allow, "--child", "C001", "--reason", "Why not"], cli_env)
    assert (refused.returncode, refused.stderr) == (
        1,
        "Child1 Test has no submitted audit to follow: audit them as usual.\n",
    )
    allowed = run_cli([*allow, "--child", "C000", "--reason", "Actions done"], cli_env)
    assert allowed.stdout == "Child C000 may be audited again: Actions done\n"
    compared = run_cli(["reaudit", "list", "--inspection", inspection], cli_env)
    lines = compared.stdout.splitlines()
    assert lines[0] == "Child0 Test: Actions done"
    assert lines[-1] == "  Overall judgement: Inadequate -> -"

    selfev = run_cli(["self-evaluation", "--inspection", inspection], cli_env)
    assert selfev.returncode == 0, selfev.stderr
    text = selfev.stdout.splitlines()
    assert text[0] == "What do you know about the quality and impact of practice?"
    assert "How do you know it?" in text and "What are your plans?" in text
    assert "  All actions: 1 action open (0 overdue), 1 done, 0 dropped." in text
