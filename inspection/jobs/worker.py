"""Workers: claim queued jobs, run them under a heartbeat, record how they ended.

``Worker`` is one holder of jobs (a name in the job table). ``inspection worker`` runs
``Worker.serve`` until stopped; the web process, unless told not to, runs one inside itself
(``InProcessWorker``), woken when a job is enqueued and every few seconds; the command line
and the demo claim the jobs they enqueue and run them here, so every job runs the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from inspection.jobs import queue
from inspection.jobs.lease import Heartbeat
from inspection.jobs.runner import Ended, Report, run_batch, run_one
from inspection.models import Job, JobKind, User
from inspection.settings import Settings

log = logging.getLogger("inspection.jobs")
Echo = Callable[[Job, str, float], None]  # a job's progress, as it goes (the command line)
POLL_SECONDS = 1.0
EXPIRE_EVERY_SECONDS = 5.0


class LostJob(Exception):
    """The job was no longer this worker's when it ended (its lease had passed)."""


class Worker:
    def __init__(self, settings: Settings, name: str) -> None:
        self.settings = settings
        self.name = name
        # One job at a time per worker, however many callers wake it.
        self._one_at_a_time: asyncio.Lock | None = None

    async def claim(self, job: Job | None = None) -> Job | None:
        return await queue.claim(
            self.name, self.settings.job_lease_seconds, None if job is None else job.id
        )

    def _reporter(self, beat: Heartbeat, jobs: Sequence[Job], echo: Echo | None) -> Report:
        by_id = {job.id: job for job in jobs}

        def report(job_id: int, stage: str, fraction: float) -> None:
            beat.report(job_id, stage, fraction)
            if echo is not None:
                echo(by_id[job_id], stage, fraction)

        return report

    async def run(self, job: Job, echo: Echo | None = None) -> Ended:
        """Run a job this worker has claimed and record how it ended."""
        with Heartbeat(self.settings, self.name, [job.id]) as beat:
            ended = await run_one(job, self.settings, self._reporter(beat, [job], echo))
        await self._finish(job, ended)
        return ended

    async def run_batch(self, jobs: Sequence[Job], echo: Echo | None = None) -> list[Ended]:
        """Run claimed import jobs as one batch (read together, written in order)."""
        with Heartbeat(self.settings, self.name, [job.id for job in jobs]) as beat:
            ended, stopped = await run_batch(jobs, self.settings, self._reporter(beat, jobs, echo))
        for job, end in zip(jobs, ended, strict=True):
            if stopped is None:
                await self._finish(job, end)
            else:  # what stopped the batch (the database going away) is what is raised
                with contextlib.suppress(Exception):
                    await self._finish(job, end)
        if stopped is not None:
            raise stopped
        return ended

    async def _finish(self, job: Job, ended: Ended) -> None:
        if not await queue.finish(job, ended.status, ended.message, ended.outcome, ended.upload_id):
            raise LostJob(
                f"The job for {job.filename or job.kind} was taken as ended before it finished."
            )

    async def run_next(self) -> bool:
        """Claim and run the oldest queued job; whether there was one."""
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        async with self._one_at_a_time:
            job = await self.claim()
            if job is None:
                return False
            try:
                await self.run(job)
            except LostJob as exc:
                log.warning("%s", exc)
            return True

    async def drain(self) -> int:
        """Run queued jobs until there are none; how many ran."""
        count = 0
        while await self.run_next():
            count += 1
        return count

    async def expire(self) -> None:
        for job in await queue.expire():
            log.warning("job %s of %s ended with its worker %s", job.id, job.kind, job.worker)

    async def serve(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set: end the jobs of workers that ended (at once, then every few
        seconds), and run queued jobs as they come."""
        since_expiry = EXPIRE_EVERY_SECONDS
        while not stop.is_set():
            try:
                if since_expiry >= EXPIRE_EVERY_SECONDS:
                    await self.expire()
                    since_expiry = 0.0
                if await self.run_next():
                    continue
            except Exception:  # the database away for a moment: keep trying
                log.exception("the job worker could not reach the database; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_SECONDS)
            since_expiry += POLL_SECONDS


async def start_here(
    settings: Settings,
    role: str,
    inspection_id: int,
    kind: JobKind,
    files: Sequence[tuple[str, dict[str, object]]] = (),
    started_by: User | None = None,
    raw_path: Path | None = None,
) -> tuple[Worker, list[Job]]:
    """Jobs enqueued already held by a worker of this process, to run here: one per
    ``(name, work)`` (a file to import, a sample to check, an export with ``raw_path`` its
    partial file), else one with no work; the worker and the jobs."""
    worker = Worker(settings, queue.worker_name(role))
    wanted = files or [("", {})]
    jobs = [
        await queue.enqueue(
            inspection_id,
            kind,
            started_by,
            name,
            dict(work),
            raw_path=raw_path,
            held_by=worker.name,
            lease_seconds=settings.job_lease_seconds,
        )
        for name, work in wanted
    ]
    return worker, jobs


class InProcessWorker:
    """The worker inside a web process: woken when a job is enqueued here, and (``serve``)
    every few seconds for jobs enqueued elsewhere and for ended workers' jobs."""

    def __init__(self, settings: Settings) -> None:
        self.worker = Worker(settings, queue.worker_name("web process"))
        self._task: asyncio.Task[None] | None = None
        self._again = False

    def wake(self) -> None:
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.create_task(self._drain())

    async def _drain(self) -> None:
        while True:
            self._again = False
            try:
                await self.worker.drain()
            except Exception:
                log.exception("a job could not be run; the worker tries again later")
            if not self._again:
                return

    async def idle(self) -> None:
        """Wait until the jobs woken for have run."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)

    async def serve(self, stop: asyncio.Event) -> None:
        await self.worker.serve(stop)
