"""Raw uploads in data/incoming: removed when their import ends, loaded or refused; files left
by a process that died are cleaned at start and periodically; files in use are never."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, run_cli
from tests.evidence.test_web import _client, _poll
from tests.web.conftest import make_inspection, make_user, member, sign_in

HOUR = 3600
CENSUS_AS_CSV = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_a_refused_upload_leaves_no_file_and_a_loaded_one_only_its_stored_copy(db, tmp_path):
    db = dataclasses.replace(db, data_dir=tmp_path)
    inspection = await make_inspection()
    user = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, user)
    base = f"/inspections/{inspection.id}/evidence"
    async with await _client(db) as client:
        await sign_in(client, "lead@example.org")
        for name, content in (
            ("picture.csv", CENSUS_AS_CSV),
            ("police.csv", (ROOT / "fixtures" / "demo" / "police.csv").read_bytes()),
        ):
            response = await client.post(
                base,
                headers={"HX-Request": "true"},
                data={"source_kind": "agency", "agency": "police"},
                files={"file": (name, content, "text/csv")},
            )
            poll = re.search(r'hx-get="([^"]+/jobs/[^"]+)"', response.text).group(1)
            status = await _poll(client, poll)
            if name == "picture.csv":
                assert "Nothing was loaded" in status.text
                assert _files(db.data_dir / "incoming") == []
                assert not (db.data_dir / "uploads" / str(inspection.id)).exists()
    assert _files(db.data_dir / "incoming") == []
    assert len(_files(db.data_dir / "uploads" / str(inspection.id))) == 1


def test_sweep_removes_only_old_files_nobody_holds(tmp_path):
    from inspection.evidence import incoming

    root = tmp_path / "incoming"
    held = incoming.receive(tmp_path, 4, io.BytesIO(b"in use"), ".xlsx")
    _age(held.path, 2 * HOUR)
    left = root / "4" / "left.csv"
    left.write_bytes(b"left by a crash")
    _age(left, 2 * HOUR)
    fresh = root / "5" / "fresh.csv"
    fresh.parent.mkdir()
    fresh.write_bytes(b"just written")
    legacy = root / "token.xml"  # the layout before one folder per inspection
    legacy.write_bytes(b"left by a crash")
    _age(legacy, 2 * HOUR)
    assert incoming.sweep(tmp_path, HOUR) == 2
    assert _files(root) == [str(held.path.relative_to(root)), "5/fresh.csv"]
    assert incoming.held(tmp_path, 4) == 1 and incoming.held(tmp_path, 5) == 0
    held.release()
    assert not held.path.exists()
    assert incoming.sweep(tmp_path, HOUR, now=time.time() + 2 * HOUR) == 1
    assert _files(root) == []


HOLD_AND_DIE = """
import io, os, sys
from pathlib import Path
from inspection.evidence import incoming

held = incoming.receive(Path(sys.argv[1]), 9, io.BytesIO(b"child data"), ".csv")
print(held.path, flush=True)
sys.stdin.readline()
os._exit(9)  # the process dies mid-import: no cleanup runs
"""


def test_a_file_held_by_a_process_that_died_is_swept(tmp_path):
    from inspection.evidence import incoming

    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_DIE, str(tmp_path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    path = Path(process.stdout.readline().strip())
    _age(path, 2 * HOUR)
    assert incoming.sweep(tmp_path, HOUR) == 0  # its import is still running
    process.communicate("\n", timeout=30)
    assert process.returncode == 9
    assert path.exists()
    assert incoming.sweep(tmp_path, HOUR) == 1
    assert not path.exists()


START_AND_WAIT = """
import asyncio, os, sys, time
from pathlib import Path

from asgi_lifespan import LifespanManager

from inspection import settings
from inspection.web import app as web_app

web_app.UPKEEP_INTERVAL_SECONDS = 0.05

async def main(stale: Path, later: Path) -> None:
    app = web_app.create_app(settings.load())
    async with LifespanManager(app):
        for _ in range(600):
            if not stale.exists():
                break
            await asyncio.sleep(0.05)
        print("at start:", "kept" if stale.exists() else "removed", flush=True)
        later.parent.mkdir(parents=True, exist_ok=True)
        later.write_bytes(b"left by a crash")
        then = time.time() - 7200
        os.utime(later, (then, then))
        for _ in range(600):
            if not later.exists():
                break
            await asyncio.sleep(0.05)
        print("later:", "kept" if later.exists() else "removed", flush=True)

asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2])))
"""


def test_the_app_cleans_incoming_at_start_and_periodically(cli_env, tmp_path):
    data_dir = Path(cli_env["INSPECTION_DATA_DIR"])
    stale = data_dir / "incoming" / "3" / "stale.xlsx"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"left by a crash")
    _age(stale, 2 * HOUR)
    later = data_dir / "incoming" / "3" / "later.csv"
    result = subprocess.run(
        [sys.executable, "-c", START_AND_WAIT, str(stale), str(later)],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["at start: removed", "later: removed"]


def test_evidence_cannot_be_loaded_into_a_purged_inspection(cli_env, tmp_path):
    assert run_cli(["la", "add", "PRG", "Purgeshire"], env=cli_env).returncode == 0
    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "PRG",
            "--kind",
            "jtai",
            "--title",
            "Purged",
            "--reference-date",
            "2020-01-01",
            "--json",
        ],
        env=cli_env,
    )
    assert created.returncode == 0, created.stderr
    inspection_id = str(json.loads(created.stdout)["id"])
    script = (
        "import asyncio, datetime\n"
        "from inspection import settings, db\n"
        "from inspection.models import Inspection\n"
        "async def main():\n"
        "    async with db.database(settings.load()):\n"
        f"        await Inspection.filter(id={inspection_id}).update("
        "purged_at=datetime.datetime(2021, 3, 4, tzinfo=datetime.UTC))\n"
        "asyncio.run(main())\n"
    )
    marked = subprocess.run(
        [sys.executable, "-c", script], env=cli_env, cwd=ROOT, capture_output=True, text=True
    )
    assert marked.returncode == 0, marked.stderr
    police = ROOT / "fixtures" / "demo" / "police.csv"
    refused = run_cli(
        ["import", "agency", str(police), "--inspection", inspection_id, "--agency", "police"],
        env=cli_env,
    )
    assert refused.returncode == 1
    assert refused.stderr.strip().endswith(
        f"The child data of inspection {inspection_id} was purged on 04/03/2021: no evidence "
        "can be loaded into it."
    )


class _BrokenUpload(io.RawIOBase):
    """An upload whose reading fails part-way (a disk error, a connection cut)."""

    def __init__(self) -> None:
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        if self.sent:
            raise OSError("No space left on device")
        self.sent = len(buffer)
        buffer[:] = b"x" * len(buffer)
        return len(buffer)


def test_an_upload_that_cannot_be_written_leaves_nothing(tmp_path):
    from inspection.evidence import incoming

    try:
        incoming.receive(tmp_path, 6, _BrokenUpload(), ".csv")
    except OSError as exc:
        assert str(exc) == "No space left on device"
    else:
        raise AssertionError("the broken upload was accepted")
    assert _files(tmp_path / "incoming") == []
