"""What an inspection holds so far: the figures on its overview page and ``--json`` output."""

from __future__ import annotations

from dataclasses import dataclass

from inspection.audit.visibility import Viewer, concerns_seen
from inspection.models import Audit, Child, Event, Sample, SourceRecord, Upload


@dataclass(frozen=True)
class Overview:
    uploads: int
    children: int
    source_records: int
    unlinked_records: int
    events: int
    samples: int
    audits_submitted: int
    open_concerns: int


async def inspection_overview(inspection_id: int, viewer: Viewer) -> Overview:
    """The figures, counting only the concerns ``viewer`` may open."""
    concerns = await concerns_seen(inspection_id, viewer)
    return Overview(
        uploads=await Upload.filter(inspection_id=inspection_id, status="loaded").count(),
        children=await Child.filter(inspection_id=inspection_id).count(),
        source_records=await SourceRecord.filter(inspection_id=inspection_id).count(),
        unlinked_records=await SourceRecord.filter(
            inspection_id=inspection_id, child_id__isnull=True
        ).count(),
        events=await Event.filter(inspection_id=inspection_id).count(),
        samples=await Sample.filter(inspection_id=inspection_id).count(),
        audits_submitted=await Audit.filter(
            inspection_id=inspection_id, status="submitted"
        ).count(),
        open_concerns=await concerns.filter(status="open").count(),
    )
