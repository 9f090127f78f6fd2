"""The committed migrations describe the models exactly: nothing is left for makemigrations.

The check runs in its own process: Tortoise's command-line context re-registers the models,
which must not touch the ORM the rest of the suite is using.
"""

import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import asyncio, sys
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from inspection.settings import tortoise_config

async def pending():
    config = tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    return [w.name for w in writers]

print(asyncio.run(pending()))
"""


def test_no_model_change_without_a_migration():
    result = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
