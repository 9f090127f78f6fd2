"""The access log refuses updates and deletes in the database itself."""

from tortoise import migrations
from tortoise.migrations import operations as ops

from inspection.access_log import APPEND_ONLY_SQL


async def make_append_only(apps, schema_editor):  # type: ignore[no-untyped-def]
    dialect = "postgres" if schema_editor.DIALECT == "postgres" else "sqlite"
    for statement in APPEND_ONLY_SQL[dialect]:
        await schema_editor.client.execute_script(statement)


class Migration(migrations.Migration):
    dependencies = [("models", "0001_initial")]

    operations = [ops.RunPython(make_append_only)]
