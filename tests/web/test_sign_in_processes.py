"""The sign-in throttle holds across processes sharing one database (several web workers).

Four processes each build the app from the environment, as a uvicorn worker does, wait for a
common start signal and send ten sign-in attempts at once for one account: forty in all, the
thirtieth with the right password. At most five wrong passwords are checked; after the flood
the right password is refused.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from tests.conftest import ROOT, drop_database, is_postgres, new_database_url, run_async, run_cli
from tests.web.conftest import PASSWORD

EMAIL = "lead@example.org"
WORKER = """
import asyncio, sys, time
from pathlib import Path

import httpx2
from asgi_lifespan import LifespanManager

from inspection import settings
from inspection.web.app import create_app

async def main(ready: Path, go: Path, passwords: list[str]) -> None:
    app = create_app(settings.load())
    # Four processes start at once on a busy machine: how long that takes is not under test.
    async with LifespanManager(app, startup_timeout=120, shutdown_timeout=120):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as c:
            ready.touch()
            while not go.exists():
                await asyncio.sleep(0.005)
            answers = await asyncio.gather(
                *(c.post("/login", data={"email": sys.argv[3], "password": p})
                  for p in passwords)
            )
    print(" ".join(str(a.status_code) for a in answers))

asyncio.run(main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[4:]))
"""


async def _postgres_actions(url: str) -> list[str]:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return [r["action"] for r in await conn.fetch("SELECT action FROM access_log")]
    finally:
        await conn.close()


def _actions(url: str) -> dict[str, int]:
    if is_postgres():
        found = run_async(_postgres_actions(url))
    else:
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            found = [row[0] for row in conn.execute("SELECT action FROM access_log")]
    counts: dict[str, int] = {}
    for action in found:
        counts[action] = counts.get(action, 0) + 1
    return counts


def _run_workers(env: dict[str, str], tmp: Path, batches: list[list[str]]) -> list[list[int]]:
    go = tmp / f"go-{time.monotonic_ns()}"
    workers = []
    for i, passwords in enumerate(batches):
        ready = tmp / f"ready-{go.name}-{i}"
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(ready), str(go), EMAIL, *passwords],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        workers.append((process, ready))
    for _ in range(1200):  # waits for every process to be up; not a timing assertion
        if all(ready.exists() or p.poll() is not None for p, ready in workers):
            break
        time.sleep(0.05)
    go.touch()
    # Every process is waited for (and its pipes closed) before any is judged.
    ended = [process.communicate(timeout=300) for process, _ in workers]
    answers = []
    for (process, _), (out, err) in zip(workers, ended, strict=True):
        assert process.returncode == 0, err
        answers.append([int(code) for code in out.split()])
    return answers


def test_four_processes_forty_attempts_at_most_five_wrong_passwords_checked(tmp_path):
    url, name = new_database_url(tmp_path, "throttle")
    try:
        env = {
            **os.environ,
            "INSPECTION_DATABASE_URL": url,
            "INSPECTION_DATA_DIR": str(tmp_path),
            "INSPECTION_SECRET_KEY": "throttle-test-secret",
            "INSPECTION_ALLOWED_HOSTS": "testserver",
        }
        assert run_cli(["db", "upgrade"], env=env).returncode == 0
        added = run_cli(
            ["user", "add", EMAIL, "--name", "Lead", "--role", "lead_inspector"],
            env=env,
            input=PASSWORD + "\n",
        )
        assert added.returncode == 0, added.stderr
        batches = [["wrong password"] * 10 for _ in range(4)]
        batches[2][9] = PASSWORD  # the thirtieth attempt
        answers = [code for batch in _run_workers(env, tmp_path, batches) for code in batch]
        actions = _actions(url)
        failed, signed_in = actions.get("sign-in-failed", 0), actions.get("sign-in", 0)
        assert failed <= 5
        assert signed_in <= 1 and failed + signed_in <= 6
        assert failed + signed_in + actions["sign-in-throttled"] == 40
        assert answers.count(303) == signed_in and answers.count(401) == 40 - signed_in
        (after,) = _run_workers(env, tmp_path, [[PASSWORD]])
        assert after == [401]
        assert _actions(url)["sign-in-throttled"] == 40 - failed - signed_in + 1
    finally:
        drop_database(name)
