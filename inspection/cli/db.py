"""``inspection db upgrade`` and ``inspection db grant-app-role``."""

from __future__ import annotations

import argparse
import asyncio

from inspection import settings as settings_module
from inspection.app_role import AppRoleError, grant_app_role, statements_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.db import DatabaseUnavailable, upgrade


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    add_json_flag(up)
    up.set_defaults(handler=_upgrade)
    grant = dbsub.add_parser(
        "grant-app-role",
        help="PostgreSQL: print (or --apply) the GRANTs that let ROLE run the app without "
        "owning its tables (docs/security.md)",
    )
    grant.add_argument("role", metavar="ROLE", help="the role the app connects as")
    grant.add_argument(
        "--apply", action="store_true", help="run the statements (as the tables' owner)"
    )
    add_json_flag(grant)
    grant.set_defaults(handler=_grant_app_role)


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


def _grant_app_role(args: argparse.Namespace) -> int:
    if settings_module.load().dialect != "postgres":
        raise BadInput(
            "grant-app-role is for PostgreSQL: SQLite has no roles. Keep the database file "
            "readable and writable by the app's user only."
        )

    async def work() -> list[str]:
        try:
            return await (grant_app_role if args.apply else statements_for)(args.role)
        except AppRoleError as exc:
            raise BadInput(str(exc)) from exc

    statements = run_with_db(work)
    emit(
        args,
        {"role": args.role, "applied": args.apply, "statements": statements},
        "\n".join(f"{s};" for s in statements)
        + (f"\n-- applied: {args.role} can now run the app." if args.apply else ""),
    )
    return 0
