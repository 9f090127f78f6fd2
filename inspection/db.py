"""Connecting to the database and applying migrations."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from tortoise import Tortoise
from tortoise.exceptions import DBConnectionError, OperationalError
from tortoise.migrations.api import migrate

from inspection.settings import Settings


class DatabaseUnavailable(Exception):
    pass


# The connection was cut under a running operation (server restart, failover, network, an
# administrator's pg_terminate_backend) or could not be made. asyncpg raises these raw: Tortoise
# only translates SQL errors. A pool replaces a dead connection at its next checkout.
CONNECTION_LOST: tuple[type[BaseException], ...] = (
    DBConnectionError,
    ConnectionError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
)
# Every exception that may mean the database is not answering; ``database_down`` tells which do.
DATABASE_DOWN: tuple[type[BaseException], ...] = (*CONNECTION_LOST, OperationalError, OSError)


def database_down(exc: BaseException) -> bool:
    """Whether ``exc`` means the database is not answering, rather than that a statement was
    wrong.

    Down: a lost or refused connection, an unreachable host (``OSError``), and SQLite failing
    a statement in its own operation ("disk I/O error", "database is locked"), which Tortoise
    wraps in a bare ``OperationalError``. Not down: the subclasses Tortoise raises for the rows
    found (``MultipleObjectsReturned``, ``DoesNotExist``, ``IntegrityError``) and a statement
    PostgreSQL refused (a value out of a column's range, a syntax error): those are defects to
    fix where the value came in, never "try again in a moment".
    """
    if isinstance(exc, (*CONNECTION_LOST, OSError)):
        return True
    if type(exc) is not OperationalError:
        return False
    inner = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args else None)
    return isinstance(inner, sqlite3.OperationalError) or (
        isinstance(inner, BaseException) and isinstance(inner, CONNECTION_LOST)
    )


UNAVAILABLE_MESSAGE = "The database is not answering. Nothing was changed; try again in a moment."


def _unreachable(config: Settings, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"Cannot reach the database at {config.database_label()}: {exc.__class__.__name__}: {exc}"
    )


async def _prepare(config: Settings) -> None:
    if config.dialect == "sqlite":
        config.data_dir.mkdir(parents=True, exist_ok=True)


_CONNECT_ERRORS = (OSError, socket.gaierror, ConnectionError)


@asynccontextmanager
async def database(config: Settings) -> AsyncIterator[None]:
    """Open the ORM on the configured database for the duration of the block."""
    await _prepare(config)
    try:
        await Tortoise.init(config=config.tortoise_config())
        conn = Tortoise.get_connection("default")
        await conn.execute_query("SELECT 1")
    except _CONNECT_ERRORS as exc:
        await Tortoise.close_connections()
        raise _unreachable(config, exc) from exc
    except Exception as exc:
        await Tortoise.close_connections()
        if "connect" in str(exc).lower() or "does not exist" in str(exc).lower():
            raise _unreachable(config, exc) from exc
        raise
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def upgrade(config: Settings) -> None:
    """Apply every migration that has not been applied yet."""
    await _prepare(config)
    try:
        await migrate(config=config.tortoise_config())
    except _CONNECT_ERRORS as exc:
        raise _unreachable(config, exc) from exc
    finally:
        await Tortoise.close_connections()
