"""The committed migrations describe the models exactly: nothing is left for makemigrations.

The check runs in its own process: Tortoise's command-line context re-registers the models,
which must not touch the ORM the rest of the suite is using.
"""

import json
import os
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT, drop_database, is_postgres, new_database_url

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


def _run_on_a_new_database(tmp_path, label: str, args: list[str]) -> Any:
    """What ``python ARGS`` prints last (as JSON), run on a new, empty database."""
    url, name = new_database_url(tmp_path, label)
    try:
        env = {**os.environ, "INSPECTION_DATABASE_URL": url, "INSPECTION_DATA_DIR": str(tmp_path)}
        env["INSPECTION_SECRET_KEY"] = f"{label}-test-secret"
        result = subprocess.run(
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])
    finally:
        drop_database(name)


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
    """The migrations, not only generate_schemas, leave event and source_record with every
    foreign key the models declare, the indexes they declare besides the primary key (a
    child's events and records; an event's record, which journeys and deletes read; each
    identity column lowered, which a pseudonymised export looks up), and event attributes as
    json text (the loader's speed depends on it)."""
    found = _run_on_a_new_database(tmp_path, "schema", ["-c", MIGRATED_SCHEMA])
    # Event attributes are json (the text as written) on PostgreSQL; SQLite's JSON is text.
    postgres = is_postgres()
    lowered = sorted(
        f'(inspection_id, lower((({c})::text COLLATE "C")))'
        if postgres
        else f"(inspection_id, lower({c}))"
        for c in ("family_name", "given_name", "la_child_id", "nhs_number", "person_id", "upn")
    )
    assert found == {
        "event": {
            "foreign_keys": 4,
            "indexes": ["(id)", "(inspection_id, child_id)", "(record_id)"],
            "attributes": "json",
        },
        "source_record": {
            "foreign_keys": 3,
            "indexes": ["(id)", *sorted(["(inspection_id, child_id)", *lowered])],
            "attributes": "jsonb" if postgres else "json",
        },
    }


def test_duplicated_markings_are_merged_by_the_rule_and_then_refused(tmp_path):
    """A database at 0004 holding the duplicates the race on "Start audit" made is migrated:
    one audit per member and marking is left, chosen by migration 0005's rule; every concern is
    kept, moved to the kept audit; moderations move unless the kept pair already agreed that
    domain; each removal is in the access log; a new duplicate is refused by the database."""
    found = _run_on_a_new_database(tmp_path, "duplicates", ["-m", "tests.duplicate_markings"])
    kept = ["m1_saved", "m2_submitted_first", "m2_second", "m3_newer", "m4_only"]
    assert found["audits"] == [
        ["m1_saved", 1, "first", 3],
        ["m2_submitted_first", 2, "first", 4],
        ["m2_second", 2, "second", 3],
        ["m3_newer", 3, "second", 2],
        ["m4_only", 4, "first", 1],
        ["detached_a", None, "first", 1],
        ["detached_b", None, "first", 1],
    ]
    versions = {"m1_saved": 3, "m2_submitted_first": 4, "m2_second": 3, "m3_newer": 2}
    assert found["revisions"] == {
        **{a: versions.get(a, 1) for a in kept},
        "detached_a": 1,
        "detached_b": 1,
    }
    assert found["scores"] == dict.fromkeys([*kept, "detached_a", "detached_b"], 8)
    assert found["concerns"] == [
        ["raised from m1's blank draft", "m1_saved"],
        ["raised from m2's draft", "m2_submitted_first"],
        ["raised from m2's later submission", "m2_submitted_first"],
    ]
    assert found["moderations"] == [
        ["m2_submitted_first", "m2_second", "child_seen", "outstanding"],
        ["m2_submitted_first", "m2_second", "impact", "requires_improvement"],
    ]
    assert [(action, audit) for action, audit, _ in found["log"]] == [
        ("remove-duplicate-marking", "m1_blank"),
        ("remove-duplicate-marking", "m2_submitted_later"),
        ("remove-duplicate-marking", "m2_draft"),
        ("remove-duplicate-marking", "m3_older"),
    ]
    details = [detail.split("): ", 1)[-1] if "): " in detail else "" for *_, detail in found["log"]]
    assert details == [
        "1 concern moved",
        "1 concern moved; moderation of impact dropped (already agreed); "
        "moderation of child_seen moved",
        "1 concern moved",
        "",
    ]
    assert [d.split(" (", 1)[1].split(")")[0] for *_, d in found["log"]] == [
        "first marking, draft, version 1, by ann@x.test",
        "first marking, submitted, version 5, by bob@x.test",
        "first marking, draft, version 9, by bob@x.test",
        "second marking, draft, version 2, by lee@x.test",
    ]
    assert found["another first marking of member 4"] == "refused"


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
    found = _run_on_a_new_database(tmp_path, "counts", ["-c", ISSUE_COUNTS])
    assert found == {"before": [["unknown_code", 1]], "after": [1, 5]}


def test_keys_that_point_at_nothing_are_cleared_by_the_rule_and_then_refused(tmp_path):
    """A database at 0008 with events and records pointing at nothing is migrated: a child or
    record key pointing at nothing becomes NULL, a row whose upload is gone is deleted (its
    events first lose it), the database then refuses a new dangling key, and no event id is
    given twice."""
    found = _run_on_a_new_database(tmp_path, "dangling", ["-m", "tests.dangling_keys"])
    assert found == {
        "records": [["r_kept", 1], ["r_no_child", None]],
        "events": [
            ["e_kept", 1, 1],
            ["e_no_child", None, 1],
            ["e_no_record", 1, None],
            ["e_of_r_no_upload", 1, None],
        ],
        "a dangling child key": "refused",
        "next event id": 41,
    }


NO_IDENTIFIER = """
import asyncio, json
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from inspection.db import database, upgrade
from inspection.settings import load

TABLES = {
    "postgres": "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'",
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
}

async def tables(config):
    async with database(config):
        conn = Tortoise.get_connection("default")
        _, rows = await conn.execute_query(TABLES[config.dialect])
        return sorted(dict(r)["name"] for r in rows)

async def main():
    config = load()
    await migrate(config=config.tortoise_config(), target="models.0010_invitations")
    await Tortoise.close_connections()
    async with database(config):
        conn = Tortoise.get_connection("default")
        await conn.execute_script(
            "INSERT INTO local_authority (code, name) VALUES ('E1', 'A');"
            "INSERT INTO inspection (la_id, kind, title, reference_date, status, created_at) "
            "SELECT id, 'jtai', 'T', '2026-11-02', 'open', '2026-11-02' FROM local_authority;"
            "INSERT INTO child (inspection_id, la_child_id, given_name, family_name, sex, "
            "ethnicity, disability, postcode, team, worker, attributes) SELECT id, 'C1', '', '', "
            "'', '', '', '', '', '', '{}' FROM inspection;"
            "INSERT INTO identifier (inspection_id, child_id, scheme, value) "
            "SELECT inspection_id, id, 'upn', 'A123' FROM child;"
        )
    before = await tables(config)
    await migrate(config=config.tortoise_config(), target="models.0011_no_identifier_table")
    await Tortoise.close_connections()
    after = await tables(config)
    async with database(config):
        from inspection.models import Child
        children = await Child.all().values_list("la_child_id", flat=True)
    print(json.dumps({"dropped": sorted(set(before) - set(after)),
                      "added": sorted(set(after) - set(before)), "children": children}))

asyncio.run(main())
"""


def test_the_identifier_table_nothing_wrote_is_dropped_and_children_are_kept(tmp_path):
    """0011_no_identifier_table on a database whose identifier table holds a row: the table
    goes, no other table does, and the child it named stays."""
    found = _run_on_a_new_database(tmp_path, "identifier", ["-c", NO_IDENTIFIER])
    assert found == {"dropped": ["identifier"], "added": [], "children": ["C1"]}


PERSON_IDENTIFIERS = """
import asyncio, json
from datetime import date
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from inspection.db import database
from inspection.settings import load

async def main():
    config = load()
    await migrate(config=config.tortoise_config(), target="models.0021_tracked_cases")
    await Tortoise.close_connections()
    async with database(config):
        from inspection.models import LocalAuthority, SourceRecord, Upload
        la = await LocalAuthority.create(code="E1", name="A")
        # The inspection as the schema at 0021 has it (later migrations add columns).
        conn = Tortoise.get_connection("default")
        await conn.execute_script(
            "INSERT INTO inspection (la_id, kind, title, reference_date, status, created_at, "
            f"blind_link_review, judgement) VALUES ({la.id}, 'jtai', 'T', '2026-11-02', 'open', "
            "CURRENT_TIMESTAMP, FALSE, '')"
        )
        insp = (await conn.execute_query_dict("SELECT id FROM inspection"))[0]["id"]
        up = await Upload.create(inspection_id=insp, source_kind="agency", agency="police",
                                 filename="p.csv", sha256="a" * 64)
        for agency, person, la_id, nhs, upn in (
            ("social_care", "C1", "C1", "943 476 5919", ""),
            ("police", "P1", "", "9434765918", "A123456789012"),
        ):
            await SourceRecord.create(inspection_id=insp, upload=up, agency=agency,
                                      person_id=person, la_child_id=la_id, nhs_number=nhs,
                                      upn=upn)
    await migrate(config=config.tortoise_config(), target="models.0022_person_identifiers")
    await Tortoise.close_connections()
    async with database(config):
        from inspection.models import PersonIdentifier
        rows = await PersonIdentifier.all().order_by("id").values_list(
            "record__person_id", "upload__filename", "scheme", "value", "valid")
    print(json.dumps([list(r) for r in rows]))

asyncio.run(main())
"""


def test_records_loaded_before_the_identifier_table_are_given_their_identifiers(tmp_path):
    """0022_person_identifiers on a database holding records: each record's identifiers are
    copied from its own columns with the verdict of their check, its person id only where it
    is not the authority's child id again."""
    found = _run_on_a_new_database(tmp_path, "person-ids", ["-c", PERSON_IDENTIFIERS])
    assert found == [
        ["C1", "p.csv", "la_child_id", "C1", None],
        ["C1", "p.csv", "nhs_number", "943 476 5919", True],
        ["P1", "p.csv", "nhs_number", "9434765918", False],
        ["P1", "p.csv", "upn", "A123456789012", True],
        ["P1", "p.csv", "police_id", "P1", None],
    ]
