"""The job table as a queue.

A worker claims the oldest queued job in a short transaction: on PostgreSQL with
``SELECT … FOR UPDATE SKIP LOCKED`` (workers never wait on each other's candidate), on SQLite,
which serialises writers, with the same statement without the lock clause. The update that
marks the job running repeats ``status = 'queued'`` in its condition, so a job is claimed once
whatever the database. A running job holds a lease (``lease_until``) that its worker renews
(``lease.Heartbeat``); a job whose lease has passed belongs to a worker that ended, and
``expire`` marks it failed, says so in plain words and removes its raw file.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise.transactions import in_transaction

from inspection.evidence import incoming
from inspection.models import Job, JobKind, JobStatus, User

# A job's token as ``enqueue`` makes it: URL-safe base64, as long as the column at most.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,24}")
ENDED_MESSAGE = {
    JobKind.IMPORT: (
        "The import stopped before it finished (the process running it ended). Nothing was "
        "loaded. Upload the file again."
    ),
    JobKind.LINKAGE: (
        "Linkage stopped before it finished (the process running it ended). Run linkage again."
    ),
    JobKind.SAMPLE_CHECK: (
        "The check of the sample stopped before it finished (the process running it ended). "
        "Verify the sample again."
    ),
    JobKind.EXPORT: (
        "The export stopped before it finished (the process running it ended). Nothing was "
        "kept. Make it again from the Spreadsheets page."
    ),
}


def worker_name(role: str) -> str:
    """A name for this process as a job holder: what it is, the machine and the process id."""
    return f"{role} on {socket.gethostname()} (process {os.getpid()})"[:200]


async def enqueue(
    inspection_id: int,
    kind: JobKind,
    started_by: User | None = None,
    filename: str = "",
    work: dict[str, Any] | None = None,
    raw_path: Path | None = None,
    held_by: str = "",
    lease_seconds: float = 0.0,
) -> Job:
    """A new queued job; or, ``held_by`` a worker, a job already claimed by it (the command
    line runs the jobs it starts, and no other worker may take them first)."""
    held: dict[str, Any] = (
        {
            "status": JobStatus.RUNNING,
            "worker": held_by,
            "lease_until": time.time() + lease_seconds,
            "started_at": datetime.now(UTC),
            "stage": "Starting",
        }
        if held_by
        else {}
    )
    return await Job.create(
        token=secrets.token_urlsafe(12),
        inspection_id=inspection_id,
        kind=kind,
        started_by=started_by,
        filename=filename,
        work=work or {},
        raw_path=str(raw_path or ""),
        **held,
    )


async def claim(worker: str, lease_seconds: float, job_id: int | None = None) -> Job | None:
    """Mark the oldest queued job (or job ``job_id``, if still queued) running for ``worker``;
    the job, or None when there was none to claim."""
    async with in_transaction():
        query = Job.filter(status=JobStatus.QUEUED)
        if job_id is not None:
            query = query.filter(id=job_id)
        candidate = await query.order_by("id").select_for_update(skip_locked=True).first()
        if candidate is None:
            return None
        claimed = await Job.filter(id=candidate.id, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING,
            worker=worker,
            lease_until=time.time() + lease_seconds,
            started_at=datetime.now(UTC),
            stage="Starting",
        )
    if not claimed:
        return None
    return await Job.get(id=candidate.id)


async def finish(
    job: Job,
    status: JobStatus,
    message: str,
    outcome: dict[str, Any] | None = None,
    upload_id: int | None = None,
) -> bool:
    """Record how the job ended, if ``job.worker`` still holds it; whether it did."""
    changes: dict[str, Any] = {
        "status": status,
        "message": message,
        "finished_at": datetime.now(UTC),
        "lease_until": None,
        "outcome": outcome or {},
        "upload_id": upload_id,
    }
    if status is JobStatus.DONE:
        changes.update(stage="Done", fraction=1.0)
    updated = await Job.filter(id=job.id, status=JobStatus.RUNNING, worker=job.worker).update(
        **changes
    )
    return bool(updated)


# Jobs that write nothing to the database are queued again when their worker ends, this many
# times at most (an export's partial file is removed first); the others (an import, a linkage
# run) fail with a plain reason and are started again by a person, who knows whether the file
# or the moment was at fault.
RETRIED = {JobKind.SAMPLE_CHECK: 2, JobKind.EXPORT: 2}


async def expire(now: float | None = None) -> list[Job]:
    """Every running job whose lease has passed (its worker ended): queued again if it is of a
    kind that writes nothing and has retries left, else marked failed with the plain reason;
    either way its raw file (an upload, an export's partial file) removed; the jobs so
    handled. Nothing half-written is left by such a job: an
    import and a linkage run each write in one transaction, rolled back when the process
    ends."""
    cutoff = time.time() if now is None else now
    ended: list[Job] = []
    for job in await Job.filter(status=JobStatus.RUNNING, lease_until__lt=cutoff):
        kind = JobKind(job.kind)
        retries = int(job.work.get("retries", 0))
        changes: dict[str, Any]
        if retries < RETRIED.get(kind, 0):
            changes = {
                "status": JobStatus.QUEUED,
                "stage": "Waiting to start again (the process running it ended)",
                "fraction": 0.0,
                "worker": "",
                "started_at": None,
                "work": {**job.work, "retries": retries + 1},
            }
        else:
            changes = {
                "status": JobStatus.FAILED,
                "message": ENDED_MESSAGE[kind],
                "finished_at": datetime.now(UTC),
            }
        updated = await Job.filter(
            id=job.id, status=JobStatus.RUNNING, lease_until=job.lease_until
        ).update(lease_until=None, **changes)
        if updated:
            await remove_raw_file(job)  # a job queued again writes its file afresh
            ended.append(job)
    return ended


async def remove_raw_file(job: Job) -> None:
    """Remove the job's raw upload (or an export's partial file), unless a live process still
    holds it (blocking I/O in a thread)."""
    if job.raw_path:
        await asyncio.to_thread(incoming.remove_unless_held, Path(job.raw_path))


async def waiting_files() -> frozenset[Path]:
    """The raw files of queued jobs (upkeep keeps them)."""
    paths = (
        await Job.filter(status=JobStatus.QUEUED)
        .exclude(raw_path="")
        .values_list("raw_path", flat=True)
    )
    return frozenset(Path(str(p)) for p in paths)


async def of_inspection(inspection_id: int, token: str, kind: JobKind) -> Job | None:
    """The inspection's job of that kind named ``token``, or None (another inspection's job is
    not found either, nor a token no job could have)."""
    if not TOKEN.fullmatch(token):  # not one ``secrets.token_urlsafe`` makes (NUL, too long)
        return None
    return await Job.get_or_none(inspection_id=inspection_id, token=token, kind=kind)


async def attempts(inspection_id: int, kind: JobKind) -> list[Job]:
    """Every job of that kind for the inspection, newest first, with who started it."""
    return (
        await Job.filter(inspection_id=inspection_id, kind=kind)
        .order_by("-id")
        .prefetch_related("started_by")
    )
