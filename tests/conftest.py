"""Test databases.

``INSPECTION_TEST_DATABASE`` picks the database for the whole suite: ``sqlite`` (default) or a
PostgreSQL URL. Strategies, cheapest first:

- ``db``: one database for the session, every table truncated after each test;
- ``cli_env``: a separate database, migrated by ``inspection db upgrade``, for commands run as a
  user runs them (a subprocess).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import pytest_asyncio
from tortoise import Tortoise
from tortoise.contrib.test import truncate_all_models

from inspection.settings import DEFAULT_ALLOWED_HOSTS, MODEL_MODULES, Settings, tortoise_config

TEST_DATABASE = os.environ.get("INSPECTION_TEST_DATABASE", "sqlite")
REQUIRE_POSTGRES = os.environ.get("INSPECTION_REQUIRE_POSTGRES") == "1"
ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def is_postgres() -> bool:
    return TEST_DATABASE.startswith("postgres")


def _database_line() -> str:
    return f"test database: {'postgres' if is_postgres() else 'sqlite'} ({TEST_DATABASE})"


def pytest_report_header(config: pytest.Config) -> str:
    return _database_line()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    # Printed even with -q: .ci/run reads it to prove the PostgreSQL run happened.
    terminalreporter.write_line(_database_line())


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _create_postgres_database(url: str, name: str) -> str:
    try:
        conn = await asyncpg.connect(
            _with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
        )
    except (OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL is not answering at {url}: {exc}"
        if REQUIRE_POSTGRES:
            pytest.exit(message, returncode=3)
        pytest.skip(message)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return _with_database(url, name)


async def _drop_postgres_database(url: str, name: str) -> None:
    conn = await asyncpg.connect(
        _with_database(url, "postgres").replace("postgres://", "postgresql://", 1)
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even where a loop is already running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def new_database_url(tmp_dir: Path, label: str) -> tuple[str, str | None]:
    """A fresh, empty database for ``label``: (url, postgres database name or None)."""
    if is_postgres():
        name = f"inspection_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        return run_async(_create_postgres_database(TEST_DATABASE, name)), name
    return f"sqlite://{tmp_dir / f'{label}.sqlite3'}", None


def drop_database(name: str | None) -> None:
    if name:
        run_async(_drop_postgres_database(TEST_DATABASE, name))


def test_settings(tmp_dir: Path, database_url: str) -> Settings:
    """Settings for the suite: the test clients address the app as ``testserver``."""
    return Settings(
        data_dir=tmp_dir,
        database_url=database_url,
        secret_key="test-secret-key" * 3,
        allowed_hosts=(*DEFAULT_ALLOWED_HOSTS, "testserver"),
    )


@pytest_asyncio.fixture(scope="session")
async def database(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Settings]:
    """The ORM on a fresh test database with the schema generated (session-wide)."""
    tmp = tmp_path_factory.mktemp("db")
    name = None
    if is_postgres():
        name = f"inspection_test_{os.getpid()}"
        url = await _create_postgres_database(TEST_DATABASE, name)
    else:
        url = f"sqlite://{tmp / 'test.sqlite3'}"
    await Tortoise.init(config=tortoise_config(url))
    await Tortoise.generate_schemas()
    yield test_settings(tmp, url)
    await Tortoise.close_connections()
    if name:
        await _drop_postgres_database(TEST_DATABASE, name)


@pytest_asyncio.fixture
async def db(database: Settings) -> AsyncIterator[Settings]:
    """Strategy: truncate every table after the test (cheap, shared schema)."""
    yield database
    await truncate_all_models()


@pytest.fixture(scope="session")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for running ``inspection`` as a user would, on its own migrated database."""
    tmp = tmp_path_factory.mktemp("cli")
    url, name = new_database_url(tmp, "cli")
    env = {
        **os.environ,
        "INSPECTION_DATABASE_URL": url,
        "INSPECTION_DATA_DIR": str(tmp),
        "INSPECTION_SECRET_KEY": "cli-test-secret",
    }
    result = run_cli(["db", "upgrade"], env=env)
    assert result.returncode == 0, result.stderr
    yield env
    drop_database(name)


def run_cli(
    args: list[str], env: dict[str, str], input: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspection", *args],
        env=env,
        input=input,
        text=True,
        capture_output=True,
        cwd=cwd or ROOT,
        timeout=600,
    )


__all__ = ["MODEL_MODULES", "run_cli"]
