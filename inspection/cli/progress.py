"""A job's progress on the command line, on stderr (stdout is kept for the result and
``--json``): a bar redrawn in place on a terminal, a plain line per stage otherwise."""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from inspection.cli.base import BadInput
from inspection.db import database_down
from inspection.jobs.runner import Ended
from inspection.jobs.worker import Worker
from inspection.models import Job, JobKind, JobStatus

WIDTH = 30
# What a job without a file is called on its progress line.
NAMES = {JobKind.LINKAGE: "Linkage", JobKind.SAMPLE_CHECK: "Sample check", JobKind.EXPORT: "Export"}


class ProgressPrinter:
    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._last: tuple[str, str] | None = None
        self._drawn = False
        self._lock = threading.Lock()  # a file's progress is also reported from its reader

    def __call__(self, job: Job, stage: str, fraction: float) -> None:
        name = job.filename or NAMES.get(JobKind(job.kind), str(job.kind))
        percent = round(max(0.0, min(1.0, fraction)) * 100)
        with self._lock:
            if self._tty:
                done = WIDTH * percent // 100
                bar = "#" * done + "-" * (WIDTH - done)
                self._stream.write(f"\r{name[:30]} [{bar}] {percent:3d}% {stage[:40]:<40}")
                self._drawn = True
            elif self._last != (name, stage):
                self._stream.write(f"{name}: {stage} ({percent}%)\n")
            self._last = (name, stage)
            self._stream.flush()

    def close(self) -> None:
        """End the bar's line (before anything else is printed)."""
        with self._lock:
            if self._drawn:
                self._stream.write("\n")
                self._stream.flush()
                self._drawn = False


async def run_to_the_end(worker: Worker, job: Job) -> Ended:
    """Run ``job`` here with its progress on stderr, as every command that starts one does.

    A job that did not finish is the command's failure, in the job's own words (a database that
    went away is raised as itself, for ``run_with_db`` to say so)."""
    printer = ProgressPrinter()
    try:
        ended = await worker.run(job, echo=printer)
    finally:
        printer.close()
    if ended.status != JobStatus.DONE:
        if ended.cause is not None and database_down(ended.cause):
            raise ended.cause
        raise BadInput(ended.message)
    return ended
