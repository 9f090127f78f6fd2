"""What each request of the load benchmark costs in this process: CPU and queries, per kind.

    python bench/profile_requests.py --database postgres://.../inspection_bench_load_NNN
                                     [--requests 200] [--profile journey autosave findings]
                                     [--top 40]

Runs against a database ``bench/bench_load.py --keep`` left behind (its inspection, its 50
auditors and their audits), in one process: the app as ``inspection serve`` builds it, driven
through httpx's ASGI transport (no server, no sockets), one request at a time, so the figures
are the CPU a request costs this process, not waiting on a busy machine. For each kind of
request of the benchmark's mix (a journey page, an audit autosave, the findings page) and for
the floor (``/health``, which costs a request and no database work), it prints:

- CPU per request (ms, ``time.process_time``, the client's share included, as in the floor),
  and the ratio to the floor;
- queries per request (counted on Tortoise's ``tortoise.db_client`` logger, in a separate
  pass, since that logging costs CPU of its own);
- with ``--profile KIND``: where that kind's CPU goes (a sampler on the process's CPU clock),
  by own time and by time on the stack;
- with ``--served``: the same requests sent over loopback to ``inspection serve`` (one
  worker), each kind's CPU read from the server process's own counters (HTTP parsing
  included, the client's share not).

The database server's own CPU is not counted (``log_min_duration_statement`` and EXPLAIN
ANALYZE are the tools for that). Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType

import httpx2
from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_load import PASSWORD, free_port, start_server, wait_for  # noqa: E402
from inspection.models import Audit, Event, Inspection  # noqa: E402
from inspection.settings import Settings, tortoise_config  # noqa: E402
from inspection.web.app import create_app  # noqa: E402
from tests.query_count import count_queries  # noqa: E402

VERSION = re.compile(r'id="audit-version" value="(\d+)"')
ROOT = str(Path(__file__).resolve().parent.parent) + "/"
KINDS = ("floor", "journey", "autosave", "findings")


class Driver:
    """One signed-in auditor of the kept load database, sending each kind of request."""

    def __init__(
        self, client: httpx2.AsyncClient, inspection_id: int, audit_id: int, children: list[int]
    ) -> None:
        self.client = client
        self.base = f"/inspections/{inspection_id}"
        self.audit_id = audit_id
        self.children = children
        self.rng = random.Random(1)
        self.version = 0
        self.step = 0

    async def floor(self) -> None:
        r = await self.client.get("/health")
        assert r.status_code == 200, r.status_code

    async def journey(self) -> None:
        r = await self.client.get(f"{self.base}/children/{self.rng.choice(self.children)}")
        assert r.status_code == 200, r.status_code

    async def findings(self) -> None:
        r = await self.client.get(f"{self.base}/findings")
        assert r.status_code == 200, r.status_code

    async def autosave(self) -> None:
        if not self.version:
            page = await self.client.get(f"{self.base}/audits/{self.audit_id}")
            found = VERSION.search(page.text) or re.search(
                r'name="version" value="(\d+)"', page.text
            )
            assert found, "no version on the audit page"
            self.version = int(found.group(1))
        self.step += 1
        form = {
            "version": str(self.version),
            "strengths": f"Profile note {self.step}.",
            "grade:child_seen": self.rng.choice(["good", "requires_improvement"]),
            "evidence:child_seen": f"Seen on visit {self.step}.",
        }
        r = await self.client.post(
            f"{self.base}/audits/{self.audit_id}/save", data=form, headers={"HX-Request": "true"}
        )
        found = VERSION.search(r.text)
        assert r.status_code == 200 and found, (r.status_code, r.text[:200])
        self.version = int(found.group(1))


class Sampler:
    """A sampling profiler on the process's CPU clock: every ``interval`` seconds of CPU
    (``ITIMER_PROF``) the running Python stack is noted; a function's own share is the samples
    it was running in, its total share the samples it was anywhere on the stack in."""

    def __init__(self, interval: float = 0.0005) -> None:
        self.interval = interval
        self.own: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.samples = 0
        self.cpu = 0.0

    def _sample(self, _signum: int, frame: FrameType | None) -> None:
        self.samples += 1
        seen = set()
        leaf = True
        while frame is not None:
            code = frame.f_code
            name = f"{_short(code.co_filename)}:{code.co_firstlineno}({code.co_name})"
            if leaf:
                self.own[name] += 1
                leaf = False
            if name not in seen:
                seen.add(name)
                self.total[name] += 1
            frame = frame.f_back

    def __enter__(self) -> Sampler:
        self.cpu = time.process_time()
        signal.signal(signal.SIGPROF, self._sample)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        return self

    def __exit__(self, *_exc: object) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        self.cpu = time.process_time() - self.cpu
        signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def report(self, top: int, requests: int) -> str:
        # the CPU one sample stands for: the timer fires less often than asked on a busy machine
        per = self.cpu * 1000 / max(self.samples, 1) / requests
        lines = [f"{self.samples} samples, {self.cpu * 1000 / requests:.2f} ms CPU per request"]
        for title, counts in (("own time", self.own), ("on the stack", self.total)):
            lines.append(f"  by {title} (ms per request, share):")
            for name, n in counts.most_common(top):
                lines.append(f"    {n * per:6.3f} {n / self.samples:6.1%}  {name}")
        return "\n".join(lines)


def _short(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3", ROOT):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


async def timed(send: Callable[[], Awaitable[None]], n: int) -> tuple[float, float]:
    """CPU and wall milliseconds per request over ``n`` requests."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        await send()
    return (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n


async def counted(send: Callable[[], Awaitable[None]], n: int) -> tuple[float, list[str]]:
    with count_queries() as queries:
        for _ in range(n):
            await send()
    return queries.count / n, queries.statements


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="a database bench_load.py --keep left")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", nargs="*", default=[], choices=KINDS, help="sample these")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--statements", action="store_true", help="print one request's queries")
    parser.add_argument(
        "--served",
        action="store_true",
        help="also: the CPU of an `inspection serve` process answering the same requests",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            database_url=args.database,
            secret_key="profile" * 8,
            in_process_worker=False,
        )
        await Tortoise.init(config=tortoise_config(settings.database_url))
        try:
            await run(args, settings)
        finally:
            await Tortoise.close_connections()


async def run(args: argparse.Namespace, settings: Settings) -> None:
    inspection = await Inspection.filter(title="Load").order_by("-id").first()
    if inspection is None:
        raise SystemExit("no load inspection in that database (bench_load.py --keep makes one)")
    audit = await Audit.filter(inspection_id=inspection.id).order_by("id").first()
    assert audit is not None
    email = (await audit.auditor).email  # type: ignore[union-attr]
    with_events = sorted(
        int(c)  # type: ignore[call-overload]
        for c in await Event.filter(inspection_id=inspection.id, child_id__not_isnull=True)
        .distinct()
        .values_list("child_id", flat=True)
    )
    children = random.Random(42).sample(with_events, min(5000, len(with_events)))
    app = create_app(settings, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        r = await client.post("/login", data={"email": email, "password": PASSWORD})
        if r.status_code != 303:
            raise SystemExit(f"could not sign in {email}: {r.status_code}")
        driver = Driver(client, inspection.id, audit.id, children)
        sends = {kind: getattr(driver, kind) for kind in KINDS}
        for send in sends.values():  # warm up: templates compiled, connections open
            for _ in range(10):
                await send()
        print(f"{args.requests} requests of each kind, one at a time, in process")
        floor_cpu = 0.0
        for kind, send in sends.items():
            cpu, wall = await timed(send, args.requests)
            floor_cpu = floor_cpu or cpu
            per, statements = await counted(send, 20)
            print(
                f"  {kind:<9} CPU {cpu:6.2f} ms/request ({cpu / floor_cpu:4.1f}x floor)  "
                f"wall {wall:6.2f} ms  queries {per:5.1f}/request"
            )
            if args.statements:
                for s in statements[: round(per)]:
                    print(f"      {s[:160]}")
        for kind in args.profile:
            sampler = Sampler()
            with sampler:
                for _ in range(args.requests):
                    await sends[kind]()
            print(f"\n--- {kind}: where the CPU goes ({args.requests} requests) ---")
            print(sampler.report(args.top, args.requests))
    if args.served:
        await served(args, settings, email, inspection.id, audit.id, children)


def _process_cpu(pid: int) -> float:
    """Seconds of CPU (user and system) a process has used, from ``/proc/PID/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def served(
    args: argparse.Namespace,
    settings: Settings,
    email: str,
    inspection_id: int,
    audit_id: int,
    children: list[int],
) -> None:
    """The same requests sent over loopback to ``inspection serve`` (one worker, no job worker),
    each kind's CPU read from the server process's counters: HTTP parsing included, the
    client's share not."""
    env = {
        **os.environ,
        "INSPECTION_DATABASE_URL": settings.database_url,
        "INSPECTION_DATA_DIR": str(settings.data_dir),
        "INSPECTION_SECRET_KEY": settings.secret_key,
        "INSPECTION_IN_PROCESS_WORKER": "0",
    }
    port = free_port()
    with tempfile.TemporaryFile() as log:
        proc = start_server(port, env, log)
        try:
            await wait_for(f"http://127.0.0.1:{port}", proc)
            async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as c:
                r = await c.post("/login", data={"email": email, "password": PASSWORD})
                if r.status_code != 303:
                    raise SystemExit(f"could not sign in {email}: {r.status_code}")
                driver = Driver(c, inspection_id, audit_id, children)
                print(f"\n{args.requests} requests of each kind, one at a time, served")
                floor_cpu = 0.0
                for kind in KINDS:
                    send = getattr(driver, kind)
                    for _ in range(10):
                        await send()
                    before = _process_cpu(proc.pid)
                    for _ in range(args.requests):
                        await send()
                    cpu = (_process_cpu(proc.pid) - before) * 1000 / args.requests
                    floor_cpu = floor_cpu or cpu or 1e-9
                    print(
                        f"  {kind:<9} server CPU {cpu:6.2f} ms/request "
                        f"({cpu / floor_cpu:4.1f}x floor)"
                    )
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    asyncio.run(main())
