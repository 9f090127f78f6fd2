"""On PostgreSQL the app runs under a role that does not own the access log: the migrations run
as the owner, ``inspection db grant-app-role`` grants the app role what it needs, and with the
app's own credentials normal use works while nothing can switch off, drop or get round the
access log's trigger. On SQLite the command says it has no roles."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from tests.conftest import ROOT, TEST_DATABASE, is_postgres, run_async, run_cli
from tests.web.conftest import PASSWORD

DEMO = ROOT / "fixtures" / "demo"


def _url(user: str, database: str) -> str:
    parts = urlsplit(TEST_DATABASE)
    netloc = f"{user}@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}"))


async def _as(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _refused(url: str, statement: str) -> str:
    """The error PostgreSQL gives ``statement``, or "" if it ran."""
    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(statement)
    except asyncpg.PostgresError as exc:
        return f"{exc.sqlstate} {exc}"
    finally:
        await conn.close()
    return ""


def _admin_url() -> str:
    parts = urlsplit(TEST_DATABASE)
    return urlunsplit(parts._replace(path="/postgres"))


@pytest.fixture
def roles() -> Iterator[tuple[str, str, str]]:
    """An owner role, an app role and a database owned by the owner: (owner, app, database)."""
    suffix = uuid.uuid4().hex[:8]
    owner, app, database = f"insp_owner_{suffix}", f"insp_app_{suffix}", f"insp_roles_{suffix}"
    admin = _admin_url()
    run_async(
        _as(
            admin,
            f'CREATE ROLE "{owner}" LOGIN',
            f'CREATE ROLE "{app}" LOGIN',
            f'CREATE DATABASE "{database}" OWNER "{owner}"',
        )
    )
    try:
        yield owner, app, database
    finally:
        run_async(
            _as(
                admin,
                f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)',
                f'DROP ROLE IF EXISTS "{app}"',
                f'DROP ROLE IF EXISTS "{owner}"',
            )
        )


def _env(url: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "INSPECTION_DATABASE_URL": url,
        "INSPECTION_DATA_DIR": str(data_dir),
        "INSPECTION_SECRET_KEY": "app-role-test-secret",
        "INSPECTION_ALLOWED_HOSTS": "testserver",
    }


def _ok(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    result = run_cli(args, env=env, input=stdin)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


USE = """
import asyncio, datetime
import httpx2
from asgi_lifespan import LifespanManager
from inspection import settings
from inspection.models import Inspection, User
from inspection.retention import purge_inspection
from inspection.web.app import create_app

async def main():
    config = settings.load()
    app = create_app(config)
    async with LifespanManager(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as c:
            wrong = await c.post("/login", data={"email": "lead@roles.example", "password": "no"})
            right = await c.post("/login", data={"email": "lead@roles.example",
                                                 "password": PASSWORD})
            inspection = await Inspection.get(title="Roles")
            page = await c.get(f"/inspections/{inspection.id}/children")
            await Inspection.filter(id=inspection.id).update(
                reference_date=datetime.date(2020, 1, 1))
            admin = await User.get(email="admin@roles.example")
            report = await purge_inspection(inspection.id, admin, 365, config.data_dir,
                                            typed_title="Roles", reason="Retention")
            await c.post("/logout")
    print(wrong.status_code, right.status_code, page.status_code, report.children > 0)

asyncio.run(main())
""".replace("PASSWORD", repr(PASSWORD))

FORBIDDEN = [
    "ALTER TABLE access_log DISABLE TRIGGER access_log_append_only",
    "ALTER TABLE access_log DISABLE TRIGGER ALL",
    "DROP TRIGGER access_log_append_only ON access_log",
    "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
    "ALTER TABLE access_log OWNER TO CURRENT_USER",
    "SET session_replication_role = replica",
    "UPDATE access_log SET action = 'nothing'",
    "DELETE FROM access_log",
    "TRUNCATE access_log",
    "DELETE FROM tortoise_migrations",
]


@pytest.mark.skipif(not is_postgres(), reason="roles exist on PostgreSQL only")
def test_the_app_role_works_and_cannot_touch_the_access_log_trigger(roles, tmp_path):
    owner, app, database = roles
    owner_env = _env(_url(owner, database), tmp_path)
    app_env = _env(_url(app, database), tmp_path)
    _ok(["db", "upgrade"], owner_env)
    printed = _ok(["db", "grant-app-role", app], owner_env)
    r = f'"{app}"'
    assert printed.splitlines() == [
        f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO {r};',
        f'GRANT USAGE ON SCHEMA "public" TO {r};',
        f'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM {r};',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO {r};',
        f'REVOKE UPDATE, DELETE ON "public".access_log FROM {r};',
        f'REVOKE ALL ON "public".tortoise_migrations FROM {r};',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "public" TO {r};',
    ]
    # Printing changed nothing: the app role cannot read a table yet.
    assert run_async(_refused(_url(app, database), "SELECT 1 FROM app_user")).startswith("42501")
    _ok(["db", "grant-app-role", app, "--apply"], owner_env)

    # Normal use, as the app role: accounts, an inspection, imports (COPY, reserved ids,
    # a temporary table for children already known), linkage, a sample, an export, sign-in
    # (the throttle and the access log), pages, and a purge.
    _ok(["la", "add", "ROL", "Roleshire"], app_env)
    for email, role in (("lead@roles.example", "lead_inspector"), ("admin@roles.example", "admin")):
        _ok(["user", "add", email, "--name", role, "--role", role], app_env, PASSWORD + "\n")
    created = _ok(
        [
            "inspection",
            "create",
            "--la",
            "ROL",
            "--kind",
            "jtai",
            "--title",
            "Roles",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        app_env,
    )
    inspection_id = created.split('"id": ', 1)[1].split(",", 1)[0].strip()
    _ok(["inspection", "add-member", "--inspection", inspection_id, "--user",
         "lead@roles.example", "--role", "lead_inspector"], app_env)  # fmt: skip
    _ok(["import", "annex-a", str(DEMO / "annex_a.xlsx"), "--inspection", inspection_id], app_env)
    _ok(["import", "cin-census", str(DEMO / "cin_census.xml"), "--inspection", inspection_id],
        app_env)  # fmt: skip
    _ok(["import", "agency", str(DEMO / "police.csv"), "--inspection", inspection_id,
         "--agency", "police"], app_env)  # fmt: skip
    _ok(["link", "--inspection", inspection_id], app_env)
    _ok(["sample", "draw", "--inspection", inspection_id, "--size", "5"], app_env)
    _ok(["export", "xlsx", "--inspection", inspection_id, "--out", str(tmp_path / "qa.xlsx")],
        app_env)  # fmt: skip
    used = subprocess.run(
        [sys.executable, "-c", USE], env=app_env, cwd=ROOT, capture_output=True, text=True
    )
    assert used.returncode == 0, used.stderr
    assert used.stdout.split() == ["401", "303", "200", "True"]

    # With the app's credentials, the trigger cannot be switched off, dropped, replaced or
    # bypassed, and entries cannot be changed or removed.
    refusals = {s: run_async(_refused(_url(app, database), s)) for s in FORBIDDEN}
    assert {s: e[:5] for s, e in refusals.items()} == dict.fromkeys(FORBIDDEN, "42501"), refusals
    # The trigger is still there and still refuses, even for the owner.
    trigger = run_async(_refused(_url(owner, database), "DELETE FROM access_log"))
    assert trigger.endswith("the access log is append-only"), trigger


@pytest.mark.skipif(not is_postgres(), reason="roles exist on PostgreSQL only")
def test_grant_app_role_refuses_the_owner_a_superuser_and_an_unknown_role(roles, tmp_path):
    owner, _app, database = roles
    owner_env = _env(_url(owner, database), tmp_path)
    _ok(["db", "upgrade"], owner_env)
    for role, message in (
        (owner, f"The role '{owner}' owns the tables (or is a member of their owner)"),
        ("postgres", "The role 'postgres' is a superuser: it could disable"),
        ("nobody_here", "There is no role 'nobody_here' in this PostgreSQL server"),
        ("Robert'); DROP", "is not a role name this command accepts"),
    ):
        result = run_cli(["db", "grant-app-role", role], env=owner_env)
        assert result.returncode == 1, role
        assert message in result.stderr, result.stderr


def test_grant_app_role_on_sqlite_says_there_are_no_roles(cli_env):
    if is_postgres():
        pytest.skip("the SQLite answer")
    result = run_cli(["db", "grant-app-role", "app"], env=cli_env)
    assert result.returncode == 1
    assert result.stderr.startswith("grant-app-role is for PostgreSQL: SQLite has no roles.")
