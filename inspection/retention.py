"""Retention: purging an inspection's child-level data once its retention period has passed.

What stays: the inspection, its samples' design (seed, method, hashes), the audits' grades and
the agreement figures, so findings can still be reproduced as figures; and an access-log entry
recording the purge, who asked for it, the title they typed, their reason and what was
removed. What goes: children, every source record and event, link decisions,
validation issues' original values, every file that holds child data (the raw uploads kept
under ``uploads/<inspection>/``, the stored files the uploads name, and any upload waiting in
``incoming/<inspection>/`` and any export kept for its maker under ``exports/<inspection>/``),
evidence, feedback, moderation and concern text, the written
judgement (who wrote it and when stay), and the audits'
saved revisions.

A purge is asked for deliberately: the admin types the inspection's title and gives a reason
(``confirmation_errors``). It is refused before the retention period ends, after a purge, and
while one of the inspection's uploads is being imported.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from inspection.evidence import incoming
from inspection.export import stored
from inspection.models import (
    AccessLog,
    Action,
    Audit,
    AuditRevision,
    Child,
    Concern,
    Conversation,
    Event,
    Inspection,
    LinkDecision,
    Moderation,
    PersonIdentifier,
    Sample,
    SampleMember,
    Score,
    SourceRecord,
    Upload,
    User,
    ValidationIssue,
)

REASON_MAX = 200


class RetentionError(ValueError):
    pass


@dataclass(frozen=True)
class PurgeReport:
    """What a purge removes (or removed), by kind."""

    inspection_id: int
    children: int
    records: int
    events: int
    link_decisions: int
    files: int
    concerns: int

    def removed(self) -> list[str]:
        """Each kind removed, in words (``3 children``), for the page and the access log."""
        kinds = [
            (self.children, "child", "children"),
            (self.records, "agency record", "agency records"),
            (self.events, "event", "events"),
            (self.link_decisions, "link decision", "link decisions"),
            (self.files, "file of uploaded evidence", "files of uploaded evidence"),
            (self.concerns, "concern's text", "concerns' text"),
        ]
        return [f"{n:,} {one if n == 1 else many}" for n, one, many in kinds]

    def sentence(self) -> str:
        words = self.removed()
        return "Removed " + ", ".join(words[:-1]) + " and " + words[-1] + "."


def purge_due(inspection: Inspection, retention_days: int) -> date:
    """The first day on which the inspection's child data may be purged."""
    return inspection.reference_date + timedelta(days=retention_days)


def purge_refusal(inspection: Inspection, retention_days: int, today: date | None = None) -> str:
    """Why the inspection may not be purged today (already purged, or its retention period
    has not passed); empty when it may."""
    if inspection.purged_at is not None:
        return f"The child data of this inspection was purged on {inspection.purged_at:%d/%m/%Y}."
    due = purge_due(inspection, retention_days)
    if (today or datetime.now(UTC).date()) < due:
        return (
            f"The child data of this inspection may be purged from {due:%d/%m/%Y}, "
            f"{retention_days} days after its reference date."
        )
    return ""


def purge_allowed(inspection: Inspection, retention_days: int, today: date | None = None) -> bool:
    """Whether the inspection may be purged today."""
    return not purge_refusal(inspection, retention_days, today)


def _same_title(typed: str, title: str) -> bool:
    def squeeze(text: str) -> str:
        return re.sub(r"\s+", " ", text).strip().casefold()

    return squeeze(typed) == squeeze(title)


def confirmation_errors(inspection: Inspection, typed_title: str, reason: str) -> dict[str, str]:
    """What is wrong with a confirmation, by field (``title``, ``reason``); empty when none.

    The title must be the inspection's (spaces and capitals aside) and the reason given.
    """
    errors = {}
    if not typed_title.strip():
        errors["title"] = "Enter the inspection's title to confirm the purge."
    elif not _same_title(typed_title, inspection.title):
        errors["title"] = "The title you entered is not this inspection's title."
    if not reason.strip():
        errors["reason"] = "Enter the reason for purging the child data."
    elif len(reason.strip()) > REASON_MAX:
        errors["reason"] = f"The reason must be {REASON_MAX} characters or fewer."
    return errors


def _stored_files(data_dir: Path, inspection_id: int, named: list[str]) -> list[Path]:
    """Every file of the inspection that holds child data, each once."""
    found: dict[Path, None] = {}
    folder = data_dir / "uploads" / str(inspection_id)
    if folder.is_dir():
        found.update((p, None) for p in folder.rglob("*") if p.is_file())
    found.update((Path(p), None) for p in named if p and Path(p).is_file())
    return list(found)


def _waiting_files(data_dir: Path, inspection_id: int) -> list[Path]:
    """Uploads waiting to be imported and exports kept for their maker (blocking I/O)."""
    return incoming.files_of(data_dir, inspection_id) + stored.files_of(data_dir, inspection_id)


async def _named_files(inspection_id: int) -> list[str]:
    paths = await Upload.filter(inspection_id=inspection_id).values_list("stored_path", flat=True)
    return [str(p) for p in paths if p]


async def purge_preview(inspection_id: int, data_dir: Path) -> PurgeReport:
    """What purging the inspection now would remove."""
    named = await _named_files(inspection_id)
    files = await asyncio.to_thread(_stored_files, data_dir, inspection_id, named)
    waiting = await asyncio.to_thread(_waiting_files, data_dir, inspection_id)
    return PurgeReport(
        inspection_id=inspection_id,
        children=await Child.filter(inspection_id=inspection_id).count(),
        records=await SourceRecord.filter(inspection_id=inspection_id).count(),
        events=await Event.filter(inspection_id=inspection_id).count(),
        link_decisions=await LinkDecision.filter(inspection_id=inspection_id).count(),
        files=len(files) + len(waiting),
        concerns=await Concern.filter(inspection_id=inspection_id).count(),
    )


async def purge_inspection(
    inspection_id: int,
    by: User,
    retention_days: int,
    data_dir: Path,
    *,
    typed_title: str,
    reason: str,
    ip: str = "",
    today: date | None = None,
) -> PurgeReport:
    """Purge the inspection's child data (see the module's docstring); what was removed."""
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise RetentionError(f"There is no inspection {inspection_id}.")
    refusal = purge_refusal(inspection, retention_days, today)
    if refusal:
        raise RetentionError(refusal)
    errors = confirmation_errors(inspection, typed_title, reason)
    if errors:
        raise RetentionError(" ".join(errors.values()))
    if await asyncio.to_thread(incoming.held, data_dir, inspection_id):
        raise RetentionError(
            "An upload is being imported into this inspection. Purge once it has finished."
        )
    named = await _named_files(inspection_id)
    files = await asyncio.to_thread(_stored_files, data_dir, inspection_id, named)
    waiting = await asyncio.to_thread(_waiting_files, data_dir, inspection_id)
    async with in_transaction():
        children = await Child.filter(inspection_id=inspection_id).count()
        concerns = await Concern.filter(inspection_id=inspection_id)
        events = await Event.filter(inspection_id=inspection_id).delete()
        decisions = await LinkDecision.filter(inspection_id=inspection_id).delete()
        await PersonIdentifier.filter(inspection_id=inspection_id).delete()
        records = await SourceRecord.filter(inspection_id=inspection_id).delete()
        await SampleMember.filter(inspection_id=inspection_id).update(child_id=None)
        await Sample.filter(inspection_id=inspection_id).update(population_ids=[])
        await Conversation.filter(inspection_id=inspection_id).delete()
        await Audit.filter(inspection_id=inspection_id).update(
            child_id=None,
            strengths="",
            improvements="",
            overall_reason="",
            practitioner_reflection="",
            learning_conversation="",
        )
        await Score.filter(inspection_id=inspection_id).update(
            evidence="", cited_events=[], cited_conversations=[]
        )
        await AuditRevision.filter(inspection_id=inspection_id).delete()
        await Moderation.filter(inspection_id=inspection_id).update(reason="")
        # An action's owner, dates and status stay; what was written about the child goes (a
        # child's re-audit record goes with the child).
        await Action.filter(inspection_id=inspection_id).update(
            what="(purged)", evidence="", drop_reason=""
        )
        for concern in concerns:
            # Who did what and when stays; what they wrote goes.
            await Concern.filter(id=concern.id).update(
                child_id=None,
                text="(purged)",
                response="(purged)",
                actions=[{k: v for k, v in a.items() if k != "text"} for a in concern.actions],
            )
        await ValidationIssue.filter(inspection_id=inspection_id).update(value="")
        await Upload.filter(inspection_id=inspection_id).update(stored_path="")
        await Child.filter(inspection_id=inspection_id).delete()
        inspection.purged_at = datetime.now(UTC)
        inspection.status = "purged"
        if inspection.judgement:  # it may name children; who wrote it and when stay
            inspection.judgement = "(purged)"
        await inspection.save(update_fields=["purged_at", "status", "judgement"])
        report = PurgeReport(
            inspection_id=inspection_id,
            children=children,
            records=records,
            events=events,
            link_decisions=decisions,
            files=len(files) + len(waiting),
            concerns=len(concerns),
        )
        await AccessLog.create(
            user=by,
            user_email=by.email,
            inspection_id=inspection_id,
            action="purge",
            object_type="inspection",
            object_id=str(inspection_id),
            ip=ip,
            detail=(
                f"{report.sentence()} Reason: {reason.strip()} Title typed: {typed_title.strip()}"
            )[:500],
        )
    await asyncio.to_thread(_remove_files, data_dir, inspection_id, files)
    return report


def _remove_files(data_dir: Path, inspection_id: int, files: list[Path]) -> None:
    for path in files:
        path.unlink(missing_ok=True)
    shutil.rmtree(data_dir / "uploads" / str(inspection_id), ignore_errors=True)
    incoming.remove_for_inspection(data_dir, inspection_id)
    stored.remove_for_inspection(data_dir, inspection_id)


async def sweep_purged(data_dir: Path) -> int:
    """Remove any file still kept for an inspection that was purged (an upload that finished
    loading just after the purge, a file that could not be removed at the time); the number
    removed."""
    rows = await Inspection.filter(purged_at__isnull=False).values_list("id", flat=True)
    purged = [int(str(i)) for i in rows]

    def remove() -> int:
        removed = 0
        for inspection_id in purged:
            files = _stored_files(data_dir, inspection_id, [])
            files += _waiting_files(data_dir, inspection_id)
            _remove_files(data_dir, inspection_id, files)
            removed += len(files)
        return removed

    return await asyncio.to_thread(remove)
