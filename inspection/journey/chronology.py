"""The multi-agency chronology: the document practitioners write by hand, from the journey."""

from __future__ import annotations

from typing import Any

from inspection.export.cells import csv_text
from inspection.journey import details, kinds
from inspection.journey.build import Journey, JourneyEvent

COLUMNS = ("date", "end_date", "agency", "what_happened", "source", "details")
HEADERS = ("Date", "End date", "Agency", "What happened", "Source", "Details")


def _details_text(ev: JourneyEvent) -> str:
    return details.sentence(ev.detail_lines)


def _source(ev: JourneyEvent) -> str:
    if len(ev.recordings) < 2:
        return ev.recordings[0].place if ev.recordings else ev.source_file
    places = "; ".join(r.place for r in ev.recordings)
    if not ev.recorded_twice:  # one source's rows (a file loaded twice)
        return places
    return f"Recorded in: {ev.recorded_by} ({places})"


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
