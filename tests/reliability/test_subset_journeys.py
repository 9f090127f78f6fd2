"""The findings page builds only the audited children's journeys (a load fix): the subset must
be exactly what the whole-inspection build gives for those children."""

from __future__ import annotations

from inspection.audit.findings import journey_indicators
from inspection.journey.build import journeys_for_inspection
from inspection.journey.indicators import KEYS, aggregate, indicators_by_child
from tests.audit.helpers import make_inspection, make_sample


async def test_journeys_of_some_children_equal_the_same_children_in_the_full_build(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=7)
    other = await make_inspection("T02")
    await make_sample(other, n=3)
    everyone = await journeys_for_inspection(inspection.id)
    assert len(everyone) == 7
    some = [members[0].child_id, members[3].child_id, members[5].child_id]
    subset = await journeys_for_inspection(inspection.id, some)
    assert sorted(subset) == sorted(some)
    assert {k: subset[k] for k in some} == {k: everyone[k] for k in some}
    assert len(subset[members[3].child_id].events) == 3
    assert await journeys_for_inspection(inspection.id, []) == {}
    # A child of another inspection is never returned, even when asked for.
    foreign = (await journeys_for_inspection(other.id)).keys()
    assert await journeys_for_inspection(inspection.id, list(foreign)) == {}
    full = await indicators_by_child(inspection.id)
    doc = await journey_indicators(inspection.id, some)
    assert {k: doc[k] for k in ("available", "children", "figures")} == {
        "available": True,
        "children": 3,
        "figures": aggregate({k: full[k] for k in some}),
    }
    assert [row["key"] for row in doc["rows"]] == list(KEYS)
