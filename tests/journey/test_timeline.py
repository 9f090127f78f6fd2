"""The timeline's geometry: the period of the child's events by default, wild dates left off it
and counted; the whole span with breaks for empty decades; spaced year labels, labels that
never overlap, a key; a narrow drawing for a phone."""

from datetime import date

from inspection.journey.build import ChildSummary, Journey, JourneyEvent
from inspection.journey.timeline import (
    BREAK,
    NARROW,
    TICK_SPACING,
    Label,
    shown_period,
    stack,
    timeline_for,
)


def _event(
    n: int, kind: str, start: date, agency: str = "police", end: date | None = None
) -> JourneyEvent:
    return JourneyEvent(n, start, end, agency, kind, kind, "f.csv", "", n, {})


def _journey(events: list[JourneyEvent], dob: date | None = None) -> Journey:
    child = ChildSummary(1, "C1", "Ava", "Cole", dob, "", "", "", "", "")
    return Journey(child, date(2026, 11, 1), events, [], events[0].start, None)


def _anchors(t) -> list[str]:
    return sorted(m.anchor for lane in t.lanes for m in lane.marks)


def test_by_default_the_axis_spans_the_childs_events_and_counts_the_wild_ones():
    events = [
        _event(1, "police_concern", date(1966, 3, 1)),  # before the child was born
        _event(2, "police_concern", date(2011, 2, 1)),  # 13 empty years before the rest
        _event(3, "referral", date(2024, 7, 4), "social_care"),
        _event(4, "cp_plan_start", date(2025, 1, 6), "social_care"),  # open: to the reference
        _event(5, "contact", date(2026, 5, 6), "social_care"),
        _event(6, "police_concern", date(2076, 5, 6)),  # fifty years on
    ]
    journey = _journey(events, dob=date(2010, 6, 1))
    period = shown_period(journey)
    assert (period.start, period.end) == (date(2024, 1, 1), date(2026, 12, 31))
    assert [e.id for e in period.before] == [1, 2]
    assert [e.id for e in period.after] == [6]
    t = timeline_for(journey)
    assert (t.start, t.end, t.breaks, t.outside) == (date(2024, 1, 1), date(2026, 12, 31), [], 3)
    assert _anchors(t) == ["event-3", "event-4", "event-5"]
    assert [tick.label for tick in t.ticks] == ["2024", "2025", "2026"]
    below = [label.text for label in t.labels if label.y > t.lanes_bottom]
    assert below == [
        "← 2 earlier events outside the shown period (01/03/1966 to 01/02/2011)",
        "1 later event outside the shown period (06/05/2076) →",
    ]
    plan = next(m for m in t.marks if m.anchor == "event-4")
    assert plan.x + plan.width <= t.right_edge  # open help runs to the reference date, inside
    whole = timeline_for(journey, whole=True)
    assert (whole.start, whole.end, whole.outside) == (date(1966, 1, 1), date(2076, 7, 1), 0)
    assert _anchors(whole) == [f"event-{n}" for n in range(1, 7)]
    assert (t.whole_start, t.whole_end) == (whole.start, whole.end)


def test_a_journey_without_wild_dates_shows_everything_and_the_larger_later_group_wins():
    events = [_event(1, "contact", date(2025, 3, 1)), _event(2, "contact", date(2026, 2, 1))]
    period = shown_period(_journey(events))
    assert (period.start, period.end, period.outside) == (date(2025, 1, 1), date(2026, 12, 31), 0)
    # two groups of one, 2001 and 2026: the later one is shown
    apart = [_event(1, "contact", date(2001, 3, 1)), _event(2, "contact", date(2026, 2, 1))]
    period = shown_period(_journey(apart))
    assert (period.start, [e.id for e in period.before]) == (date(2026, 1, 1), [1])
    # a long open placement joins its start to the present: nothing is left off
    care = [
        _event(1, "looked_after_start", date(2012, 3, 1), "social_care"),
        _event(2, "contact", date(2026, 2, 1)),
    ]
    assert shown_period(_journey(care)).outside == 0


def test_labels_are_stacked_into_rows_so_that_none_overlap():
    labels = [
        Label(100, 0, "First need 01/01/2026"),
        Label(120, 0, "Help 05/01/2026"),
        Label(400, 0, "Help 05/01/2029"),
    ]
    assert stack(labels) == [0, 1, 0]
    events = [
        _event(1, "referral", date(2026, 1, 1), "social_care"),
        _event(2, "early_help_start", date(2026, 1, 5), "early_help"),
    ]
    journey = _journey(events)
    journey.first_need, journey.first_help = date(2026, 1, 1), date(2026, 1, 5)
    for layout_t in (timeline_for(journey), timeline_for(journey, layout=NARROW)):
        spans = [(label.span, label.y) for label in layout_t.labels]
        assert len(spans) == 2 and spans[0][1] != spans[1][1]
        assert all(a >= 0 and b <= layout_t.width for (a, b), _y in spans)


def test_the_narrow_drawing_fits_a_phone_with_the_same_marks():
    events = [
        _event(1, "referral", date(2025, 1, 1), "social_care"),
        _event(2, "police_concern", date(2026, 2, 1)),
    ]
    wide, narrow = timeline_for(_journey(events)), timeline_for(_journey(events), layout=NARROW)
    assert narrow.width == 360 and narrow.left < 20
    assert _anchors(narrow) == _anchors(wide)
    assert all(narrow.left <= m.x <= narrow.right_edge for m in narrow.marks)


def test_on_the_whole_span_fifty_empty_years_are_a_break_not_a_squeeze():
    events = [
        _event(1, "police_concern", date(1976, 3, 1)),
        _event(2, "police_concern", date(2024, 7, 4)),
        _event(3, "contact", date(2026, 5, 6), "social_care"),
    ]
    t = timeline_for(_journey(events), whole=True)
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
