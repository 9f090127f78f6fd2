"""The project needs nothing outside its own repository: a fresh clone on any machine runs it."""

import re
import subprocess

from tests.conftest import ROOT
from tests.evidence.workbooks import TEMPLATE

# A path that climbs out of the checkout to a sibling folder, e.g. ``../shared/data`` or
# ``Path(__file__).parents[3] / "shared"``.
OUTSIDE = re.compile(r"""\.\./shared|/\s*["']shared["']|["']shared["']\s*/""")


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
