"""The findings cost a fixed number of queries: the same for a sample of 4 and of 16, for one
round and for three, for every kind of viewer."""

from __future__ import annotations

from datetime import UTC, date, datetime

from inspection.audit.definition import definition_of
from inspection.audit.findings import findings
from inspection.audit.rubric import default_rubric
from inspection.audit.visibility import COMMAND_LINE, Viewer, visible_audits
from inspection.models import Audit, Inspection, Moderation, ModerationPlan, Score, User
from inspection.models.core import Role
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.query_count import count_queries

MOST = 6


async def _round(reference: date, n: int, auditor: User, second: User) -> Inspection:
    """A round of the same authority with ``n`` submitted first markings, the first child
    second-marked and moderated, and a moderation plan."""
    inspection = await make_inspection("Q01", reference)
    for user, role in ((auditor, "inspector"), (second, "inspector")):
        await make_user(inspection, user.email, role)
    sample, members = await make_sample(inspection, n, seed="abc123")
    await ModerationPlan.create(inspection_id=inspection.id, sample=sample, share=0.25)
    rubric = await default_rubric()
    grades = ["good", "requires_improvement", "outstanding", "inadequate"]
    domains = [d.key for d in definition_of(rubric).domains]
    for i, member in enumerate(members):
        audit = await Audit.create(
            inspection=inspection,
            member=member,
            child_id=member.child_id,
            auditor=auditor,
            rubric=rubric,
            status="submitted",
            overall=grades[i % 4],
            themes=["voice"] if i % 2 else [],
            submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
        )
        for d in domains:
            await Score.create(
                inspection_id=inspection.id, audit=audit, domain=d, grade=grades[i % 4]
            )
        if i == 0:
            again = await Audit.create(
                inspection=inspection,
                member=member,
                child_id=member.child_id,
                auditor=second,
                rubric=rubric,
                marking="second",
                status="submitted",
                overall="inadequate",
            )
            await Moderation.create(
                inspection_id=inspection.id,
                first_audit=audit,
                second_audit=again,
                domain="overall",
                agreed_grade="requires_improvement",
            )
    return inspection


async def _counts(n: int, rounds: int) -> list[tuple[int, int]]:
    """(queries, audits counted) of the latest round's findings for each kind of viewer."""
    auditor = await User.get_or_none(email="a@q.test") or await User.create(
        email="a@q.test", name="A", password_hash="x", role="inspector"
    )
    second = await User.get_or_none(email="s@q.test") or await User.create(
        email="s@q.test", name="S", password_hash="x", role="inspector"
    )
    latest = None
    for r in range(rounds):
        latest = await _round(date(2024 + r, 11, 1), n, auditor, second)
    assert latest is not None
    lead = await make_user(latest, "lead@q.test", "lead_inspector")
    admin = await User.create(email="admin@q.test", name="Ad", password_hash="x", role="admin")
    out = []
    for viewer in (
        COMMAND_LINE,
        Viewer(auditor, Role.INSPECTOR),
        Viewer(lead, Role.LEAD_INSPECTOR),
        Viewer(admin, Role.ADMIN),
    ):
        seen = await visible_audits(latest.id, viewer)
        firsts = await Audit.filter(
            id__in=sorted(seen), marking="first", status="submitted"
        ).count()
        with count_queries() as queries:
            doc = await findings(latest.id, viewer)
        assert len(doc["trend"]) == (rounds if viewer.user is not lead else 1)
        assert doc["audits"] == firsts
        assert doc["journey_indicators"]["children"] == firsts
        out.append((queries.count, doc["audits"]))
    return out


async def test_findings_queries_do_not_grow_with_the_sample_or_the_rounds(db):
    small = await _counts(4, 1)
    await _clear()
    large = await _counts(16, 3)
    assert [q for q, _ in small] == [q for q, _ in large]
    assert all(q <= MOST for q, _ in large), large
    # The command line does not see the first marking of a child chosen for second marking
    # until the second marking is submitted (every Inadequate is chosen: the fourth child's);
    # the auditor, a lead and an admin see every one.
    for n, counted in ((4, small), (16, large)):
        assert counted[0][1] < n
        assert [a for _, a in counted[1:]] == [n, n, n]


async def _clear() -> None:
    from tortoise.contrib.test import truncate_all_models

    await truncate_all_models()


# What an autosave sends, whatever the rubric's size: the session, the membership, the audit
# with its rubric, then (in one transaction) the audit's new version, every domain's score in
# one upsert, and the revision.
AUTOSAVE_QUERIES = 6


async def test_an_autosave_reads_the_audit_once_and_writes_in_three_statements(db):
    import httpx2

    from inspection.audit.audits import create_audit
    from inspection.models import AuditRevision
    from inspection.web.app import create_app
    from tests.audit.helpers import PASSWORD

    inspection = await make_inspection("Q02", date(2026, 11, 1))
    _sample, members = await make_sample(inspection, 2, seed="abc123")
    auditor = await make_user(inspection, "saver@q.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        r = await client.post("/login", data={"email": auditor.email, "password": PASSWORD})
        assert r.status_code == 303
        url = f"/inspections/{inspection.id}/audits/{audit.id}/save"
        counts = []
        for version, grade in ((1, "good"), (2, "outstanding"), (3, "requires_improvement")):
            form = {"version": str(version), "strengths": f"Note {version}.", "grade:impact": grade}
            with count_queries() as queries:
                saved = await client.post(url, data=form, headers={"HX-Request": "true"})
            assert saved.status_code == 200
            assert f'id="audit-version" value="{version + 1}"' in saved.text
            counts.append(queries.count)
            audit_reads = [s for s in queries.statements if s.upper().startswith("SELECT")]
            assert sum('FROM "audit"' in s for s in audit_reads) == 1, audit_reads
    assert counts == [AUTOSAVE_QUERIES] * 3, counts
    stored = await Score.get(audit_id=audit.id, domain="impact")
    assert stored.grade == "requires_improvement"
    assert await AuditRevision.filter(audit_id=audit.id).count() == 4
