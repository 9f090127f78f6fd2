"""Job workers as separate processes: ``kill -9`` of one mid-import leaves nothing loaded and,
once its lease has passed, an honest failed job; and (PostgreSQL) two web processes and two job
workers, an upload and a linkage run started on one web process and polled on the other."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest

from inspection.synthetic import generate
from tests.conftest import ROOT, is_postgres, run_async, run_cli
from tests.web.conftest import PASSWORD

ANNEX = ROOT / "fixtures" / "demo" / "annex_a.xlsx"
EMAIL = "lead@example.org"
ENDED = (
    "The import stopped before it finished (the process running it ended). Nothing was "
    "loaded. Upload the file again."
)
# A raw upload handed to an import job, as the evidence page leaves it.
ENQUEUE = """
import asyncio, sys
from inspection import db, settings
from inspection.evidence import incoming
from inspection.jobs import queue
from inspection.jobs.runner import import_work
from inspection.models import JobKind

async def main(inspection_id, path):
    config = settings.load()
    async with db.database(config):
        with open(path, "rb") as source:
            raw = incoming.receive(config.data_dir, inspection_id, source, ".xlsx")
        work = import_work(raw.path, "annex-a", None)
        job = await queue.enqueue(
            inspection_id, JobKind.IMPORT, None, "annex_a.xlsx", work, raw.path
        )
        raw.hand_over()
        print(job.id)

if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
"""
TABLES = ("upload", "validation_issue", "child", "source_record", "event")


async def _postgres_rows(url: str, sql: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [dict(r) for r in await conn.fetch(sql)]
    finally:
        await conn.close()


def _rows(env: dict[str, str], sql: str) -> list[dict[str, Any]]:
    """Rows read straight from the database the processes share."""
    url = env["INSPECTION_DATABASE_URL"]
    if is_postgres():
        return run_async(_postgres_rows(url, sql))
    with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(sql)]


def _job(env: dict[str, str], job_id: int) -> dict[str, Any]:
    return _rows(env, f"SELECT * FROM job WHERE id = {int(job_id)}")[0]  # noqa: S608


def _counts(env: dict[str, str]) -> dict[str, int]:
    return {t: _rows(env, f'SELECT COUNT(*) AS n FROM "{t}"')[0]["n"] for t in TABLES}  # noqa: S608


def _inspection(env: dict[str, str], code: str) -> int:
    assert run_cli(["la", "add", code, f"Council {code}"], env).returncode == 0
    out = run_cli(
        ["inspection", "create", "--la", code, "--kind", "jtai", "--title", code]
        + ["--reference-date", "2026-11-02", "--json"],
        env,
    )
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["id"])


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "inspection", *args],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def large_annex(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Annex A of 8,000 people: its import lasts several heartbeats, long enough to be
    killed in the middle (the demo's loads in less than one)."""
    out = tmp_path_factory.mktemp("large")
    generate(8000, 1, out)
    return out / "annex_a.xlsx"


def test_kill_9_of_a_job_worker_mid_import_loads_nothing_and_the_job_fails_honestly(
    cli_env, tmp_path, large_annex
):
    env = {**cli_env, "INSPECTION_JOB_LEASE_SECONDS": "2"}
    inspection = _inspection(env, "KIL")
    before = _counts(env)
    out = subprocess.run(
        [sys.executable, "-c", ENQUEUE, str(inspection), str(large_annex)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    job_id = int(out.stdout.split()[-1])
    raw = Path(_job(env, job_id)["raw_path"])
    assert raw.is_file()
    worker = _start(["worker"], env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 120
        job = _job(env, job_id)
        # Killed once it has claimed the job and reported that it is reading or writing it.
        while job["status"] != "running" or job["stage"] == "Starting":
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            assert job["status"] in ("queued", "running"), job
            time.sleep(0.02)
            job = _job(env, job_id)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=20)
    finally:
        _stop([worker])
    assert job["status"] == "running" and job["stage"] != "Done"
    assert _counts(env) == before  # nothing half-loaded
    # Until its lease passes the job still looks running; then a worker says what happened.
    while _job(env, job_id)["lease_until"] > time.time():
        time.sleep(0.1)
    once = run_cli(["worker", "--once"], env)
    assert once.returncode == 0, once.stderr
    job = _job(env, job_id)
    assert (job["status"], job["message"]) == ("failed", ENDED)
    assert not raw.exists()
    assert _counts(env) == before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx2.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(log.read_text())


def _shown(text: str) -> str:
    """What a progress fragment shows: the job still going, finished or failed."""
    if 'hx-trigger="load delay:500ms"' in text:
        return "going"
    if "govuk-error-summary" in text:
        return "failed"
    return "done"


SHOWN = {"queued": "going", "running": "going", "done": "done", "failed": "failed"}


def _poll_until_ended(
    env: dict[str, str], client: httpx2.Client, url: str, job_id: int
) -> tuple[int, httpx2.Response]:
    """Poll until the job has ended, checking every answer against the job's row read just
    before and just after it; the number of polls and the last answer."""
    for count in range(1, 1201):
        before = _job(env, job_id)["status"]
        answer = client.get(url, headers={"HX-Request": "true"})
        after = _job(env, job_id)["status"]
        assert answer.status_code == 200, (count, answer.status_code)
        assert _shown(answer.text) in {SHOWN[before], SHOWN[after]}, (count, before, after)
        if _shown(answer.text) != "going":
            return count, answer
        time.sleep(0.1)
    raise AssertionError("the job never ended")


@pytest.mark.skipif(
    not is_postgres(),
    reason="several web processes and job workers share one database only on PostgreSQL "
    "(SQLite is served by one process running its own worker)",
)
def test_two_web_processes_and_two_job_workers_always_show_the_true_state(cli_env, tmp_path):
    env = {**cli_env, "INSPECTION_JOB_LEASE_SECONDS": "5"}
    inspection = _inspection(env, "TWO")
    added = run_cli(
        ["user", "add", EMAIL, "--name", "Lead", "--role", "lead_inspector"], env, PASSWORD
    )
    assert added.returncode == 0, added.stderr
    assert (
        run_cli(
            ["inspection", "add-member", "--inspection", str(inspection), "--user", EMAIL]
            + ["--role", "lead_inspector"],
            env,
        ).returncode
        == 0
    )
    ports = [_free_port(), _free_port()]
    logs = [tmp_path / f"web-{p}.log" for p in ports] + [
        tmp_path / f"worker-{i}.log" for i in (1, 2)
    ]
    processes = [
        _start(["serve", "--port", str(port), "--no-worker"], env, log)
        for port, log in zip(ports, logs, strict=False)
    ]
    processes += [_start(["worker"], env, log) for log in logs[2:]]
    try:
        one, other = (f"http://127.0.0.1:{p}" for p in ports)
        for base, process, log in zip((one, other), processes, logs, strict=False):
            _wait_for(base, process, log)
        with httpx2.Client(base_url=one) as a, httpx2.Client(base_url=other) as b:
            assert a.post("/login", data={"email": EMAIL, "password": PASSWORD}).status_code == 303
            b.cookies.update(a.cookies)  # one browser, its requests spread over the two
            response = a.post(
                f"/inspections/{inspection}/evidence",
                headers={"HX-Request": "true"},
                data={"source_kind": "annex-a", "agency": ""},
                files={"file": ("annex_a.xlsx", ANNEX.read_bytes(), "application/octet-stream")},
            )
            assert response.status_code == 200, response.text
            token = response.text.split("/evidence/jobs/", 1)[1].split('"', 1)[0]
            job = _rows(env, f"SELECT id FROM job WHERE token = '{token}'")[0]["id"]  # noqa: S608
            polls, done = _poll_until_ended(
                env, b, f"/inspections/{inspection}/evidence/jobs/{token}", job
            )
            assert "annex_a.xlsx loaded" in done.text, done.text
            assert done.headers["HX-Trigger"] == "evidence-changed"
            row = _job(env, job)
            assert row["status"] == "done" and row["upload_id"] is not None
            pids = {str(p.pid) for p in processes[2:]}
            assert row["worker"].split("(process ")[1].rstrip(")") in pids

            started = a.post(f"/inspections/{inspection}/linkage/run")
            assert started.status_code == 303
            url = started.headers["location"]
            token = url.rsplit("/", 1)[1]
            link_job = _rows(env, f"SELECT id FROM job WHERE token = '{token}'")[0]["id"]  # noqa: S608
            link_polls, linked = _poll_until_ended(env, b, url, link_job)
            assert "Linkage finished" in linked.text, linked.text
            assert _job(env, link_job)["message"] in linked.text
            page = b.get(f"/inspections/{inspection}/evidence")
            assert "annex_a.xlsx loaded" in page.text
        print(f"\nupload: {polls} polls on the other web process, linkage: {link_polls}; all true")
    finally:
        _stop(processes)
