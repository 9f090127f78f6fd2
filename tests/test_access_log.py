"""The access log is append-only in the migrated database itself."""

import sqlite3

import asyncpg
import pytest

from tests.conftest import is_postgres, run_async

INSERT = (
    "INSERT INTO access_log (at, user_email, action, object_type, object_id, detail, ip) "
    "VALUES ('2026-01-01 00:00:00', 'a@example.org', 'view-journey', '', '', '', '')"
)


async def _postgres(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(INSERT)
        await conn.execute(statement)
    finally:
        await conn.close()


def _sqlite(url: str, statement: str) -> None:
    conn = sqlite3.connect(url.removeprefix("sqlite://"))
    try:
        conn.execute(INSERT)
        conn.execute(statement)
    finally:
        conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE access_log SET action = 'nothing'",
        "DELETE FROM access_log",
    ],
)
def test_entries_cannot_be_changed_or_deleted(cli_env, statement):
    url = cli_env["INSPECTION_DATABASE_URL"]
    if is_postgres():
        with pytest.raises(asyncpg.RaiseError, match="the access log is append-only"):
            run_async(_postgres(url, statement))
    else:
        with pytest.raises(sqlite3.IntegrityError, match="the access log is append-only"):
            _sqlite(url, statement)
