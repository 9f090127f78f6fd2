"""Bulk statements inside one transaction: the only place the loader speaks to the driver.

The ORM has no bulk load and no temporary tables, so the writer sends SQL of its own, and it
sends it through ``Bulk`` only:

- ``copy`` loads rows into a table: on PostgreSQL with asyncpg's ``copy_records_to_table``
  (binary COPY) on the transaction's own connection, which Tortoise's public
  ``acquire_connection()`` hands out; on SQLite with the transaction client's
  ``execute_many``, in batches.
- ``execute`` and ``fetch`` run one statement with parameters. A statement is written with
  ``{}`` where each parameter goes (``"... WHERE upload_id = {}"``; a literal brace is
  doubled, as in ``str.format``); ``Bulk`` fills in the dialect's own placeholder (``$1, $2``
  on PostgreSQL, ``?`` on SQLite) when it sends it.
- ``stage`` creates a temporary table from a ``Stage`` (column names and portable types) and
  copies rows into it; ``drop_stages`` drops every table it staged.

Every statement runs on the connection of the transaction ``Bulk`` is given, so everything it
writes is committed or rolled back with it.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient

SQLITE_BATCH = 2000
_FORMATTER = string.Formatter()

# Portable column types of a staging table, as each dialect spells them.
_TYPES = {
    "postgres": {
        "int": "integer",
        "bool": "boolean",
        "text": "text",
        "date": "date",
        "json": "json",
        "jsonb": "jsonb",
    },
    "sqlite": {
        "int": "INTEGER",
        "bool": "INTEGER",
        "text": "TEXT",
        "date": "DATE",
        "json": "JSON",
        "jsonb": "JSON",
    },
}


@dataclass(frozen=True, slots=True)
class Stage:
    """A temporary table rows are copied into before set-based statements place them."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, portable type)
    # Columns of each index made after the copy on SQLite, which joins by looking rows up
    # (PostgreSQL hashes the staging table instead; an index would only cost time).
    sqlite_indexes: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Bulk:
    """Bulk statements on the connection of one transaction (``in_transaction()``'s client)."""

    def __init__(self, client: BaseDBAsyncClient, dialect: str) -> None:
        if dialect not in _TYPES:
            raise ValueError(f"No bulk statements for the {dialect} dialect.")
        self.client = client
        self.dialect = dialect
        self.postgres = dialect == "postgres"
        self._staged: list[str] = []

    def sql(self, statement: str) -> str:
        """``statement`` with each ``{}`` replaced by the dialect's next placeholder."""
        count = sum(1 for _, field, _, _ in _FORMATTER.parse(statement) if field is not None)
        marks = [f"${n}" for n in range(1, count + 1)] if self.postgres else ["?"] * count
        return statement.format(*marks)

    async def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (``{}`` for each parameter): the number of rows it changed."""
        sql = self.sql(statement)
        if self.postgres:
            async with self.client.acquire_connection() as connection:
                status: str = await connection.execute(sql, *params)
            last = status.rsplit(" ", 1)[-1]
            return int(last) if last.isdigit() else 0
        changed, _ = await self.client.execute_query(sql, [_for_sqlite(v) for v in params])
        return int(changed)

    async def fetch(self, statement: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows one query (``{}`` for each parameter) gives, as dicts."""
        sql = self.sql(statement)
        if self.postgres:
            async with self.client.acquire_connection() as connection:
                found = await connection.fetch(sql, *params)
            return [dict(row) for row in found]
        return await self.client.execute_query_dict(sql, [_for_sqlite(v) for v in params])

    async def copy(
        self, table: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
    ) -> int:
        """Copy ``records`` (each a tuple in ``columns`` order; JSON columns as text) into
        ``table``: the number copied."""
        if self.postgres:
            # One COPY fed by the iterable: the server stores the first rows while the later
            # ones are still being made.
            async with self.client.acquire_connection() as connection:
                status: str = await connection.copy_records_to_table(
                    table, records=records, columns=list(columns)
                )
            return int(status.rsplit(" ", 1)[-1])
        names = ", ".join(quoted(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {quoted(table)} ({names}) VALUES ({marks})"  # noqa: S608
        count = 0
        batch: list[list[Any]] = []
        for record in records:
            batch.append([_for_sqlite(v) for v in record])
            if len(batch) >= SQLITE_BATCH:
                await self.client.execute_many(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            await self.client.execute_many(sql, batch)
            count += len(batch)
        return count

    async def stage(self, stage: Stage, records: Iterable[tuple[Any, ...]]) -> int:
        """Create the temporary table ``stage`` and copy ``records`` into it."""
        types = _TYPES[self.dialect]
        columns = ", ".join(f"{quoted(name)} {types[kind]}" for name, kind in stage.columns)
        await self.execute(f"DROP TABLE IF EXISTS {quoted(stage.name)}")
        await self.execute(f"CREATE TEMPORARY TABLE {quoted(stage.name)} ({columns})")
        self._staged.append(stage.name)
        count = await self.copy(stage.name, stage.column_names, records)
        for number, index in enumerate(() if self.postgres else stage.sqlite_indexes, 1):
            await self.execute(
                f"CREATE INDEX {quoted(f'{stage.name}_{number}')} ON {quoted(stage.name)} "
                f"({', '.join(quoted(c) for c in index)})"
            )
        return count

    async def drop_stages(self) -> None:
        while self._staged:
            await self.execute(f"DROP TABLE IF EXISTS {quoted(self._staged.pop())}")


def _for_sqlite(value: Any) -> Any:
    """A value as SQLite stores it: dates as ISO text, booleans as 0 and 1."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
