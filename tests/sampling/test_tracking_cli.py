"""``inspection sample track|tracked|untrack``, and ``sample verify`` of the tracked cases, as
a QA team would script them."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime

from tests.conftest import run_cli
from tests.sampling.test_cli import _python

SEED_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from inspection import settings
    from inspection.accounts import create_user
    from inspection.db import database
    from inspection.inspections import add_member
    from tests.sampling.helpers import authority

    async def main():
        async with database(settings.load()):
            inspection = await authority(12, sys.argv[1])
            user = await create_user("jo@x.test", "Jo Inspector", "inspector", "pw-pw-pw-pw-1")
            await add_member(inspection, user, "inspector")
            print(inspection.id)

    asyncio.run(main())
""")

REASON = "Three contacts with no further action"
# C003 as pages name a child without a name (tests/sampling/helpers.py gives their birthdays)
NAME = "Child C003, born 04/04/2023"


def test_track_list_verify_and_untrack_from_the_command_line(cli_env):
    inspection = _python(SEED_SCRIPT, ["CLT1"], cli_env)
    base = ["sample", "track", "--inspection", inspection, "--by", "jo@x.test"]
    done = run_cli(
        [*base, "--child", "C003", "--reason", REASON, "--line-of-enquiry", "Front door"],
        env=cli_env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{NAME} (C003) is now a tracked case: {REASON}\n"

    again = run_cli([*base, "--child", "C003", "--reason", REASON], env=cli_env)
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    assert again.returncode == 1
    assert f"{NAME} is already a tracked case (chosen by Jo Inspector on {today})." in (
        again.stderr
    )
    for args, message in (
        (["--child", "C004", "--reason", "  "], "Enter why you chose this child to track."),
        (
            ["--child", "NOPE", "--reason", REASON],
            f"Inspection {inspection} has no child with local authority ID NOPE.",
        ),
    ):
        refused = run_cli([*base, *args], env=cli_env)
        assert refused.returncode == 1 and message in refused.stderr, refused.stderr

    listed = run_cli(["sample", "tracked", "--inspection", inspection, "--json"], env=cli_env)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert [
        (c["la_child_id"], c["reason"], c["line_of_enquiry"], c["tracked_by"], c["audit"])
        for c in doc["tracked"]
    ] == [("C003", REASON, "Front door", "Jo Inspector", None)]
    text = run_cli(["sample", "tracked", "--inspection", inspection], env=cli_env)
    assert text.stdout.splitlines() == [
        "1 tracked case(s), in no estimate:",
        f"  C003 {NAME}: {REASON}; line of enquiry: Front door (chosen by Jo Inspector on "
        f"{today}; not audited yet)",
    ]

    verified = run_cli(
        ["sample", "verify", "--inspection", inspection, "--sample", str(doc["sample_id"])],
        env=cli_env,
    )
    assert verified.returncode == 0, verified.stderr
    lines = verified.stdout.splitlines()
    assert lines[-3:] == [
        f"Sample {doc['sample_id']} is the tracked cases: chosen on purpose, not drawn, so there "
        "is no draw to repeat.",
        "  Chosen on purpose: Chosen on purpose by inspectors, not drawn at random: there is no "
        "seed and no draw to repeat.",
        "  The tracked cases: 1 tracked case(s), each recording who chose them, when and why, "
        f"with design weight 0. Child record {doc['tracked'][0]['child_id']}: chosen by Jo "
        f"Inspector on {today}, because {REASON}; line of enquiry: Front door.",
    ]

    untracked = run_cli(
        ["sample", "untrack", "--inspection", inspection, "--child", "C003", "--reason", "Moved"],
        env=cli_env,
    )
    assert untracked.returncode == 0, untracked.stderr
    assert untracked.stdout == f"{NAME} (C003) is no longer tracked.\n"
    text = run_cli(["sample", "tracked", "--inspection", inspection], env=cli_env)
    assert text.stdout == "No child is tracked.\n"
