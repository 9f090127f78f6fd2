"""A child's date of death, as the CIN census records it (``PersonDeathDate``).

An inspector must never audit a child without knowing the child died: the journey, every list
and every sample where the child appears say so.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from inspection.migrations._state import AddFieldState


async def add_death_date(apps, schema_editor):  # type: ignore[no-untyped-def]
    await schema_editor.client.execute_script('ALTER TABLE "child" ADD COLUMN "death_date" DATE')


class Migration(migrations.Migration):
    dependencies = [("models", "0017_event_record_index")]

    initial = False

    operations = [
        AddFieldState(model_name="Child", name="death_date", field=fields.DateField(null=True)),
        ops.RunPython(add_death_date),
    ]
