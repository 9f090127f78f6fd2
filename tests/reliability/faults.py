"""Making the database fail at a precise moment, on PostgreSQL and on SQLite.

PostgreSQL: every backend serving the test's own database is terminated from a separate admin
connection (``pg_terminate_backend``), exactly what a restart, a failover or a network cut does to
the app's connections. The server is shared with other test runs, so nothing else is touched.

SQLite: the next statement sent through aiosqlite raises ``sqlite3.OperationalError("disk I/O
error")``, once, as a failing disk would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiosqlite
import asyncpg

SQLITE_METHODS = ("execute", "execute_insert", "execute_fetchall", "executemany")


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_url(url: str) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path="/postgres"))


async def terminate_backends(url: str) -> int:
    """Terminate every connection to ``url``'s database; wait until they are gone."""
    name = database_name(url)
    admin = await asyncpg.connect(admin_url(url))
    try:
        pids = [
            r["pid"]
            for r in await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        ]
        for pid in pids:
            await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        for _ in range(200):
            left = await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
            )
            if left == 0:
                break
            await asyncio.sleep(0.01)
        return len(pids)
    finally:
        await admin.close()


class SqliteDisk:
    """Patches aiosqlite so that, once armed, the next statement fails like a bad disk."""

    def __init__(self) -> None:
        self.armed = False
        self.raised = 0

    def install(self, setattr: Any) -> None:
        for name in SQLITE_METHODS:
            original = getattr(aiosqlite.Connection, name)
            setattr(aiosqlite.Connection, name, self._wrap(original))

    def _wrap(self, original: Any) -> Any:
        disk = self

        async def failing(conn: Any, *args: Any, **kwargs: Any) -> Any:
            if disk.armed:
                disk.armed = False
                disk.raised += 1
                raise sqlite3.OperationalError("disk I/O error")
            return await original(conn, *args, **kwargs)

        return failing


class Fault:
    """``await fault.strike()`` breaks the database connection(s) right now."""

    def __init__(self, url: str, disk: SqliteDisk | None) -> None:
        self.url = url
        self.disk = disk
        self.strikes = 0
        self.terminated = 0

    @property
    def postgres(self) -> bool:
        return self.disk is None

    async def strike(self) -> None:
        self.strikes += 1
        if self.disk is not None:
            self.disk.armed = True
        else:
            killed = await terminate_backends(self.url)
            assert killed > 0, "no connection to cut: the operation is not using the database"
            self.terminated += killed
