"""The heartbeat of running jobs: a thread that renews their leases and writes their progress.

It runs beside the job, on a connection of its own made with the driver (``sqlite3`` or
``asyncpg``), so that a job keeps its lease while it holds the event loop (linkage computes
for seconds at a time) and loses it only when its process ends. Progress is handed to it by
``report`` (cheap, from any thread) and written with the next renewal.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from typing import Any

import asyncpg
from tortoise.backends.base.config_generator import expand_db_url

from inspection.settings import Settings

RENEW_SQL = (
    "UPDATE job SET lease_until = {0}, stage = {1}, fraction = {2} "
    "WHERE id = {3} AND worker = {4} AND status = 'running'"
)
# A renewal every third of the lease, and at least every two seconds for the progress shown.
MOST_SECONDS_BETWEEN_BEATS = 2.0


class Heartbeat:
    """Renew the leases of ``job_ids`` held by ``worker`` until stopped (a context manager)."""

    def __init__(self, settings: Settings, worker: str, job_ids: list[int]) -> None:
        self._settings = settings
        self._worker = worker
        self._progress = {job_id: ("Starting", 0.0) for job_id in job_ids}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._interval = min(settings.job_lease_seconds / 3, MOST_SECONDS_BETWEEN_BEATS)
        self._thread = threading.Thread(target=self._run, name="job-heartbeat", daemon=True)

    def report(self, job_id: int, stage: str, fraction: float) -> None:
        with self._lock:
            self._progress[job_id] = (stage[:100], max(0.0, min(1.0, fraction)))

    def _rows(self) -> list[tuple[float, str, float, int, str]]:
        lease = time.time() + self._settings.job_lease_seconds
        with self._lock:
            return [
                (lease, stage, fraction, job_id, self._worker)
                for job_id, (stage, fraction) in self._progress.items()
            ]

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        credentials: dict[str, Any] = expand_db_url(
            self._settings.database_url.replace("postgresql://", "postgres://", 1)
        )["credentials"]
        if self._settings.dialect == "postgres":
            self._beat_postgres(credentials)
        else:
            self._beat_sqlite(credentials["file_path"])

    def _beat_sqlite(self, path: str) -> None:
        sql = RENEW_SQL.format("?", "?", "?", "?", "?")
        connection = sqlite3.connect(path, timeout=self._interval)
        try:
            while not self._stop.wait(self._interval):
                # A long import holds SQLite's one write lock: this renewal waits for it, and
                # tries again at the next beat if it could not have it in time.
                with contextlib.suppress(sqlite3.OperationalError), connection:
                    connection.executemany(sql, self._rows())
        finally:
            connection.close()

    def _beat_postgres(self, credentials: dict[str, Any]) -> None:
        sql = RENEW_SQL.format("$1", "$2", "$3", "$4", "$5")
        loop = asyncio.new_event_loop()
        try:
            connection = loop.run_until_complete(
                asyncpg.connect(
                    host=credentials["host"],
                    port=credentials["port"],
                    user=credentials["user"],
                    password=credentials["password"],
                    database=credentials["database"],
                )
            )
            try:
                while not self._stop.wait(self._interval):
                    # A renewal that fails (the database restarting) is tried at the next beat.
                    with contextlib.suppress(OSError, asyncpg.PostgresError):
                        loop.run_until_complete(connection.executemany(sql, self._rows()))
            finally:
                loop.run_until_complete(connection.close())
        finally:
            loop.close()
