"""Load: 50 signed-in clients drive the app under uvicorn on loopback with a realistic mix.

    python bench/bench_load.py [--children 100000] [--clients 50] [--seconds 30]
                               [--max-requests 20000] [--database postgres://.../test] [--link]
                               [--think 0 1] [--workers 1 2] [--keep] [--reuse NAME]

Builds a synthetic authority (inspection.synthetic.generate) in a fresh PostgreSQL database,
loads it through the importer (inspection.evidence.load.import_file; ``--link`` also runs
linkage), gives each client its own audit of a sampled child, starts ``inspection serve``
(``--workers`` processes) in a subprocess on 127.0.0.1 and a free port, and drives, bounded in
time and count:

    60% journey pages     GET  /inspections/{id}/children/{child_id}
    30% audit autosaves   POST /inspections/{id}/audits/{audit_id}/save (base version; 409 → reload)
    10% findings page     GET  /inspections/{id}/findings

Prints throughput, p50/p95/p99 latency per kind and overall, errors, and the floor: /health's
latency under the same concurrency, measured in the same run, with the ratio, and the machine's
load average at the start and the end (the figures mean little on a machine busy with other work),
how the clients' connections were shared between the server's processes, and the CPU seconds the
load generator, the server and PostgreSQL (all its processes) each used during the run.
``--keep`` leaves the database behind; ``--reuse NAME`` drives such a database again without
building it.
Several ``--think`` and ``--workers`` values run every combination, one after the other, on the
same loaded database (each with its own server and its own floor). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspection.accounts import create_user  # noqa: E402
from inspection.audit.audits import create_audit  # noqa: E402
from inspection.evidence.load import import_file  # noqa: E402
from inspection.inspections import add_local_authority, add_member, create_inspection  # noqa: E402
from inspection.models import Child, Event, Sample, SampleMember  # noqa: E402
from inspection.settings import Settings, tortoise_config  # noqa: E402
from inspection.synthetic import generate  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/test"
PASSWORD = "load test password"  # noqa: S105 (synthetic users on a throwaway database)
REFERENCE = date(2026, 11, 2)
AGENCIES = ("social_care", "police", "health", "education", "early_help")
GOAL_P95_MS = 300
MIX = (("journey", 0.6), ("autosave", 0.3), ("findings", 0.1))
VERSION = re.compile(r'id="audit-version" value="(\d+)"')


@dataclass
class Fixture:
    inspection_id: int
    child_ids: list[int]
    audits: list[tuple[str, int]]  # (e-mail, audit id), one per client
    versions: dict[int, int] = field(default_factory=dict)  # audit id -> last version seen


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        self.latencies.setdefault(kind, []).append(seconds)
        if not ok:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            if len(self.examples) < 5:
                self.examples.append(f"{kind}: {detail}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def fresh_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{base}/{name}"


async def drop_database(url: str, name: str) -> None:
    base = url.rsplit("/", 1)[0]
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def build(settings: Settings, files: Path, clients: int, link: bool) -> Fixture:
    await Tortoise.init(config=tortoise_config(settings.database_url))
    await Tortoise.generate_schemas()
    la = await add_local_authority("LD1", "Loadshire")
    inspection = await create_inspection(la.code, "ilacs-standard", "Load", REFERENCE)
    started = time.perf_counter()
    loads: list[tuple[str, str, str | None]] = [
        ("annex_a.xlsx", "annex-a", None),
        ("cin_census.xml", "cin-census", None),
        *((f"{a}.csv", "agency", a) for a in AGENCIES),
    ]
    for name, kind, agency in loads:
        t = time.perf_counter()
        summary = await import_file(inspection.id, files / name, kind, agency, settings)
        print(f"  imported {name}: {summary.events:,} events in {time.perf_counter() - t:.1f} s")
    if link:
        from inspection.journey.linkage import link_inspection

        t = time.perf_counter()
        await link_inspection(inspection.id)
        print(f"  linked in {time.perf_counter() - t:.1f} s")
    print(f"  loading took {time.perf_counter() - started:.1f} s")
    children = await Child.filter(inspection_id=inspection.id).count()
    events = await Event.filter(inspection_id=inspection.id).count()
    print(f"  database holds {children:,} children and {events:,} events")
    with_events = [
        int(c)  # type: ignore[call-overload]
        for c in await Event.filter(inspection_id=inspection.id, child_id__not_isnull=True)
        .distinct()
        .values_list("child_id", flat=True)
    ]
    rng = random.Random(42)
    journey_ids = rng.sample(with_events, min(5000, len(with_events)))
    audited = rng.sample(with_events, clients)
    sample = await Sample.create(
        inspection=inspection,
        method="simple",
        seed="load",
        population_hash="load",
        population_size=len(with_events),
        # the frame a real draw keeps: a pair for every child of the population
        population_ids=[[str(c), "all"] for c in with_events],
    )
    audits = []
    for i, child_id in enumerate(audited):
        email = f"auditor{i}@load.test"
        user = await create_user(email, f"Auditor {i}", "inspector", PASSWORD)
        await add_member(inspection, user, "inspector")
        member = await SampleMember.create(
            inspection_id=inspection.id,
            sample=sample,
            child_id=child_id,
            population_key=str(child_id),
            stratum="all",
            inclusion_probability=0.01,
            weight=100.0,
            order=i,
            status="selected",
        )
        audit = await create_audit(inspection.id, member.id, user)
        audits.append((email, audit.id))
    await Tortoise.close_connections()
    return Fixture(inspection.id, journey_ids, audits)


async def kept(settings: Settings, clients: int) -> Fixture:
    """The fixture ``--keep`` left in a database: its inspection, auditors and audits."""
    from inspection.models import Audit, Inspection

    await Tortoise.init(config=tortoise_config(settings.database_url))
    inspection = await Inspection.filter(title="Load").order_by("-id").first()
    if inspection is None:
        raise SystemExit("no load inspection in that database (--keep makes one)")
    audits = [
        (str(email), int(audit_id))  # type: ignore[call-overload]
        for audit_id, email in await Audit.filter(inspection_id=inspection.id)
        .order_by("id")
        .limit(clients)
        .values_list("id", "auditor__email")
    ]
    with_events = sorted(
        int(c)  # type: ignore[call-overload]
        for c in await Event.filter(inspection_id=inspection.id, child_id__not_isnull=True)
        .distinct()
        .values_list("child_id", flat=True)
    )
    await Tortoise.close_connections()
    journey_ids = random.Random(42).sample(with_events, min(5000, len(with_events)))
    return Fixture(inspection.id, journey_ids, audits)


def _proc_cpu(pid: int) -> float:
    """User and system CPU seconds of one process so far (Linux's /proc), 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo.extend(int(c) for c in task.read_text().split())
    return found


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far by this load generator, by the server and its worker processes,
    and by PostgreSQL's processes: where a shared machine's time goes (all 0 off Linux)."""
    if not Path("/proc").is_dir():
        return {"load generator": time.process_time(), "server": 0.0, "PostgreSQL": 0.0}
    postgres = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _comm(p) in {"postgres", "postmaster"}
    ]
    return {
        "load generator": time.process_time(),
        "server": sum(_proc_cpu(p) for p in _descendants(server_pid)),
        "PostgreSQL": sum(_proc_cpu(p) for p in postgres),
    }


def _comm(proc: Path) -> str:
    try:
        return (proc / "comm").read_text().strip()
    except OSError:
        return ""


def connection_spread(port: int) -> str:
    """How the clients' connections are shared between the server's processes (``ss``)."""
    try:
        out = subprocess.run(
            ["ss", "-tnpH", "state", "established", f"sport = :{port}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no ss)"
    counts = sorted(Counter(re.findall(r"pid=(\d+)", out)).values(), reverse=True)
    return " / ".join(str(n) for n in counts) or "unknown"


async def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    async with httpx2.AsyncClient() as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit("the server exited; see its log")
            try:
                if (await client.get(url + "/health")).status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("the server did not answer /health in time")


async def sign_in(base: str, email: str) -> httpx2.AsyncClient:
    client = httpx2.AsyncClient(base_url=base, timeout=30)
    r = await client.post("/login", data={"email": email, "password": PASSWORD})
    if r.status_code != 303:
        raise SystemExit(f"could not sign in {email}: {r.status_code}")
    return client


async def drive(
    clients: list[httpx2.AsyncClient],
    fixture: Fixture,
    seconds: float,
    max_requests: int,
    think: float = 0.0,
) -> tuple[Tally, float, int]:
    tally = Tally()
    sent = [0]
    deadline = time.monotonic() + seconds
    base = f"/inspections/{fixture.inspection_id}"
    hx = {"HX-Request": "true"}

    async def one(i: int, client: httpx2.AsyncClient) -> None:
        rng = random.Random(i)
        _, audit_id = fixture.audits[i]
        version = fixture.versions.get(audit_id, 1)
        step = 0
        while time.monotonic() < deadline and sent[0] < max_requests:
            sent[0] += 1
            kind = rng.choices([k for k, _ in MIX], [w for _, w in MIX])[0]
            started = time.perf_counter()
            try:
                if kind == "journey":
                    child = rng.choice(fixture.child_ids)
                    r = await client.get(f"{base}/children/{child}")
                    ok, detail = r.status_code == 200, str(r.status_code)
                elif kind == "findings":
                    r = await client.get(f"{base}/findings")
                    ok, detail = r.status_code == 200, str(r.status_code)
                else:
                    step += 1
                    form = {
                        "version": str(version),
                        "strengths": f"Client {i} note {step}.",
                        "grade:child_seen": rng.choice(["good", "requires_improvement"]),
                        "evidence:child_seen": f"Seen on visit {step}.",
                    }
                    r = await client.post(f"{base}/audits/{audit_id}/save", data=form, headers=hx)
                    if r.status_code == 409:  # reload and carry on from the stored version
                        tally.conflicts += 1
                        page = await client.get(f"{base}/audits/{audit_id}")
                        found = VERSION.search(page.text)
                        version = int(found.group(1)) if found else version
                        ok, detail = True, "409"
                    else:
                        found = VERSION.search(r.text)
                        ok = r.status_code == 200 and found is not None
                        detail = f"{r.status_code} {r.text[:120]!r}"
                        if found:
                            version = int(found.group(1))
            except httpx2.HTTPError as exc:
                ok, detail = False, f"{exc.__class__.__name__}: {exc}"
            tally.add(kind, time.perf_counter() - started, ok, detail)
            fixture.versions[audit_id] = version
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))

    started = time.perf_counter()
    await asyncio.gather(*(one(i, c) for i, c in enumerate(clients)))
    return tally, time.perf_counter() - started, sent[0]


async def floor(clients: list[httpx2.AsyncClient], seconds: float) -> list[float]:
    latencies: list[float] = []
    deadline = time.monotonic() + seconds

    async def one(client: httpx2.AsyncClient) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            r = await client.get("/health")
            latencies.append(time.perf_counter() - started)
            if r.status_code != 200:
                raise SystemExit(f"/health answered {r.status_code}")

    await asyncio.gather(*(one(c) for c in clients))
    return latencies


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def line(label: str, values: list[float], errors: int) -> str:
    return (
        f"  {label:<10} {len(values):>7,} req  p50 {pct(values, 50):7.1f} ms  "
        f"p95 {pct(values, 95):7.1f} ms  p99 {pct(values, 99):7.1f} ms  "
        f"mean {statistics.fmean(values) * 1000 if values else 0:7.1f} ms  errors {errors}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--floor-seconds", type=float, default=5)
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[0.0],
        help="mean pause (s, exponential) between a client's requests; 0 = back to back",
    )
    parser.add_argument(
        "--database", default=os.environ.get("INSPECTION_BENCH_DATABASE", DEFAULT_DB)
    )
    parser.add_argument("--link", action="store_true", help="also link partner records")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="inspection serve --workers"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", metavar="NAME", help="drive a database --keep left (no generation, no load)"
    )
    args = parser.parse_args()
    if not args.database.startswith("postgres"):
        raise SystemExit("the load benchmark runs on PostgreSQL (--database postgres://...)")
    name = f"inspection_bench_load_{os.getpid()}"
    print(f"load average at start (1, 5, 15 min): {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_dir = Path(tmp)
        if args.reuse:
            url = args.database.rsplit("/", 1)[0] + "/" + args.reuse
            settings = Settings(data_dir=tmp_dir / "data", database_url=url, secret_key="load" * 12)
            fixture = await kept(settings, args.clients)
            for workers in args.workers:
                for think in args.think:
                    await run(args, settings, fixture, tmp_dir, workers, think)
            return
        files = tmp_dir / "authority"
        t = time.perf_counter()
        generate(args.children, args.seed, files, reference_date=REFERENCE)
        print(f"generated {args.children:,} children in {time.perf_counter() - t:.1f} s")
        url = await fresh_database(args.database, name)
        settings = Settings(data_dir=tmp_dir / "data", database_url=url, secret_key="load" * 12)
        try:
            fixture = await build(settings, files, args.clients, args.link)
            for workers in args.workers:
                for think in args.think:
                    await run(args, settings, fixture, tmp_dir, workers, think)
        finally:
            if not args.keep:
                await drop_database(args.database, name)


def _load() -> str:
    return ", ".join(f"{v:.2f}" for v in os.getloadavg()) + f" on {os.cpu_count()} CPUs"


def start_server(
    port: int, env: dict[str, str], log: Any, workers: int = 1
) -> subprocess.Popen[bytes]:
    """``inspection serve`` (uvicorn, ``workers`` processes) on loopback, as a user runs it."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "inspection", "serve", "--host", "127.0.0.1"),
            *("--port", str(port), "--workers", str(workers)),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


async def run(
    args: argparse.Namespace,
    settings: Settings,
    fixture: Fixture,
    tmp: Path,
    workers: int,
    think: float,
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "INSPECTION_DATABASE_URL": settings.database_url,
        "INSPECTION_DATA_DIR": str(settings.data_dir),
        "INSPECTION_SECRET_KEY": settings.secret_key,
    }
    log = (tmp / "server.log").open("ab")
    proc = start_server(port, env, log, workers)
    try:
        await wait_for(base, proc)
        print(f"load average before the run: {_load()}")
        clients = [await sign_in(base, email) for email, _ in fixture.audits]
        floor_latencies = await floor(clients, args.floor_seconds)
        spread = connection_spread(port)
        cpu_before = cpu_seconds(proc.pid)
        tally, elapsed, sent = await drive(clients, fixture, args.seconds, args.max_requests, think)
        cpu = {k: v - cpu_before[k] for k, v in cpu_seconds(proc.pid).items()}
        print(f"load average at the end of the run: {_load()}")
        for c in clients:
            await c.aclose()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    every = [v for values in tally.latencies.values() for v in values]
    errors = sum(tally.errors.values())
    pause = f"think time {think:g} s" if think else "back to back"
    print(
        f"\n{args.clients} clients ({pause}), {workers} worker(s), "
        f"{len(fixture.child_ids):,} distinct journeys, "
        f"{sent:,} requests in {elapsed:.1f} s: {len(every) / elapsed:,.0f} requests/s"
    )
    for kind, _ in MIX:
        print(line(kind, tally.latencies.get(kind, []), tally.errors.get(kind, 0)))
    print(line("all", every, errors))
    print(line("floor", floor_latencies, 0) + "   (/health, same concurrency)")
    print(f"  autosave conflicts (409, reloaded): {tally.conflicts}")
    print(f"  connections per server process: {spread}")
    done = max(len(every), 1)
    print(
        f"  CPU during the run ({os.cpu_count()} CPUs x {elapsed:.1f} s = "
        f"{(os.cpu_count() or 1) * elapsed:.0f} s): "
        + ", ".join(f"{k} {v:.1f} s ({v / done * 1000:.1f} ms a request)" for k, v in cpu.items())
    )
    print(
        f"  ratio p95 all / p95 floor: {pct(every, 95) / pct(floor_latencies, 95):.1f}x   "
        f"goal p95 <= {GOAL_P95_MS} ms: {'met' if pct(every, 95) <= GOAL_P95_MS else 'MISSED'}, "
        f"errors {errors}"
    )
    for example in tally.examples:
        print(f"  error: {example}")


if __name__ == "__main__":
    asyncio.run(main())
