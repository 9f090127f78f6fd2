"""What each kind of job does, and the words it ends with.

An import is ``evidence.load.import_file`` (one transaction: loaded whole or not at all); a
batch of imports is ``evidence.bundle.import_files`` (each file its own job and transaction);
a linkage run is ``journey.linkage.link_inspection``; a sample's verification is
``sampling.service.verify`` (it reads, and writes nothing); an export is
``export.stored.make`` then ``keep`` (it writes a file, and nothing to the database). A
browser upload's raw file is held while its import runs and removed when it ends, however it
ends.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspection.db import database_down
from inspection.evidence import incoming
from inspection.evidence.bundle import BatchStopped, import_files
from inspection.evidence.load import EvidenceFile, ImportSummary, import_file
from inspection.evidence.staged import EvidenceFileError
from inspection.jobs.outcome import linked_message, loaded_message
from inspection.models import Job, JobKind, JobStatus, User
from inspection.settings import Settings

Report = Callable[[int, str, float], None]  # job id, stage, fraction


@dataclass
class Ended:
    """How a job ended: its status, the message shown, what it produced, and (for the command
    line, which says some failures in its own words) the exception that ended it."""

    status: JobStatus
    message: str
    outcome: dict[str, Any] = field(default_factory=dict)
    upload_id: int | None = None
    cause: BaseException | None = None


def import_work(path: Path, source_kind: str, agency: str | None) -> dict[str, Any]:
    """An import job's ``work``: the file and what it is."""
    return {"path": str(path), "source_kind": source_kind, "agency": agency or ""}


def evidence_file(job: Job) -> EvidenceFile:
    work = job.work
    return EvidenceFile(
        Path(work["path"]), work["source_kind"], work.get("agency") or None, job.filename or None
    )


def _failed_import(exc: Exception) -> Ended:
    if isinstance(exc, EvidenceFileError):
        return Ended(JobStatus.FAILED, f"Nothing was loaded: {exc}", cause=exc)
    if database_down(exc):  # the transaction rolled back with the connection
        message = "Nothing was loaded: the database is not answering. Try again in a moment."
    else:
        message = f"Nothing was loaded: the import failed ({exc.__class__.__name__}: {exc})."
    return Ended(JobStatus.FAILED, message, cause=exc)


def _loaded(summary: ImportSummary, name: str) -> Ended:
    doc = summary.as_dict()
    return Ended(JobStatus.DONE, loaded_message(doc, name), doc, summary.upload_id)


async def _starter(job: Job) -> User | None:
    return await User.get_or_none(id=job.started_by_id) if job.started_by_id else None  # type: ignore[attr-defined]


async def run_import(job: Job, settings: Settings, report: Report) -> Ended:
    held = None
    if job.raw_path:
        held = await asyncio.to_thread(incoming.hold, Path(job.raw_path))
        if held is None:
            return Ended(
                JobStatus.FAILED,
                "Nothing was loaded: the uploaded file is no longer there. Upload it again.",
            )
    file = evidence_file(job)
    try:
        summary = await import_file(
            job.inspection_id,  # type: ignore[attr-defined]
            file.path,
            file.source_kind,
            file.agency,
            settings,
            uploaded_by=await _starter(job),
            progress=lambda stage, fraction: report(job.id, stage, fraction),
            filename=file.filename,
        )
    except Exception as exc:
        return _failed_import(exc)
    finally:
        if held is not None:  # loaded or refused, the raw file goes (a loaded one was copied)
            await asyncio.to_thread(held.release)
    return _loaded(summary, file.name)


async def run_linkage(job: Job, report: Report) -> Ended:
    from inspection.journey.linkage import link_inspection  # Splink: loaded when used

    report(job.id, "Linking records", 0.1)
    try:
        result = await link_inspection(job.inspection_id)  # type: ignore[attr-defined]
    except Exception as exc:
        return Ended(
            JobStatus.FAILED,
            f"Linkage did not finish ({exc.__class__.__name__}: {exc}). Run linkage again.",
            cause=exc,
        )
    counts = result.as_dict()
    return Ended(JobStatus.DONE, linked_message(counts), counts)


def sample_check_work(sample_id: int) -> dict[str, Any]:
    """A sample verification job's ``work``: the sample."""
    return {"sample_id": sample_id}


async def run_sample_check(job: Job, report: Report) -> Ended:
    from inspection.sampling import service

    report(job.id, "Drawing the sample again from its stored record", 0.2)
    try:
        verification = await service.verify(
            job.inspection_id,  # type: ignore[attr-defined]
            int(job.work["sample_id"]),
        )
    except Exception as exc:
        return Ended(
            JobStatus.FAILED,
            f"The sample could not be checked ({exc.__class__.__name__}: {exc}). Verify it again.",
            cause=exc,
        )
    if verification.purposive:
        message = (
            "Chosen on purpose: every tracked case records who chose the child, when and why."
            if verification.ok
            else "The tracked cases' record is incomplete."
        )
    else:
        message = (
            "Identical: a fresh draw from the stored record gives exactly this sample."
            if verification.ok
            else "This sample does not match its stored record."
        )
    return Ended(JobStatus.DONE, message, verification.as_dict())


async def run_export(job: Job, settings: Settings, report: Report) -> Ended:
    from inspection.audit.visibility import NotAMember
    from inspection.export import stored
    from inspection.export.offline import PackError

    export_format = stored.ExportFormat(job.work["format"])
    label = stored.FORMAT_LABELS[export_format]
    report(job.id, "Reading what you may see of the inspection", 0.1)
    try:
        made = await stored.make(
            job.inspection_id,  # type: ignore[attr-defined]
            job.work,
            await _starter(job),
        )
        report(job.id, "Writing the file", 0.9)
        await asyncio.to_thread(stored.keep, Path(job.work["file"]), made.data)
    except NotAMember:
        return Ended(
            JobStatus.FAILED,
            "The export was not made: you are no longer a member of this inspection.",
        )
    except PackError as exc:
        return Ended(JobStatus.FAILED, f"The offline audit pack was not made: {exc}", cause=exc)
    except Exception as exc:
        return Ended(
            JobStatus.FAILED,
            f"{label} could not be made ({exc.__class__.__name__}: {exc}). Make it again.",
            cause=exc,
        )
    outcome = {
        "filename": made.filename,
        "bytes": len(made.data),
        "entry": made.entry.as_dict(),
        "kept_until": time.time() + settings.export_keep_minutes * 60,
        **made.summary,
    }
    return Ended(JobStatus.DONE, f"{label} is ready to download.", outcome)


async def run_one(job: Job, settings: Settings, report: Report) -> Ended:
    if job.kind == JobKind.IMPORT:
        return await run_import(job, settings, report)
    if job.kind == JobKind.SAMPLE_CHECK:
        return await run_sample_check(job, report)
    if job.kind == JobKind.EXPORT:
        return await run_export(job, settings, report)
    return await run_linkage(job, report)


async def run_batch(
    jobs: Sequence[Job], settings: Settings, report: Report
) -> tuple[list[Ended], BaseException | None]:
    """Import the files of ``jobs`` (claimed, in order) together; how each ended, and what
    stopped the batch if something did (the files after it were not loaded)."""
    files = [evidence_file(job) for job in jobs]
    job_of = {id(file): job for file, job in zip(files, jobs, strict=True)}
    user = await _starter(jobs[0]) if jobs else None

    def progress(file: EvidenceFile, stage: str, fraction: float) -> None:
        report(job_of[id(file)].id, stage, fraction)

    try:
        outcomes = await import_files(
            jobs[0].inspection_id,  # type: ignore[attr-defined]
            files,
            settings,
            uploaded_by=user,
            progress=progress,
        )
    except BatchStopped as stopped:
        answered = [_answer(o, f.name) for o, f in zip(stopped.answered, files, strict=False)]
        cause = stopped.__cause__ or stopped
        here = _failed_import(cause) if isinstance(cause, Exception) else None
        rest = Ended(JobStatus.FAILED, "Nothing was loaded: loading had stopped before this file.")
        ended = [*answered, here or rest]
        ended += [rest] * (len(jobs) - len(ended))
        return ended, stopped
    except EvidenceFileError as exc:  # no such inspection
        return [_failed_import(exc)] * len(jobs), exc
    return [_answer(o, f.name) for o, f in zip(outcomes, files, strict=True)], None


def _answer(outcome: ImportSummary | EvidenceFileError, name: str) -> Ended:
    if isinstance(outcome, EvidenceFileError):
        return _failed_import(outcome)
    return _loaded(outcome, name)
