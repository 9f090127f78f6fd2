"""The project needs nothing outside its own repository: a fresh clone on any machine runs it."""

import re
import subprocess

from tests.conftest import ROOT
from tests.evidence.workbooks import TEMPLATE

# The folder beside the checkout that the project's developers have and a user's clone does
# not; a path that climbs out to it (written "../" then its name, or its quoted name joined to
# a parent path) is a read from outside the repository. The name is assembled so that this
# file does not itself hold such a path.
SIBLING = "".join(("sha", "red"))
OUTSIDE = re.compile(rf"""\.\./{SIBLING}|/\s*["']{SIBLING}["']|["']{SIBLING}["']\s*/""")


def _tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [line for line in out.splitlines() if line]


def test_no_file_reads_from_outside_the_repository():
    offenders = []
    for name in _tracked_files():
        if not name.endswith((".py", ".toml", ".cfg", ".ini", ".sh")) and name not in (
            "Makefile",
            ".ci/run",
        ):
            continue
        text = (ROOT / name).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line) and name != "tests/test_self_contained.py":
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert offenders == []


def test_the_official_template_is_committed_inside_the_repository():
    assert TEMPLATE.is_file()
    assert TEMPLATE.resolve().is_relative_to(ROOT)
    assert str(TEMPLATE.relative_to(ROOT)) in _tracked_files() or not (ROOT / ".git").exists()
