"""The timeline's geometry: breaks in the axis for empty decades, spaced year labels, a key."""

from datetime import date

from inspection.journey.build import ChildSummary, Journey, JourneyEvent
from inspection.journey.timeline import BREAK, TICK_SPACING, timeline_for


def _event(n: int, kind: str, start: date, agency: str = "police") -> JourneyEvent:
    return JourneyEvent(n, start, None, agency, kind, kind, "f.csv", "", n, {})


def _journey(events: list[JourneyEvent]) -> Journey:
    child = ChildSummary(1, "C1", "Ava", "Cole", None, "", "", "", "", "")
    return Journey(child, date(2026, 11, 1), events, [], events[0].start, None)


def test_fifty_empty_years_are_a_break_not_a_squeeze():
    events = [
        _event(1, "police_concern", date(1976, 3, 1)),
        _event(2, "police_concern", date(2024, 7, 4)),
        _event(3, "contact", date(2026, 5, 6), "social_care"),
    ]
    t = timeline_for(_journey(events))
    assert [(s.start, s.end) for s in t.segments] == [
        (date(1976, 1, 1), date(1976, 7, 1)),
        (date(2024, 1, 1), date(2026, 12, 31)),
    ]
    assert len(t.breaks) == 1
    assert t.segments[1].x1 - t.segments[0].x2 == BREAK
    assert [tick.label for tick in t.ticks] == ["1976", "2024", "2025", "2026"]
    xs = [tick.x for tick in t.ticks]
    assert all(b - a >= TICK_SPACING for a, b in zip(xs, xs[1:], strict=False))
    # the two recent events are far apart on the page, not a pixel
    recent = [m.x for lane in t.lanes for m in lane.marks if m.anchor != "event-1"]
    assert max(recent) - min(recent) > 200
    assert sorted(m.anchor for lane in t.lanes for m in lane.marks) == [
        "event-1",
        "event-2",
        "event-3",
    ]


def test_a_long_journey_without_a_gap_labels_every_few_years():
    events = [
        _event(i, "police_concern", date(1980 + 3 * i, 6, 1)) for i in range(1, 16)
    ]  # one every three years, 1983 to 2025: no gap long enough to cut
    t = timeline_for(_journey(events))
    assert len(t.segments) == 1 and t.breaks == []
    labels = [tick.label for tick in t.ticks]
    assert labels == ["1985", "1990", "1995", "2000", "2005", "2010", "2015", "2020", "2025"]
    assert [c for c, _colour, _words in t.legend] == ["signal"]
