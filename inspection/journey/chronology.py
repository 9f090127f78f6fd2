"""The multi-agency chronology: the document practitioners write by hand, from the journey."""

from __future__ import annotations

import re
from typing import Any

from inspection.export.cells import csv_text
from inspection.journey import kinds
from inspection.journey.build import Journey, JourneyEvent

COLUMNS = ("date", "end_date", "agency", "what_happened", "source", "details")
HEADERS = ("Date", "End date", "Agency", "What happened", "Source", "Details")
_HIDDEN = {"original", "raw"}


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


def _detail_value(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return ", ".join(_detail_value(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')} {_detail_value(v)}" for k, v in value.items())
    text = str(value)
    iso = _ISO_DATE.match(text)
    if iso and len(text) in (10, 19) or iso and "T" in text[10:11]:
        return f"{iso.group(3)}/{iso.group(2)}/{iso.group(1)}"
    if _SLUG.match(text):
        return text.replace("_", " ").capitalize()
    return text


def detail_items(ev: JourneyEvent) -> list[tuple[str, str]]:
    """An event's recorded details as (label, words): the page and the chronology show these."""
    return [
        (key.replace("_", " ").capitalize(), _detail_value(value))
        for key, value in ev.details.items()
        if key not in _HIDDEN and value not in (None, "", [], {})
    ]


def _details_text(ev: JourneyEvent) -> str:
    parts = [f"{label}: {text}" for label, text in detail_items(ev)]
    if ev.team:
        parts.append(f"Team: {ev.team}")
    if ev.worker:
        parts.append(f"Worker: {ev.worker}")
    if ev.also_reported_by:
        parts.append("Also reported in " + ", ".join(ev.also_reported_by))
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
