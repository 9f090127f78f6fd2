"""A job's outcome in plain English: one wording for the progress fragment, the evidence page's
list of attempts and the command line."""

from __future__ import annotations

from typing import Any

from inspection.models import Job, JobStatus


def loaded_message(summary: dict[str, Any]) -> str:
    """What an import that finished did."""
    name = summary["filename"]
    if summary["status"] == "already_loaded":
        return f"{name} is the same file as one already loaded; nothing was changed."
    issues = summary.get("issues", {})
    return (
        f"{name} loaded: {issues.get('error', 0)} errors, {issues.get('warning', 0)} warnings, "
        f"{issues.get('info', 0)} notes."
    )


def linked_message(counts: dict[str, Any]) -> str:
    """What a linkage run that finished did."""
    pairs = counts["for_review"]
    return (
        f"{counts['records']} records are now {counts['children']} children: "
        f"{counts['deterministic_links']} joined by a shared identifier, {counts['auto_linked']} "
        f"joined automatically by match probability, {pairs} "
        f"pair{'' if pairs == 1 else 's'} waiting for a decision."
    )


def percent(job: Job) -> int:
    return round(job.fraction * 100)


def describe(job: Job) -> str:
    """The job's state or outcome, as a sentence."""
    if job.status == JobStatus.QUEUED:
        return "Waiting to start."
    if job.status == JobStatus.RUNNING:
        return f"{job.stage} ({percent(job)}%)."
    return job.message
