"""Every grade a save carries is checked against the audit's own rubric version: a value that
is not a grade is refused with a message naming the field, and nothing changes, so every
offline pack of the sample still builds and loads."""

from __future__ import annotations

import httpx2
import pytest

from inspection.audit.audits import AuditError, create_audit, save_audit
from inspection.export.offline import build_offline_pack, import_offline_pack
from inspection.models import Audit, AuditRevision, Score
from inspection.models.core import Role
from inspection.web.app import create_app
from inspection.web.sessions import COOKIE_NAME
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user
from tests.security.world import session_for

CHOICES = "Outstanding, Good, Requires improvement to be good or Inadequate"
REFUSED = [
    (
        "grade:impact",
        '=HYPERLINK("http://evil.example","click")',
        f"Impact: what difference the help made and whether it lasted: grade must be {CHOICES}.",
    ),
    ("overall", "bogus-overall", f"Overall judgement must be {CHOICES}, or left as proposed."),
    (
        "grade:child_seen",
        "not_applicable",
        "The child seen, heard and understood: grade cannot be Not applicable: this domain "
        "always applies.",
    ),
    (
        "grade:need_and_risk",
        "Good",  # the label, not the value
        f"Need and risk recognised early across agencies: grade must be {CHOICES}.",
    ),
    (
        "grade:assessment",
        "x" * 300,
        f"Quality of assessment and analysis: grade must be {CHOICES}.",
    ),
]


async def _state(audit_id: int) -> tuple[object, ...]:
    audit = await Audit.get(id=audit_id)
    scores = sorted(await Score.filter(audit_id=audit_id).values_list("domain", "grade"))
    revisions = await AuditRevision.filter(audit_id=audit_id).count()
    return audit.version, audit.overall, audit.proposed_overall, scores, revisions


async def _pack_loads(inspection_id: int, sample_id: int, user: object) -> None:
    pack = await build_offline_pack(inspection_id, sample_id, user)  # type: ignore[arg-type]
    result = await import_offline_pack(
        inspection_id,
        pack.data,
        user,
        Role.INSPECTOR,
        sample_id=sample_id,  # type: ignore[arg-type]
    )
    assert [str(p) for p in result.problems] == []
    assert result.saved


@pytest.mark.parametrize(("field", "value", "message"), REFUSED, ids=[f for f, _, _ in REFUSED])
async def test_a_value_that_is_not_a_grade_is_refused_naming_the_field(db, field, value, message):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    await save_audit(inspection.id, audit.id, auditor, auditor.role, 1, ALL_GOOD)
    before = await _state(audit.id)
    with pytest.raises(AuditError) as refused:
        await save_audit(
            inspection.id, audit.id, auditor, auditor.role, 2, {**ALL_GOOD, field: value}
        )
    assert str(refused.value) == message
    assert await _state(audit.id) == before
    await _pack_loads(inspection.id, sample.id, auditor)


async def test_every_bad_grade_is_named_at_once(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    values = {**ALL_GOOD, **{field: value for field, value, _ in REFUSED}}
    with pytest.raises(AuditError) as refused:
        await save_audit(inspection.id, audit.id, auditor, auditor.role, 1, values)
    in_form_order = [REFUSED[i][2] for i in (2, 3, 4, 0, 1)]
    assert str(refused.value) == " ".join(in_form_order)


async def test_grades_the_rubric_allows_are_saved(db):
    """Blank (not graded yet), every grade of the scale, and Not applicable where allowed."""
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    values = {
        **ALL_GOOD,
        "grade:child_seen": "outstanding",
        "grade:need_and_risk": "",
        "grade:assessment": "not_applicable",  # allowed for this domain
        "grade:impact": "requires_improvement",
        "evidence:impact": "No change yet.",
        "overall": "inadequate",
        "overall_reason": "Drift.",
    }
    result = await save_audit(inspection.id, audit.id, auditor, auditor.role, 1, values)
    assert result.version == 2
    grades = dict(await Score.filter(audit_id=audit.id).values_list("domain", "grade"))
    assert (grades["child_seen"], grades["need_and_risk"], grades["assessment"]) == (
        "outstanding",
        "",
        "not_applicable",
    )
    assert (await Audit.get(id=audit.id)).overall == "inadequate"


async def test_the_autosave_fragment_shows_the_refusal(db):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    app = create_app(db, manage_database=False)
    headers = {
        "cookie": f"{COOKIE_NAME}={await session_for(auditor)}",
        "sec-fetch-site": "same-origin",
        "hx-request": "true",
    }
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        response = await client.post(
            f"/inspections/{inspection.id}/audits/{audit.id}/save",
            data={"version": "1", "grade:impact": "=HYPERLINK(1)", "overall": "bogus-overall"},
            headers=headers,
        )
    assert response.status_code == 400
    assert response.text.startswith('<div id="autosave-status"')
    assert (
        '<p class="govuk-error-message">Impact: what difference the help made and whether it '
        f"lasted: grade must be {CHOICES}. Overall judgement must be {CHOICES}, or left as "
        "proposed.</p>"
    ) in response.text
    assert (await Audit.get(id=audit.id)).version == 1
    await _pack_loads(inspection.id, sample.id, auditor)
