"""Multi-agency audits and the authority's own audits (``inspection.audit.multi_agency``).

A member of an inspection may audit for one agency (``membership.agency``). An audit may be one
agency's part of a multi-agency audit (``audit.agency``, marking ``part``) or the authority's
own audit of a child (marking ``authority``): a child's audits are unique by marking and agency
from now on, so one child has one part per agency. ``joint_audit`` holds a multi-agency audit:
the agencies taking part, and the joint discussion that concludes it. Existing rows get an empty
agency from the column's database default; their uniqueness is unchanged."""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.migrations import operations as ops
from tortoise.migrations.constraints import UniqueConstraint

from inspection.audit.status import Marking
from inspection.migrations._state import AddFieldState, AlterFieldState


class RemoveConstraintState(ops.RemoveConstraint):
    """The old uniqueness for the migration state only (the RunPython drops its index)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):  # type: ignore[no-untyped-def]
        return None


class AddConstraintState(ops.AddConstraint):
    """The new uniqueness for the migration state only (the RunPython creates its index)."""

    async def database_forward(self, app_label, old_state, new_state, state_editor=None):  # type: ignore[no-untyped-def]
        return None


async def unique_by_agency(apps, schema_editor):  # type: ignore[no-untyped-def]
    client = schema_editor.client
    for table in ("audit", "membership"):
        await client.execute_script(
            f'ALTER TABLE "{table}" ADD COLUMN "agency" VARCHAR(20) NOT NULL DEFAULT \'\''
        )
    if schema_editor.DIALECT == "postgres":
        _, constraints = await client.execute_query(
            "SELECT c.conname FROM pg_constraint c WHERE c.conrelid = 'audit'::regclass "
            "AND c.contype = 'u' AND pg_get_constraintdef(c.oid) LIKE '%member_id, marking)%'"
        )
        for row in constraints:
            await client.execute_script(
                f'ALTER TABLE "audit" DROP CONSTRAINT "{dict(row)["conname"]}"'
            )
        _, indexes = await client.execute_query(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'audit' "
            "AND indexdef LIKE 'CREATE UNIQUE INDEX%(member_id, marking)'"
        )
    else:
        _, indexes = await client.execute_query(
            "SELECT name AS indexname FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = 'audit' AND sql LIKE 'CREATE UNIQUE INDEX%(\"member_id\", \"marking\")'"
        )
    for row in indexes:
        await client.execute_script(f'DROP INDEX "{dict(row)["indexname"]}"')
    await client.execute_script(
        'CREATE UNIQUE INDEX "uid_audit_member_marking_agency" '
        'ON "audit" ("member_id", "marking", "agency")'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0024_conversations")]

    initial = False

    operations = [
        ops.CreateModel(
            name="JointAudit",
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
                        related_name="joint_audits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "member",
                    fields.ForeignKeyField(
                        "models.SampleMember",
                        source_field="member_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="joint_audits",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "rubric",
                    fields.ForeignKeyField(
                        "models.Rubric",
                        source_field="rubric_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="joint_audits",
                        on_delete=OnDelete.RESTRICT,
                    ),
                ),
                ("agencies", fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)),
                (
                    "set_up_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="set_up_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="joint_audits_set_up",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("set_up_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                (
                    "audit",
                    fields.ForeignKeyField(
                        "models.Audit",
                        source_field="audit_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="joint_audits",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("discussed_on", fields.DateField(null=True)),
                (
                    "participants",
                    fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads),
                ),
                ("others_present", fields.TextField(default="", unique=False)),
                ("disagreements", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "joint_audit",
                "app": "models",
                "unique_together": (("member",),),
                "pk_attr": "id",
                "table_description": (
                    "A multi-agency audit of one sample member: each agency's auditor completes "
                    "their part"
                ),
            },
            bases=["Model"],
        ),
        RemoveConstraintState(model_name="Audit", name=None, fields=["member", "marking"]),
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
            model_name="Audit", name="agency", field=fields.CharField(default="", max_length=20)
        ),
        AddConstraintState(
            model_name="Audit",
            constraint=UniqueConstraint(fields=("member", "marking", "agency"), name=None),
        ),
        AddFieldState(
            model_name="Membership",
            name="agency",
            field=fields.CharField(default="", max_length=20),
        ),
        ops.RunPython(unique_by_agency),
    ]
