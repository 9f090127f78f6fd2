"""The learning loop (``inspection.learning``): actions with their owner, due date, status and
evidence; the notices of an Inadequate audit's follow-up; re-audits with their reason. An audit's
marking gains the value ``reaudit`` (its column keeps its type and length), and each inspection
the number of days its follow-ups are due in (28 for every existing one)."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from inspection.audit.status import Marking
from inspection.learning.status import ActionOrigin, ActionStatus
from inspection.migrations._state import AddFieldState, AlterFieldState


async def add_follow_up_days(apps, schema_editor):  # type: ignore[no-untyped-def]
    await schema_editor.client.execute_script(
        'ALTER TABLE "inspection" ADD COLUMN "follow_up_days" INT NOT NULL DEFAULT 28'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0025_multi_agency_audits")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Action",
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
                        related_name="actions",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="actions",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("domain", fields.CharField(default="", max_length=60)),
                (
                    "origin",
                    fields.CharEnumField(
                        description="AUDIT: audit\nFINDINGS: findings\nFOLLOW_UP: follow-up",
                        enum_type=ActionOrigin,
                        max_length=20,
                    ),
                ),
                ("what", fields.TextField(unique=False)),
                (
                    "owner",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="owner_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="actions_owned",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("owner_name", fields.CharField(default="", max_length=200)),
                ("due", fields.DateField()),
                (
                    "status",
                    fields.CharEnumField(
                        default=ActionStatus.OPEN,
                        description="OPEN: open\nDONE: done\nDROPPED: dropped",
                        enum_type=ActionStatus,
                        max_length=10,
                    ),
                ),
                (
                    "created_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="created_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="actions_created",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("evidence", fields.TextField(default="", unique=False)),
                ("done_on", fields.DateField(null=True)),
                (
                    "closed_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="closed_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="actions_closed",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("closed_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ("drop_reason", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "learning_action",
                "app": "models",
                "indexes": [Index(fields=["inspection_id", "status"])],
                "pk_attr": "id",
                "table_description": (
                    "Something that must be done after an audit or the findings:"
                    " what, who owns it (a member"
                ),
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="FollowUpNotice",
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
                        related_name="follow_up_notices",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="follow_up_notices",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "action",
                    fields.ForeignKeyField(
                        "models.Action",
                        source_field="action_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="notices",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                (
                    "recipient",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="recipient_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="follow_up_notices",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("told_as", fields.CharField(max_length=100)),
                ("at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "follow_up_notice",
                "app": "models",
                "pk_attr": "id",
                "table_description": (
                    "One person told that an audit was graded Inadequate, with"
                    " what must happen by when (the"
                ),
            },
            bases=["Model"],
        ),
        ops.CreateModel(
            name="Reaudit",
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
                        related_name="reaudits",
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
                        related_name="reaudits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "earlier_audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="earlier_audit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reaudits",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("reason", fields.TextField(unique=False)),
                (
                    "decided_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="decided_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="reaudits",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("decided_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={
                "table": "reaudit",
                "app": "models",
                "unique_together": (("inspection", "child"),),
                "pk_attr": "id",
                "table_description": (
                    "A child of this round to be audited again, and why: the"
                    " recorded reason that overrides"
                ),
            },
            bases=["Model"],
        ),
        AlterFieldState(
            model_name="Audit",
            name="marking",
            field=fields.CharEnumField(
                default=Marking.FIRST,
                description="\n".join(f"{m.name}: {m.value}" for m in Marking),
                enum_type=Marking,
                max_length=10,
            ),
        ),
        AddFieldState(
            model_name="Inspection",
            name="follow_up_days",
            field=fields.IntField(default=28),
        ),
        ops.RunPython(add_follow_up_days),
    ]
