"""Running the app under a PostgreSQL role that does not own its tables.

The migrations run as the tables' owner (``inspection db upgrade``); the web app and the
command line connect as another role holding only what they need. Only a table's owner (or a
superuser) can disable or drop a trigger, so the app's own credentials cannot switch off the
trigger that keeps the access log append-only; and that role is not even granted UPDATE,
DELETE or TRUNCATE on the access log, nor anything on the migrations' own table.

``app_role_statements`` gives the statements for the schema as it is (``ALL TABLES`` covers
the tables existing when they run: run them again after every ``db upgrade``).
"""

from __future__ import annotations

import re

from tortoise import Tortoise

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MIGRATIONS_TABLE = "tortoise_migrations"


class AppRoleError(ValueError):
    """The role cannot be used for the app; the message says why."""


def _check_name(role: str) -> None:
    if not _ROLE.match(role):
        raise AppRoleError(
            f"'{role}' is not a role name this command accepts: use lower-case letters, digits "
            "and underscores, starting with a letter or an underscore."
        )


def app_role_statements(role: str, database: str, schema: str = "public") -> list[str]:
    """The GRANTs (and REVOKEs) that give ``role`` what the app needs and nothing more."""
    _check_name(role)
    r, db, s = f'"{role}"', '"' + database.replace('"', '""') + '"', f'"{schema}"'
    return [
        f"GRANT CONNECT, TEMPORARY ON DATABASE {db} TO {r}",
        f"GRANT USAGE ON SCHEMA {s} TO {r}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {r}",
        f"REVOKE UPDATE, DELETE ON {s}.access_log FROM {r}",
        f"REVOKE ALL ON {s}.{MIGRATIONS_TABLE} FROM {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {r}",
    ]


async def _refusal(role: str) -> str:
    """Why ``role`` may not be the app's role in the connected database; empty if it may."""
    connection = Tortoise.get_connection("default")
    rows = await connection.execute_query_dict(
        "SELECT r.rolsuper AS superuser, "
        "pg_has_role(r.oid, (SELECT relowner FROM pg_class WHERE oid = 'access_log'::regclass), "
        "'MEMBER') AS owner FROM pg_roles r WHERE r.rolname = $1",
        [role],
    )
    if not rows:
        return f"There is no role '{role}' in this PostgreSQL server: create it first."
    if rows[0]["superuser"]:
        return f"The role '{role}' is a superuser: it could disable the access log's trigger."
    if rows[0]["owner"]:
        return (
            f"The role '{role}' owns the tables (or is a member of their owner): it could "
            "disable the access log's trigger. Run the migrations under another role."
        )
    return ""


async def statements_for(role: str) -> list[str]:
    """``app_role_statements`` for the connected database, after checking the role."""
    _check_name(role)
    connection = Tortoise.get_connection("default")
    refusal = await _refusal(role)
    if refusal:
        raise AppRoleError(refusal)
    rows = await connection.execute_query_dict(
        "SELECT current_database() AS db, current_schema() AS schema"
    )
    return app_role_statements(role, rows[0]["db"], rows[0]["schema"])


async def grant_app_role(role: str) -> list[str]:
    """Apply ``statements_for(role)`` in one transaction; the statements applied."""
    statements = await statements_for(role)
    await Tortoise.get_connection("default").execute_script(
        "BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;"
    )
    return statements
