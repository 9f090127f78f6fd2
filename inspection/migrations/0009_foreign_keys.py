"""Referential integrity restored: the database checks every key of event and source_record.

Migration 0003 dropped the foreign keys of ``event`` (inspection, child, record, upload) and
``source_record`` (inspection, upload, child) to make loading faster. The database now checks
them again, as it does every other key: a crash, a bug or a hand-written statement can no longer
leave an event pointing at a child, record or upload that is not there. Every delete stays
explicit and in dependants-first order (``ON DELETE NO ACTION``), so a delete that would leave a
dangling key fails instead of cascading silently.

Rows that already point at nothing are cleared first, by one rule: a child or record key that
points at nothing is set to NULL (the event or record stays, unlinked, and linkage places it
again); an event or record whose inspection or upload is gone is deleted (nothing can show it).

On PostgreSQL the constraints are added and then validated. SQLite cannot add a constraint to a
table, so each table is rebuilt as SQLite documents ("Making Other Kinds Of Table Schema
Changes"): with foreign keys off, outside any other transaction, a new table is created, the
rows copied, the old table dropped and the new one renamed; its index is made again, its
AUTOINCREMENT counter kept (ids are never reused), and ``PRAGMA foreign_key_check`` must find
nothing before the change is committed.
"""

from typing import Any

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from inspection.migrations._state import AlterFieldState

# (table, column, parent table, nullable)
KEYS = (
    ("source_record", "inspection_id", "inspection", False),
    ("source_record", "upload_id", "upload", False),
    ("source_record", "child_id", "child", True),
    ("event", "inspection_id", "inspection", False),
    ("event", "upload_id", "upload", False),
    ("event", "child_id", "child", True),
    ("event", "record_id", "source_record", True),
)

SOURCE_RECORD = """CREATE TABLE "new__source_record" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "agency" VARCHAR(60) NOT NULL,
    "person_id" VARCHAR(100) NOT NULL,
    "la_child_id" VARCHAR(64) NOT NULL,
    "nhs_number" VARCHAR(20) NOT NULL,
    "upn" VARCHAR(20) NOT NULL,
    "given_name" VARCHAR(100) NOT NULL,
    "family_name" VARCHAR(100) NOT NULL,
    "dob" DATE,
    "sex" VARCHAR(1) NOT NULL,
    "postcode" VARCHAR(10) NOT NULL,
    "address" VARCHAR(200) NOT NULL,
    "link_method" VARCHAR(40) NOT NULL,
    "link_probability" REAL,
    "link_evidence" JSON NOT NULL,
    "child_id" INT REFERENCES "child" ("id") ON DELETE NO ACTION,
    "inspection_id" INT NOT NULL REFERENCES "inspection" ("id") ON DELETE NO ACTION,
    "upload_id" INT NOT NULL REFERENCES "upload" ("id") ON DELETE NO ACTION
)"""

EVENT = """CREATE TABLE "new__event" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "agency" VARCHAR(60) NOT NULL,
    "kind" VARCHAR(60) NOT NULL,
    "start" DATE NOT NULL,
    "end" DATE,
    "source_sheet" VARCHAR(100) NOT NULL,
    "source_row" INT,
    "attributes" JSON NOT NULL,
    "team" VARCHAR(100) NOT NULL,
    "worker" VARCHAR(100) NOT NULL,
    "child_id" INT REFERENCES "child" ("id") ON DELETE NO ACTION,
    "inspection_id" INT NOT NULL REFERENCES "inspection" ("id") ON DELETE NO ACTION,
    "record_id" INT REFERENCES "source_record" ("id") ON DELETE NO ACTION,
    "upload_id" INT NOT NULL REFERENCES "upload" ("id") ON DELETE NO ACTION
)"""

INDEXES = {
    "source_record": 'CREATE INDEX "idx_source_reco_inspect_2d0c5b" ON "source_record" '
    '("inspection_id", "child_id")',
    "event": 'CREATE INDEX "idx_event_inspect_85fdad" ON "event" ("inspection_id", "child_id")',
}


def clear_dangling_keys() -> list[str]:
    """The rule for rows that point at nothing, records first (an event's record may go)."""
    statements = []
    for table, column, parent, nullable in KEYS:
        dangling = f'"{column}" IS NOT NULL AND "{column}" NOT IN (SELECT "id" FROM "{parent}")'
        if nullable:
            statements.append(f'UPDATE "{table}" SET "{column}" = NULL WHERE {dangling}')
        else:
            if table == "source_record":  # its events lose their record first
                statements.append(
                    'UPDATE "event" SET "record_id" = NULL WHERE "record_id" IN (SELECT "id" '
                    f'FROM "source_record" WHERE {dangling})'
                )
            statements.append(f'DELETE FROM "{table}" WHERE {dangling}')  # noqa: S608
    return statements


def _rebuild(table: str, create: str) -> list[str]:
    return [
        create,
        f'INSERT INTO "new__{table}" SELECT {_COLUMNS[table]} FROM "{table}"',  # noqa: S608
        f'DROP TABLE "{table}"',
        f'ALTER TABLE "new__{table}" RENAME TO "{table}"',
        INDEXES[table],
        # The counter of the old table, so that no id is ever given twice.
        f"UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM temp.kept_sequence "
        f"WHERE name = '{table}'), 0)) WHERE name = '{table}'",
    ]


_COLUMNS = {
    "source_record": ", ".join(
        f'"{c}"'
        for c in (
            "id agency person_id la_child_id nhs_number upn given_name family_name dob sex "
            "postcode address link_method link_probability link_evidence child_id inspection_id "
            "upload_id"
        ).split()
    ),
    "event": ", ".join(
        f'"{c}"'
        for c in (
            "id agency kind start end source_sheet source_row attributes team worker child_id "
            "inspection_id record_id upload_id"
        ).split()
    ),
}


async def add_foreign_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    client = schema_editor.client
    if schema_editor.DIALECT == "postgres":
        # One script is one transaction: all of it is applied, or none.
        statements = [
            *clear_dangling_keys(),
            *(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "fk_{table}_{column}" FOREIGN KEY '
                f'("{column}") REFERENCES "{parent}" ("id") ON DELETE NO ACTION NOT VALID'
                for table, column, parent, _ in KEYS
            ),
            *(
                f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "fk_{table}_{column}"'
                for table, column, _, _ in KEYS
            ),
        ]
        await client.execute_script(";\n".join(statements) + ";")
        return
    script = [
        "PRAGMA foreign_keys = OFF",
        "BEGIN",
        "CREATE TEMP TABLE kept_sequence AS SELECT name, seq FROM sqlite_sequence "
        "WHERE name IN ('event', 'source_record')",
        *clear_dangling_keys(),
        *_rebuild("source_record", SOURCE_RECORD),
        *_rebuild("event", EVENT),
        "DROP TABLE temp.kept_sequence",
        "COMMIT",
        "PRAGMA foreign_keys = ON",
    ]
    await client.execute_script(";\n".join(script) + ";")
    _, problems = await client.execute_query("PRAGMA foreign_key_check")
    if problems:
        raise RuntimeError(f"Keys still point at nothing after migration 0009: {problems[:5]}")


def _key(model: str, related_name: str, column: str, *, null: bool = False) -> Any:
    return fields.ForeignKeyField(
        model,
        source_field=column,
        null=null,
        to_field="id",
        related_name=related_name,
        on_delete=OnDelete.NO_ACTION,
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0008_blind_link_review")]

    initial = False
    # SQLite turns foreign keys off only outside a transaction; the rebuild is one transaction
    # of its own (see add_foreign_keys).
    atomic = False

    operations = [
        AlterFieldState(
            model_name="SourceRecord",
            name="inspection",
            field=_key("models.Inspection", "source_records", "inspection_id"),
        ),
        AlterFieldState(
            model_name="SourceRecord", name="upload", field=_key("models.Upload", "records", "upload_id")
        ),
        AlterFieldState(
            model_name="SourceRecord",
            name="child",
            field=_key("models.Child", "records", "child_id", null=True),
        ),
        AlterFieldState(
            model_name="Event", name="inspection", field=_key("models.Inspection", "events", "inspection_id")
        ),
        AlterFieldState(model_name="Event", name="upload", field=_key("models.Upload", "events", "upload_id")),
        AlterFieldState(
            model_name="Event", name="child", field=_key("models.Child", "events", "child_id", null=True)
        ),
        AlterFieldState(
            model_name="Event",
            name="record",
            field=_key("models.SourceRecord", "events", "record_id", null=True),
        ),
        ops.RunPython(add_foreign_keys),
    ]
