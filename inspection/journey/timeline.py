"""The journey drawn as lanes, one per agency: positions for a server-rendered SVG.

Only geometry lives here; the template draws it. Help is drawn as bars (from start to end, or
to the reference date while open), everything else as markers; first need and first help as
vertical lines across every lane.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from inspection.journey import kinds
from inspection.journey.build import Journey

WIDTH = 960
LEFT = 170  # room for the agency names
RIGHT = 20
TOP = 30
LANE = 44
AXIS = 34

COLOURS = {  # GOV.UK palette, chosen to be told apart in print too
    "help": "#00703c",
    "signal": "#d4351c",
    "process": "#1d70b8",
    "end": "#505a5f",
    "outcome": "#4c2c92",
}


@dataclass
class Mark:
    x: float
    y: float
    width: float
    kind: str
    category: str
    colour: str
    title: str
    event_id: int


@dataclass
class Lane:
    agency: str
    label: str
    y: float
    marks: list[Mark] = field(default_factory=list)


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    width: int
    height: int
    left: int
    right_edge: int
    lanes: list[Lane]
    ticks: list[Tick]
    need_x: float | None
    help_x: float | None
    start: date | None
    end: date | None


def _category(kind: str) -> str:
    if kind in kinds.HELP_KINDS:
        return "help"
    if kind in kinds.END_KINDS:
        return "end"
    if kind in kinds.OUTCOME_KINDS:
        return "outcome"
    if kind in kinds.PROCESS_KINDS:
        return "process"
    return "signal"


def timeline_for(journey: Journey) -> Timeline:
    events = journey.events
    lanes_order = journey.agencies
    height = TOP + LANE * max(len(lanes_order), 1) + AXIS
    if not events:
        return Timeline(WIDTH, height, LEFT, WIDTH - RIGHT, [], [], None, None, None, None)
    start = min(e.start for e in events)
    last = max(max(e.start for e in events), max((e.end for e in events if e.end), default=start))
    end = max(last, journey.reference_date or last)
    start = date(start.year, 1, 1)
    end = date(end.year, 12, 31) if end.month > 6 else date(end.year, 7, 1)
    span = max((end - start).days, 1)
    usable = WIDTH - LEFT - RIGHT

    def x_of(day: date) -> float:
        return round(LEFT + usable * (day - start).days / span, 1)

    lanes = [
        Lane(agency=a, label=kinds.agency_label(a), y=TOP + LANE * i + LANE / 2)
        for i, a in enumerate(lanes_order)
    ]
    by_agency = {lane.agency: lane for lane in lanes}
    open_until = journey.reference_date or end
    for ev in events:
        lane = by_agency[ev.agency]
        category = _category(ev.kind)
        x = x_of(ev.start)
        width = 0.0
        if category == "help":
            finish = ev.end or max(open_until, ev.start)
            width = max(round(x_of(finish) - x, 1), 3.0)
        when = ev.start.strftime("%d/%m/%Y")
        if ev.end:
            when += " to " + ev.end.strftime("%d/%m/%Y")
        lane.marks.append(
            Mark(
                x=x,
                y=lane.y,
                width=width,
                kind=ev.kind,
                category=category,
                colour=COLOURS[category],
                title=f"{when}: {ev.label}",
                event_id=ev.id,
            )
        )
    ticks = []
    year = start.year
    while date(year, 1, 1) <= end:
        if date(year, 1, 1) >= start:
            ticks.append(Tick(x=x_of(date(year, 1, 1)), label=str(year)))
        year += 1
    if len(ticks) > 12:  # long journeys: every other year
        ticks = ticks[::2]
    return Timeline(
        width=WIDTH,
        height=height,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        lanes=lanes,
        ticks=ticks,
        need_x=x_of(journey.first_need) if journey.first_need else None,
        help_x=x_of(journey.first_help) if journey.first_help else None,
        start=start,
        end=end - timedelta(days=0),
    )
