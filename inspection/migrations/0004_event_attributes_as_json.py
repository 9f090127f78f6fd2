"""Event attributes kept as ``json`` (the text as written), not ``jsonb``, on PostgreSQL.

They are written once and always read whole, never searched inside by the database, and
storing the text as given makes loading events a fifth cheaper for the database. SQLite keeps
JSON as text already: nothing changes there.
"""

import functools
from json import dumps, loads

from tortoise import migrations
from tortoise.migrations import operations as ops

from inspection.migrations._state import AlterFieldState
from inspection.models.children import JSONTextField


async def to_json_text(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.DIALECT == "postgres":
        await schema_editor.client.execute_script(
            'ALTER TABLE "event" ALTER COLUMN "attributes" TYPE JSON USING "attributes"::json'
        )


class Migration(migrations.Migration):
    dependencies = [("models", "0003_lighter_loading")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="Event",
            name="attributes",
            field=JSONTextField(
                default=dict,
                encoder=functools.partial(dumps, separators=(",", ":")),
                decoder=loads,
            ),
        ),
        ops.RunPython(to_json_text),
    ]
