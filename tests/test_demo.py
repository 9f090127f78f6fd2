"""`inspection demo` sets up the demo authority, and running it again changes nothing."""

import os
import re
import subprocess

from tests.conftest import ROOT, drop_database, new_database_url, run_cli


def test_demo_sets_up_once_and_prints_the_login(tmp_path):
    url, name = new_database_url(tmp_path, "demo")
    env = {**os.environ, "INSPECTION_DATABASE_URL": url, "INSPECTION_DATA_DIR": str(tmp_path)}
    try:
        first = run_cli(["demo", "--no-serve"], env=env)
        assert first.returncode == 0, first.stderr
        login = re.search(r"sign in as (\S+) with password (\S+)", first.stdout)
        assert login is not None, first.stdout
        assert login.group(1) == "lead@demo.example"
        children = re.search(r"with (\d+) children from 8 files \((\d) loaded now\)", first.stdout)
        assert children is not None, first.stdout
        assert children.group(2) == "8"
        # 300 synthetic children: 167 known to social care, 133 known only to partner agencies.
        assert children.group(1) == "300"
        # nothing is served: no address is printed, and how to serve it is
        assert "http://" not in first.stdout
        assert "Serve it with `inspection serve`, then sign in as lead@demo.example" in first.stdout
        assert (
            "(or as admin@demo.example, same password, to administer users and authorities)"
            in first.stdout
        )

        second = run_cli(["demo", "--no-serve"], env=env)
        assert second.returncode == 0, second.stderr
        again = re.search(r"sign in as (\S+) with password (\S+)", second.stdout)
        assert again is not None and again.groups() == login.groups()
        assert f"with {children.group(1)} children from 8 files (0 loaded now)" in second.stdout
        assert (tmp_path / "demo_password.txt").read_text().strip() == login.group(2)
    finally:
        drop_database(name)


def test_make_demo_takes_a_port_and_a_host():
    # As a user types it: not inside the make that runs the suite (whose level and flags
    # would make this make print the directories it enters).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    result = subprocess.run(
        ["make", "--no-print-directory", "-n", "demo", "PORT=8080", "HOST=0.0.0.0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == ".venv/bin/inspection demo --host 0.0.0.0 --port 8080"
