"""The PostgreSQL pool skips asyncpg's per-release session reset (a load fix), keeps URL options,
and still never hands out a connection with a transaction left open."""

from __future__ import annotations

import pytest
from tortoise import Tortoise

from inspection.settings import keep_session, tortoise_config


def test_postgres_connections_keep_their_session_and_url_options():
    config = tortoise_config("postgresql://app@db.example:5433/inspect?maxsize=20")
    default = config["connections"]["default"]  # type: ignore[index]
    assert default["engine"] == "tortoise.backends.asyncpg"
    assert default["credentials"]["reset"] is keep_session
    assert default["credentials"]["maxsize"] == "20"
    assert (default["credentials"]["host"], default["credentials"]["port"]) == ("db.example", 5433)
    assert tortoise_config("sqlite:///tmp/x.sqlite3")["connections"] == {  # type: ignore[index]
        "default": "sqlite:///tmp/x.sqlite3"
    }


async def test_a_connection_released_inside_a_transaction_comes_back_clean(db):
    if db.dialect != "postgres":
        pytest.skip("SQLite has one connection and no pool")
    client = Tortoise.get_connection("default")
    pool = client._pool
    async with pool.acquire() as conn:
        await conn.execute("BEGIN")
        await conn.execute("CREATE TEMP TABLE leftover (x int)")
    # Whatever connection the pool hands out next is outside any transaction.
    for _ in range(pool.get_size()):
        async with pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT txid_current_if_assigned()") is None
