"""The journey drawn as lanes, one per agency: positions for a server-rendered SVG.

Only geometry and words live here; the template draws them. Help is drawn as bars (from start
to end, or to the reference date while open), everything else as markers; first need and first
help as vertical lines across every lane. Every mark links to its event in the list below the
timeline (``#event-N``, N the event's id, as the audit page links to it) and carries that event
in words.

By default the axis spans the child's own events (``shown_period``): an event dated long
before the child was born, or far from the rest (beyond a stretch of more than ``GAP_YEARS``
years where nothing happens, on the side with fewer events), is left off the axis and counted
in a label at that end, "1 earlier event, outside the shown period (03/05/1966)". The whole
span is one link away (``whole=True``, the page's ``?timeline=whole``): there a stretch of more
than ``GAP_YEARS`` empty years that is at least a third of the whole is cut out of the axis and
drawn as a break (at most two). Year labels are spaced at least ``TICK_SPACING`` pixels apart,
every 1, 2, 5, 10, 20 or 50 years; the other labels are given rows (``stack``) so that no two
overlap. Two layouts share the geometry: ``WIDE`` for a screen or a page, ``NARROW`` for a
phone (lane names above their lane instead of beside it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from inspection.journey import kinds
from inspection.journey.build import Journey, JourneyEvent
from inspection.journey.consistency import BEFORE_BIRTH  # as rule PL01 counts it


@dataclass(frozen=True)
class Layout:
    """The sizes of one drawing of the timeline, in its own pixels (the SVG's viewBox)."""

    name: str
    width: int
    left: int  # where the axis starts: room for the agency names, or none when above
    right: int
    lane: int  # a lane's height
    names_above: bool  # agency names above their lane (narrow) or beside it (wide)
    min_segment: int  # the narrowest a stretch of the axis is drawn


WIDE = Layout("wide", 960, 170, 20, 44, False, 80)
NARROW = Layout("narrow", 360, 10, 12, 58, True, 40)
LABEL_ROW = 14  # the height of a row of 12 px labels
BREAK = 24  # the width of a break in the axis
GAP_YEARS = 5
MAX_BREAKS = 2
TICK_SPACING = 44
TICK_STEPS = (1, 2, 5, 10, 20, 50, 100)
FONT = 12
CHAR_WIDTH = 0.6 * FONT  # a generous average width of a 12 px Arial character

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
class Label:
    """A line of text on the timeline: where it is, which way it runs from ``x``."""

    x: float
    y: float
    text: str
    anchor: str = "start"  # "start": it runs right from x; "end": it ends at x
    colour: str = "#0b0c0c"

    @property
    def span(self) -> tuple[float, float]:
        width = len(self.text) * CHAR_WIDTH
        return (self.x, self.x + width) if self.anchor == "start" else (self.x - width, self.x)


@dataclass
class Segment:
    """A stretch of the axis drawn to scale; segments are separated by breaks."""

    start: date
    end: date
    x1: float
    x2: float


@dataclass
class Period:
    """The time the axis shows, and the events left off it (the whole span shows them all)."""

    start: date
    end: date
    before: list[JourneyEvent] = field(default_factory=list)
    after: list[JourneyEvent] = field(default_factory=list)

    @property
    def outside(self) -> int:
        return len(self.before) + len(self.after)


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
    labels: list[Label] = field(default_factory=list)  # first need, help, outside the period
    layout: Layout = WIDE
    whole: bool = False  # the whole span (True) or the child's events (the default)
    outside: int = 0  # events left off the axis (none on the whole span)
    axis_y: float = 0.0  # where the year labels are
    lanes_top: float = 0.0
    lanes_bottom: float = 0.0
    whole_start: date | None = None  # the whole span, for the link that shows it
    whole_end: date | None = None


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


def stack(labels: list[Label], gap: float = 6.0) -> list[int]:
    """A row for each label, in order: the first row where it overlaps no label already there
    (``gap`` pixels apart at least)."""
    rows: list[list[tuple[float, float]]] = []
    out: list[int] = []
    for label in labels:
        a, b = label.span
        for i, taken in enumerate(rows):
            if all(b + gap <= c or d + gap <= a for c, d in taken):
                taken.append((a, b))
                out.append(i)
                break
        else:
            rows.append([(a, b)])
            out.append(len(rows) - 1)
    return out


def _spans(
    journey: Journey, events: list[JourneyEvent], open_until: date | None = None
) -> list[tuple[date, date]]:
    """Each event's stretch of time: help to its end, or while open to ``open_until`` (by
    default the reference date or the last date recorded, whichever is later)."""
    if open_until is None:
        last = max([e.start for e in events] + [e.end for e in events if e.end])
        open_until = max(last, journey.reference_date or last)
    return [
        (e.start, max(e.end or (open_until if _category(e.kind) == "help" else e.start), e.start))
        for e in events
    ]


def shown_period(journey: Journey) -> Period:
    """The period the axis shows by default: where the child's events are.

    Events more than 40 weeks before the child's birth are outside it. The rest are grouped
    where more than ``GAP_YEARS`` years pass with nothing happening (help running to its end,
    or to the reference date while open, is something happening); the group with the most
    events is shown (of two as large, the later), and the inspection's reference date too
    when it is within ``GAP_YEARS`` years of that group. Every other event is outside."""
    events = journey.events
    born = journey.child.dob
    early = [e for e in events if born is not None and e.start < born - BEFORE_BIRTH]
    rest = [e for e in events if all(e is not x for x in early)]
    if not rest:  # every event long before the birth: the date of birth is the odd one
        rest, early = events, []
    # help still open runs to the reference date, not to a wild date after it
    until = journey.reference_date or max(e.start for e in rest)
    spans = sorted(zip(_spans(journey, rest, until), rest, strict=True), key=lambda p: p[0])
    groups: list[tuple[date, date, list[JourneyEvent]]] = []
    for (first, last), event in spans:
        if groups and (first - groups[-1][1]).days <= GAP_YEARS * 365:
            start, end, members = groups[-1]
            groups[-1] = (start, max(end, last), [*members, event])
        else:
            groups.append((first, last, [event]))
    best = max(range(len(groups)), key=lambda i: (len(groups[i][2]), i))
    start, end, _members = groups[best]
    reference = journey.reference_date
    if reference is not None and abs((reference - end).days) <= GAP_YEARS * 365:
        end = max(end, reference)
    before = early + [e for g in groups[:best] for e in g[2]]
    after = [e for g in groups[best + 1 :] for e in g[2]]
    return Period(_year_start(start), _year_end(end), before, after)


def _segments(stretches: list[tuple[date, date]], layout: Layout) -> list[Segment]:
    usable = layout.width - layout.left - layout.right - BREAK * (len(stretches) - 1)
    days = [max((b - a).days, 1) for a, b in stretches]
    # every stretch at least min_segment wide, the rest shared by length
    widths = [float(layout.min_segment)] * len(days)
    spare = usable - layout.min_segment * len(days)
    total = sum(days)
    widths = [w + spare * d / total for w, d in zip(widths, days, strict=True)]
    out: list[Segment] = []
    x = float(layout.left)
    for (a, b), w in zip(stretches, widths, strict=True):
        out.append(Segment(a, b, round(x, 1), round(x + w, 1)))
        x += w + BREAK
    return out


def _x_of(segments: list[Segment], day: date) -> float:
    for seg in segments:
        if day <= seg.end or seg is segments[-1]:
            day = min(max(day, seg.start), seg.end)
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


def _uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _outside_words(events: list[JourneyEvent], side: str) -> str:
    n = len(events)
    days = sorted(e.start for e in events)
    when = _uk(days[0]) if n == 1 else f"{_uk(days[0])} to {_uk(days[-1])}"
    return f"{n} {side} event{'' if n == 1 else 's'} outside the shown period ({when})"


def timeline_for(journey: Journey, whole: bool = False, layout: Layout = WIDE) -> Timeline:
    """The timeline of ``journey``: the child's events (the default) or the ``whole`` span."""
    events = journey.events
    lanes_order = journey.agencies
    top_rows = 2
    lane_names = LABEL_ROW if layout.names_above else 0
    if not events:
        height = top_rows * LABEL_ROW + 8 + layout.lane * max(len(lanes_order), 1) + 34
        return Timeline(
            layout.width, height, layout.left, layout.width - layout.right, [], [], None,
            None, None, None, layout=layout, whole=whole,
        )  # fmt: skip
    spans = _spans(journey, events)
    if journey.reference_date:
        spans.append((journey.reference_date, journey.reference_date))
    stretches = _stretches(spans)
    whole_start, whole_end = stretches[0][0], stretches[-1][1]
    if whole:
        period = Period(whole_start, whole_end)
        segments = _segments(stretches, layout)
    else:
        period = shown_period(journey)
        segments = _segments([(period.start, period.end)], layout)
    left_off = {id(e) for e in (*period.before, *period.after)}
    start, end = segments[0].start, segments[-1].end
    last = max([e.start for e in events] + [e.end for e in events if e.end])
    open_until = max(last, journey.reference_date or last)
    right_edge = layout.width - layout.right

    # text above the lanes: first need and help, each in the first row where it fits
    labels: list[Label] = []
    need_x = help_x = None
    if journey.first_need and start <= journey.first_need <= end:
        need_x = _x_of(segments, journey.first_need)
        labels.append(
            _line_label(need_x, f"First need {_uk(journey.first_need)}", "#d4351c", layout)
        )
    if journey.first_help and start <= journey.first_help <= end:
        help_x = _x_of(segments, journey.first_help)
        labels.append(_line_label(help_x, f"Help {_uk(journey.first_help)}", "#00703c", layout))
    rows = stack(labels)
    top_rows = max([2, *(r + 1 for r in rows)])
    for label, row in zip(labels, rows, strict=True):
        label.y = LABEL_ROW * (row + 1) - 2
    top = top_rows * LABEL_ROW + 8

    lanes = [
        Lane(
            agency=a,
            label=kinds.agency_label(a),
            y=top + layout.lane * i + lane_names + (layout.lane - lane_names) / 2,
        )
        for i, a in enumerate(lanes_order)
    ]
    lanes_bottom = top + layout.lane * max(len(lanes_order), 1)
    by_agency = {lane.agency: lane for lane in lanes}
    shown: set[str] = set()
    marks: list[Mark] = []
    for ev in events:
        if id(ev) in left_off:
            continue
        lane = by_agency[ev.agency]
        category = _category(ev.kind)
        shown.add(category)
        x = _x_of(segments, ev.start)
        width = 0.0
        if category == "help":
            finish = ev.end or max(open_until, ev.start)
            width = max(round(_x_of(segments, finish) - x, 1), 3.0)
        when = _uk(ev.start)
        if ev.end:
            when += " to " + _uk(ev.end)
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

    # below the axis: the events left off it, at the end they are beyond
    axis_y = lanes_bottom + 22
    below: list[Label] = []
    if period.before:
        below.append(Label(layout.left, 0, "← " + _outside_words(period.before, "earlier")))
    if period.after:
        below.append(
            Label(right_edge, 0, _outside_words(period.after, "later") + " →", anchor="end")
        )
    below = [_fitted(label, layout) for label in below]
    rows = stack(below)
    for label, row in zip(below, rows, strict=True):
        label.y = axis_y + LABEL_ROW * (row + 1) + 4
    height = int(axis_y + LABEL_ROW * (max(rows, default=-1) + 1) + 12)
    return Timeline(
        width=layout.width,
        height=height,
        left=layout.left,
        right_edge=right_edge,
        lanes=lanes,
        ticks=_ticks(segments),
        need_x=need_x,
        help_x=help_x,
        start=start,
        end=end,
        segments=segments,
        breaks=[round(s.x2 + BREAK / 2, 1) for s in segments[:-1]],
        legend=[(c, COLOURS[c], words) for c, words in LEGEND.items() if c in shown],
        marks=marks,
        labels=labels + below,
        layout=layout,
        whole=whole,
        outside=period.outside,
        axis_y=axis_y,
        lanes_top=top,
        lanes_bottom=lanes_bottom,
        whole_start=whole_start,
        whole_end=whole_end,
    )


def _line_label(x: float, text: str, colour: str, layout: Layout) -> Label:
    """A line's label: after the line, or before it where it would run past the right edge."""
    label = Label(x + 3, 0, text, "start", colour)
    if label.span[1] > layout.width - layout.right:
        label = Label(x - 3, 0, text, "end", colour)
    return _fitted(label, layout)


def _fitted(label: Label, layout: Layout) -> Label:
    """The label moved inside the drawing if it would run past an edge (a narrow screen)."""
    a, b = label.span
    if a < 0:
        return Label(0, label.y, label.text, "start", label.colour)
    if b > layout.width:
        return Label(layout.width, label.y, label.text, "end", label.colour)
    return label


def timelines_for(journey: Journey, whole: bool = False) -> list[Timeline]:
    """The journey's timeline in each layout, the wide first: the page shows the one that fits
    the screen."""
    return [timeline_for(journey, whole, layout) for layout in (WIDE, NARROW)]
