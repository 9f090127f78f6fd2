from dataclasses import replace
from datetime import date, timedelta

from inspection.journey.build import journey_for_child, journeys_for_inspection
from inspection.journey.chronology import chronology_csv, chronology_rows
from inspection.journey.indicators import (
    DURATIONS,
    KEYS,
    aggregate,
    for_journey,
    indicators_by_child,
)
from inspection.models import Child
from tests.journey import factory as f


async def _child_with_history(shift_process_days: int = 0):
    """A child: police saw domestic abuse, a contact ended with no further action, a referral,
    assessment, s47 and conference, a CP plan that ended, then the child came back."""
    insp = await f.inspection()
    annex = await f.upload(insp, "annex_a.xlsx")
    cin = await f.upload(insp, "cin_census.xml")
    police_up = await f.upload(insp, "police.csv", "police")
    child = await Child.create(
        inspection=insp,
        la_child_id="C1",
        given_name="Ava",
        family_name="Cole",
        dob=date(2015, 1, 2),
    )
    sc = await f.record(insp, annex, "social_care", "C1", la_child_id="C1", child=child)
    census = await f.record(insp, cin, "social_care", "C1", la_child_id="C1", child=child)
    police = await f.record(insp, police_up, "police", "PP1", child=child)
    later = shift_process_days
    await f.event(insp, police, "police_domestic_abuse", date(2023, 1, 10), row=5)
    await f.event(insp, sc, "contact", date(2023, 1, 12), row=3, sheet="List_1")
    await f.event(insp, sc, "contact", date(2023, 3, 1), row=4, sheet="List_1")
    await f.event(insp, sc, "referral", date(2023, 4, 1), row=2, sheet="List_3")
    await f.event(insp, census, "referral", date(2023, 4, 1), row=7)  # same referral, again
    await f.event(
        insp,
        sc,
        "assessment_start",
        date(2023, 4, 2),
        sheet="List_4",
        attributes={"child_seen": "Y"},
    )
    await f.event(
        insp, sc, "assessment_authorised", date(2023, 4, 20) + timedelta(days=later), sheet="List_4"
    )
    await f.event(insp, sc, "strategy_discussion", date(2023, 4, 5), sheet="List_5")
    await f.event(insp, sc, "icpc", date(2023, 4, 25) + timedelta(days=later), sheet="List_5")
    await f.event(
        insp,
        sc,
        "cp_plan_start",
        date(2023, 4, 25),
        date(2023, 12, 1),
        sheet="List_7",
        attributes={"seen_alone": "N"},
    )
    await f.event(insp, sc, "cp_plan_end", date(2023, 12, 1), sheet="List_7")
    await f.event(insp, sc, "cp_review", date(2023, 7, 25) + timedelta(days=later), sheet="List_7")
    await f.event(insp, sc, "early_help_start", date(2024, 1, 10), date(2024, 3, 1))
    await f.event(insp, sc, "early_help_end", date(2024, 3, 1))
    await f.event(insp, sc, "referral", date(2024, 3, 20), row=9, sheet="List_3")
    await f.event(insp, police, "missing_episode", date(2024, 3, 25), date(2024, 3, 26), row=8)
    await f.event(insp, sc, "cp_plan_start", date(2024, 5, 1), sheet="List_7")
    return insp, child


async def test_journey_orders_dedupes_and_finds_first_need_and_help(db):
    insp, child = await _child_with_history()
    j = await journey_for_child(insp.id, child.id)
    assert j.first_need == date(2023, 1, 10)
    assert j.first_help == date(2023, 4, 25)
    kinds = [(e.start.isoformat(), e.kind) for e in j.events]
    assert kinds[:4] == [
        ("2023-01-10", "police_domestic_abuse"),
        ("2023-01-12", "contact"),
        ("2023-03-01", "contact"),
        ("2023-04-01", "referral"),
    ]
    referral = j.events[3]
    assert referral.source_file == "annex_a.xlsx" and referral.source_sheet == "List_3"
    assert referral.also_reported_by == ["cin_census.xml"]
    assert sum(1 for e in j.events if e.kind == "referral") == 2
    assert [(ep.need_start, ep.help_start, ep.help_end) for ep in j.episodes] == [
        (date(2023, 1, 10), date(2023, 4, 25), date(2024, 3, 1)),
        (date(2024, 3, 20), date(2024, 5, 1), None),
    ]
    bulk = await journeys_for_inspection(insp.id)
    assert list(bulk) == [child.id]
    assert [e.id for e in bulk[child.id].events] == [e.id for e in j.events]


async def test_indicators_for_the_child(db):
    insp, child = await _child_with_history()
    ind = (await indicators_by_child(insp.id))[child.id]
    assert set(ind) == set(KEYS)
    assert ind == {
        "days_to_help": 105,
        "signals_before_help": 4,
        "agencies_before_help": 2,
        "contacts_nfa": 2,
        "re_referrals_12m": 1,
        "step_down_up": True,
        "returns_after_help_12m": 1,
        "repeat_cp_plans": 1,
        "placement_moves_12m": 0,
        "missing_episodes": 1,
        "seen": True,
        "seen_alone": False,
        "voice_recorded": None,
    }
    summary = aggregate({child.id: ind})
    assert summary["children"] == 1
    assert summary["days_to_help"] == {"known": 1, "non_zero": 1, "median": 105.0, "total": 105.0}
    assert summary["step_down_up"] == {"known": 1, "yes": 1}


async def test_moving_process_dates_past_any_timescale_changes_no_indicator(db):
    insp, child = await _child_with_history(shift_process_days=0)
    before = for_journey(await journey_for_child(insp.id, child.id))
    await db_reset()
    insp2, child2 = await _child_with_history(shift_process_days=400)
    j = await journey_for_child(insp2.id, child2.id)
    assert any(e.kind == "icpc" and e.start == date(2024, 5, 29) for e in j.events)
    assert any(e.kind == "assessment_authorised" and e.start == date(2024, 5, 24) for e in j.events)
    after = for_journey(j)
    for key in KEYS:
        if key not in DURATIONS:
            assert after[key] == before[key], key


async def db_reset():
    from tortoise.contrib.test import truncate_all_models

    await truncate_all_models()


async def test_chronology_rows_and_csv(db):
    insp, child = await _child_with_history()
    j = await journey_for_child(insp.id, child.id)
    rows = chronology_rows(j)
    assert len(rows) == len(j.events)
    assert rows[0] == {
        "date": date(2023, 1, 10),
        "end_date": None,
        "agency": "Police",
        "what_happened": "Police domestic abuse notification (first sign of need)",
        "source": "police.csv, row 5",
        "details": "",
    }
    first_plan = next(
        r for r in rows if r["what_happened"].startswith("Child protection plan started")
    )
    assert first_plan["what_happened"] == "Child protection plan started (help started)"
    assert first_plan["details"] == "Child seen alone: No"
    text = chronology_csv(j)
    lines = text.split("\r\n")
    assert lines[0] == "Date,End date,Agency,What happened,Source,Details"
    assert (
        lines[1] == "10/01/2023,,Police,Police domestic abuse notification (first sign of need),"
        '"police.csv, row 5",'
    )
    assert replace(j.events[0]).id == j.events[0].id
