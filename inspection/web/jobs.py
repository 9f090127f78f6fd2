"""What the pages share about jobs: waking this process's worker, and a job's progress as a
template reads it."""

from __future__ import annotations

from starlette.requests import Request

from inspection.jobs.outcome import describe, percent
from inspection.models import Job, JobStatus


def wake_worker(request: Request) -> None:
    """Tell this process's own worker, if it runs one, that a job is waiting."""
    worker = getattr(request.app.state, "jobs", None)
    if worker is not None:
        worker.wake()


def job_context(job: Job) -> dict[str, object]:
    """The job and its state, for the progress fragments."""
    return {
        "job": job,
        "ended": job.status in (JobStatus.DONE, JobStatus.FAILED),
        "failed": job.status == JobStatus.FAILED,
        "progress": describe(job),
        "percent": percent(job),
    }
