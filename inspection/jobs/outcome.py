"""A job's outcome in plain English: one wording for the progress fragment, the evidence page's
list of attempts and the command line."""

from __future__ import annotations

from typing import Any

from inspection.models import Job, JobStatus


def loaded_message(summary: dict[str, Any], name: str) -> str:
    """What the import of the file sent as ``name`` did, once finished."""
    if summary["status"] == "already_loaded":
        if summary["filename"] == name:
            return f"{name} is already loaded; nothing was changed."
        return (
            f"{name} is the same file as {summary['filename']}, already loaded; nothing was "
            "changed."
        )
    issues = summary.get("issues", {})
    return (
        f"{name} loaded: {_count(issues.get('error', 0), 'error')}, "
        f"{_count(issues.get('warning', 0), 'warning')}, {_count(issues.get('info', 0), 'note')}."
    )


def _count(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


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
