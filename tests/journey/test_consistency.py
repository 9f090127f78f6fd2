"""Each journey rule of the plausibility catalogue, with a journey that breaks it and one that
does not; and the journey page saying so where it is read."""

from datetime import date

import httpx2
import pytest
import pytest_asyncio

from inspection.accounts import create_user
from inspection.cli.journey import journey_document, journey_text
from inspection.inspections import add_member
from inspection.journey.build import journey_for_child
from inspection.journey.consistency import check
from inspection.journey.indicators import for_journey
from inspection.models import Child, Upload
from inspection.web.app import create_app
from tests.journey import factory as f

PASSWORD = "correct horse battery"
_made = iter(range(1, 1000))


async def _journey(events, dob=date(2015, 3, 4), died=None, census=()):
    """A child (the inspection's reference date is f.inspection's) with ``events``: (kind,
    start, end) from social care, or (kind, start, end, where): an Annex A list's sheet
    ("List_8", List_7 when not given) or "ssda903", the children looked after return (the Care
    lane); and ``census`` likewise from a CIN census whose reference date is 31/03/2025."""
    insp = await f.inspection(f"T{next(_made)}")
    up = await f.upload(insp, "annex_a.xlsx")
    child = await Child.create(
        inspection=insp, la_child_id="LA1", given_name="Ada", dob=dob, death_date=died
    )
    record = await f.record(insp, up, "social_care", "LA1", la_child_id="LA1", child=child)
    care = None
    for kind, start, end, *where in events:
        if where == ["ssda903"]:
            if care is None:
                returned = await Upload.create(
                    inspection=insp, source_kind="ssda903", filename="903.zip", sha256="903"
                )
                care = await f.record(insp, returned, "care", "LA1", la_child_id="LA1", child=child)
            await f.event(insp, care, kind, start, end, sheet="episodes.csv")
        else:
            await f.event(insp, record, kind, start, end, sheet=where[0] if where else "List_7")
    if census:
        returned = await Upload.create(
            inspection=insp,
            source_kind="cin-census",
            filename="cin_census.xml",
            sha256="census",
            summary={"extra": {"census_reference_date": "2025-03-31"}},
        )
        cin = await f.record(insp, returned, "social_care", "LA1", la_child_id="LA1", child=child)
        for kind, start, end in census:
            await f.event(insp, cin, kind, start, end, sheet="Child", row=3)
    return insp, child, await journey_for_child(insp.id, child.id)


def _messages(journey):
    return [(x.rule, x.message) for x in check(journey)]


CASES = [
    (
        "PL01",
        dict(events=[("police_concern", date(2014, 1, 2), None)]),
        dict(events=[("referral", date(2014, 11, 2), None)]),  # pre-birth, 17 weeks before
        "Police child concern notification on 02/01/2014 is more than 40 weeks before the "
        "child was born (04/03/2015).",
    ),
    (
        "PL02",
        dict(events=[("school_concern", date(2025, 9, 1), None)], died=date(2025, 8, 2)),
        dict(events=[("school_concern", date(2025, 7, 1), None)], died=date(2025, 8, 2)),
        "School safeguarding concern on 01/09/2025 is after the child died (02/08/2025).",
    ),
    (
        "PL03",
        dict(events=[("referral", date(2000, 1, 2), None)], dob=date(1966, 5, 1)),
        dict(events=[("looked_after_start", date(2020, 1, 2), None)], dob=date(2003, 5, 1)),
        None,  # the message names the reference date: checked below
    ),
    (
        "PL04",
        dict(
            events=[
                ("strategy_discussion", date(2024, 6, 2), None),
                ("referral", date(2024, 6, 20), None),
            ]
        ),
        dict(
            events=[
                ("referral", date(2024, 6, 1), None),
                ("strategy_discussion", date(2024, 6, 2), None),
            ]
        ),
        "Strategy discussion (section 47 enquiry) on 02/06/2024 is before the referral of "
        "20/06/2024 that opened its episode.",
    ),
    (
        "PL05",
        dict(
            events=[
                ("referral", date(2024, 1, 10), date(2024, 2, 1)),
                ("assessment_start", date(2024, 1, 11), date(2024, 3, 1)),
            ]
        ),
        dict(
            events=[
                ("referral", date(2024, 1, 10), date(2024, 4, 1)),
                ("assessment_start", date(2024, 1, 11), date(2024, 3, 1)),
            ]
        ),
        "The assessment was authorised on 01/03/2024, after its episode was closed on 01/02/2024.",
    ),
    (
        "PL07",
        # the same plan: the same child, kind and start, and ends that agree (one not yet known)
        dict(
            events=[("cp_plan_start", date(2025, 3, 1), None)],
            census=[("cp_plan_start", date(2025, 3, 1), date(2025, 9, 1))],
        ),
        # two plans: the census's starts a month later
        dict(
            events=[("cp_plan_start", date(2025, 3, 1), None)],
            census=[("cp_plan_start", date(2025, 4, 1), date(2025, 9, 1))],
        ),
        "Child protection plan started on 01/03/2025 is recorded in Annex A List 7, CIN census "
        "2025: shown once, with what each recorded.",
    ),
    (
        "PL08",
        dict(
            events=[("cp_plan_start", date(2025, 3, 1), date(2025, 6, 1))],
            census=[("cp_plan_start", date(2025, 3, 1), date(2025, 9, 1))],
        ),
        dict(
            events=[("cp_plan_start", date(2025, 3, 1), date(2025, 6, 1))],
            census=[("cp_plan_start", date(2025, 6, 2), date(2025, 9, 1))],
        ),
        "Child protection plan started on 01/03/2025 is recorded with different ends "
        "(01/06/2025 and 01/09/2025): shown as 2 events.",
    ),
    (
        "PL09",
        dict(
            events=[
                ("looked_after_start", date(2026, 2, 3), None, "List_8"),
                # the return's earlier period of care, ended long before Annex A's year
                ("looked_after_start", date(2020, 1, 6), date(2021, 1, 6), "ssda903"),
            ]
        ),
        dict(
            events=[
                ("looked_after_start", date(2026, 2, 3), None, "List_8"),
                ("looked_after_start", date(2026, 2, 3), None, "ssda903"),
                ("looked_after_start", date(2020, 1, 6), date(2021, 1, 6), "ssda903"),
            ]
        ),
        "Annex A List 8 (children in care) records that the child started to be looked after "
        "on 03/02/2026, but the SSDA903 return does not.",
    ),
]


@pytest.mark.parametrize(("rule", "broken", "kept", "message"), CASES, ids=[c[0] for c in CASES])
async def test_each_journey_rule_fires_on_a_journey_that_breaks_it_only(
    db, rule, broken, kept, message
):
    _, _, journey = await _journey(**broken)
    found = _messages(journey)
    assert [r for r, _ in found] == [rule]
    if message is not None:
        assert found[0][1] == message
    _, _, fine = await _journey(**kept)
    # Kept for PL09: Annex A List 8 and the return give the same start of care, which is one
    # event from two sources, and the journey says so (the notice PL07).
    assert [r for r, _ in _messages(fine)] == (["PL07"] if rule == "PL09" else [])


async def test_a_child_over_18_is_flagged_and_a_care_leaver_only_over_25(db):
    _, _, journey = await _journey([("referral", date(2000, 1, 2), None)], dob=date(1966, 5, 1))
    reference = journey.reference_date.strftime("%d/%m/%Y")
    age = (
        journey.reference_date.year
        - 1966
        - ((journey.reference_date.month, journey.reference_date.day) < (5, 1))
    )
    assert _messages(journey) == [
        (
            "PL03",
            f"The child was {age} at the inspection's reference date {reference}: older than "
            "18, the oldest children's services serve.",
        )
    ]
    _, _, leaver = await _journey(
        [("looked_after_start", date(1990, 1, 2), None)], dob=date(1966, 5, 1)
    )
    assert _messages(leaver)[0][1].endswith("older than 25, the oldest a care leaver is supported.")


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def test_the_journey_page_and_chronology_say_which_records_do_not_agree(db, client):
    insp, child, _ = await _journey(
        [("school_concern", date(2025, 9, 1), None)], died=date(2025, 8, 2)
    )
    user = await create_user("lead@example.org", "Lee Dinspector", "lead_inspector", PASSWORD)
    await add_member(insp, user, "lead_inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    for page in ("", "/chronology"):
        text = (await client.get(f"/inspections/{insp.id}/children/{child.id}{page}")).text
        assert "Records that do not agree" in text
        assert (
            "<li>School safeguarding concern on 01/09/2025 is after the child died (02/08/2025)."
            "</li>"
        ) in text


async def test_the_same_plan_from_two_sources_is_one_event_counted_once(db):
    _, _, journey = await _journey(
        [("cp_plan_start", date(2025, 3, 1), None)],
        census=[("cp_plan_start", date(2025, 3, 1), date(2025, 9, 1))],
    )
    (plan,) = journey.events
    assert (plan.end, plan.recorded_by) == (date(2025, 9, 1), "Annex A List 7, CIN census 2025")
    assert [r.place for r in plan.recordings] == [
        "annex_a.xlsx, List_7, row 2",
        "cin_census.xml, Child, row 3",
    ]
    assert for_journey(journey)["repeat_cp_plans"] == 0
    assert [(f.rule, f.disagreement) for f in check(journey)] == [("PL07", False)]


async def test_a_plan_whose_two_records_end_apart_is_two_events_and_flagged(db):
    _, _, journey = await _journey(
        [("cp_plan_start", date(2025, 3, 1), date(2025, 6, 1))],
        census=[("cp_plan_start", date(2025, 3, 1), date(2025, 9, 1))],
    )
    assert [(e.end, e.recorded_by) for e in journey.events] == [
        (date(2025, 6, 1), "Annex A List 7"),
        (date(2025, 9, 1), "CIN census 2025"),
    ]
    assert [(f.rule, f.disagreement) for f in check(journey)] == [("PL08", True)]


async def test_the_page_and_the_command_line_say_an_event_was_recorded_twice(db, client):
    insp, child, journey = await _journey(
        [("cp_plan_start", date(2025, 3, 1), None)],
        census=[("cp_plan_start", date(2025, 3, 1), date(2025, 9, 1))],
    )
    user = await create_user("lead@example.org", "Lee Dinspector", "lead_inspector", PASSWORD)
    await add_member(insp, user, "lead_inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    text = (await client.get(f"/inspections/{insp.id}/children/{child.id}")).text
    assert "Records that do not agree" not in text
    assert "1 event recorded by more than one source, shown once" in text
    assert (
        "<li>Child protection plan started on 01/03/2025 is recorded in Annex A List 7, CIN "
        "census 2025: shown once, with what each recorded.</li>"
    ) in text
    assert "Recorded in: Annex A List 7, CIN census 2025" in text
    printed = journey_text(journey_document(journey, for_journey(journey)))
    assert printed.splitlines()[1:4] == [
        "01/03/2025 to 01/09/2025  Children's social care: Child protection plan started  "
        "[Annex A List 7, CIN census 2025]",
        "Recorded by more than one source, shown once:",
        "  Child protection plan started on 01/03/2025 is recorded in Annex A List 7, CIN census "
        "2025: shown once, with what each recorded.",
    ]


async def test_a_start_of_care_only_the_return_gives_is_flagged_for_a_child_annex_a_holds(db):
    _, _, journey = await _journey(
        [
            ("referral", date(2025, 12, 1), None, "List_6"),
            ("looked_after_start", date(2026, 1, 5), None, "ssda903"),
            ("placement_change", date(2026, 3, 9), None, "ssda903"),
        ]
    )
    assert _messages(journey) == [
        (
            "PL09",
            "The SSDA903 return records that the child started to be looked after on "
            "05/01/2026, but Annex A List 8 (children in care) does not.",
        )
    ]
    # a child only the return holds: there is no Annex A of theirs to disagree with
    _, _, alone = await _journey([("looked_after_start", date(2026, 1, 5), None, "ssda903")])
    assert _messages(alone) == []


async def test_a_start_of_care_annex_a_gives_as_the_date_an_adopted_child_entered_care_agrees(db):
    _, _, journey = await _journey(
        [
            ("looked_after_start", date(2023, 9, 7), date(2026, 8, 8), "ssda903"),
            ("looked_after_start", date(2023, 9, 7), None, "List_10"),
        ]
    )
    # no disagreement: one start of care from two sources, which the notice PL07 says
    assert [r for r, _ in _messages(journey)] == ["PL07"]
    # a period of care that ended before List 8's six months is not one List 8 would give
    _, _, earlier = await _journey(
        [
            ("referral", date(2025, 12, 1), None, "List_6"),
            ("looked_after_start", date(2023, 9, 7), date(2026, 3, 1), "ssda903"),
        ]
    )
    assert _messages(earlier) == []
