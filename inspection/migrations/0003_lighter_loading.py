"""Loading speed: no index on event kind, no database constraints on event and source_record keys.

The models already declared event's four keys and source_record's inspection and upload keys
without a database constraint (``db_constraint=False``), but the migration that created the tables
added the constraints regardless; this one removes them, and source_record.child_id's too, on
both engines. What keeps those keys right is described in docs/evidence.md (the loader writes
them in one transaction with their parents; every delete is explicit, children's dependants
first).

SQLite cannot drop a constraint, and rebuilding the tables would run their foreign keys' actions;
as SQLite documents for removing a FOREIGN KEY constraint, the stored table definition is edited
in place instead (the rows on disk do not change).
"""

import re

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from inspection.migrations._state import AlterFieldState

TABLES = ("event", "source_record")
_REFERENCES = re.compile(r'\s+REFERENCES\s+"\w+"\s*\("\w+"\)(\s+ON DELETE (SET NULL|NO ACTION|CASCADE|RESTRICT))?')


async def drop_constraints(apps, schema_editor):  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if schema_editor.DIALECT == "postgres":
        for table in TABLES:
            _, rows = await client.execute_query(
                "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'",
                [table],
            )
            for row in rows:
                await client.execute_script(
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{dict(row)["conname"]}"'
                )
        return
    _, rows = await client.execute_query("PRAGMA schema_version")
    version = int(next(iter(dict(rows[0]).values())))
    await client.execute_script("PRAGMA writable_schema = ON")
    try:
        for table in TABLES:
            _, rows = await client.execute_query(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
            )
            plain = _REFERENCES.sub("", dict(rows[0])["sql"])
            await client.execute_query(
                "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                [plain, table],
            )
        await client.execute_script(f"PRAGMA schema_version = {version + 1}")
    finally:
        await client.execute_script("PRAGMA writable_schema = OFF")


class Migration(migrations.Migration):
    dependencies = [("models", "0002_access_log_append_only")]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name="Event",
            name=None,
            fields=["inspection_id", "kind"],
        ),
        AlterFieldState(
            model_name="SourceRecord",
            name="child",
            field=fields.ForeignKeyField(
                "models.Child",
                source_field="child_id",
                null=True,
                db_constraint=False,
                to_field="id",
                related_name="records",
                on_delete=OnDelete.NO_ACTION,
            ),
        ),
        ops.RunPython(drop_constraints),
    ]
