"""Validation issues carry how many places each stands for.

A problem repeated more than ``inspection.evidence.staged.GROUP_ABOVE`` times in one column of
a sheet (or along one row) is stored as one issue with its count; every issue stored before
stands for one place, which the column's database default gives the existing rows (Tortoise's
AddField gives a new NOT NULL column no default, which SQLite refuses on a table with rows).
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from inspection.migrations._state import AddFieldState


async def add_count(apps, schema_editor):  # type: ignore[no-untyped-def]
    await schema_editor.client.execute_script(
        'ALTER TABLE "validation_issue" ADD COLUMN "count" INT NOT NULL DEFAULT 1'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0005_one_marking_per_member")]

    initial = False

    operations = [
        AddFieldState(model_name="ValidationIssue", name="count", field=fields.IntField(default=1)),
        ops.RunPython(add_count),
    ]
