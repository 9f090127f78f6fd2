"""The hot path of the load benchmark stays a few round trips to PostgreSQL per request.

Counted at asyncpg (every statement sent, BEGIN and COMMIT included). Each query saved is a
round trip and ORM work saved on every request of every user (bench/bench_load.py, issue #8).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import pytest
from asyncpg.connection import Connection

from inspection.audit.audits import create_audit
from inspection.models import Child
from inspection.web.app import create_app
from tests.audit.helpers import PASSWORD, make_inspection, make_sample, make_user

HX = {"HX-Request": "true"}


@contextmanager
def counting(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement asyncpg sends while the block runs."""
    sent: list[str] = []
    # execute() with arguments goes through _execute(); without, it is a simple query.
    plain, extended, many = Connection.execute, Connection._execute, Connection.executemany

    async def execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args:
            sent.append(query)
        return await plain(self, query, *args, **kwargs)

    async def _execute(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await extended(self, query, *args, **kwargs)

    async def executemany(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query)
        return await many(self, query, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Connection, "execute", execute)
        patch.setattr(Connection, "_execute", _execute)
        patch.setattr(Connection, "executemany", executemany)
        yield sent


async def test_journey_autosave_and_health_take_few_round_trips(db, monkeypatch):
    if db.dialect != "postgres":
        pytest.skip("round trips are counted at asyncpg (PostgreSQL)")
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    child = await Child.get(id=members[0].child_id)
    app = create_app(db, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        r = await client.post("/login", data={"email": "a1@x.test", "password": PASSWORD})
        assert r.status_code == 303

        with counting(monkeypatch) as sent:
            r = await client.get("/health")
        assert r.status_code == 200
        # the session with its user (one join), then the health check's own query
        assert len(sent) == 2, sent

        with counting(monkeypatch) as sent:
            r = await client.get(f"/inspections/{inspection.id}/children/{child.id}")
        assert r.status_code == 200
        # session+user, membership+inspection, the child with its reference date, whether it
        # is a tracked case or recorded to be audited again, and its events with their uploads
        # (one statement), access log, source records, the child's identifiers
        assert len(sent) == 6, sent

        url = f"/inspections/{inspection.id}/audits/{audit.id}/save"
        for version in (1, 2):  # the first save inserts the scores, the second updates them
            with counting(monkeypatch) as sent:
                r = await client.post(
                    url,
                    data={"version": str(version), "strengths": "Kind.", "grade:impact": "good"},
                    headers=HX,
                )
            assert r.status_code == 200, r.text[:300]
            assert f'id="audit-version" value="{version + 1}"' in r.text
            # session+user, membership+inspection, the audit with its rubric (read once, by
            # the route), then BEGIN, the conditional UPDATE, one upsert of every score, the
            # revision, COMMIT
            assert len(sent) == 8, sent
            assert sum(q.startswith('INSERT INTO "score"') for q in sent) == 1
