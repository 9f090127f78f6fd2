"""The journey drawn as lanes, one per agency: positions for a server-rendered SVG.

Only geometry and words live here; the template draws them. Help is drawn as bars (from start
to end, or to the reference date while open), everything else as markers; first need and first
help as vertical lines across every lane. Every mark links to its event in the list below the
timeline (``#event-N``, N the event's id, as the audit page links to it) and carries that event
in words.

A journey whose dates are far apart (one event fifty years before the rest) is not squeezed
into a few pixels: a stretch of more than ``GAP_YEARS`` years where nothing happens, and that is
at least a third of the whole, is cut out of the axis and drawn as a break (at most two). Year
labels are spaced at least ``TICK_SPACING`` pixels apart, every 1, 2, 5, 10, 20 or 50 years.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from inspection.journey import kinds
from inspection.journey.build import Journey

WIDTH = 960
LEFT = 170  # room for the agency names
RIGHT = 20
TOP = 36
LANE = 44
AXIS = 34
BREAK = 24  # the width of a break in the axis
MIN_SEGMENT = 80  # the narrowest a stretch of the axis is drawn
GAP_YEARS = 5
MAX_BREAKS = 2
TICK_SPACING = 44
TICK_STEPS = (1, 2, 5, 10, 20, 50, 100)
LABEL_WIDTH = 150  # about the width of "First sign of need 01/01/2020" at 12 px

COLOURS = {  # GOV.UK palette, chosen to be told apart in print too
    "help": "#00703c",
    "signal": "#d4351c",
    "process": "#1d70b8",
    "end": "#505a5f",
    "outcome": "#4c2c92",
    "practice": "#28a197",
    "life": "#0b0c0c",
}
# The legend: what each kind of mark means, in the order it is listed.
LEGEND = {
    "signal": "Sign of need (from any agency)",
    "process": "Step in the authority's response (assessment, enquiry, conference, review)",
    "help": "Help: early help or a plan, from its start to its end (or to the reference date)",
    "end": "Help ended",
    "outcome": "Outcome of care (placement, leaving care, adoption)",
    "practice": "Work with the child (visit, the child seen, review, health or dental check)",
    "life": "Expected birth or death",
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
    anchor: str = ""  # "event-N": the event's row in the list below


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
class Segment:
    """A stretch of the axis drawn to scale; segments are separated by breaks."""

    start: date
    end: date
    x1: float
    x2: float


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
    segments: list[Segment] = field(default_factory=list)
    breaks: list[float] = field(default_factory=list)  # the x of each break's middle
    legend: list[tuple[str, str, str]] = field(default_factory=list)  # category, colour, words
    marks: list[Mark] = field(default_factory=list)  # every lane's, in date order (tab order)
    need_label_x: float = 0.0
    need_label_anchor: str = "start"
    help_label_x: float = 0.0
    help_label_anchor: str = "start"


def _category(kind: str) -> str:
    if kind in kinds.HELP_KINDS:
        return "help"
    if kind in kinds.END_KINDS:
        return "end"
    if kind in kinds.OUTCOME_KINDS:
        return "outcome"
    if kind in kinds.PROCESS_KINDS:
        return "process"
    if kind in kinds.PRACTICE_KINDS:
        return "practice"
    if kind in kinds.LIFE_KINDS:
        return "life"
    return "signal"


def _year_start(day: date) -> date:
    return date(day.year, 1, 1)


def _year_end(day: date) -> date:
    return date(day.year, 12, 31) if day.month > 6 else date(day.year, 7, 1)


def _stretches(spans: list[tuple[date, date]]) -> list[tuple[date, date]]:
    """The stretches of time to draw: the whole, less its largest empty gaps (see above)."""
    merged: list[list[date]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    whole = (merged[-1][1] - merged[0][0]).days
    empty = [((merged[i + 1][0] - merged[i][1]).days, i) for i in range(len(merged) - 1)]
    gaps = sorted(
        ((days, i) for days, i in empty if days > GAP_YEARS * 365 and days * 3 >= whole),
        reverse=True,
    )[:MAX_BREAKS]
    cuts = sorted(i for _days, i in gaps)
    out: list[tuple[date, date]] = []
    begin = 0
    for i in [*cuts, len(merged) - 1]:
        out.append((_year_start(merged[begin][0]), _year_end(merged[i][1])))
        begin = i + 1
    return out


def _segments(stretches: list[tuple[date, date]]) -> list[Segment]:
    usable = WIDTH - LEFT - RIGHT - BREAK * (len(stretches) - 1)
    days = [max((b - a).days, 1) for a, b in stretches]
    # every stretch at least MIN_SEGMENT wide, the rest shared by length
    widths = [float(MIN_SEGMENT)] * len(days)
    spare = usable - MIN_SEGMENT * len(days)
    total = sum(days)
    widths = [w + spare * d / total for w, d in zip(widths, days, strict=True)]
    out: list[Segment] = []
    x = float(LEFT)
    for (a, b), w in zip(stretches, widths, strict=True):
        out.append(Segment(a, b, round(x, 1), round(x + w, 1)))
        x += w + BREAK
    return out


def _x_of(segments: list[Segment], day: date) -> float:
    for seg in segments:
        if day <= seg.end or seg is segments[-1]:
            day = max(day, seg.start)
            span = max((seg.end - seg.start).days, 1)
            return round(seg.x1 + (seg.x2 - seg.x1) * (day - seg.start).days / span, 1)
    raise AssertionError("no segment")  # pragma: no cover - segments is never empty


def _ticks(segments: list[Segment]) -> list[Tick]:
    ticks: list[Tick] = []
    for seg in segments:
        years = max((seg.end - seg.start).days / 365.25, 1 / 12)
        per_year = (seg.x2 - seg.x1) / years
        step = next((s for s in TICK_STEPS if s * per_year >= TICK_SPACING), TICK_STEPS[-1])
        before = len(ticks)
        year = seg.start.year
        while date(year, 1, 1) <= seg.end:
            x = _x_of([seg], date(year, 1, 1))
            if year % step == 0 and (not ticks or x - ticks[-1].x >= TICK_SPACING):
                ticks.append(Tick(x=x, label=str(year)))
            year += 1
        if len(ticks) == before and (not ticks or seg.x1 - ticks[-1].x >= TICK_SPACING):
            ticks.append(Tick(x=seg.x1, label=str(seg.start.year)))  # every stretch names a year
    return ticks


def _label_place(x: float) -> tuple[float, str]:
    """Where a line's label goes: after the line, or before it near the right edge."""
    if x + LABEL_WIDTH > WIDTH - RIGHT:
        return x - 3, "end"
    return x + 3, "start"


def timeline_for(journey: Journey) -> Timeline:
    events = journey.events
    lanes_order = journey.agencies
    height = TOP + LANE * max(len(lanes_order), 1) + AXIS
    if not events:
        return Timeline(WIDTH, height, LEFT, WIDTH - RIGHT, [], [], None, None, None, None)
    last = max([e.start for e in events] + [e.end for e in events if e.end])
    open_until = max(last, journey.reference_date or last)
    spans = [
        (
            e.start,
            max(e.end or (open_until if _category(e.kind) == "help" else e.start), e.start),
        )
        for e in events
    ]
    if journey.reference_date:
        spans.append((journey.reference_date, journey.reference_date))
    segments = _segments(_stretches(spans))

    lanes = [
        Lane(agency=a, label=kinds.agency_label(a), y=TOP + LANE * i + LANE / 2)
        for i, a in enumerate(lanes_order)
    ]
    by_agency = {lane.agency: lane for lane in lanes}
    shown: set[str] = set()
    marks: list[Mark] = []
    for ev in events:
        lane = by_agency[ev.agency]
        category = _category(ev.kind)
        shown.add(category)
        x = _x_of(segments, ev.start)
        width = 0.0
        if category == "help":
            finish = ev.end or max(open_until, ev.start)
            width = max(round(_x_of(segments, finish) - x, 1), 3.0)
        when = ev.start.strftime("%d/%m/%Y")
        if ev.end:
            when += " to " + ev.end.strftime("%d/%m/%Y")
        mark = Mark(
            x=x,
            y=lane.y,
            width=width,
            kind=ev.kind,
            category=category,
            colour=COLOURS[category],
            title=f"{when}: {ev.label} ({ev.agency_label})",
            event_id=ev.id,
            anchor=f"event-{ev.id}",
        )
        lane.marks.append(mark)
        marks.append(mark)
    need_x = _x_of(segments, journey.first_need) if journey.first_need else None
    help_x = _x_of(segments, journey.first_help) if journey.first_help else None
    need_label = _label_place(need_x) if need_x is not None else (0.0, "start")
    help_label = _label_place(help_x) if help_x is not None else (0.0, "start")
    return Timeline(
        width=WIDTH,
        height=height,
        left=LEFT,
        right_edge=WIDTH - RIGHT,
        lanes=lanes,
        ticks=_ticks(segments),
        need_x=need_x,
        help_x=help_x,
        start=segments[0].start,
        end=segments[-1].end,
        segments=segments,
        breaks=[round(s.x2 + BREAK / 2, 1) for s in segments[:-1]],
        legend=[(c, COLOURS[c], words) for c, words in LEGEND.items() if c in shown],
        marks=marks,
        need_label_x=need_label[0],
        need_label_anchor=need_label[1],
        help_label_x=help_label[0],
        help_label_anchor=help_label[1],
    )
