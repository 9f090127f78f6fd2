"""Retention: purging an inspection's child-level data once its retention period has passed.

What stays: the inspection, its samples' design (seed, method, hashes), the audits' grades and
the agreement figures, so findings can still be reproduced as figures; and an access-log entry
recording the purge. What goes: children, every source record, identifier and event, link
decisions, validation issues' original values, the raw uploaded files, evidence text, feedback
text and concern text.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tortoise.transactions import in_transaction

from inspection.models import (
    AccessLog,
    Audit,
    Child,
    Concern,
    Event,
    Identifier,
    Inspection,
    LinkDecision,
    Sample,
    SampleMember,
    Score,
    SourceRecord,
    Upload,
    User,
    ValidationIssue,
)


class RetentionError(ValueError):
    pass


@dataclass(frozen=True)
class PurgeReport:
    inspection_id: int
    children: int
    records: int
    events: int
    files: int


def purge_due(inspection: Inspection, retention_days: int, today: date | None = None) -> date:
    """The first day on which the inspection's child data may be purged."""
    return inspection.reference_date + timedelta(days=retention_days)


async def purge_inspection(
    inspection_id: int, by: User, retention_days: int, ip: str = "", today: date | None = None
) -> PurgeReport:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise RetentionError(f"There is no inspection {inspection_id}.")
    if inspection.purged_at is not None:
        raise RetentionError(f"Inspection {inspection_id} was already purged.")
    today = today or datetime.now(UTC).date()
    due = purge_due(inspection, retention_days, today)
    if today < due:
        raise RetentionError(
            f"Inspection {inspection_id} may not be purged before {due:%d/%m/%Y} "
            f"({retention_days} days after its reference date)."
        )
    uploads = [
        str(path)
        for path in await Upload.filter(inspection_id=inspection_id).values_list(
            "stored_path", flat=True
        )
    ]
    async with in_transaction():
        children = await Child.filter(inspection_id=inspection_id).count()
        events = await Event.filter(inspection_id=inspection_id).delete()
        await Identifier.filter(inspection_id=inspection_id).delete()
        await LinkDecision.filter(inspection_id=inspection_id).delete()
        records = await SourceRecord.filter(inspection_id=inspection_id).delete()
        await SampleMember.filter(inspection_id=inspection_id).update(child_id=None)
        await Sample.filter(inspection_id=inspection_id).update(population_ids=[])
        await Audit.filter(inspection_id=inspection_id).update(
            child_id=None, strengths="", improvements="", overall_reason=""
        )
        await Score.filter(inspection_id=inspection_id).update(evidence="", cited_events=[])
        await Concern.filter(inspection_id=inspection_id).update(
            child_id=None, text="(purged)", response="(purged)"
        )
        await ValidationIssue.filter(inspection_id=inspection_id).update(value="")
        await Upload.filter(inspection_id=inspection_id).update(stored_path="")
        await Child.filter(inspection_id=inspection_id).delete()
        inspection.purged_at = datetime.now(UTC)
        inspection.status = "purged"
        await inspection.save(update_fields=["purged_at", "status"])
        await AccessLog.create(
            user=by,
            user_email=by.email,
            inspection_id=inspection_id,
            action="purge",
            object_type="inspection",
            object_id=str(inspection_id),
            ip=ip,
            detail=f"children={children} records={records} events={events}",
        )
    files = await asyncio.to_thread(_remove_files, uploads)
    return PurgeReport(inspection_id, children, records, events, files)


def _remove_files(paths: list[str]) -> int:
    removed = 0
    for stored in paths:
        if stored and Path(stored).exists():
            Path(stored).unlink()
            removed += 1
    return removed
