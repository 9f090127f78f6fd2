"""Conversations with the child, a parent or carer and the practitioner
(``inspection.audit.conversations``), which audits cite as evidence: a table of their own, and
on each score the conversations it cites. An audit done with the practitioner keeps their
reflection and the learning conversation. Existing audits and scores have none: the columns'
database defaults give them empty text and an empty list."""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from inspection.audit.voice_kinds import Means, Speaker
from inspection.migrations._state import AddFieldState


async def add_columns(apps, schema_editor):  # type: ignore[no-untyped-def]
    json_type = "JSONB" if schema_editor.DIALECT == "postgres" else "JSON"
    for statement in (
        'ALTER TABLE "audit" ADD COLUMN "practitioner_reflection" TEXT NOT NULL DEFAULT \'\'',
        'ALTER TABLE "audit" ADD COLUMN "learning_conversation" TEXT NOT NULL DEFAULT \'\'',
        f'ALTER TABLE "score" ADD COLUMN "cited_conversations" {json_type} NOT NULL '
        "DEFAULT '[]'",
    ):
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0023_instruments_and_programmes")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Conversation",
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
                        related_name="conversations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "child",
                    fields.ForeignKeyField(
                        "models.Child",
                        source_field="child_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="conversations",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "speaker",
                    fields.CharEnumField(
                        description="\n".join(f"{s.name}: {s.value}" for s in Speaker),
                        enum_type=Speaker,
                        max_length=20,
                    ),
                ),
                ("relationship_or_role", fields.CharField(default="", max_length=200)),
                ("held_on", fields.DateField()),
                (
                    "means",
                    fields.CharEnumField(
                        description="\n".join(f"{m.name}: {m.value}" for m in Means),
                        enum_type=Means,
                        max_length=20,
                    ),
                ),
                ("said", fields.TextField(unique=False)),
                ("tells_us", fields.TextField(unique=False)),
                (
                    "recorded_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recorded_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="conversations",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("recorded_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "conversation",
                "app": "models",
                "indexes": [Index(fields=["inspection_id", "child_id"])],
                "pk_attr": "id",
                "table_description": (
                    "What the child, a parent or carer, or the practitioner said to an "
                    "inspector or auditor"
                ),
            },
            bases=["Model"],
        ),
        AddFieldState(
            model_name="Audit",
            name="learning_conversation",
            field=fields.TextField(default="", unique=False),
        ),
        AddFieldState(
            model_name="Audit",
            name="practitioner_reflection",
            field=fields.TextField(default="", unique=False),
        ),
        AddFieldState(
            model_name="Score",
            name="cited_conversations",
            field=fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
        ),
        ops.RunPython(add_columns),
    ]
