"""The database failing in the middle of an autosave, a submission, a moderation or an import.

Each operation must fail cleanly (503 with a plain message, or a plain job/CLI message), leave the
database holding all of it or none of it, and the same app instance must answer the very next
request once the database is back (no restart).
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx2
import pytest

from inspection.audit.audits import audit_values, create_audit, get_audit, submit_audit
from inspection.audit.definition import definition_of
from inspection.audit.moderation import set_plan
from inspection.db import UNAVAILABLE_MESSAGE, database_down
from inspection.evidence.bulk import Bulk, Stage
from inspection.evidence.load import table_counts
from inspection.evidence.rows import STAGE_EVENT
from inspection.models import Audit, AuditRevision, Moderation, Score
from inspection.web.app import create_app
from tests.audit.helpers import ALL_GOOD, PASSWORD, make_inspection, make_sample, make_user
from tests.conftest import run_async, run_cli
from tests.reliability.faults import Fault

ROOT = Path(__file__).resolve().parents[2]
UNAVAILABLE = "The database is not answering. Nothing was changed; try again in a moment."
assert UNAVAILABLE == UNAVAILABLE_MESSAGE
HX = {"HX-Request": "true"}


@asynccontextmanager
async def signed_in(db: Any, email: str) -> AsyncIterator[httpx2.AsyncClient]:
    """One app instance and one signed-in browser, for the whole test."""
    app = create_app(db, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.app = app  # type: ignore[attr-defined]
        r = await client.post("/login", data={"email": email, "password": PASSWORD})
        assert r.status_code == 303
        yield client


def strike_before(
    monkeypatch: pytest.MonkeyPatch, owner: Any, names: tuple[str, ...], fault: Fault
) -> None:
    """Replace ``owner``'s methods so that the next call of any breaks the database, then runs."""
    pending = [True]

    def breaking(original: Any) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            if pending:
                pending.clear()
                await fault.strike()
            return await original(*args, **kwargs)

        return call

    for name in names:
        monkeypatch.setattr(owner, name, breaking(getattr(owner, name)))


async def audit_state(audit_id: int) -> dict[str, Any]:
    audit = await Audit.get(id=audit_id)
    return {
        "version": audit.version,
        "status": audit.status,
        "strengths": audit.strengths,
        "scores": sorted(
            await Score.filter(audit_id=audit_id).values_list("domain", "grade", "evidence")
        ),
        "revisions": sorted(
            await AuditRevision.filter(audit_id=audit_id).values_list("version", flat=True)
        ),
    }


async def assert_revisions_consistent(audit_id: int) -> None:
    """Revisions 1..version, one each, the last equal to what is stored."""
    audit = await get_audit(
        audit_id=audit_id, inspection_id=(await Audit.get(id=audit_id)).inspection_id
    )
    revisions = list(await AuditRevision.filter(audit_id=audit_id).order_by("version"))
    assert [r.version for r in revisions] == list(range(1, audit.version + 1))
    stored = await audit_values(audit, definition_of(audit.rubric))
    assert revisions[-1].values == stored


async def test_autosave_cut_off_mid_transaction_changes_nothing_and_the_app_recovers(
    db, fault, monkeypatch
):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    url = f"/inspections/{inspection.id}/audits/{audit.id}"
    async with signed_in(db, "a1@x.test") as client:
        first = await client.post(
            f"{url}/save", data={"version": "1", "strengths": "Kind.", **_grade("good")}, headers=HX
        )
        assert first.status_code == 200 and 'id="audit-version" value="2"' in first.text
        before = await audit_state(audit.id)
        # The audit row and its scores are updated; the connection dies before the revision.
        strike_before(monkeypatch, AuditRevision, ("create",), fault)
        cut = await client.post(
            f"{url}/save",
            data={"version": "2", "strengths": "Lost?", **_grade("inadequate")},
            headers=HX,
        )
        assert fault.strikes == 1, (cut.status_code, cut.text[:300])
        assert cut.status_code == 503
        assert cut.text == UNAVAILABLE
        assert "Traceback" not in cut.text
        assert await audit_state(audit.id) == before
        # The very next request on the same app instance works, and the save can be repeated.
        page = await client.get(url)
        assert page.status_code == 200
        again = await client.post(
            f"{url}/save",
            data={"version": "2", "strengths": "Kept.", **_grade("good")},
            headers=HX,
        )
        assert again.status_code == 200 and 'id="audit-version" value="3"' in again.text
    after = await audit_state(audit.id)
    assert after["version"] == 3 and after["strengths"] == "Kept."
    assert after["revisions"] == [1, 2, 3]
    await assert_revisions_consistent(audit.id)


def _grade(grade: str) -> dict[str, str]:
    return {"grade:child_seen": grade, "evidence:child_seen": f"Seen: {grade}."}


async def test_submission_cut_off_leaves_a_consistent_draft(db, fault, monkeypatch):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    url = f"/inspections/{inspection.id}/audits/{audit.id}"
    async with signed_in(db, "a1@x.test") as client:
        saved = await client.post(f"{url}/save", data={"version": "1", **ALL_GOOD}, headers=HX)
        assert saved.status_code == 200
        before = await audit_state(audit.id)
        strike_before(monkeypatch, AuditRevision, ("create",), fault)
        cut = await client.post(f"{url}/submit", data={"version": "2", **ALL_GOOD})
        assert fault.strikes == 1, (cut.status_code, cut.text[:300])
        assert cut.status_code == 503 and cut.text == UNAVAILABLE
        # A submission is a save, then the status change: the save was cut off, so neither
        # happened.
        assert await audit_state(audit.id) == before
        assert (await client.get(url)).status_code == 200
        done = await client.post(f"{url}/submit", data={"version": "2", **ALL_GOOD})
        assert done.status_code == 303
    after = await audit_state(audit.id)
    assert after["status"] == "submitted" and after["version"] == 4
    await assert_revisions_consistent(audit.id)


async def test_submission_cut_off_after_the_save_keeps_the_save_and_stays_a_draft(
    db, fault, monkeypatch
):
    """The status change and its revision are one unit: both or neither."""
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    auditor = await make_user(inspection, "a1@x.test", "inspector")
    audit = await create_audit(inspection.id, members[0].id, auditor)
    original = AuditRevision.create
    calls: list[int] = []

    async def second_revision_breaks(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs["version"])
        if kwargs["version"] == 3:  # the submission's own revision (the save made version 2)
            await fault.strike()
        return await original(*args, **kwargs)

    monkeypatch.setattr(AuditRevision, "create", second_revision_breaks)
    with pytest.raises(Exception) as failure:
        await submit_audit(inspection.id, audit.id, auditor, auditor.role, 1, ALL_GOOD)
    assert calls == [2, 3]
    assert database_down(failure.value)
    monkeypatch.setattr(AuditRevision, "create", original)
    state = await audit_state(audit.id)
    assert state["status"] == "draft" and state["version"] == 2
    assert state["revisions"] == [1, 2]
    await assert_revisions_consistent(audit.id)


async def _submitted_pair(inspection: Any, members: list[Any]) -> tuple[Any, Any, Any]:
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await set_plan(inspection.id, members[0].sample_id, 1.0, False, lead)
    first = await create_audit(inspection.id, members[0].id, a1)
    _, missing = await submit_audit(inspection.id, first.id, a1, a1.role, 1, ALL_GOOD)
    assert missing == []
    second = await create_audit(inspection.id, members[0].id, a2, marking="second")
    _, missing = await submit_audit(inspection.id, second.id, a2, a2.role, 1, ALL_GOOD)
    assert missing == []
    return first, second, lead


async def test_moderation_cut_off_records_nothing_and_the_app_recovers(db, fault, monkeypatch):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    first, second, _ = await _submitted_pair(inspection, members)
    form = {
        "first": str(first.id),
        "second": str(second.id),
        "domain": "impact",
        "grade": "good",
        "reason": "Both agree the plan is working.",
    }
    url = f"/inspections/{inspection.id}/moderation/agree"
    async with signed_in(db, "lead@x.test") as client:
        strike_before(monkeypatch, Moderation, ("create", "save"), fault)
        cut = await client.post(url, data=form)
        assert fault.strikes == 1, (cut.status_code, cut.text[:300])
        assert cut.status_code == 503 and cut.text == UNAVAILABLE
        assert await Moderation.all().count() == 0
        ok = await client.post(url, data=form)
        assert ok.status_code == 303
        # Changing the agreed grade is cut off too: the earlier agreed grade stays.
        strike_before(monkeypatch, Moderation, ("create", "save"), fault)
        cut = await client.post(url, data={**form, "grade": "requires_improvement"})
        assert cut.status_code == 503 and cut.text == UNAVAILABLE
        assert (await client.get(f"/inspections/{inspection.id}/moderation")).status_code == 200
    rows = await Moderation.all().values_list("domain", "agreed_grade", "reason")
    assert rows == [("impact", "good", "Both agree the plan is working.")]


async def _poll(client: httpx2.AsyncClient, url: str) -> httpx2.Response:
    for _ in range(400):
        status = await client.get(url, headers=HX)
        if "hx-trigger" not in status.text:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("the import never finished")


async def _upload(client: httpx2.AsyncClient, inspection_id: int, path: Path) -> httpx2.Response:
    response = await client.post(
        f"/inspections/{inspection_id}/evidence",
        headers=HX,
        data={"source_kind": "annex-a", "agency": ""},
        files={"file": (path.name, await asyncio.to_thread(path.read_bytes), "application/zip")},
    )
    assert response.status_code == 200
    poll = re.search(r'hx-get="([^"]+/jobs/[^"]+)"', response.text)
    assert poll is not None
    # Let the import finish before asking: a request in flight at the very moment the connection
    # is cut fails too (503), which is right but not what this test is about.
    await client.app.state.jobs.idle()  # type: ignore[attr-defined]
    return await _poll(client, poll.group(1))


async def test_import_cut_off_while_writing_events_loads_nothing_and_the_app_recovers(
    db, fault, monkeypatch
):
    inspection = await make_inspection()
    await make_user(inspection, "lead@x.test", "lead_inspector")
    annex = ROOT / "fixtures" / "demo" / "annex_a.xlsx"
    original = Bulk.stage
    pending = [True]

    async def stage(bulk: Bulk, table: Stage, *args: Any, **kwargs: Any) -> int:
        # Children and source records are already written in this transaction; events next.
        if table is STAGE_EVENT and pending:
            pending.clear()
            await fault.strike()
        return await original(bulk, table, *args, **kwargs)

    monkeypatch.setattr(Bulk, "stage", stage)
    before = await table_counts()
    async with signed_in(db, "lead@x.test") as client:
        status = await _upload(client, inspection.id, annex)
        assert fault.strikes == 1
        assert "Nothing was loaded: the database is not answering" in status.text
        assert "Traceback" not in status.text and "Error" not in status.text
        assert await table_counts() == before
        assert not list((db.uploads_dir / str(inspection.id)).glob("*"))
        # Same app, database back: the same file loads in full.
        status = await _upload(client, inspection.id, annex)
        assert "annex_a.xlsx loaded" in status.text, status.text
    after = await table_counts()
    assert after["upload"] == before["upload"] + 1
    assert after["child"] > before["child"] and after["event"] > before["event"]
    assert len(list((db.uploads_dir / str(inspection.id)).glob("*"))) == 1


def _cli_counts(url: str) -> dict[str, int]:
    tables = ("upload", "validation_issue", "child", "source_record", "event")
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}

    async def count() -> dict[str, int]:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            return {t: await conn.fetchval(f'SELECT COUNT(*) FROM "{t}"') for t in tables}
        finally:
            await conn.close()

    return run_async(count())


def test_cli_import_cut_off_exits_1_with_a_plain_message_and_loads_nothing(cli_env, tmp_path):
    assert run_cli(["la", "add", "R01", "Reliability Authority"], cli_env).returncode == 0
    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "R01",
            "--kind",
            "jtai",
            "--title",
            "Cut",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    assert created.returncode == 0, created.stderr
    inspection_id = str(json.loads(created.stdout)["id"])
    annex = ROOT / "fixtures" / "demo" / "annex_a.xlsx"
    args = ["import", "annex-a", str(annex), "--inspection", inspection_id]
    url = cli_env["INSPECTION_DATABASE_URL"]
    before = _cli_counts(url)
    cut = subprocess.run(
        [sys.executable, "-m", "tests.reliability.cli_fault", *args],
        env=cli_env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "(test: database cut off)" in cut.stderr
    assert cut.returncode == 1, cut.stderr
    assert "Traceback" not in cut.stderr
    assert cut.stderr.splitlines()[-1].endswith(
        "stopped answering before the command finished; what it was writing was rolled back. "
        "Try again in a moment."
    )
    assert cut.stdout == ""
    assert _cli_counts(url) == before
    assert not list((Path(cli_env["INSPECTION_DATA_DIR"]) / "uploads" / inspection_id).glob("*"))
    again = run_cli([*args, "--json"], cli_env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "loaded"
    after = _cli_counts(url)
    assert after["upload"] == before["upload"] + 1 and after["event"] > before["event"]


CUT_POLICE_EVENTS = (
    "CREATE FUNCTION cut_police() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF NEW.agency = 'police' THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
    "RETURN NEW; END $$; "
    "CREATE TRIGGER cut_police BEFORE INSERT ON event FOR EACH ROW EXECUTE FUNCTION cut_police()"
)


def _sql(url: str, sql: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    run_async(run())


def test_cli_bundle_cut_off_keeps_the_files_before_and_exits_1_with_a_plain_message(cli_env):
    """A loader's connection dies while it writes the police extract's events (the database
    itself ends it, from a trigger): Annex A, written before, stays loaded; the police
    extract is rolled back; the command says so in plain words."""
    url = cli_env["INSPECTION_DATABASE_URL"]
    if not url.startswith("postgres"):
        pytest.skip("a connection cut from inside the database needs PostgreSQL")
    assert run_cli(["la", "add", "R02", "Bundle Authority"], cli_env).returncode == 0
    created = run_cli(
        ["inspection", "create", "--la", "R02", "--kind", "jtai", "--title", "Bundle cut",
         "--reference-date", "2026-11-02", "--json"],
        cli_env,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    inspection_id = str(json.loads(created.stdout)["id"])
    demo = ROOT / "fixtures" / "demo"
    before = _cli_counts(url)
    _sql(url, CUT_POLICE_EVENTS)
    try:
        cut = run_cli(
            ["import", "bundle", "--inspection", inspection_id,
             f"annex-a={demo / 'annex_a.xlsx'}", f"police={demo / 'police.csv'}"],
            cli_env,
        )  # fmt: skip
    finally:
        _sql(url, "DROP TRIGGER cut_police ON event; DROP FUNCTION cut_police()")
    assert cut.returncode == 1, cut.stderr
    assert "Traceback" not in cut.stderr
    assert cut.stderr.splitlines()[-1].endswith(
        "stopped answering before the command finished; what it was writing was rolled back. "
        "Try again in a moment."
    )
    assert cut.stdout.startswith("Loaded annex_a.xlsx as upload ")
    assert cut.stdout.splitlines()[-1] == "police.csv was not loaded: loading stopped here."
    after = _cli_counts(url)
    assert after["upload"] == before["upload"] + 1  # Annex A only
    annex_events = after["event"] - before["event"]
    assert annex_events > 0
    again = run_cli(
        ["import", "bundle", "--inspection", inspection_id, "--json",
         f"annex-a={demo / 'annex_a.xlsx'}", f"police={demo / 'police.csv'}"],
        cli_env,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    statuses = [f["status"] for f in json.loads(again.stdout)["files"]]
    assert statuses == ["already_loaded", "loaded"]
