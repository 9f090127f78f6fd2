"""The inspectors' summary judgement of a round: its text, who wrote it and when, on the
inspection (``inspection.audit.findings``). Existing inspections have none yet: the text column's
database default gives them an empty one."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete

from tortoise.migrations import operations as ops

from inspection.migrations._state import AddFieldState


async def add_judgement(apps, schema_editor):  # type: ignore[no-untyped-def]
    stamp = "TIMESTAMPTZ" if schema_editor.DIALECT == "postgres" else "TIMESTAMP"
    for statement in (
        'ALTER TABLE "inspection" ADD COLUMN "judgement" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "inspection" ADD COLUMN "judgement_by_id" INT '
        'REFERENCES "app_user" ("id") ON DELETE SET NULL',
        f'ALTER TABLE "inspection" ADD COLUMN "judgement_at" {stamp}',
    ):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0013_status_enums")]

    initial = False

    operations = [
        AddFieldState(
            model_name="Inspection", name="judgement", field=fields.TextField(default="")
        ),
        AddFieldState(
            model_name="Inspection",
            name="judgement_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="judgement_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="judgements",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        AddFieldState(
            model_name="Inspection",
            name="judgement_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(add_judgement),
    ]
