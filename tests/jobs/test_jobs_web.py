"""Jobs as rows: a poll answered by another app instance reads the true state, an ended
worker's job is said so, and the evidence page lists every attempt."""

from __future__ import annotations

import dataclasses
import io
import re
import time
from pathlib import Path

import httpx2

from inspection.evidence import incoming
from inspection.evidence.load import table_counts
from inspection.jobs import queue
from inspection.jobs.worker import Worker
from inspection.models import Job, JobKind, JobStatus
from inspection.web.app import create_app
from tests.evidence.test_web import ROWS
from tests.evidence.workbooks import write_workbook
from tests.web.conftest import make_inspection, make_user, member, sign_in

HX = {"HX-Request": "true"}
ENDED = (
    "The import stopped before it finished (the process running it ended). Nothing was "
    "loaded. Upload the file again."
)


def _client(settings):
    app = create_app(settings, manage_database=False)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    )
    return client


def _attempts(html: str) -> list[list[str]]:
    table = html.split("Every attempt to load a file", 1)[1]
    rows = re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S)
    cells = [re.findall(r"<td class=\"govuk-table__cell\">(.*?)</td>", r, re.S) for r in rows]
    return [c for c in cells if c]


async def _upload(client, base: str, name: str, content: bytes) -> str:
    response = await client.post(
        base,
        headers=HX,
        data={"source_kind": "annex-a", "agency": ""},
        files={"file": (name, content, "application/octet-stream")},
    )
    assert response.status_code == 200
    return re.search(r'hx-get="([^"]+/jobs/[^"]+)"', response.text).group(1)


async def test_a_poll_answered_by_another_app_reads_the_job_row(db, tmp_path):
    inspection = await make_inspection()
    await member(inspection, await make_user("lead@example.org", "lead_inspector"))
    path = write_workbook(tmp_path / "annex.xlsx", ROWS)
    # Two web processes that run no worker, as with `serve --no-worker`: the job waits.
    no_worker = dataclasses.replace(db, in_process_worker=False)
    async with _client(no_worker) as one, _client(no_worker) as other:
        await sign_in(one, "lead@example.org")
        await sign_in(other, "lead@example.org")
        base = f"/inspections/{inspection.id}/evidence"
        poll = await _upload(one, base, "annex.xlsx", path.read_bytes())
        waiting = await other.get(poll, headers=HX)
        assert waiting.status_code == 200
        assert "Loading <strong>annex.xlsx</strong>: Waiting to start." in waiting.text
        assert 'hx-trigger="load delay:500ms"' in waiting.text
        assert "HX-Trigger" not in waiting.headers
        job = await Job.get(inspection_id=inspection.id)
        assert job.status == JobStatus.QUEUED and job.raw_path
        assert incoming.files_of(db.data_dir, inspection.id) == [Path(job.raw_path)]

        # A worker elsewhere (here: this test) claims and runs it.
        assert await Worker(db, "a job worker").drain() == 1
        done = await other.get(poll, headers=HX)
        assert "hx-trigger" not in done.text
        assert "annex.xlsx loaded" in done.text
        assert done.headers["HX-Trigger"] == "evidence-changed"
        upload_id = int(re.search(r"/uploads/(\d+)", done.text).group(1))
        job = await Job.get(id=job.id)
        assert (job.status, job.upload_id, job.worker) == (
            JobStatus.DONE,
            upload_id,
            "a job worker",
        )
        assert job.message == "annex.xlsx loaded: 1 error, 2 warnings, 0 notes."
        assert incoming.files_of(db.data_dir, inspection.id) == []  # the raw file went
        # The page's lists, asked for by that trigger, show the upload and the attempt.
        lists = await one.get(base, headers=HX)
        assert lists.text.startswith('<div id="evidence-lists"')
        assert 'hx-trigger="evidence-changed from:body"' in lists.text
        assert f"/evidence/uploads/{upload_id}" in lists.text


async def test_an_ended_worker_s_import_is_failed_with_the_reason_and_its_file_removed(db):
    inspection = await make_inspection()
    lead = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, lead)
    raw = incoming.receive(db.data_dir, inspection.id, io.BytesIO(b"x"), ".xlsx")
    job = await queue.enqueue(
        inspection.id, JobKind.IMPORT, lead, "annex.xlsx", {"path": str(raw.path)}, raw.path
    )
    raw.hand_over()
    before = await table_counts()
    claimed = await queue.claim("a worker that dies", lease_seconds=30)
    assert claimed is not None and claimed.id == job.id
    assert await queue.expire() == []  # its lease has not passed: still running
    assert (await Job.get(id=job.id)).status == JobStatus.RUNNING
    ended = await queue.expire(now=time.time() + 31)
    assert [j.id for j in ended] == [job.id]
    job = await Job.get(id=job.id)
    assert (job.status, job.message) == (JobStatus.FAILED, ENDED)
    assert job.finished_at is not None and job.lease_until is None
    assert not raw.path.exists()
    assert await table_counts() == before
    # The worker, if it were still alive, cannot record an outcome over it.
    assert not await queue.finish(claimed, JobStatus.DONE, "loaded")
    assert (await Job.get(id=job.id)).message == ENDED


async def test_the_evidence_page_lists_every_attempt_with_its_outcome(db, tmp_path):
    inspection = await make_inspection()
    lead = await make_user("lead@example.org", "lead_inspector")
    await member(inspection, lead)
    path = write_workbook(tmp_path / "annex.xlsx", ROWS)
    async with _client(db) as client:
        await sign_in(client, "lead@example.org")
        base = f"/inspections/{inspection.id}/evidence"
        await _upload(client, base, "annex.xlsx", path.read_bytes())
        await client._transport.app.state.jobs.idle()  # noqa: SLF001 (this test's own app)
        await _upload(client, base, "notes.xlsx", b"hello")
        await client._transport.app.state.jobs.idle()  # noqa: SLF001
        await _upload(client, base, "again.xlsx", path.read_bytes())
        await client._transport.app.state.jobs.idle()  # noqa: SLF001
        died = await queue.enqueue(inspection.id, JobKind.IMPORT, lead, "died.xlsx")
        await Job.filter(id=died.id).update(status=JobStatus.RUNNING, lease_until=time.time() - 1)
        await queue.expire()
        waiting = await queue.enqueue(inspection.id, JobKind.IMPORT, None, "later.csv")
        page = await client.get(base)
    jobs = {j.filename: j for j in await Job.filter(inspection_id=inspection.id)}
    when = {name: f"{j.created_at:%d/%m/%Y %H:%M}" for name, j in jobs.items()}
    assert waiting.id == jobs["later.csv"].id
    assert _attempts(page.text) == [
        ["later.csv", "The command line", when["later.csv"], "Waiting to start."],
        ["died.xlsx", "Lead", when["died.xlsx"], ENDED],
        [
            "again.xlsx",
            "Lead",
            when["again.xlsx"],
            "again.xlsx is the same file as annex.xlsx, already loaded; nothing was changed.",
        ],
        [
            "notes.xlsx",
            "Lead",
            when["notes.xlsx"],
            "Nothing was loaded: notes.xlsx is not a spreadsheet (expected an Excel .xlsx, .xlsm "
            "or .xls file, or an OpenDocument .ods file).",
        ],
        [
            "annex.xlsx",
            "Lead",
            when["annex.xlsx"],
            "annex.xlsx loaded: 1 error, 2 warnings, 0 notes.",
        ],
    ]


async def test_another_inspection_s_job_or_a_linkage_job_is_not_found_at_an_import_s_address(db):
    own = await make_inspection("Own", "T01")
    other = await make_inspection("Other", "T02")
    lead = await make_user("lead@example.org", "lead_inspector")
    await member(own, lead)
    await member(other, lead)
    theirs = await queue.enqueue(other.id, JobKind.IMPORT, lead, "theirs.xlsx")
    linkage = await queue.enqueue(own.id, JobKind.LINKAGE, lead)
    async with _client(dataclasses.replace(db, in_process_worker=False)) as client:
        await sign_in(client, "lead@example.org")
        for url in (
            f"/inspections/{own.id}/evidence/jobs/{theirs.token}",
            f"/inspections/{own.id}/evidence/jobs/{linkage.token}",
            f"/inspections/{other.id}/linkage/jobs/{linkage.token}",
        ):
            assert (await client.get(url)).status_code == 404, url
        shown = await client.get(f"/inspections/{other.id}/evidence/jobs/{theirs.token}")
        assert shown.status_code == 200 and "theirs.xlsx" in shown.text
