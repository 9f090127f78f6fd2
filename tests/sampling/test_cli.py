import json
import sys
import textwrap

from tests.conftest import ROOT, run_cli

SEED_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from inspection import settings
    from inspection.db import database
    from tests.sampling.helpers import authority

    async def main():
        async with database(settings.load()):
            inspection = await authority(40, sys.argv[1])
            print(inspection.id)

    asyncio.run(main())
""")

TAMPER_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from inspection import settings
    from inspection.db import database
    from inspection.models import Sample

    async def main():
        async with database(settings.load()):
            await Sample.filter(id=int(sys.argv[1])).update(seed=sys.argv[2])

    asyncio.run(main())
""")


def _python(script: str, args: list[str], env: dict[str, str]) -> str:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        env=env,
        text=True,
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _members(doc):
    return [
        (m["population_key"], m["stratum"], m["order"], m["status"], m["weight"])
        for m in doc["members"]
    ]


def test_draw_is_identical_across_processes_and_verifies(cli_env):
    inspection = _python(SEED_SCRIPT, ["CLS1"], cli_env)
    args = [
        "sample",
        "draw",
        "--inspection",
        inspection,
        "--size",
        "6",
        "--stratify-by",
        "team",
        "--reserve",
        "1",
        "--seed",
        "5eed" * 16,
        "--json",
    ]
    first = run_cli(args, env=cli_env)
    assert first.returncode == 0, first.stderr
    second = run_cli(args, env=cli_env)
    assert second.returncode == 0, second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["id"] != two["id"]
    assert _members(one) == _members(two)
    assert (one["seed"], one["result_hash"], one["population"]) == (
        two["seed"],
        two["result_hash"],
        two["population"],
    )
    assert one["method"] == "stratified-proportional"
    assert one["population"]["size"] == 40
    assert sum(s["selected"] for s in one["strata"]) == 6
    for stratum in one["strata"]:
        weights = [
            m["weight"]
            for m in one["members"]
            if m["stratum"] == stratum["stratum"] and m["status"] == "selected"
        ]
        assert round(sum(weights), 9) == stratum["population"]

    verify = run_cli(
        ["sample", "verify", "--inspection", inspection, "--sample", str(one["id"]), "--json"],
        env=cli_env,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["identical"] is True

    member = next(m for m in one["members"] if m["status"] == "selected")
    replaced = run_cli(
        [
            "sample",
            "replace",
            "--inspection",
            inspection,
            "--sample",
            str(one["id"]),
            "--member",
            str(member["id"]),
            "--reason",
            "Child moved out of the area",
        ],
        env=cli_env,
    )
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.startswith(f"Member {member['id']} replaced by member ")
    verify = run_cli(
        ["sample", "verify", "--inspection", inspection, "--sample", str(one["id"])], env=cli_env
    )
    assert verify.returncode == 0
    assert (
        verify.stdout
        == f"Sample {one['id']} is identical to a fresh draw from its stored record.\n"
    )

    _python(TAMPER_SCRIPT, [str(one["id"]), "00" * 32], cli_env)
    tampered = run_cli(
        ["sample", "verify", "--inspection", inspection, "--sample", str(one["id"])], env=cli_env
    )
    assert tampered.returncode == 1
    assert tampered.stdout.startswith(f"Sample {one['id']} does NOT match its stored record:\n")
    assert "  Fingerprint of the result: The recomputed draw hashes to" in tampered.stdout


def test_draw_without_a_seed_uses_a_fresh_random_one(cli_env):
    inspection = _python(SEED_SCRIPT, ["CLS2"], cli_env)
    args = ["sample", "draw", "--inspection", inspection, "--size", "3", "--json"]
    one = json.loads(run_cli(args, env=cli_env).stdout)
    two = json.loads(run_cli(args, env=cli_env).stdout)
    assert len(one["seed"]) == 64 and one["seed"] != two["seed"]
    assert one["method"] == "simple-random"
    assert [m["weight"] for m in one["members"]] == [40 / 3] * 3


def test_bad_draws_exit_1_with_a_reason(cli_env):
    inspection = _python(SEED_SCRIPT, ["CLS3"], cli_env)
    big = run_cli(["sample", "draw", "--inspection", inspection, "--size", "41"], env=cli_env)
    assert big.returncode == 1
    assert big.stderr == "The sample size 41 is larger than the population (40).\n"
    missing = run_cli(
        ["sample", "verify", "--inspection", inspection, "--sample", "999999"], env=cli_env
    )
    assert missing.returncode == 1
    assert missing.stderr == f"There is no sample 999999 in inspection {inspection}.\n"
    bad_seed = run_cli(
        ["sample", "draw", "--inspection", inspection, "--size", "2", "--seed", "xyz"], env=cli_env
    )
    assert bad_seed.returncode == 2


def test_quota_draw_by_team(cli_env):
    inspection = _python(SEED_SCRIPT, ["CLS4"], cli_env)
    result = run_cli(
        [
            "sample",
            "draw",
            "--inspection",
            inspection,
            "--quota",
            "Assessment 1=2",
            "--quota",
            "Children in care=3",
            "--seed",
            "01",
            "--json",
        ],
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["method"] == "stratified-quota"
    chosen = {s["stratum"]: s["selected"] for s in doc["strata"]}
    assert (chosen["Assessment 1"], chosen["Children in care"], chosen["Assessment 2"]) == (2, 3, 0)


def test_size_calculator(cli_env):
    result = run_cli(
        [
            "sample",
            "size",
            "--margin",
            "0.10",
            "--confidence",
            "0.95",
            "--population",
            "300",
            "--json",
        ],
        env=cli_env,
    )
    assert result.returncode == 0
    doc = json.loads(result.stdout)
    assert (doc["size"], doc["size_infinite_population"]) == (73, 97)
    bad = run_cli(["sample", "size", "--margin", "2"], env=cli_env)
    assert bad.returncode == 1
    assert bad.stderr.startswith("The margin of error must be between 0 and 1")
