from datetime import date

import pytest

from inspection.models import Child, Sample, SampleMember
from inspection.sampling import population as pop
from inspection.sampling import service
from tests.sampling.helpers import audited_elsewhere, authority, utc


def test_characteristics():
    assert pop.age_band(date(2026, 11, 3), date(2026, 11, 2)) == "unknown"
    assert pop.age_band(date(2025, 11, 3), date(2026, 11, 2)) == "under 1"
    assert pop.age_band(date(2025, 11, 2), date(2026, 11, 2)) == "1-4"
    assert pop.age_band(date(2010, 11, 2), date(2026, 11, 2)) == "16+"
    assert pop.age_band(date(2010, 11, 3), date(2026, 11, 2)) == "10-15"
    assert [
        pop.ethnicity_group(c)
        for c in (
            "a) WBRI",
            "mwbc",
            "AIND",
            "o) BAFR",
            "q) CHNE",
            "OOTH",
            "s) NOBT",
            "REFU",
            "",
            "zzz",
        )
    ] == [
        "White",
        "Mixed",
        "Asian",
        "Black",
        "Other",
        "Other",
        "Unknown",
        "Unknown",
        "Unknown",
        "Unknown",
    ]


async def test_population_filters(db):
    inspection = await authority(30)
    everyone = await pop.build(inspection.id, inspection.reference_date, {})
    assert len(everyone) == 30
    assert [m.key for m in everyone] == sorted(m.key for m in everyone)
    referrals = await pop.build(inspection.id, inspection.reference_date, {"cohort": "referrals"})
    assert len(referrals) == 15
    window = await pop.build(
        inspection.id,
        inspection.reference_date,
        {"cohort": "contacts", "from": "2026-03-01", "to": "2026-04-30"},
    )
    # contacts on 10 March and 10 April: i % 10 in (2, 3)
    assert sorted(m.la_child_id for m in window) == ["C002", "C003", "C012", "C013", "C022", "C023"]
    white_disabled = await pop.build(
        inspection.id,
        inspection.reference_date,
        {"ethnicity_groups": ["White"], "disability": ["Y"]},
    )
    assert [m.la_child_id for m in white_disabled] == ["C000"]
    # A child with no team of its own takes the team of its latest event.
    teams = {m.la_child_id: m.team for m in everyone}
    assert (teams["C002"], teams["C006"], teams["C004"]) == (
        "Late team",
        "Front door",
        "Assessment 2",
    )
    c10 = next(m for m in everyone if m.la_child_id == "C010")
    assert (c10.age_band, c10.ethnicity_group, c10.disability) == ("5-9", "Black", "Y")
    with pytest.raises(pop.PopulationError, match="Unknown cohort 'everyone'"):
        await pop.build(inspection.id, inspection.reference_date, {"cohort": "everyone"})


async def test_indicator_filters_use_the_journey_indicators(db, monkeypatch):
    inspection = await authority(10)
    children = await Child.filter(inspection_id=inspection.id).order_by("la_child_id")
    values = {
        c.id: {"contacts_nfa": i % 4, "re_referrals_12m": 1 if i == 2 else 0}
        for i, c in enumerate(children)
    }

    async def indicators_by_child(inspection_id):
        assert inspection_id == inspection.id
        return values

    monkeypatch.setattr(pop.journey_indicators, "indicators_by_child", indicators_by_child)
    members = await pop.build(
        inspection.id,
        inspection.reference_date,
        {"indicators": [{"name": "contacts_nfa", "op": ">=", "value": 3}]},
    )
    assert sorted(m.la_child_id for m in members) == ["C003", "C007"]
    both = await pop.build(
        inspection.id,
        inspection.reference_date,
        {
            "indicators": [
                {"name": "contacts_nfa", "op": ">=", "value": 2},
                {"name": "re_referrals_12m", "op": ">=", "value": 1},
            ]
        },
    )
    assert [m.la_child_id for m in both] == ["C002"]


async def test_preview_gives_size_and_breakdown(db):
    inspection = await authority(12)
    result = await service.preview(inspection.id, {"cohort": "referrals"}, "disability")
    assert result.size == 6
    assert result.strata == [("N", 4), ("Y", 2)]
    assert result.characteristics["ethnicity_group"] == [
        ("Asian", 1),
        ("Black", 1),
        ("Mixed", 1),
        ("Other", 1),
        ("Unknown", 1),
        ("White", 1),
    ]


async def test_preview_lists_age_bands_youngest_first(db):
    inspection = await authority(40)
    result = await service.preview(inspection.id, {}, "age_band")
    bands = [value for value, _ in result.strata]
    assert {"5-9", "10-15"} <= set(bands), bands  # "10-15" sorts before "5-9" as text
    assert bands == [b for b in pop.AGE_BANDS if b in bands]
    assert [value for value, _ in result.characteristics["age_band"]] == bands


async def test_recently_audited_children_are_left_out(db):
    inspection = await authority(20)
    await audited_elsewhere(inspection, ["C001", "C002"], utc(2026, 1, 15))  # within 12 months
    await audited_elsewhere(inspection, ["C003"], utc(2025, 10, 1))  # earlier than 12 months
    sample = await service.draw_sample(inspection.id, {}, size=18, seed="01")
    assert sample.population_size == 18
    assert sample.params["excluded"] == sorted(
        [
            str(c.id)
            for c in await Child.filter(
                inspection_id=inspection.id, la_child_id__in=["C001", "C002"]
            )
        ]
    )
    keys = {m.population_key for m in await SampleMember.filter(sample_id=sample.id)}
    assert not keys & set(sample.params["excluded"])
    wider = await service.preview(inspection.id, {}, exclude_audited_months=14)
    assert (wider.size, wider.excluded) == (17, 3)
    none = await service.preview(inspection.id, {}, exclude_audited_months=0)
    assert (none.size, none.excluded) == (20, 0)


async def test_draw_stores_a_verifiable_locked_sample(db):
    inspection = await authority(40)
    sample = await service.draw_sample(
        inspection.id,
        {},
        size=8,
        stratify_by="disability",
        reserve=2,
        seed="aa" * 32,
        purpose="Front door",
    )
    assert sample.method == "stratified-proportional"
    assert sample.seed == "aa" * 32
    assert sample.params["algorithm"] == "pcg64-argsort-v1"
    document = await service.sample_document(inspection.id, sample.id)
    assert document["strata"] == [
        {"stratum": "N", "population": 32, "selected": 6},
        {"stratum": "Y", "population": 8, "selected": 2},
    ]
    selected = [m for m in document["members"] if m["status"] == "selected"]
    assert sum(m["weight"] for m in selected) == 40
    assert {m["stratum"]: m["inclusion_probability"] for m in selected} == {"N": 6 / 32, "Y": 2 / 8}
    assert document["verify_command"] == (
        f"inspection sample verify --inspection {inspection.id} --sample {sample.id}"
    )
    assert (await service.verify(inspection.id, sample.id)).ok
    again = await service.draw_sample(
        inspection.id, {}, size=8, stratify_by="disability", reserve=2, seed="aa" * 32
    )
    assert again.result_hash == sample.result_hash
    random_seed = await service.draw_sample(inspection.id, {}, size=8)
    assert len(random_seed.seed) == 64 and random_seed.seed != sample.seed


async def test_replacement_takes_the_next_reserve_of_the_same_stratum(db):
    inspection = await authority(40)
    sample = await service.draw_sample(
        inspection.id, {}, size=6, stratify_by="disability", reserve=2, seed="bb"
    )
    members = await SampleMember.filter(sample_id=sample.id).order_by("stratum", "order")
    first_y = next(m for m in members if m.stratum == "Y" and m.status == "selected")
    reserves = [m for m in members if m.stratum == "Y" and m.status == "reserve"]
    with pytest.raises(service.SamplingError, match="needs a reason"):
        await service.replace_member(inspection.id, sample.id, first_y.id, "  ")
    one = await service.replace_member(inspection.id, sample.id, first_y.id, "Family moved away")
    assert (one.population_key, one.order, one.status) == (
        reserves[0].population_key,
        reserves[0].order,
        "replacement",
    )
    replaced = await SampleMember.get(id=first_y.id)
    assert (replaced.status, replaced.replaced_by_id, replaced.reason) == (
        "replaced",
        one.id,
        "Family moved away",
    )
    assert replaced.changed_at is not None
    two = await service.replace_member(inspection.id, sample.id, one.id, "Case closed in 2019")
    assert two.population_key == reserves[1].population_key
    with pytest.raises(service.SamplingError, match="No reserve is left in stratum 'Y'"):
        await service.replace_member(inspection.id, sample.id, two.id, "Again")
    with pytest.raises(service.SamplingError, match="only a selected member"):
        await service.replace_member(inspection.id, sample.id, first_y.id, "Again")
    report = await service.verify(inspection.id, sample.id)
    assert report.ok, report.failed
    active = await SampleMember.filter(
        sample_id=sample.id, stratum="Y", status__in=["selected", "replacement"]
    )
    assert len(active) == len([m for m in members if m.stratum == "Y" and m.status == "selected"])


async def test_nothing_edits_or_deletes_a_sample():
    names = set(dir(service))
    assert not {n for n in names if n.startswith(("delete", "edit", "update", "remove"))}


TAMPERS = {
    "seed": ("seed", lambda s: "cd" * 32, "result_hash"),
    "params": ("params", lambda s: {**s.params, "size": 7}, "result_hash"),
    "method": ("method", lambda s: "stratified-equal", "params"),
    "population ids": (
        "population_ids",
        lambda s: [[k, st] for k, st in s.population_ids if k != s.population_ids[0][0]],
        "population_hash",
    ),
    "population hash": ("population_hash", lambda s: "0" * 64, "population_hash"),
    "result hash": ("result_hash", lambda s: "f" * 64, "result_hash"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
async def test_verification_fails_when_a_stored_input_is_tampered_with(db, name):
    inspection = await authority(30)
    sample = await service.draw_sample(
        inspection.id, {}, size=6, stratify_by="team", reserve=1, seed="ab" * 32
    )
    assert (await service.verify(inspection.id, sample.id)).ok
    field, change, failing = TAMPERS[name]
    await Sample.filter(id=sample.id).update(**{field: change(sample)})
    report = await service.verify(inspection.id, sample.id)
    assert not report.ok
    assert failing in [c.name for c in report.failed]


async def test_verification_fails_when_the_member_list_is_tampered_with(db):
    inspection = await authority(30)
    sample = await service.draw_sample(inspection.id, {}, size=6, reserve=2, seed="ab" * 32)
    members = await SampleMember.filter(sample_id=sample.id).order_by("order")
    outsider = next(
        c
        for c in await Child.filter(inspection_id=inspection.id)
        if str(c.id) not in {m.population_key for m in members}
    )
    await SampleMember.filter(id=members[0].id).update(population_key=str(outsider.id))
    report = await service.verify(inspection.id, sample.id)
    assert [c.name for c in report.failed] == ["members"]
    assert f"stored key {outsider.id}, drawn key {members[0].population_key}" in (
        report.failed[0].detail
    )

    await SampleMember.filter(id=members[0].id).update(population_key=members[0].population_key)
    await SampleMember.filter(id=members[-1].id).delete()
    report = await service.verify(inspection.id, sample.id)
    assert [c.name for c in report.failed] == ["members"]
    assert "was drawn but is not stored" in report.failed[0].detail


async def test_verification_fails_when_a_replacement_skips_the_reserve_order(db):
    inspection = await authority(30)
    sample = await service.draw_sample(inspection.id, {}, size=4, reserve=3, seed="12")
    members = await SampleMember.filter(sample_id=sample.id).order_by("order")
    replacement = await service.replace_member(inspection.id, sample.id, members[0].id, "Moved")
    await SampleMember.filter(id=replacement.id).update(
        population_key=members[5].population_key, order=members[5].order
    )
    report = await service.verify(inspection.id, sample.id)
    assert [c.name for c in report.failed] == ["replacements"]
    assert "but the next reserve was" in report.failed[0].detail


async def test_samples_are_scoped_by_inspection(db):
    first = await authority(10, "S01")
    second = await authority(10, "S02")
    sample = await service.draw_sample(first.id, {}, size=2, seed="01")
    with pytest.raises(service.SamplingError, match="There is no sample"):
        await service.verify(second.id, sample.id)
    other_children = {str(c.id) for c in await Child.filter(inspection_id=second.id)}
    assert not {k for k, _ in sample.population_ids} & other_children


async def test_indicator_filter_with_the_real_journey_indicators(db):
    inspection = await authority(12)
    everyone = await service.preview(
        inspection.id, {"indicators": [{"name": "signals_before_help", "op": ">=", "value": 1}]}
    )
    nobody = await service.preview(
        inspection.id, {"indicators": [{"name": "contacts_nfa", "op": ">", "value": 99}]}
    )
    # Every child has a contact and no help, so each has at least one signal.
    assert (everyone.size, nobody.size) == (12, 0)


async def test_children_in_need_are_cin_plans_and_list_6_episodes(db):
    from datetime import date

    from inspection.models import Child, Event, Upload
    from inspection.sampling import population
    from tests.sampling.helpers import REFERENCE, authority

    inspection = await authority(children=6, code="CIN")
    upload = await Upload.get(inspection_id=inspection.id)
    kids = await Child.filter(inspection_id=inspection.id).order_by("la_child_id")
    # C000 and C002 already have plain referrals (not episodes) from the helper.
    await Event.create(
        inspection=inspection,
        child=kids[1],
        upload=upload,
        agency="social_care",
        kind="referral",
        start=date(2026, 7, 1),
        attributes={"episode_start": True},
    )
    await Event.create(
        inspection=inspection,
        child=kids[3],
        upload=upload,
        agency="social_care",
        kind="cin_plan_start",
        start=date(2026, 8, 1),
    )
    members = await population.build(inspection.id, REFERENCE, {"cohort": "children_in_need"})
    assert [m.la_child_id for m in members] == ["C001", "C003"]
    window = await population.build(
        inspection.id, REFERENCE, {"cohort": "children_in_need", "from": "2026-07-15"}
    )
    assert [m.la_child_id for m in window] == ["C003"]


async def test_the_default_population_is_the_children_the_authority_knows(db):
    inspection = await authority(5)
    await Child.create(inspection=inspection, la_child_id=None, given_name="Partner", dob=None)
    preview = await service.preview(inspection.id, {})
    assert preview.size == 5
    assert pop.describe({}) == (
        "Every child known to the authority's children's social care "
        "(not people known only to partner agencies)"
    )
