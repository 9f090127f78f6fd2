"""What every command shares: errors, JSON output, and running with the database."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any, TypeVar

from tortoise.exceptions import OperationalError

from inspection import settings as settings_module
from inspection.db import CONNECTION_LOST, DatabaseUnavailable, database, database_down

T = TypeVar("T")
# May mean the database went away while a command was running; ``database_down`` decides.
_DATABASE_LOST: tuple[type[BaseException], ...] = (*CONNECTION_LOST, OperationalError)


class BadInput(Exception):
    """Bad input: the message is printed on stderr and the command exits 1."""


class UsageError(Exception):
    """A usage error: exit 2."""


def _default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit(args: Any, document: Any, text: str | Callable[[], str]) -> None:
    """Print ``document`` as JSON when ``--json`` was given, else the plain text."""
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(document, default=_default, indent=2) + "\n")
    else:
        sys.stdout.write((text() if callable(text) else text) + "\n")


def run_with_db(work: Callable[[], Awaitable[T]]) -> T:
    """Connect to the configured database, run ``work``, close the connection."""
    config = settings_module.load()

    async def runner() -> T:
        try:
            async with database(config):
                return await work()
        except DatabaseUnavailable as exc:
            raise BadInput(str(exc)) from exc
        except _DATABASE_LOST as exc:
            if not database_down(exc):
                raise
            raise BadInput(
                f"The database at {config.database_label()} stopped answering before the command "
                "finished; what it was writing was rolled back. Try again in a moment."
            ) from exc

    return asyncio.run(runner())


def add_json_flag(parser: Any) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
