"""An export is a job: the page's button starts it, its page polls until the file is made and
then offers it to its maker only; the file is kept for a set time, removed with the
inspection's data, and a worker that ends leaves no partial file."""

from __future__ import annotations

import dataclasses
import io
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx2
from openpyxl import load_workbook

from inspection.export import stored
from inspection.export.stored import ExportFormat
from inspection.export.tables import local
from inspection.export.workbook import build_workbook
from inspection.inspections import add_member
from inspection.jobs import queue
from inspection.jobs.worker import Worker
from inspection.models import AccessLog, Inspection, Job, JobKind, JobStatus, Membership
from inspection.retention import sweep_purged
from inspection.upkeep import upkeep
from inspection.web.app import create_app
from tests.export.factory import build_world
from tests.export.made import made, started
from tests.web.conftest import make_user, sign_in

ENDED = (
    "The export stopped before it finished (the process running it ended). Nothing was kept. "
    "Make it again from the Spreadsheets page."
)


def _client(db):
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=create_app(db, manage_database=False)),
        base_url="http://testserver",
    )


async def _member(world, email: str, role: str):
    user = await make_user(email, role)
    await add_member(world.inspection, user, role)
    return user


def _kept(path: Path | str) -> bool:
    return Path(path).is_file()


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def _values(book) -> dict[str, list[tuple[object, ...]]]:
    """Every sheet's cells, but the About rows that differ between two exports (its id and
    time)."""
    sheets = {}
    for ws in book.worksheets:
        rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
        if ws.title == "About":
            rows = [r for r in rows if r[0] not in ("Export id", "Exported at")]
        sheets[ws.title] = rows
    return sheets


async def test_the_button_starts_a_job_whose_page_offers_the_same_workbook(db):
    world = await build_world()
    user = await _member(world, "lead@jobs.example", "lead_inspector")
    base = f"/inspections/{world.inspection.id}/exports"
    async with _client(db) as client:
        assert (await sign_in(client, user.email)).status_code == 303
        before = await AccessLog.filter(action__startswith="export").count()
        location = await started(client, f"{base}/workbook", {"pseudonymise": "no"})
        job = await Job.get(kind=JobKind.EXPORT)
        assert location == f"{base}/downloads/{job.token}"
        assert job.started_by_id == user.id
        # a job no worker has taken yet: its fragment polls itself, its page refreshes
        waiting = await queue.enqueue(
            world.inspection.id,
            JobKind.EXPORT,
            user,
            work=job.work | {"file": str(Path(job.work["file"]).with_name("waiting"))},
        )
        fragment = await client.get(
            f"{base}/downloads/{waiting.token}", headers={"HX-Request": "true"}
        )
        assert "Making the QA workbook: Waiting to start." in fragment.text
        assert 'hx-trigger="load delay:500ms"' in fragment.text and "<html" not in fragment.text
        page = await client.get(f"{base}/downloads/{waiting.token}")
        assert '<meta http-equiv="refresh" content="3">' in page.text
        assert f'href="{base}/downloads/{waiting.token}">Refresh</a>' in page.text
        early = await client.get(f"{base}/downloads/{waiting.token}/file")
        assert early.status_code == 409 and "Making the QA workbook" in early.text
        await Job.filter(id=waiting.id).delete()

        done = await made(db, location)
        assert (done.status, done.message) == (
            JobStatus.DONE,
            "The QA workbook is ready to download.",
        )
        # making it read child data for nobody yet: nothing is logged until it is downloaded
        assert await AccessLog.filter(action__startswith="export").count() == before
        ready = await client.get(location, headers={"HX-Request": "true"})
        assert "The QA workbook (identifiable) is ready." in ready.text
        assert "hx-trigger" not in ready.text
        assert f'href="{location}/file">Download the QA workbook</a>' in ready.text
        until = stored.kept_until(done)
        assert until is not None
        assert f"Only you can download it, until {until:%d/%m/%Y %H:%M}." in ready.text
        response = await client.get(f"{location}/file")
        assert response.status_code == 200
        assert response.headers["content-type"] == stored.XLSX
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-disposition"].startswith(
            f'attachment; filename="inspection-{world.inspection.id}-'
        )
        again = await client.get(f"{location}/file")
        assert again.content == response.content
        listed = await client.get(base)
        assert (
            f'<a class="govuk-link" href="{location}">The QA workbook (identifiable)</a></td>'
            f'<td class="govuk-table__cell">{local(done.created_at):%d/%m/%Y %H:%M}</td>'
            '<td class="govuk-table__cell">Ready</td>'
        ) in listed.text
    direct = await build_workbook(world.inspection.id, user, pseudonymise=False, logged=False)
    got = load_workbook(io.BytesIO(response.content))
    assert got.sheetnames == load_workbook(io.BytesIO(direct.data)).sheetnames
    assert _values(got) == _values(load_workbook(io.BytesIO(direct.data)))
    logs = await AccessLog.filter(action="export-xlsx").order_by("id")
    assert [(x.user_id, x.object_type, x.object_id, x.ip != "") for x in logs] == [
        (user.id, "inspection", str(world.inspection.id), True)
    ] * 2  # one entry per download, as when the file was made in the request
    assert logs[0].detail.startswith(f"export {done.outcome['export_id']}; pseudonymised no;")


async def test_nobody_else_can_open_or_download_an_export(db):
    world = await build_world()
    maker = await _member(world, "maker@jobs.example", "lead_inspector")
    other = await _member(world, "other@jobs.example", "lead_inspector")
    base = f"/inspections/{world.inspection.id}/exports"
    async with _client(db) as client:
        await sign_in(client, maker.email)
        location = await started(client, f"{base}/tables")
        await made(db, location)
        await client.post("/logout")
        await sign_in(client, other.email)
        assert "Your recent exports" not in (await client.get(base)).text
        assert (await client.get(location)).status_code == 404
        assert (await client.get(f"{location}/file")).status_code == 404
        assert (await client.get(f"{base}/downloads/not-a-job")).status_code == 404
    assert await AccessLog.filter(action="export-csv").count() == 0


async def test_a_maker_whose_role_changed_must_make_it_again(db):
    world = await build_world()
    user = await _member(world, "lead@role.example", "lead_inspector")
    base = f"/inspections/{world.inspection.id}/exports"
    async with _client(db) as client:
        await sign_in(client, user.email)
        location = await started(client, f"{base}/workbook")
        await made(db, location)
        await Membership.filter(user_id=user.id).update(role="inspector")
        refused = await client.get(f"{location}/file")
        assert refused.status_code == 403
        assert (
            "Your role in this inspection has changed since this export was made, so it may "
            "hold what you can no longer see. Make it again from the Spreadsheets page."
        ) in refused.text
        # a pack is for auditors: a maker now a viewer cannot even see its page
        await Membership.filter(user_id=user.id).update(role="lead_inspector")
        pack = await started(client, f"{base}/samples/{world.sample.id}/offline-pack/make")
        await made(db, pack)
        await Membership.filter(user_id=user.id).update(role="qa_viewer")
        assert (await client.get(pack)).status_code == 404
    assert await AccessLog.filter(action__startswith="export").count() == 0


async def test_an_export_is_removed_after_its_time_and_with_the_inspection(db, tmp_path):
    db = dataclasses.replace(db, data_dir=tmp_path)  # this test's files only
    world = await build_world()
    user = await _member(world, "lead@keep.example", "lead_inspector")
    base = f"/inspections/{world.inspection.id}/exports"
    async with _client(db) as client:
        await sign_in(client, user.email)
        location = await started(client, f"{base}/workbook")
        job = await made(db, location)
        path = Path(job.work["file"])
        assert _kept(path) and _mode(path) == 0o600
        assert path.parent.parent == db.data_dir / "exports"
        assert (await upkeep(db)).exports == 0  # within its time it stays
        assert _kept(path)
        report = await upkeep(dataclasses.replace(db, export_keep_minutes=0))
        assert report.exports == 1 and not _kept(path)
        page = await client.get(location)
        assert "The QA workbook was kept until" in page.text
        assert "and has been removed. Make it again from the" in page.text
        assert "/file" not in page.text
        gone = await client.get(f"{location}/file")
        assert gone.status_code == 410
        # past its time, a file not yet swept is not given either
        second = await made(db, await started(client, f"{base}/tables"))
        assert stored.stored_file(second, now=time.time() + 3601) is None
        assert not _kept(second.work["file"])
        third = await made(db, await started(client, f"{base}/tables"))
    assert _kept(third.work["file"])
    await Inspection.filter(id=world.inspection.id).update(purged_at=datetime.now(UTC))
    assert await sweep_purged(db.data_dir) == 1
    assert not _kept(third.work["file"])
    assert await AccessLog.filter(action__startswith="export").count() == 0


async def test_an_export_whose_worker_ended_leaves_no_partial_file_and_is_made_again(db):
    world = await build_world()
    user = await _member(world, "lead@die.example", "lead_inspector")
    work, partial = stored.export_work(
        db.data_dir, world.inspection.id, ExportFormat.WORKBOOK, role="lead_inspector"
    )
    job = await queue.enqueue(
        world.inspection.id, JobKind.EXPORT, user, work=work, raw_path=partial
    )

    async def die_writing(job: Job) -> None:
        claimed = await queue.claim("a worker that dies", lease_seconds=30, job_id=job.id)
        assert claimed is not None
        partial.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(b"PK half a workbook")  # nobody holds it: its writer ended
        assert [j.id for j in await queue.expire(now=time.time() + 31)] == [job.id]
        assert not _kept(partial)

    await die_writing(job)
    again = await Job.get(id=job.id)
    assert (again.status, again.work["retries"]) == (JobStatus.QUEUED, 1)
    assert await Worker(db, "another worker").drain() == 1
    done = await Job.get(id=job.id)
    assert done.status == JobStatus.DONE and _kept(work["file"])
    assert not _kept(partial)

    second = await queue.enqueue(
        world.inspection.id, JobKind.EXPORT, user, work=work, raw_path=partial
    )
    for _ in range(3):  # a third end: no retry left
        await die_writing(second)
    failed = await Job.get(id=second.id)
    assert (failed.status, failed.message, failed.work["retries"]) == (JobStatus.FAILED, ENDED, 2)


async def test_a_failed_export_says_why_on_its_page(db):
    world = await build_world()
    user = await _member(world, "lead@fail.example", "lead_inspector")
    base = f"/inspections/{world.inspection.id}/exports"
    async with _client(db) as client:
        await sign_in(client, user.email)
        location = await started(client, f"{base}/samples/{world.sample.id}/offline-pack/make")
        # the maker leaves the team before a worker takes the job
        await Membership.filter(user_id=user.id).delete()
        job = await made(db, location)
        assert (job.status, job.message) == (
            JobStatus.FAILED,
            "The export was not made: you are no longer a member of this inspection.",
        )
        await add_member(world.inspection, user, "lead_inspector")
        page = await client.get(location)
        assert "The offline audit pack could not be made" in page.text
        assert "you are no longer a member of this inspection." in page.text
        assert (await client.get(f"{location}/file")).status_code == 409
    assert not _kept(job.work["file"])
