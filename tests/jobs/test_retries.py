"""A job that writes nothing (a sample's verification) is queued again when its worker ends,
twice at most, then failed with the plain reason; an import or a linkage run is failed at once."""

from __future__ import annotations

import time

from inspection.jobs import queue
from inspection.jobs.runner import sample_check_work
from inspection.jobs.worker import Worker
from inspection.models import Job, JobKind, JobStatus
from inspection.sampling import service
from tests.sampling.helpers import authority

ENDED = (
    "The check of the sample stopped before it finished (the process running it ended). "
    "Verify the sample again."
)


async def _die_holding(job_id: int) -> None:
    claimed = await queue.claim("a worker that dies", lease_seconds=30, job_id=job_id)
    assert claimed is not None
    ended = await queue.expire(now=time.time() + 31)
    assert [j.id for j in ended] == [job_id]


async def test_a_verification_whose_worker_ended_runs_again_then_fails_after_two_retries(db):
    inspection = await authority(40)
    drawn = await service.draw_sample(inspection.id, {}, size=5, seed="ab" * 32)
    job = await queue.enqueue(inspection.id, JobKind.SAMPLE_CHECK, work=sample_check_work(drawn.id))
    await _die_holding(job.id)
    again = await Job.get(id=job.id)
    assert (again.status, again.stage, again.worker, again.work["retries"]) == (
        JobStatus.QUEUED,
        "Waiting to start again (the process running it ended)",
        "",
        1,
    )
    assert await Worker(db, "another worker").drain() == 1  # a live worker finishes it
    done = await Job.get(id=job.id)
    assert done.status == JobStatus.DONE and done.outcome["identical"] is True
    assert (
        done.message == "Identical: a fresh draw from the stored record gives exactly this sample."
    )

    second = await queue.enqueue(
        inspection.id, JobKind.SAMPLE_CHECK, work=sample_check_work(drawn.id)
    )
    await _die_holding(second.id)
    await _die_holding(second.id)
    await _die_holding(second.id)  # a third end: no retry left
    failed = await Job.get(id=second.id)
    assert (failed.status, failed.message, failed.work["retries"]) == (
        JobStatus.FAILED,
        ENDED,
        2,
    )


async def test_a_linkage_run_whose_worker_ended_is_not_retried(db):
    inspection = await authority(10)
    job = await queue.enqueue(inspection.id, JobKind.LINKAGE)
    await _die_holding(job.id)
    failed = await Job.get(id=job.id)
    assert failed.status == JobStatus.FAILED
    assert failed.message == (
        "Linkage stopped before it finished (the process running it ended). Run linkage again."
    )
