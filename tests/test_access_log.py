"""The access log is append-only in the migrated database itself."""

import re
import sqlite3

import asyncpg
import pytest

from inspection.access_log import ACTION_LABELS
from tests.conftest import ROOT, is_postgres, run_async

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


# A call that logs an action: the action is the first string argument (after the request), or
# one of two chosen by a condition; or an entry made with ``action=``.
LOGGED = re.compile(
    r"\b(?:log_access|log_export)\(\s*(?:request,\s*)?\"([a-z][a-z_-]+)\""
    r"(?: if \w+ else \"([a-z][a-z_-]+)\")?"
    r"|\baction=\"([a-z][a-z_-]+)\""
)


def test_every_action_the_service_logs_is_named_in_words():
    logged = set()
    for path in (ROOT / "inspection").rglob("*.py"):
        for match in LOGGED.finditer(path.read_text()):
            first, other, entry = match.groups()
            # ``action=`` in the command line's modules is argparse's, not a log entry's
            in_cli = "cli" in path.relative_to(ROOT).parts
            logged.update(a for a in (first, other, None if in_cli else entry) if a)
    assert {"view-linkage", "link-review-open", "view-validation-report", "purge"} <= logged
    assert sorted(logged - set(ACTION_LABELS)) == []
