"""Many auditors saving and submitting at once: no update lost, nobody overwritten.

On PostgreSQL the saves really run at the same time on separate pooled connections; on SQLite
they interleave on one connection. Either way the version check is one conditional UPDATE, and
(sample member, marking) is unique in the database, so a marking is started once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
import pytest

from inspection.audit.audits import (
    AuditConflict,
    AuditError,
    audit_values,
    create_audit,
    get_audit,
    save_audit,
    submit_audit,
)
from inspection.audit.definition import definition_of
from inspection.audit.moderation import set_plan
from inspection.models import Audit, AuditRevision
from inspection.web.app import create_app
from inspection.web.sessions import COOKIE_NAME
from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user
from tests.reliability.test_faults import assert_revisions_consistent
from tests.security.world import session_for

DOMAINS = (
    "child_seen",
    "need_and_risk",
    "assessment",
    "help_matched",
    "agencies_together",
    "planning_review",
    "management_oversight",
    "impact",
)


async def test_twenty_saves_from_one_version_exactly_one_wins(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)

    async def save(i: int) -> tuple[int, Any]:
        user = auditor if i % 2 else lead
        values = {"strengths": f"Tab {i}.", "grade:impact": "good" if i % 3 else "inadequate"}
        try:
            return i, await save_audit(inspection.id, audit.id, user, user.role, 1, values)
        except AuditConflict as conflict:
            return i, conflict

    outcomes = await asyncio.gather(*(save(i) for i in range(20)))
    winners = [(i, r) for i, r in outcomes if not isinstance(r, AuditConflict)]
    losers = [r for _, r in outcomes if isinstance(r, AuditConflict)]
    assert len(winners) == 1 and len(losers) == 19
    won, result = winners[0]
    assert result.version == 2
    assert {c.current_version for c in losers} == {2}
    stored = await get_audit(inspection.id, audit.id)
    assert stored.version == 2 and stored.strengths == f"Tab {won}."
    values = await audit_values(stored, definition_of(stored.rubric))
    assert values["grade:impact"] == ("good" if won % 3 else "inadequate")
    # Every loser is shown the winner's values as "theirs" and keeps its own as "yours".
    assert {c.theirs["strengths"] for c in losers} == {f"Tab {won}."}
    assert sorted(c.yours["strengths"] for c in losers) == sorted(
        f"Tab {i}." for i in range(20) if i != won
    )
    await assert_revisions_consistent(audit.id)


async def test_eight_editors_who_reload_on_conflict_lose_no_update(db):
    """Each writes one domain; on a conflict they reload and reapply: all eight domains survive."""
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    conflicts = [0]

    async def edit(domain: str) -> None:
        for _ in range(50):
            current = await get_audit(inspection.id, audit.id)
            values = await audit_values(current, definition_of(current.rubric))
            values[f"grade:{domain}"] = "good"
            values[f"evidence:{domain}"] = f"Evidence for {domain}."
            try:
                await save_audit(
                    inspection.id, audit.id, auditor, auditor.role, current.version, values
                )
                return
            except AuditConflict:
                conflicts[0] += 1
                await asyncio.sleep(0)
        raise AssertionError(f"{domain} never saved")

    await asyncio.gather(*(edit(d) for d in DOMAINS))
    stored = await get_audit(inspection.id, audit.id)
    values = await audit_values(stored, definition_of(stored.rubric))
    assert {d: values[f"grade:{d}"] for d in DOMAINS} == dict.fromkeys(DOMAINS, "good")
    assert {d: values[f"evidence:{d}"] for d in DOMAINS} == {
        d: f"Evidence for {d}." for d in DOMAINS
    }
    assert stored.version == 1 + len(DOMAINS)
    assert conflicts[0] > 0  # they really did collide
    await assert_revisions_consistent(audit.id)


async def test_thirty_auditors_autosaving_and_submitting_their_own_audits_at_once(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=30)
    auditors = [await make_user(inspection, f"a{i}@x.test", "inspector") for i in range(30)]
    audits = [
        await create_audit(inspection.id, m.id, a) for m, a in zip(members, auditors, strict=True)
    ]

    async def work(i: int) -> None:
        user, audit = auditors[i], audits[i]
        version = 1
        for step in range(3):
            result = await save_audit(
                inspection.id,
                audit.id,
                user,
                user.role,
                version,
                {**ALL_GOOD, "strengths": f"Auditor {i} draft {step}."},
            )
            version = result.version
        submitted, missing = await submit_audit(
            inspection.id,
            audit.id,
            user,
            user.role,
            version,
            {**ALL_GOOD, "strengths": f"Auditor {i} final."},
        )
        assert missing == [] and submitted.status == "submitted"

    await asyncio.gather(*(work(i) for i in range(30)))
    rows = await Audit.filter(id__in=[a.id for a in audits]).order_by("id")
    assert [(r.status, r.version, r.strengths) for r in rows] == [
        ("submitted", 6, f"Auditor {i} final.") for i in range(30)
    ]
    assert await AuditRevision.filter(audit_id__in=[a.id for a in audits]).count() == 30 * 6
    for a in audits:
        await assert_revisions_consistent(a.id)


async def test_a_save_racing_a_submission_from_the_same_version_cannot_both_win(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    first = await save_audit(inspection.id, audit.id, auditor, auditor.role, 1, ALL_GOOD)

    async def attempt(kind: str) -> str:
        try:
            if kind == "submit":
                await submit_audit(inspection.id, audit.id, auditor, auditor.role, 2, ALL_GOOD)
            else:
                await save_audit(
                    inspection.id,
                    audit.id,
                    auditor,
                    auditor.role,
                    first.version,
                    {**ALL_GOOD, "strengths": "A late edit."},
                )
        except AuditConflict:
            return "conflict"
        return kind

    outcomes = await asyncio.gather(*(attempt(k) for k in ["submit", "save"] * 5))
    assert len([o for o in outcomes if o != "conflict"]) == 1
    stored = await get_audit(inspection.id, audit.id)
    if "submit" in outcomes:
        assert (stored.status, stored.version, stored.strengths) == (
            "submitted",
            4,
            ALL_GOOD["strengths"],
        )
    else:
        assert (stored.status, stored.version, stored.strengths) == ("draft", 3, "A late edit.")
    await assert_revisions_consistent(audit.id)


class _Inserts:
    """Counts the audits the code tries to insert (to show the calls really raced)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = Audit.create

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(Audit, "create", counted)


async def test_twenty_clicks_on_start_audit_make_one_first_marking(db, monkeypatch):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    inserts = _Inserts(monkeypatch)
    started = await asyncio.gather(
        *(create_audit(inspection.id, members[0].id, auditor) for _ in range(20))
    )
    assert inserts.count > 1  # several passed the "is there one already?" check at once
    rows = await Audit.filter(member_id=members[0].id).values_list("id", "marking", "auditor_id")
    assert rows == [(started[0].id, "first", auditor.id)]
    assert {a.id for a in started} == {started[0].id}
    assert await AuditRevision.filter(audit_id=started[0].id).count() == 1
    await assert_revisions_consistent(started[0].id)


async def test_three_auditors_starting_the_same_marking_at_once_make_one(db, monkeypatch):
    """15 requests, 5 from each of 3 auditors: one marking; its auditor's 5 requests get it,
    the 10 others the plain refusal."""
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    auditors = [await make_user(inspection, f"a{i}@x.test", "inspector") for i in range(3)]
    inserts = _Inserts(monkeypatch)

    async def start(user: Any) -> Any:
        try:
            return await create_audit(inspection.id, members[0].id, user)
        except AuditError as refusal:
            return str(refusal)

    outcomes = await asyncio.gather(*(start(auditors[i % 3]) for i in range(15)))
    assert inserts.count > 1
    rows = await Audit.filter(member_id=members[0].id).values("id", "auditor_id")
    assert len(rows) == 1
    winner = next(u for u in auditors if u.id == rows[0]["auditor_id"])
    for i, outcome in enumerate(outcomes):
        if auditors[i % 3] is winner:
            assert isinstance(outcome, Audit) and outcome.id == rows[0]["id"]
        else:
            assert outcome == "This child's first marking is already with another auditor."
    assert await AuditRevision.filter(audit_id=rows[0]["id"]).count() == 1


async def test_second_markings_started_at_once_make_one(db, monkeypatch):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=1)
    first_marker = await make_user(inspection, "a1@x.test", "inspector")
    second_marker = await make_user(inspection, "a2@x.test", "inspector")
    first = await create_audit(inspection.id, members[0].id, first_marker)
    await submit_audit(inspection.id, first.id, first_marker, first_marker.role, 1, ALL_GOOD)
    await set_plan(inspection.id, sample.id, 1.0, True)
    inserts = _Inserts(monkeypatch)
    started = await asyncio.gather(
        *(create_audit(inspection.id, members[0].id, second_marker, "second") for _ in range(10))
    )
    assert inserts.count > 1
    assert {a.id for a in started} == {started[0].id}
    assert await Audit.filter(member_id=members[0].id, marking="second").count() == 1


async def test_double_clicks_on_start_audit_in_the_browser_open_one_audit(db, monkeypatch):
    """Concurrent POSTs of the "Start first marking" form: every one lands on the same audit;
    another auditor's concurrent POSTs are refused with the plain message."""
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    one = await make_user(inspection, "a1@x.test", "inspector")
    other = await make_user(inspection, "a2@x.test", "inspector")
    cookies = {u.id: await session_for(u) for u in (one, other)}
    inserts = _Inserts(monkeypatch)
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as client:

        async def click(user: Any, member: Any) -> httpx2.Response:
            return await client.post(
                f"/inspections/{inspection.id}/audits",
                data={"member": str(member.id), "marking": "first"},
                headers={
                    "accept": "text/html",
                    "sec-fetch-site": "same-origin",
                    "cookie": f"{COOKIE_NAME}={cookies[user.id]}",
                },
            )

        same = await asyncio.gather(*(click(one, members[0]) for _ in range(10)))
        mixed = await asyncio.gather(
            *(click(u, members[1]) for _ in range(5) for u in (one, other))
        )
    assert inserts.count > 2
    audit = await Audit.get(member_id=members[0].id)
    assert [(r.status_code, r.headers["location"]) for r in same] == [
        (303, f"/inspections/{inspection.id}/audits/{audit.id}")
    ] * 10
    winner = await Audit.get(member_id=members[1].id)
    assert await Audit.filter(member_id__in=[m.id for m in members]).count() == 2
    for i, response in enumerate(mixed):
        if (one, other)[i % 2].id == winner.auditor_id:
            assert response.status_code == 303
            assert response.headers["location"].endswith(f"/audits/{winner.id}")
        else:
            assert response.status_code == 400
            assert "govuk-error-summary" in response.text
            assert "first marking is already with another auditor." in response.text
