"""Indexes for the names, identifiers and dates of birth a pseudonymised export hides.

A pseudonymised export replaces, in the free text it exports, every name and identifier of
any person of the inspection and every child's date of birth. It used to read every child and
every source record of the inspection to do so (on a 100,000-person authority, 34,000 of each
for a 30-child sample); it now looks up only the words of the text it exports
(``inspection.export.identities``), through these indexes: each identity column lowered as
``inspection.models.children.lowered`` gives it, and the children's dates of birth.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from inspection.migrations._state import AddIndexState

from inspection.models.children import (
    CHILD_IDENTITY_COLUMNS,
    RECORD_IDENTITY_COLUMNS,
    identity_index_sql,
    identity_indexes,
)


async def add_indexes(apps, schema_editor):  # type: ignore[no-untyped-def]
    dialect = schema_editor.DIALECT
    statements = [
        'CREATE INDEX IF NOT EXISTS "idx_child_inspect_30fe29" ON "child" ("inspection_id", "dob");'
    ]
    for table, columns in (
        ("child", CHILD_IDENTITY_COLUMNS),
        ("source_record", RECORD_IDENTITY_COLUMNS),
    ):
        statements += [
            identity_index_sql(dialect, table, str(i.fields[1]), str(i.name))
            for i in identity_indexes(table, columns)
        ]
    await schema_editor.client.execute_script("\n".join(statements))


class Migration(migrations.Migration):
    dependencies = [("models", "0019_export_jobs")]

    initial = False

    operations = [
        AddIndexState(model_name="Child", index=Index(fields=["inspection_id", "dob"])),
        *(
            AddIndexState(model_name="Child", index=index)
            for index in identity_indexes("child", CHILD_IDENTITY_COLUMNS)
        ),
        *(
            AddIndexState(model_name="SourceRecord", index=index)
            for index in identity_indexes("source_record", RECORD_IDENTITY_COLUMNS)
        ),
        ops.RunPython(add_indexes),
    ]
