"""Taking an export as the Spreadsheets page does: post its button, follow to its page, let a
worker make it, and download the file the page offers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import httpx2

from inspection.jobs.worker import Worker
from inspection.models import Job, JobStatus
from inspection.settings import Settings

_I = "/inspections/{inspection_id}"
# What each download of old (``GET workbook.xlsx?pseudonymise=no``) is now: a button posting
# its choice.
BUTTONS = {
    "workbook": (f"{_I}/exports/workbook", {}),
    "workbook-identifiable": (f"{_I}/exports/workbook", {"pseudonymise": "no"}),
    "workbook-pseudonymised": (f"{_I}/exports/workbook", {"pseudonymise": "yes"}),
    "tables": (f"{_I}/exports/tables", {}),
    "tables-identifiable": (f"{_I}/exports/tables", {"pseudonymise": "no"}),
    "tables-pseudonymised": (f"{_I}/exports/tables", {"pseudonymise": "yes"}),
    "pack": (f"{_I}/exports/samples/{{sample_id}}/offline-pack/make", {}),
}


async def started(
    client: httpx2.AsyncClient,
    path: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Post an export's button; the address of the export's page it answers with."""
    response = await client.post(path, data=dict(data or {}), headers=dict(headers or {}))
    assert response.status_code == 303, (path, response.status_code)
    return response.headers["location"]


async def made(settings: Settings, location: str) -> Job:
    """The export named by its page's address, once a worker has run it (this test's, or the
    web process's own, which may have taken it first)."""
    token = location.rstrip("/").rsplit("/", 1)[1]
    await Worker(settings, "a job worker of the tests").drain()
    for _ in range(800):
        job = await Job.get(token=token)
        if job.status in (JobStatus.DONE, JobStatus.FAILED):
            return job
        await asyncio.sleep(0.025)
    raise AssertionError(f"the export {token} did not end")


async def export_file(
    client: httpx2.AsyncClient,
    settings: Settings,
    path: str,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx2.Response:
    """Post the button, wait on the export's page, and download what it offers."""
    location = await started(client, path, data, headers)
    job = await made(settings, location)
    page = await client.get(location, headers=dict(headers or {}))
    assert page.status_code == 200, (location, page.status_code)
    assert job.status == JobStatus.DONE, job.message
    assert f'href="{location}/file"' in page.text
    return await client.get(f"{location}/file", headers=dict(headers or {}))


async def export_button(
    client: httpx2.AsyncClient,
    settings: Settings,
    button: str,
    params: Mapping[str, object],
    headers: Mapping[str, str] | None = None,
) -> httpx2.Response:
    """The file one of ``BUTTONS`` gives, for the world's ``params`` (inspection, sample)."""
    path, data = BUTTONS[button]
    return await export_file(client, settings, path.format(**params), data, headers)
