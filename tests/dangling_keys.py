"""A database at 0008 whose event and source_record rows point at nothing, migrated to the latest.

Run as ``python -m tests.dangling_keys`` with ``INSPECTION_DATABASE_URL`` naming an empty
database (tests/test_migrations.py does). Before migration 0009 nothing stopped these rows:

- record ``r_kept`` and its events ``e_kept`` (all keys right), ``e_no_child`` (its child was
  deleted) and ``e_no_record`` (its record was deleted);
- record ``r_no_child`` (its child was deleted);
- record ``r_no_upload`` (its upload was deleted) and its event ``e_of_r_no_upload``;
- event ``e_no_upload`` (its upload was deleted).

Prints what is left, whether a new dangling key is refused, and the next event id.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from tortoise import Tortoise
from tortoise.exceptions import IntegrityError
from tortoise.migrations.api import migrate

from inspection.db import database, upgrade
from inspection.settings import load

_RECORD = (
    "INSERT INTO source_record (id, inspection_id, upload_id, child_id, agency, person_id, "
    "la_child_id, nhs_number, upn, given_name, family_name, sex, postcode, address, "
    "link_method, link_evidence) VALUES ({id}, 1, {upload}, {child}, 'police', '{name}', '', '', "
    "'', '', '', '', '', '', '', '{{}}')"
)
_EVENT = (
    "INSERT INTO event (id, inspection_id, upload_id, child_id, record_id, agency, kind, start, "
    "source_sheet, attributes, team, worker) VALUES ({id}, 1, {upload}, {child}, {record}, "
    "'police', '{name}', '2026-10-01', '', '{{}}', '', '')"
)


async def populate() -> None:
    conn = Tortoise.get_connection("default")
    for statement in (
        "INSERT INTO local_authority (id, code, name) VALUES (1, 'E09', 'Authority E09')",
        "INSERT INTO inspection (id, la_id, kind, title, reference_date, status, created_at) "
        "VALUES (1, 1, 'self-audit', 'Audit round', '2026-11-01', 'open', '2026-11-20')",
        "INSERT INTO upload (id, inspection_id, filename, source_kind, agency, sha256, "
        "size_bytes, status, stored_path, summary, uploaded_at) VALUES (1, 1, 'p.csv', "
        "'agency', 'police', 'a', 1, 'loaded', '', '{}', '2026-11-20')",
        "INSERT INTO child (id, inspection_id, la_child_id, given_name, family_name, sex, "
        "ethnicity, disability, postcode, team, worker, attributes) "
        "VALUES (1, 1, 'C1', '', '', '', '', '', '', '', '', '{}')",
        _RECORD.format(id=1, upload=1, child=1, name="r_kept"),
        _RECORD.format(id=2, upload=1, child=99, name="r_no_child"),
        _RECORD.format(id=3, upload=98, child=1, name="r_no_upload"),
        _EVENT.format(id=1, upload=1, child=1, record=1, name="e_kept"),
        _EVENT.format(id=2, upload=1, child=99, record=1, name="e_no_child"),
        _EVENT.format(id=3, upload=1, child=1, record=97, name="e_no_record"),
        _EVENT.format(id=4, upload=1, child=1, record=3, name="e_of_r_no_upload"),
        _EVENT.format(id=5, upload=98, child=1, record=1, name="e_no_upload"),
        # The last event ever written was deleted: its id may never be given again.
        _EVENT.format(id=40, upload=1, child=1, record=1, name="e_deleted"),
        "DELETE FROM event WHERE id = 40",
    ):
        await conn.execute_query(statement)
    if load().dialect == "postgres":  # as if the rows had taken their ids from the sequences
        for table, last in (("event", 40), ("source_record", 3), ("child", 1), ("upload", 1)):
            await conn.execute_query(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"
            )


async def report() -> dict[str, Any]:
    conn = Tortoise.get_connection("default")
    _, records = await conn.execute_query(
        "SELECT person_id, child_id FROM source_record ORDER BY id"
    )
    _, events = await conn.execute_query("SELECT kind, child_id, record_id FROM event ORDER BY id")
    try:
        await conn.execute_query(_EVENT.format(id=50, upload=1, child=12345, record=1, name="x"))
        refused = "accepted"
    except IntegrityError:
        refused = "refused"
    await conn.execute_query(
        "INSERT INTO event (inspection_id, upload_id, agency, kind, start, source_sheet, "
        "attributes, team, worker) VALUES (1, 1, 'police', 'next', '2026-10-01', '', '{}', '', '')"
    )
    _, next_id = await conn.execute_query("SELECT id FROM event WHERE kind = 'next'")
    return {
        "records": [[r["person_id"], r["child_id"]] for r in map(dict, records)],
        "events": [[e["kind"], e["child_id"], e["record_id"]] for e in map(dict, events)],
        "a dangling child key": refused,
        "next event id": dict(next_id[0])["id"],
    }


async def main() -> None:
    config = load()
    await migrate(config=config.tortoise_config(), target="models.0008_blind_link_review")
    await Tortoise.close_connections()
    async with database(config):
        await populate()
    await upgrade(config)
    async with database(config):
        print(json.dumps(await report(), sort_keys=True))


if __name__ == "__main__":
    asyncio.run(main())
