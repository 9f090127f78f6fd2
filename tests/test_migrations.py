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


MIGRATED_SCHEMA = """
import asyncio, json, sys
from inspection.db import database, upgrade
from inspection.settings import load
from tortoise import Tortoise

async def schema():
    config = load()
    await upgrade(config)
    async with database(config):
        conn = Tortoise.get_connection("default")
        found = {}
        for table in ("event", "source_record"):
            if config.dialect == "postgres":
                _, keys = await conn.execute_query(
                    "SELECT conname FROM pg_constraint WHERE conrelid = $1::regclass "
                    "AND contype = 'f'", [table])
                _, indexes = await conn.execute_query(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = $1", [table])
                _, columns = await conn.execute_query(
                    "SELECT column_name AS name, data_type AS type FROM information_schema.columns "
                    "WHERE table_name = $1", [table])
                found[table] = {
                    "foreign_keys": len(keys),
                    "indexes": sorted(dict(i)["indexdef"].split(" USING btree ")[1]
                                      for i in indexes),
                }
            else:
                _, keys = await conn.execute_query(f"PRAGMA foreign_key_list({table})")
                _, indexes = await conn.execute_query(
                    "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                    "AND sql IS NOT NULL", [table])
                _, columns = await conn.execute_query(f"PRAGMA table_info({table})")
                found[table] = {
                    "foreign_keys": len(keys),
                    "indexes": ["(id)"] + sorted(
                        "(" + dict(i)["sql"].split(" (", 1)[1].replace('"', "")
                        for i in indexes),
                }
            types = {dict(c)["name"]: dict(c)["type"].lower() for c in columns}
            found[table]["attributes"] = types.get("attributes", types.get("link_evidence"))
    print(json.dumps(found, sort_keys=True))

asyncio.run(schema())
"""


def test_migrated_database_has_the_loading_schema_the_models_declare(tmp_path):
    """The migrations, not only generate_schemas, leave event and source_record without foreign
    keys and with one index each besides the primary key, and event attributes as json text
    (the loader's speed depends on it)."""
    import json
    import os

    from tests.conftest import drop_database, new_database_url

    url, name = new_database_url(tmp_path, "schema")
    try:
        env = {**os.environ, "INSPECTION_DATABASE_URL": url, "INSPECTION_DATA_DIR": str(tmp_path)}
        env["INSPECTION_SECRET_KEY"] = "schema-test-secret"
        result = subprocess.run(
            [sys.executable, "-c", MIGRATED_SCHEMA],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        drop_database(name)
    # Event attributes are json (the text as written) on PostgreSQL; SQLite's JSON is text.
    postgres = url.startswith("postgres")
    assert found == {
        "event": {
            "foreign_keys": 0,
            "indexes": ["(id)", "(inspection_id, child_id)"],
            "attributes": "json",
        },
        "source_record": {
            "foreign_keys": 0,
            "indexes": ["(id)", "(inspection_id, child_id)"],
            "attributes": "jsonb" if postgres else "json",
        },
    }


ISSUE_COUNTS = """
import asyncio, json
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from inspection.db import database, upgrade
from inspection.settings import load

async def main():
    config = load()
    await migrate(config=config.tortoise_config(), target="models.0004_event_attributes_as_json")
    await Tortoise.close_connections()
    async with database(config):
        conn = Tortoise.get_connection("default")
        await conn.execute_script(
            "INSERT INTO local_authority (code, name) VALUES ('E1', 'A');"
            "INSERT INTO inspection (la_id, kind, title, reference_date, status, created_at) "
            "SELECT id, 'jtai', 'T', '2026-11-02', 'open', '2026-11-02' FROM local_authority;"
            "INSERT INTO upload (inspection_id, source_kind, agency, filename, sha256, size_bytes, "
            "stored_path, uploaded_at, status, summary) SELECT id, 'agency', 'police', 'p.csv', "
            "'x', 1, '', '2026-11-02', 'loaded', '{}' FROM inspection;"
            "INSERT INTO validation_issue (inspection_id, upload_id, sheet, list_name, "
            "\\"column\\", cell, value, rule, severity, message, row_rejected) "
            "SELECT inspection_id, id, 'p', "
            "'police', 'sex', 'D2', 'X', 'unknown_code', 'warning', 'm', false FROM upload;"
        )
    await upgrade(config)
    async with database(config):
        from inspection.models import ValidationIssue
        before = [(i.rule, i.count) for i in await ValidationIssue.all()]
        upload = (await ValidationIssue.first()).upload_id
        await ValidationIssue.create(inspection_id=1, upload_id=upload, rule="r",
                                     severity="info", message="m", count=5)
        after = sorted(await ValidationIssue.all().values_list("count", flat=True))
    print(json.dumps({"before": before, "after": after}))

asyncio.run(main())
"""


def test_issue_counts_migrate_a_populated_database(tmp_path):
    """0006_issue_counts on a database holding issues: each old issue stands for one place."""
    import json
    import os

    from tests.conftest import drop_database, new_database_url

    url, name = new_database_url(tmp_path, "counts")
    try:
        env = {**os.environ, "INSPECTION_DATABASE_URL": url, "INSPECTION_DATA_DIR": str(tmp_path)}
        env["INSPECTION_SECRET_KEY"] = "counts-test-secret"
        result = subprocess.run(
            [sys.executable, "-c", ISSUE_COUNTS],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        found = json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        drop_database(name)
    assert found == {"before": [["unknown_code", 1]], "after": [1, 5]}
