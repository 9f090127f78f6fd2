"""``inspection db upgrade``."""

from __future__ import annotations

import argparse
import asyncio

from inspection import settings as settings_module
from inspection.cli.base import BadInput, add_json_flag, emit
from inspection.db import DatabaseUnavailable, upgrade


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    add_json_flag(up)
    up.set_defaults(handler=_upgrade)


def _upgrade(args: argparse.Namespace) -> int:
    config = settings_module.load()
    try:
        asyncio.run(upgrade(config))
    except DatabaseUnavailable as exc:
        raise BadInput(str(exc)) from exc
    emit(
        args,
        {"database": config.database_label(), "status": "up to date"},
        f"Database {config.database_label()} is up to date.",
    )
    return 0
