"""One first and one second marking per sample member, held unique by the database.

Two quick clicks on "Start audit" (or two auditors at once) could start the same marking twice.
Before the constraint is added, every duplicate is merged away by one rule, for each sample
member and marking that has more than one audit:

- The audit kept is the submitted one; of several submitted, the one submitted first (the
  marking of record: the later one repeats work already done). With none submitted, the most
  advanced draft: the highest version (the most saves), then the latest saved, then the
  earliest started.
- Concerns raised from a removed audit are moved to the kept audit (same child), untouched
  otherwise: no concern is ever lost.
- Moderations that name a removed audit are moved to the kept audit, unless the kept audit's
  pair already has an agreed grade for that domain: then that one stands and the moved one is
  dropped (it moderated a marking that no longer exists).
- The removed audits' scores and revisions go with them.
- Each removed audit is written to the access log ("remove-duplicate-marking": which audit was
  kept, the removed one's marking, status, version and auditor, and what was moved).

docs/audit.md states the same rule; tests/test_migrations.py checks it on a populated database.
"""

from datetime import UTC, datetime

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

DUPLICATES = """
SELECT a.id, a.member_id, a.marking, a.status, a.version, a.inspection_id, u.email
FROM audit a
LEFT JOIN app_user u ON u.id = a.auditor_id
JOIN (
    SELECT member_id, marking FROM audit WHERE member_id IS NOT NULL
    GROUP BY member_id, marking HAVING COUNT(*) > 1
) d ON d.member_id = a.member_id AND d.marking = a.marking
ORDER BY a.member_id, a.marking,
    CASE WHEN a.status = 'submitted' THEN 0 ELSE 1 END,
    CASE WHEN a.status = 'submitted' THEN COALESCE(a.submitted_at, a.updated_at) END,
    a.version DESC, a.updated_at DESC, a.id
"""


async def merge_duplicate_markings(apps, schema_editor):  # type: ignore[no-untyped-def]
    client = schema_editor.client
    postgres = schema_editor.DIALECT == "postgres"

    def sql(text: str) -> str:
        if not postgres:
            return text
        parts = text.split("?")
        return parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], start=1))

    _, rows = await client.execute_query(DUPLICATES)
    kept: dict[tuple[int, str], dict] = {}
    removed: list[tuple[dict, dict]] = []
    for row in map(dict, rows):
        group = (row["member_id"], row["marking"])
        if group in kept:
            removed.append((row, kept[group]))
        else:
            kept[group] = row
    if not removed:
        return
    to_kept = {gone["id"]: keep["id"] for gone, keep in removed}
    involved = sorted({*to_kept, *to_kept.values()})
    marks = ", ".join("?" for _ in involved)
    _, moderations = await client.execute_query(
        sql(
            "SELECT id, first_audit_id, second_audit_id, domain FROM moderation "
            f"WHERE first_audit_id IN ({marks}) OR second_audit_id IN ({marks}) ORDER BY id"
        ),
        [*involved, *involved],
    )
    moderations = [dict(m) for m in moderations]
    taken = {
        (m["first_audit_id"], m["second_audit_id"], m["domain"])
        for m in moderations
        if m["first_audit_id"] not in to_kept and m["second_audit_id"] not in to_kept
    }
    moved: dict[int, list[str]] = {gone: [] for gone in to_kept}
    for m in moderations:
        first, second = m["first_audit_id"], m["second_audit_id"]
        if first not in to_kept and second not in to_kept:
            continue
        gone = first if first in to_kept else second
        target = (to_kept.get(first, first), to_kept.get(second, second), m["domain"])
        if target in taken:
            await client.execute_query(sql("DELETE FROM moderation WHERE id = ?"), [m["id"]])
            moved[gone].append(f"moderation of {m['domain']} dropped (already agreed)")
        else:
            await client.execute_query(
                sql("UPDATE moderation SET first_audit_id = ?, second_audit_id = ? WHERE id = ?"),
                [target[0], target[1], m["id"]],
            )
            taken.add(target)
            moved[gone].append(f"moderation of {m['domain']} moved")
    now = datetime.now(UTC)
    for gone, keep in removed:
        count, _ = await client.execute_query(
            sql("UPDATE concern SET audit_id = ? WHERE audit_id = ?"), [keep["id"], gone["id"]]
        )
        for table in ("score", "audit_revision"):
            await client.execute_query(sql(f"DELETE FROM {table} WHERE audit_id = ?"), [gone["id"]])
        await client.execute_query(sql("DELETE FROM audit WHERE id = ?"), [gone["id"]])
        what = [f"{count} concern{'' if count == 1 else 's'} moved"] if count else []
        detail = (
            f"kept audit {keep['id']}; removed audit {gone['id']} ({gone['marking']} marking, "
            f"{gone['status']}, version {gone['version']}, by {gone['email'] or 'nobody'})"
            + (": " + "; ".join(what + moved[gone["id"]]) if what or moved[gone["id"]] else "")
        )
        await client.execute_query(
            sql(
                "INSERT INTO access_log (at, user_id, user_email, inspection_id, action, "
                "object_type, object_id, detail, ip) VALUES (?, NULL, '', ?, ?, ?, ?, ?, '')"
            ),
            [
                now,
                gone["inspection_id"],
                "remove-duplicate-marking",
                "audit",
                str(gone["id"]),
                detail[:500],
            ],
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0004_event_attributes_as_json")]

    initial = False

    operations = [
        ops.RunPython(merge_duplicate_markings),
        ops.AddConstraint(
            model_name="Audit",
            constraint=UniqueConstraint(fields=("member", "marking"), name=None),
        ),
    ]
