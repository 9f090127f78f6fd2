"""Sign-in load: /health latency while N anonymous clients sign in wrongly, against /health
alone, measured in the same run.

    python bench/bench_sign_in.py [--clients 8] [--seconds 10] [--database postgres://.../db]

Migrates a fresh database (an SQLite file by default), creates one user, and serves the app
with ``inspection.web.asgi``'s settings under uvicorn (one worker) in a subprocess on 127.0.0.1.
One prober sends GET /health back to back (a 20 ms pause between requests) and records each
latency, in four phases:

    floor       /health alone;
    flood       N clients each send wrong passwords for a fresh unknown e-mail, back to back,
                with the per-address limit raised so that every attempt is hashed (Argon2 in
                worker threads, as the app does);
    on the loop the same flood with the check run on the event loop (how sign-in worked
                before it moved to worker threads), for comparison;
    throttled   the same flood with the app's real limits: after twenty attempts from the
                address, attempts are refused before hashing.

Prints p50/p95/max of /health per phase, the ratio of each p95 to the floor's p95, the sign-in
attempts answered per second, and the load average. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import asyncpg
import httpx2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "sign-in bench password"  # noqa: S105 (a throwaway database)
EMAIL = "lead@bench.example"
SERVER = """
import asyncio, dataclasses, sys
import uvicorn
from inspection import accounts, settings
from inspection.web.app import create_app

config = settings.load()
if sys.argv[2] != "throttled":
    config = dataclasses.replace(config, login_attempts_per_address=10**9)
if sys.argv[2] == "on-loop":
    async def on_loop(password_hash, password):
        return accounts.verify_password(password_hash, password)
    accounts.check_password = on_loop
uvicorn.run(create_app(config), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def fresh_postgres(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{base}/{name}"


def prepare(env: dict[str, str]) -> None:
    for args, stdin in (
        (["db", "upgrade"], None),
        (["user", "add", EMAIL, "--name", "Lead", "--role", "lead_inspector"], PASSWORD + "\n"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "inspection", *args],
            env=env,
            input=stdin,
            text=True,
            capture_output=True,
            cwd=ROOT,
        )
        if done.returncode:
            raise SystemExit(done.stderr)


async def wait_for(base: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx2.AsyncClient(base_url=base, timeout=5) as client:
        for _ in range(300):
            if proc.poll() is not None:
                raise SystemExit("the server exited")
            try:
                if (await client.get("/health")).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not answer /health in time")


async def phase(base: str, clients: int, seconds: float) -> tuple[list[float], int]:
    """(/health latencies, sign-in attempts answered) over ``seconds``."""
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    answered = [0]
    unknown = itertools.count()

    async def prober() -> None:
        async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                response = await client.get("/health")
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
                await asyncio.sleep(0.02)

    async def attacker() -> None:
        async with httpx2.AsyncClient(base_url=base, timeout=60) as client:
            while time.monotonic() < deadline:
                email = f"nobody{next(unknown)}@bench.example"
                await client.post("/login", data={"email": email, "password": "wrong guess"})
                answered[0] += 1

    await asyncio.gather(prober(), *(attacker() for _ in range(clients)))
    return latencies, answered[0]


async def serve_and_measure(
    env: dict[str, str], mode: str, clients: int, seconds: float, log: Path
) -> tuple[list[float], int]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        proc = start_server(env, port, mode, out)
        try:
            await wait_for(base, proc)
            return await phase(base, clients, seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def start_server(env: dict[str, str], port: int, mode: str, out: IO[bytes]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port), mode],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )


def line(name: str, latencies: list[float], floor_p95: float, answered: int, seconds: float) -> str:
    p95 = pct(latencies, 95)
    return (
        f"  {name:<11} /health p50 {pct(latencies, 50):8.1f} ms  p95 {p95:8.1f} ms  "
        f"max {max(latencies) * 1000:8.1f} ms  ({len(latencies):,} requests)  "
        f"p95 / floor {p95 / floor_p95:6.1f}x  sign-ins answered {answered / seconds:5.1f}/s"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database", default="", help="a PostgreSQL URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite://{tmp / 'bench.sqlite3'}"
        name = f"bench_sign_in_{os.getpid()}"
        if args.database:
            url = await fresh_postgres(args.database, name)
        env = {
            **os.environ,
            "INSPECTION_DATABASE_URL": url,
            "INSPECTION_DATA_DIR": str(tmp),
            "INSPECTION_SECRET_KEY": "sign-in-bench" * 4,
        }
        env.pop("INSPECTION_ALLOWED_HOSTS", None)
        prepare(env)
        print(f"database: {'PostgreSQL' if args.database else 'SQLite'}; cores: {os.cpu_count()}")
        print(f"load average at the start: {_load()}")
        results = {}
        results["floor"] = await serve_and_measure(env, "threads", 0, args.seconds, tmp / "log")
        for mode in ("threads", "on-loop", "throttled"):
            results[mode] = await serve_and_measure(
                env, mode, args.clients, args.seconds, tmp / "log"
            )
        print(f"load average at the end: {_load()}")
        floor_p95 = pct(results["floor"][0], 95)
        print(f"\n/health while {args.clients} clients sign in wrongly, {args.seconds:g} s each:")
        for label, key in (
            ("floor", "floor"),
            ("flood", "threads"),
            ("on the loop", "on-loop"),
            ("throttled", "throttled"),
        ):
            latencies, answered = results[key]
            print(line(label, latencies, floor_p95, answered, args.seconds))
        if args.database:
            base = args.database.rsplit("/", 1)[0]
            conn = await asyncpg.connect(
                base.replace("postgres://", "postgresql://", 1) + "/postgres"
            )
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await conn.close()


if __name__ == "__main__":
    asyncio.run(main())
