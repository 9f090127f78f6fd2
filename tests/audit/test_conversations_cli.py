"""``inspection conversation import|list``, as a QA team would script them."""

from __future__ import annotations

import json
import textwrap

from tests.conftest import run_cli
from tests.sampling.test_cli import _python

SEED_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from inspection import settings
    from inspection.db import database
    from tests.audit.helpers import make_inspection, make_sample, make_user

    async def main():
        async with database(settings.load()):
            inspection = await make_inspection(sys.argv[1])
            await make_sample(inspection, n=2)
            await make_user(inspection, "conversations@x.test", "inspector")
            await make_user(inspection, "qa@x.test", "qa_viewer")
            print(inspection.id)

    asyncio.run(main())
""")

HEADER = "Child,Date,Who,Relationship or role,How,What they said,What it tells us\n"


def test_import_refuses_a_bad_file_whole_then_loads_and_lists(cli_env, tmp_path):
    inspection = _python(SEED_SCRIPT, ["CV1"], cli_env)
    bad = tmp_path / "voices.csv"
    bad.write_text(
        HEADER
        + "C000,12/11/2026,The child,,In person,I like my school.,Settled at school.\n"
        + "C999,2026-11-31,A parent or carer,,Observed,,\n",
        encoding="utf-8",
    )
    base = ["conversation", "import", "--inspection", inspection, "--by", "conversations@x.test"]
    refused = run_cli([*base, str(bad)], cli_env)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "voices.csv, row 3, column 'Child': no child of this inspection has the id 'C999'.",
        "voices.csv, row 3, column 'Relationship or role': Enter the parent or carer's "
        "relationship to the child, for example mother or foster carer.",
        "voices.csv, row 3, column 'Date': Write the date as dd/mm/yyyy.",
        "voices.csv, row 3, column 'How': Only a child too young to talk is observed: choose "
        "how the conversation was held.",
        "voices.csv, row 3, column 'What they said': Enter what they said, in their own words.",
        "voices.csv, row 3, column 'What it tells us': Enter what this tells us about the "
        "child's experience.",
    ]
    reader = run_cli([*base[:-1], "qa@x.test", str(bad)], cli_env)
    assert reader.returncode == 1
    assert reader.stderr == (
        f"qa@x.test reads inspection {inspection} but does not audit it: only auditors record "
        "conversations.\n"
    )
    listed = run_cli(["conversation", "list", "--inspection", inspection, "--json"], cli_env)
    assert json.loads(listed.stdout) == []
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER
        + "C000,12/11/2026,The child,,In person,I like my school.,Settled at school.\n"
        + "C001,2026-11-20,family,Grandmother,phone,Nobody rang back.,The family wait.\n",
        encoding="utf-8",
    )
    done = run_cli([*base, str(good)], cli_env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Recorded 2 conversations from good.csv.\n"
    text = run_cli(["conversation", "list", "--inspection", inspection, "--child", "C001"], cli_env)
    assert text.stdout == (
        "C001 20/11/2026 Grandmother (parent or carer), by phone: \u201cNobody rang back.\u201d "
        "What it tells us: The family wait.\n"
    )
