"""``inspection worker``: claim and run queued jobs (imports, linkage runs) until stopped."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from inspection import settings as settings_module
from inspection.cli.base import run_with_db
from inspection.jobs.queue import worker_name
from inspection.jobs.worker import Worker


def register(sub: argparse._SubParsersAction) -> None:
    worker = sub.add_parser(
        "worker",
        help="run queued jobs (imports, linkage) until stopped",
        description=(
            "Claim the jobs the web pages and other commands queue and run them, renewing each "
            "job's lease while it runs. On start and every few seconds, a job whose worker "
            "ended (its lease passed, INSPECTION_JOB_LEASE_SECONDS) is marked failed with the "
            "reason and its raw file removed. Ctrl-C or SIGTERM stops it once the job it is "
            "running has ended; a worker killed mid-job leaves nothing half-written, and its "
            "job is said so once its lease has passed."
        ),
    )
    worker.add_argument("--once", action="store_true", help="run the jobs waiting now, then stop")
    worker.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace) -> int:
    config = settings_module.load()
    name = worker_name("inspection worker")

    async def work() -> None:
        worker = Worker(config, name)
        await worker.expire()
        if args.once:
            await worker.drain()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        sys.stderr.write(f"{name}: waiting for jobs\n")
        sys.stderr.flush()
        await worker.serve(stop)

    run_with_db(work)
    return 0
