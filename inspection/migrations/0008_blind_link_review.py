"""Blind linkage review: an option per inspection under which the review page shows the two
records only, not the model's probability or the weight of each field's evidence (clerical
review as it should be done, docs/linkage.md). Existing inspections keep the review as it was
(not blind): the column's database default gives them ``false``."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from inspection.migrations._state import AddFieldState


async def add_blind_link_review(apps, schema_editor):  # type: ignore[no-untyped-def]
    await schema_editor.client.execute_script(
        'ALTER TABLE "inspection" ADD COLUMN "blind_link_review" BOOLEAN NOT NULL DEFAULT FALSE'
    )


class Migration(migrations.Migration):
    dependencies = [("models", "0007_sign_in_throttle")]

    initial = False

    operations = [
        AddFieldState(
            model_name="Inspection",
            name="blind_link_review",
            field=fields.BooleanField(default=False),
        ),
        ops.RunPython(add_blind_link_review),
    ]
