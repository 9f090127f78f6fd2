"""A plan's recorded count of previous plans feeds the indicator, and the journey says where
it and the plans it shows disagree."""

from datetime import date

from inspection.journey.build import journey_for_child
from inspection.journey.indicators import for_journey
from inspection.journey.recorded import differences
from inspection.models import Child
from tests.journey import factory as f


async def _journey(code, plans):
    insp = await f.inspection(code)
    up = await f.upload(insp, "annex_a.xlsx")
    child = await Child.create(inspection=insp, la_child_id="LA1", dob=date(2015, 3, 4))
    record = await f.record(insp, up, "social_care", "LA1", la_child_id="LA1", child=child)
    for start, previous in plans:
        attributes = {} if previous is None else {"previous_plans": previous}
        await f.event(insp, record, "cp_plan_start", start, attributes=attributes)
    return await journey_for_child(insp.id, child.id)


async def test_a_recorded_count_of_previous_plans_feeds_the_indicator_and_is_explained(db):
    journey = await _journey("T1", [(date(2024, 6, 18), "10")])
    assert for_journey(journey)["repeat_cp_plans"] == 10
    assert differences(journey.events) == [
        "A child protection plan's record says the child had 10 previous plans; the journey "
        "shows 0 earlier plans. The indicator counts 10: the earlier plans may be from before "
        "the files loaded here, or from another authority."
    ]


async def test_when_the_record_and_the_journey_agree_nothing_is_said(db):
    journey = await _journey("T2", [(date(2023, 1, 5), "0"), (date(2024, 6, 18), "1")])
    assert for_journey(journey)["repeat_cp_plans"] == 1
    assert differences(journey.events) == []


async def test_without_a_recorded_count_the_journeys_own_count_stands(db):
    journey = await _journey("T3", [(date(2023, 1, 5), None), (date(2024, 6, 18), None)])
    assert for_journey(journey)["repeat_cp_plans"] == 1
    assert differences(journey.events) == []
