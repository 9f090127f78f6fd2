"""The multi-agency chronology: the document practitioners write by hand, from the journey."""

from __future__ import annotations

from typing import Any

from inspection.export.cells import csv_text
from inspection.journey import kinds
from inspection.journey.build import Journey, JourneyEvent

COLUMNS = ("date", "end_date", "agency", "what_happened", "source", "details")
HEADERS = ("Date", "End date", "Agency", "What happened", "Source", "Details")
_HIDDEN = {"original", "raw"}


def _details_text(ev: JourneyEvent) -> str:
    parts = []
    for key, value in ev.details.items():
        if key in _HIDDEN or value in (None, "", [], {}):
            continue
        parts.append(f"{key.replace('_', ' ')}: {value}")
    if ev.team:
        parts.append(f"team: {ev.team}")
    if ev.worker:
        parts.append(f"worker: {ev.worker}")
    if ev.also_reported_by:
        parts.append("also reported in " + ", ".join(ev.also_reported_by))
    return "; ".join(parts)


def _source(ev: JourneyEvent) -> str:
    where = ev.source_file
    if ev.source_sheet:
        where += f", {ev.source_sheet}"
    if ev.source_row is not None:
        where += f", row {ev.source_row}"
    return where


def chronology_rows(journey: Journey) -> list[dict[str, Any]]:
    """One row per event, in order: date, end date, agency, what happened, source, details."""
    rows = []
    need_marked = help_marked = False
    for ev in journey.events:
        what = ev.label
        if not need_marked and ev.start == journey.first_need and kinds.is_need(ev.kind):
            what += " (first sign of need)"
            need_marked = True
        if not help_marked and ev.start == journey.first_help and ev.kind in kinds.HELP_KINDS:
            what += " (help started)"
            help_marked = True
        rows.append(
            {
                "date": ev.start,
                "end_date": ev.end,
                "agency": ev.agency_label,
                "what_happened": what,
                "source": _source(ev),
                "details": _details_text(ev),
            }
        )
    return rows


def chronology_csv(journey: Journey) -> str:
    """The chronology as CSV (dates DD/MM/YYYY), through the one neutralising writer: agency
    names, sources and details come from uploaded files and are never formulas."""
    return csv_text(
        [
            HEADERS,
            *(
                [
                    row["date"].strftime("%d/%m/%Y"),
                    row["end_date"].strftime("%d/%m/%Y") if row["end_date"] else "",
                    row["agency"],
                    row["what_happened"],
                    row["source"],
                    row["details"],
                ]
                for row in chronology_rows(journey)
            ),
        ]
    )
