"""Tracked cases: children an inspector chooses on purpose, beside the random sample
(``inspection.sampling.tracking``). A tracked member keeps the line of enquiry it tests, and,
once no longer tracked, who ended it, when and why. Existing members have none: the text
columns' database defaults give them empty ones. The member's status gains the values
``tracked`` and ``untracked`` (its column keeps its type and length)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

from inspection.migrations._state import AddFieldState, AlterFieldState
from inspection.sampling.status import MemberStatus


async def add_tracking(apps, schema_editor):  # type: ignore[no-untyped-def]
    stamp = "TIMESTAMPTZ" if schema_editor.DIALECT == "postgres" else "TIMESTAMP"
    for statement in (
        'ALTER TABLE "sample_member" ADD COLUMN "line_of_enquiry" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "sample_member" ADD COLUMN "untracked_reason" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "sample_member" ADD COLUMN "untracked_by_id" INT '
        'REFERENCES "app_user" ("id") ON DELETE SET NULL',
        f'ALTER TABLE "sample_member" ADD COLUMN "untracked_at" {stamp}',
    ):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0020_identity_lookup_indexes")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="SampleMember",
            name="status",
            field=fields.CharEnumField(
                description="\n".join(f"{s.name}: {s.value}" for s in MemberStatus),
                enum_type=MemberStatus,
                max_length=20,
            ),
        ),
        AddFieldState(
            model_name="SampleMember", name="line_of_enquiry", field=fields.TextField(default="")
        ),
        AddFieldState(
            model_name="SampleMember", name="untracked_reason", field=fields.TextField(default="")
        ),
        AddFieldState(
            model_name="SampleMember",
            name="untracked_by",
            field=fields.ForeignKeyField(
                "models.User",
                source_field="untracked_by_id",
                null=True,
                db_constraint=True,
                to_field="id",
                related_name="untracked_members",
                on_delete=OnDelete.SET_NULL,
            ),
        ),
        AddFieldState(
            model_name="SampleMember",
            name="untracked_at",
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.RunPython(add_tracking),
    ]
