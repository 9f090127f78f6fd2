"""Every identifier a source gives for a person, in one table: ``person_identifier``.

Each row is one identifier of one source record (the authority's child id, an NHS number, a
UPN, a former UPN, the police's or another agency's own person id), with the upload it came
from, the verdict of its scheme's check where one is known, and the dates it held where the
source gives them (``inspection.models.children.PersonIdentifier``). The loader writes it with
the records, in the same transaction. This migration gives the records loaded before it
their identifiers from their own columns (each national one with the verdict of its check), so
that nothing loaded earlier loses them.
"""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from inspection.evidence.identifiers import Scheme, agency_scheme, verdict
from inspection.migrations._state import AddIndexState
from inspection.models.children import (
    IDENTIFIER_IDENTITY_COLUMNS,
    identity_index_sql,
    identity_indexes,
)

_BATCH = 2000


def _identifiers_of(row: dict) -> list[tuple]:  # type: ignore[type-arg]
    """The identifiers one stored record holds, as rows of the new table: its person id only
    where it is not the authority's child id given again (as the social-care record's is)."""
    given = [
        (Scheme.LA_CHILD_ID, row["la_child_id"]),
        (Scheme.NHS_NUMBER, row["nhs_number"]),
        (Scheme.UPN, row["upn"]),
    ]
    if row["person_id"] and row["person_id"] != row["la_child_id"]:
        given.append((agency_scheme(row["agency"]), row["person_id"]))
    return [
        (
            row["inspection_id"],
            row["upload_id"],
            row["id"],
            scheme.value,
            value[:100],
            verdict(scheme, value),
        )
        for scheme, value in given
        if value
    ]


async def copy_and_index(apps, schema_editor):  # type: ignore[no-untyped-def]
    dialect = schema_editor.DIALECT
    client = schema_editor.client
    await client.execute_script(
        "\n".join(
            identity_index_sql(dialect, "person_identifier", str(i.fields[1]), str(i.name))
            for i in identity_indexes("person_identifier", IDENTIFIER_IDENTITY_COLUMNS)
        )
    )
    marks = ", ".join(f"${n}" for n in range(1, 7)) if dialect == "postgres" else "?, ?, ?, ?, ?, ?"
    insert = (
        'INSERT INTO "person_identifier" (inspection_id, upload_id, record_id, scheme, value, '
        f"valid) VALUES ({marks})"
    )
    last = 0
    while True:  # the records loaded before this migration, a batch at a time
        rows = await client.execute_query_dict(
            "SELECT id, inspection_id, upload_id, agency, person_id, la_child_id, nhs_number, "
            f'upn FROM "source_record" WHERE id > {int(last)} ORDER BY id LIMIT {_BATCH}'
        )
        if not rows:
            return
        values = [list(v) for row in rows for v in _identifiers_of(row)]
        if values:
            await client.execute_many(insert, values)
        last = rows[-1]["id"]


class Migration(migrations.Migration):
    dependencies = [("models", "0021_tracked_cases")]

    initial = False

    operations = [
        ops.CreateModel(
            name="PersonIdentifier",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "inspection",
                    fields.ForeignKeyField(
                        "models.Inspection",
                        source_field="inspection_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="person_identifiers",
                        on_delete=OnDelete.NO_ACTION,
                    ),
                ),
                (
                    "upload",
                    fields.ForeignKeyField(
                        "models.Upload",
                        source_field="upload_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="person_identifiers",
                        on_delete=OnDelete.NO_ACTION,
                    ),
                ),
                (
                    "record",
                    fields.ForeignKeyField(
                        "models.SourceRecord",
                        source_field="record_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="identifiers",
                        on_delete=OnDelete.NO_ACTION,
                    ),
                ),
                (
                    "scheme",
                    fields.CharEnumField(
                        description="\n".join(f"{s.name}: {s.value}" for s in Scheme),
                        enum_type=Scheme,
                        max_length=20,
                    ),
                ),
                ("value", fields.CharField(max_length=100)),
                ("valid", fields.BooleanField(null=True)),
                ("valid_from", fields.DateField(null=True)),
                ("valid_to", fields.DateField(null=True)),
            ],
            options={
                "table": "person_identifier",
                "app": "models",
                "indexes": [Index(fields=["record_id"])],
                "pk_attr": "id",
                "table_description": (
                    "One identifier a source gave for a person: the one place a person's "
                    "identifiers are kept."
                ),
            },
            bases=["Model"],
        ),
        *(
            AddIndexState(model_name="PersonIdentifier", index=index)
            for index in identity_indexes("person_identifier", IDENTIFIER_IDENTITY_COLUMNS)
        ),
        ops.RunPython(copy_and_index),
    ]
