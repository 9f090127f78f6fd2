"""An event's details as labelled sentences, and the same event recorded twice shown once."""

from datetime import date

from inspection.journey.build import journey_for_child
from inspection.journey.chronology import chronology_rows
from inspection.journey.details import lines_of
from inspection.models import Child, Upload
from tests.journey import factory as f


def test_annex_a_child_protection_plan_in_words():
    details = {
        "cp_start": "2026-04-14",
        "initial_category": "NEG",
        "latest_category": "NEG",
        "last_visit": "2026-10-24",
        "seen_alone": "Y",
        "epo": "N",
        "previous_plans": 2,
        "original": {"initial_category": "a) Neglect"},
    }
    assert lines_of("cp_plan_start", date(2026, 4, 14), details) == [
        ("Category of abuse", "Neglect"),
        ("Date of the last statutory visit", "24/10/2026"),
        ("Child seen alone", "Yes"),
        ("Emergency protection order or police protection in the last six months", "No"),
        ("Number of previous child protection plans", "2"),
    ]


def test_two_categories_of_abuse_are_both_named():
    lines = lines_of(
        "cp_plan_start", date(2026, 4, 14), {"initial_category": "PHY", "latest_category": "EMO"}
    )
    assert lines == [
        ("Initial category of abuse", "Physical abuse"),
        ("Latest category of abuse", "Emotional abuse"),
    ]


def test_cin_census_assessment_in_words():
    details = {
        "referral_source": "6",
        "primary_need": "N1",
        "referral_nfa": "false",
        "factors": ["16A", "3B", "21"],
    }
    assert lines_of("assessment_start", date(2025, 1, 2), details) == [
        ("Source of referral", "Police"),
        ("Primary need", "Abuse or neglect"),
        ("Referral led to no further action", "No"),
        (
            "Factors identified at the end of the assessment",
            "Neglect, Domestic abuse: concerns about a parent or carer, No factors identified",
        ),
    ]


def test_contact_and_care_details_and_what_is_left_out():
    contact = {"contact_date": "2026-05-06", "source": "1D", "original": {"source": "d) 1D"}}
    assert lines_of("contact", date(2026, 5, 6), contact) == [("Source of contact", "Individual")]
    care = {"lac_start": "2022-01-16", "legal_status": "C2", "placement_type": "U6"}
    assert lines_of("looked_after_start", date(2022, 1, 16), care) == [
        ("Legal status", "Full care order"),
        ("Placement type", "Foster placement - not FFA"),
    ]
    agency = {"event_type": "domestic_abuse_notification", "record_id": "OCC1", "details": "DASH"}
    assert lines_of("police_domestic_abuse", date(2026, 1, 1), agency) == [
        ("The agency's record reference", "OCC1"),
        ("What the agency recorded", "DASH"),
    ]


async def _child(insp):
    return await Child.create(inspection=insp, la_child_id="C1", given_name="Ava")


async def test_the_same_plan_from_annex_a_and_the_census_is_one_event(db):
    insp = await f.inspection()
    annex = await f.upload(insp, "annex_a.xlsx")
    census = await Upload.create(
        inspection=insp, source_kind="cin-census", filename="cin_census.xml", sha256="c"
    )
    child = await _child(insp)
    sc = await f.record(insp, annex, "social_care", "C1", la_child_id="C1", child=child)
    cin = await f.record(insp, census, "social_care", "C1", la_child_id="C1", child=child)
    plan = {"initial_category": "NEG", "latest_category": "NEG", "previous_plans": 2}
    await f.event(insp, sc, "cp_plan_start", date(2025, 3, 1), sheet="List_7", attributes=plan)
    await f.event(
        insp,
        cin,
        "cp_plan_start",
        date(2025, 3, 1),
        date(2025, 9, 1),
        sheet="Child",
        row=4,
        attributes={**plan, "previous_plans": "2", "primary_need": "N1"},
    )
    j = await journey_for_child(insp.id, child.id)
    assert [e.kind for e in j.events] == ["cp_plan_start"]
    plan_event = j.events[0]
    assert plan_event.end == date(2025, 9, 1)
    assert plan_event.recorded_by == "Annex A List 7, CIN census"
    assert plan_event.detail_lines == [
        ("Category of abuse", "Neglect"),
        ("Number of previous child protection plans", "2"),
        ("Primary need", "Abuse or neglect"),
    ]
    row = chronology_rows(j)[0]
    assert row["details"] == (
        "Category of abuse: Neglect; Number of previous child protection plans: 2; "
        "Primary need: Abuse or neglect"
    )
    assert row["source"] == (
        "Recorded in: Annex A List 7, CIN census "
        "(annex_a.xlsx, List_7, row 2; cin_census.xml, Child, row 4)"
    )


async def test_one_file_a_row_loaded_twice_is_one_event_but_two_contacts_stay_two(db):
    insp = await f.inspection()
    annex = await f.upload(insp, "annex_a.xlsx")
    child = await _child(insp)
    sc = await f.record(insp, annex, "social_care", "C1", la_child_id="C1", child=child)
    same = {"source": "6"}
    await f.event(insp, sc, "contact", date(2025, 1, 5), sheet="List_1", row=3, attributes=same)
    await f.event(insp, sc, "contact", date(2025, 1, 5), sheet="List_1", row=9, attributes=same)
    await f.event(
        insp, sc, "contact", date(2025, 1, 5), sheet="List_1", row=4, attributes={"source": "2A"}
    )
    # a referral in List 3 and the same referral in List 6: nothing they say differs
    await f.event(
        insp, sc, "referral", date(2025, 1, 6), sheet="List_3", attributes={"source": "6"}
    )
    await f.event(
        insp, sc, "referral", date(2025, 1, 6), sheet="List_6", attributes={"primary_need": "N4"}
    )
    j = await journey_for_child(insp.id, child.id)
    shown = [(e.kind, e.recorded_by, e.detail_lines) for e in j.events]
    assert shown == [
        ("contact", "Annex A List 1", [("Source of contact", "Police")]),
        ("contact", "Annex A List 1", [("Source of contact", "Schools")]),
        (
            "referral",
            "Annex A List 3, Annex A List 6",
            [("Source of referral", "Police"), ("Primary need", "Family in acute stress")],
        ),
    ]
    assert [r.row for r in j.events[0].recordings] == [3, 9]
