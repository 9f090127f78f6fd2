"""One definition of a child in need: the child sampling counts in its children-in-need cohort
is the child the findings report under "Child in need"."""

from datetime import date

from inspection.audit.audits import create_audit, submit_audit
from inspection.audit.findings import findings
from inspection.audit.visibility import Viewer
from inspection.models import Child, Event, Upload
from inspection.models.core import Role
from inspection.sampling import population
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user


async def test_a_child_in_need_known_from_annex_a_is_sampled_and_reported_as_in_need(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=6)
    upload = await Upload.get(inspection_id=inspection.id)
    children = {c.la_child_id: c for c in await Child.filter(inspection_id=inspection.id)}
    # C001: in need only as Annex A List 6 shows it (the referral that opened the episode);
    # C002: a child-in-need plan from the CIN census; C004 and C005: plain referrals only.
    for la_child_id, kind, attributes in (
        ("C001", "referral", {"episode_start": True}),
        ("C002", "cin_plan_start", {}),
    ):
        await Event.create(
            inspection=inspection,
            child=children[la_child_id],
            upload=upload,
            agency="social_care",
            kind=kind,
            start=date(2026, 7, 1),
            attributes=attributes,
        )
    cohort = await population.build(
        inspection.id, inspection.reference_date, {"cohort": "children_in_need"}
    )
    assert [m.la_child_id for m in cohort] == ["C001", "C002"]

    auditor = await make_user(inspection, "a@x.test", "inspector")
    for m in members:
        audit = await create_audit(inspection.id, m.id, auditor)
        await submit_audit(inspection.id, audit.id, auditor, Role.INSPECTOR, 1, dict(ALL_GOOD))
    doc = await findings(inspection.id, Viewer(None, None))
    cohorts = {g["group"]: g["n"] for g in doc["rubrics"][0]["by_cohort"]}
    # C000 and C003 have child protection plans (the helper gives every third child one).
    assert cohorts == {
        "Child protection plan": 2,
        "Child in need": 2,
        "No help episode recorded": 2,
    }
