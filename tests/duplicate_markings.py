"""A database with duplicated markings, migrated to 0004, then to the latest; prints what is left.

Run as ``python -m tests.duplicate_markings`` with ``INSPECTION_DATABASE_URL`` naming an empty
database (tests/test_migrations.py does). The duplicates are those the race on "Start audit"
made before migration 0005, one of each case its rule covers:

- member 1, first marking: a blank draft (a concern raised from it) and a draft saved twice;
- member 2, first marking: two submitted (the later one moderated twice, a concern raised from
  it) and a draft (a concern raised from it); one second marking, moderated against both;
- member 3, second marking: two drafts of the same version, saved at different times;
- member 4: one first marking (no duplicate);
- two first markings whose member was deleted (none to merge).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from inspection.audit.definition import definition_of
from inspection.audit.rubric import default_rubric
from inspection.db import database, upgrade
from inspection.models import (
    AccessLog,
    Audit,
    AuditRevision,
    Concern,
    LocalAuthority,
    Moderation,
    Sample,
    SampleMember,
    Score,
    User,
)
from inspection.settings import load

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def populate() -> dict[str, int]:
    """The audits by name (``m1_blank``...) with their ids."""
    rubric = await default_rubric()
    domains = [d.key for d in definition_of(rubric).domains]
    la = await LocalAuthority.create(code="E09", name="Authority E09")
    users = {
        name: await User.create(email=f"{name}@x.test", name=name, password_hash="x", role=role)
        for name, role in (("ann", "inspector"), ("bob", "inspector"), ("lee", "lead_inspector"))
    }
    # Written as the schema at 0004 has it: the model may since have gained columns.
    conn = Tortoise.get_connection("default")
    await conn.execute_query(
        "INSERT INTO inspection (la_id, kind, title, reference_date, status, created_at) "
        f"VALUES ({la.id}, 'self-audit', 'Audit round', '2026-11-01', 'open', '2026-11-20')"
    )
    _, found = await conn.execute_query("SELECT MAX(id) AS id FROM inspection")
    iid = int(dict(found[0])["id"])
    sample = await Sample.create(
        inspection_id=iid, method="srs", seed="5eed", population_hash="h", population_size=9
    )
    for i in range(5):
        await conn.execute_query(
            "INSERT INTO child (inspection_id, la_child_id, given_name, family_name, sex, "
            "ethnicity, disability, postcode, team, worker, attributes) "
            f"VALUES ({iid}, 'C{i}', 'C{i}', '', '', '', '', '', '', '', '{{}}')"
        )
        _, made = await conn.execute_query("SELECT MAX(id) AS id FROM child")
        child_id = int(dict(made[0])["id"])
        await conn.execute_query(
            "INSERT INTO sample_member (inspection_id, sample_id, child_id, population_key, "
            'stratum, inclusion_probability, weight, "order", status, reason) '
            f"VALUES ({iid}, {sample.id}, {child_id}, 'C{i}', '', 1.0, 1.0, {i}, 'selected', '')"
        )
    # Read back only the columns the schema at 0004 has.
    members = await SampleMember.filter(inspection_id=iid).order_by("id").only("id", "child_id")
    audits: dict[str, int] = {}

    async def audit(
        name: str,
        member: SampleMember | None,
        marking: str,
        auditor: str,
        *,
        version: int = 1,
        submitted: datetime | None = None,
        saved: datetime = T0,
    ) -> Audit:
        # Written as the schema at 0004 has it (the model has since gained columns).
        child_id = members[0].child_id if member is None else member.child_id
        at = f"'{submitted.isoformat()}'" if submitted else "NULL"
        await conn.execute_query(
            "INSERT INTO audit (inspection_id, member_id, child_id, auditor_id, rubric_id, "
            "marking, status, proposed_overall, overall, overall_reason, strengths, "
            "improvements, themes, version, created_at, updated_at, submitted_at) VALUES ("
            f"{iid}, {member.id if member else 'NULL'}, {child_id}, {users[auditor].id}, "
            f"{rubric.id}, '{marking}', '{'submitted' if submitted else 'draft'}', '', "
            f"'{'good' if submitted else ''}', '', '{name}', '', '[]', {version}, "
            f"'{T0.isoformat()}', '{saved.isoformat()}', {at})"
        )
        _, made = await conn.execute_query("SELECT MAX(id) AS id FROM audit")
        row = await Audit.filter(id=int(dict(made[0])["id"])).only("id", "child_id").get()
        row.strengths = name
        for key in domains:
            await Score.create(
                inspection_id=iid, audit=row, domain=key, grade="good", evidence=name
            )
        for v in range(1, version + 1):
            await AuditRevision.create(
                inspection_id=iid, audit=row, version=v, values={"strengths": name}
            )
        audits[name] = row.id
        return row

    async def concern(name: str, on: Audit) -> None:
        await Concern.create(
            inspection_id=iid, child_id=on.child_id, audit=on, raised_by=users["ann"], text=name
        )

    m1, m2, m3, m4 = members[:4]
    await concern("raised from m1's blank draft", await audit("m1_blank", m1, "first", "ann"))
    await audit("m1_saved", m1, "first", "ann", version=3, saved=T0 + timedelta(minutes=5))
    s1 = await audit("m2_submitted_first", m2, "first", "ann", version=4, submitted=T0)
    s2 = await audit(
        "m2_submitted_later", m2, "first", "bob", version=5, submitted=T0 + timedelta(hours=1)
    )
    await concern("raised from m2's later submission", s2)
    await concern("raised from m2's draft", await audit("m2_draft", m2, "first", "bob", version=9))
    second = await audit("m2_second", m2, "second", "lee", version=3, submitted=T0)
    for first, domain, grade in (
        (s1, "impact", "requires_improvement"),
        (s2, "impact", "good"),
        (s2, "child_seen", "outstanding"),
    ):
        await Moderation.create(
            inspection_id=iid,
            first_audit=first,
            second_audit=second,
            domain=domain,
            agreed_grade=grade,
            reason=f"{domain} agreed on {first.strengths}",
            moderator=users["lee"],
        )
    await audit("m3_older", m3, "second", "lee", version=2, saved=T0)
    await audit("m3_newer", m3, "second", "bob", version=2, saved=T0 + timedelta(minutes=1))
    await audit("m4_only", m4, "first", "ann")
    await audit("detached_a", None, "first", "ann")
    await audit("detached_b", None, "first", "bob")
    return audits


async def report(audits: dict[str, int]) -> dict[str, Any]:
    name_of = {v: k for k, v in audits.items()}
    left = await Audit.all().order_by("id")
    member_of = {m.id: i + 1 for i, m in enumerate(await SampleMember.all().order_by("id"))}
    first_audit = await Audit.get(id=audits["m4_only"])
    try:
        await Audit.create(
            inspection_id=first_audit.inspection_id,
            member_id=first_audit.member_id,
            child_id=first_audit.child_id,
            rubric_id=first_audit.rubric_id,
            marking="first",
        )
        duplicate = "accepted"
    except IntegrityError:
        duplicate = "refused"
    return {
        "audits": [
            [name_of[a.id], member_of.get(a.member_id or 0), a.marking, a.version] for a in left
        ],
        "scores": {name_of[a.id]: await Score.filter(audit_id=a.id).count() for a in left},
        "revisions": {
            name_of[a.id]: await AuditRevision.filter(audit_id=a.id).count() for a in left
        },
        "concerns": sorted([c.text, name_of.get(c.audit_id or 0)] for c in await Concern.all()),
        "moderations": sorted(
            [name_of[m.first_audit_id], name_of[m.second_audit_id], m.domain, m.agreed_grade]
            for m in await Moderation.all()
        ),
        "log": [
            [e.action, name_of.get(int(e.object_id), e.object_id), e.detail]
            for e in await AccessLog.filter(action="remove-duplicate-marking").order_by("id")
        ],
        "another first marking of member 4": duplicate,
    }


async def main() -> None:
    config = load()
    await migrate(config=config.tortoise_config(), target="models.0004_event_attributes_as_json")
    await Tortoise.close_connections()
    async with database(config):
        audits = await populate()
    await upgrade(config)
    async with database(config):
        print(json.dumps(await report(audits), sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main())
