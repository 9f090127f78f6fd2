"""The committed migrations describe the models exactly: nothing is left for makemigrations."""

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

from inspection.settings import tortoise_config


async def test_no_model_change_without_a_migration(tmp_path):
    config = tortoise_config(f"sqlite://{tmp_path / 'check.sqlite3'}")
    apps = config["apps"]
    assert isinstance(apps, dict)
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, apps).changes()
    assert [w.name for w in writers] == []
