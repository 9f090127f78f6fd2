"""Instruments per round and audit programmes (``inspection.audit.programmes``): an inspection
(a round) may name the instrument its audits are made with, the audit programme it belongs to
and its theme; an audit programme is an authority's series of rounds. Existing inspections
keep the default instrument, belong to no programme and have no theme. The inspection's kind
gains the values ``monthly-audit`` and ``practice-week`` (its column keeps its type and
length)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from inspection.migrations._state import AddFieldState, AlterFieldState
from inspection.models.core import InspectionKind


async def add_round_columns(apps, schema_editor):  # type: ignore[no-untyped-def]
    for statement in (
        'ALTER TABLE "inspection" ADD COLUMN "rubric_id" INT '
        'REFERENCES "rubric" ("id") ON DELETE RESTRICT',
        'ALTER TABLE "inspection" ADD COLUMN "programme_id" INT '
        'REFERENCES "audit_programme" ("id") ON DELETE SET NULL',
        'ALTER TABLE "inspection" ADD COLUMN "theme" VARCHAR(300) NOT NULL DEFAULT \'\'',
    ):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0022_person_identifiers")]

    initial = False

    operations = [
        ops.CreateModel(
            name="AuditProgramme",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                (
                    "la",
                    fields.ForeignKeyField(
                        "models.LocalAuthority",
                        source_field="la_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="programmes",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("title", fields.CharField(max_length=300)),
                ("purpose", fields.TextField(default="", unique=False)),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="programmes",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={"table": "audit_programme", "app": "models", "pk_attr": "id"},
            bases=["Model"],
        ),
        AlterFieldState(
            model_name="Inspection",
            name="kind",
            field=fields.CharEnumField(
                description="\n".join(f"{k.name}: {k.value}" for k in InspectionKind),
                enum_type=InspectionKind,
                max_length=20,
            ),
        ),
        AddFieldState(
            model_name="Inspection",
            name="rubric",
            field=fields.ForeignKeyField(
                "models.Rubric",
                source_field="rubric_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="rounds",
                on_delete=OnDelete.RESTRICT,
            ),
        ),
        AddFieldState(
            model_name="Inspection",
            name="programme",
            field=fields.ForeignKeyField(
                "models.AuditProgramme",
                source_field="programme_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="rounds",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        AddFieldState(
            model_name="Inspection",
            name="theme",
            field=fields.CharField(default="", max_length=300),
        ),
        ops.RunPython(add_round_columns),
    ]
