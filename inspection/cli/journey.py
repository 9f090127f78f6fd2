"""``inspection journey show --inspection ID --child LA_CHILD_ID``: one child's journey."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.journey import consistency, recorded
from inspection.journey.indicators import LABELS as INDICATOR_LABELS
from inspection.journey.indicators import hint
from inspection.journey.kinds import agency_label
from inspection.journey.person_ids import ChildIdentifiers, child_identifiers
from inspection.models import Child, Inspection


def register(sub: argparse._SubParsersAction) -> None:
    journey = sub.add_parser("journey", help="children's journeys")
    jsub = journey.add_subparsers(dest="journey_command", metavar="ACTION", required=True)
    show = jsub.add_parser("show", help="one child's journey, from first need to help")
    show.add_argument("--inspection", required=True, type=int)
    show.add_argument("--child", required=True, help="the local authority's child id")
    add_json_flag(show)
    show.set_defaults(handler=_show)


def journey_document(
    journey: Any, indicators: dict[str, Any], identifiers: ChildIdentifiers | None = None
) -> dict[str, Any]:
    child = journey.child
    return {
        "child": {
            "id": child.id,
            "la_child_id": child.la_child_id,
            "given_name": child.given_name,
            "family_name": child.family_name,
            "dob": child.dob,
            "death_date": child.death_date,
            "sex": child.sex,
        },
        "identifiers": identifiers.as_dict() if identifiers else {"held": [], "upn_unknown": ""},
        "first_need": journey.first_need,
        "first_help": journey.first_help,
        "events": [
            {
                "date": e.start,
                "end_date": e.end,
                "agency": e.agency,
                "kind": e.kind,
                "what_happened": e.label,
                "source_file": e.source_file,
                "source_sheet": e.source_sheet,
                "source_row": e.source_row,
                "details": e.details,
                "detail_lines": [f"{label}: {text}" for label, text in e.detail_lines],
                "recorded_by": e.recorded_by,
                "also_reported_by": e.also_reported_by,
            }
            for e in journey.events
        ],
        "episodes": [
            {
                "number": ep.number,
                "need_start": ep.need_start,
                "help_start": ep.help_start,
                "help_end": ep.help_end,
                "help": ep.help_kinds,
                "signals": ep.signals,
                "agencies": ep.agencies,
            }
            for ep in journey.episodes
        ],
        "indicators": indicators,
        "recorded_differences": recorded.differences(journey.events),
        "inconsistencies": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "disagreement": f.disagreement,
            }
            for f in consistency.check(journey)
        ],
    }


def _day(value: date | None) -> str:
    """A date as people read it here: dd/mm/yyyy (the JSON keeps ISO dates for machines)."""
    return value.strftime("%d/%m/%Y") if value else ""


def _words(value: Any) -> str:
    if value is None:
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(value)


def _show(args: argparse.Namespace) -> int:
    async def work() -> tuple[dict[str, Any], ChildIdentifiers]:
        from inspection.journey.build import journey_for_child
        from inspection.journey.indicators import for_journey

        if not await Inspection.exists(id=args.inspection):
            raise BadInput(f"There is no inspection {args.inspection}.")
        child = await Child.get_or_none(inspection_id=args.inspection, la_child_id=args.child)
        if child is None:
            raise BadInput(f"Inspection {args.inspection} has no child with id {args.child}.")
        journey = await journey_for_child(args.inspection, child.id)
        held = await child_identifiers(args.inspection, child.id)
        return journey_document(journey, for_journey(journey), held), held

    doc, held = run_with_db(work)

    emit(args, doc, lambda: journey_text(doc, held))
    return 0


def journey_text(doc: dict[str, Any], held: ChildIdentifiers | None = None) -> str:
    """The journey as ``inspection journey show`` prints it: dates dd/mm/yyyy, codes by their
    labels (each event's ``detail_lines``), flags as words; ``held``: the child's identifiers
    (``journey.person_ids``), listed under the first line."""
    child = doc["child"]["la_child_id"] or doc["child"]["id"]
    lines = [
        f"Child {child}: first need {_day(doc['first_need']) or 'none recorded'}, "
        f"help started {_day(doc['first_help']) or 'not yet'}."
    ]
    if doc["child"]["death_date"]:
        lines.insert(0, f"This child died on {_day(doc['child']['death_date'])}.")
    if held is not None and held.lines():
        lines.append("Identifiers:")
        lines += [f"  {line}" for line in held.lines()]
    for e in doc["events"]:
        end = f" to {_day(e['end_date'])}" if e["end_date"] else ""
        lines.append(
            f"{_day(e['date'])}{end}  {agency_label(e['agency'])}: {e['what_happened']}  "
            f"[{e['recorded_by']}]"
        )
        lines += [f"    {line}" for line in e["detail_lines"]]
    disagree = [f for f in doc["inconsistencies"] if f["disagreement"]]
    if disagree:
        lines.append("Records that do not agree:")
        lines += [f"  {f['message']}" for f in disagree]
    twice = [f for f in doc["inconsistencies"] if not f["disagreement"]]
    if twice:
        lines.append("Recorded by more than one source, shown once:")
        lines += [f"  {f['message']}" for f in twice]
    lines.append("Indicators:")
    lines += [
        f"  {INDICATOR_LABELS.get(k, k)}: {_words(v)}"
        + (f" ({hint(k)[:1].lower()}{hint(k)[1:-1]})" if hint(k) else "")
        for k, v in doc["indicators"].items()
    ]
    lines += [f"  {sentence}" for sentence in doc["recorded_differences"]]
    return "\n".join(lines)
