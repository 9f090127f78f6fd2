"""A count the sources record (previous child protection plans) feeds the indicator, and the
journey says so where it differs from what the journey itself shows."""

from datetime import date

from inspection.journey.build import ChildSummary, Journey, JourneyEvent
from inspection.journey.indicators import for_journey
from inspection.journey.recorded import differences


def _plan(n: int, start: date, previous: object) -> JourneyEvent:
    details = {} if previous is None else {"previous_plans": previous}
    return JourneyEvent(
        n, start, None, "social_care", "cp_plan_start", "Plan", "a.xlsx", "List_7", n, details
    )


def _journey(events: list[JourneyEvent]) -> Journey:
    child = ChildSummary(1, "C1", "Ava", "Cole", None, "", "", "", "", "")
    return Journey(child, date(2026, 11, 2), events, [], None, events[0].start)


def test_recorded_previous_plans_feed_the_indicator_and_the_difference_is_said():
    journey = _journey([_plan(1, date(2026, 3, 1), "10")])
    assert for_journey(journey)["repeat_cp_plans"] == 10
    assert differences(journey.events) == [
        "A child protection plan's record says the child had 10 previous plans; the journey "
        "shows 0 earlier plans. The indicator counts 10: the earlier plans may be from before "
        "the files loaded here, or from another authority."
    ]


def test_our_own_count_stands_when_it_is_larger_and_agreement_says_nothing():
    plans = [_plan(1, date(2024, 3, 1), 0), _plan(2, date(2025, 3, 1), 1)]
    assert for_journey(_journey(plans))["repeat_cp_plans"] == 1
    assert differences(_journey(plans).events) == []
    three = [*plans, _plan(3, date(2026, 3, 1), None)]
    assert for_journey(_journey(three))["repeat_cp_plans"] == 2
    assert differences(_journey(three).events) == [
        "A child protection plan's record says the child had 1 previous plan; the journey shows "
        "2 earlier plans. The indicator counts 2, the plans the journey shows."
    ]


def test_a_count_that_is_not_a_whole_number_is_not_used():
    journey = _journey([_plan(1, date(2026, 3, 1), "several")])
    assert for_journey(journey)["repeat_cp_plans"] == 0
    assert differences(journey.events) == []
