"""Evidence: upload a file, watch it load, read (and download) its validation report.

The upload is a self-replacing component (contact-app pattern): the POST saves the file,
starts ``import_file`` as a background task and answers with a progress fragment that polls
itself (``hx-trigger="load delay:500ms"``) until the import has finished, when it becomes the
summary with a link to the report. Jobs live in this process's memory; the upload itself is
only written, all at once, when the import succeeds.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from inspection.db import database_down
from inspection.evidence.agencies import KINDS
from inspection.evidence.incoming import IncomingFile, receive
from inspection.evidence.load import SOURCE_KINDS, import_file
from inspection.evidence.report import issue_report, issues_workbook
from inspection.evidence.staged import EvidenceFileError
from inspection.journey.kinds import agency_code
from inspection.models import Upload
from inspection.models.columns import fits, max_length
from inspection.web.access import EDITORS, READERS, log_access, not_found, require_inspection
from inspection.web.params import form_text, query_text
from inspection.web.templating import render

DOCS_TEMPLATES = Path(__file__).resolve().parents[3] / "docs" / "templates"
AGENCIES = (*KINDS, "social_care")
TEMPLATES = (*AGENCIES, "other")  # agency_other.csv: the same columns, for any other agency
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Job:
    id: str
    inspection_id: int
    filename: str
    status: str = "running"  # running | done | failed
    stage: str = "Waiting to start"
    fraction: float = 0.0
    upload_id: int | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""


JOBS: dict[str, Job] = {}
_TASKS: set[asyncio.Task[None]] = set()


async def _run(
    job: Job, raw: IncomingFile, kind: str, agency: str, request_settings: Any, user: Any
) -> None:
    path = raw.path

    def progress(stage: str, fraction: float) -> None:
        job.stage, job.fraction = stage, fraction

    try:
        summary = await import_file(
            job.inspection_id,
            path,
            kind,
            agency or None,
            request_settings,
            uploaded_by=user,
            progress=progress,
            filename=job.filename,
        )
        job.upload_id = summary.upload_id
        job.result = summary.as_dict()
        job.status = "done"
    except EvidenceFileError as exc:
        job.error, job.status = f"Nothing was loaded: {exc}", "failed"
    except Exception as exc:  # the transaction rolled back; say so rather than hang
        if database_down(exc):  # it rolled back with the connection
            job.error = "Nothing was loaded: the database is not answering. Try again in a moment."
        else:
            job.error = f"Nothing was loaded: the import failed ({exc.__class__.__name__}: {exc})."
        job.status = "failed"
    finally:
        # Loaded or refused, the raw file goes now (a loaded file was copied to uploads/).
        await asyncio.to_thread(raw.release)


def _forget_old_jobs(keep: int = 200) -> None:
    """Finished jobs are kept for their pages to be re-read; only the latest ``keep``."""
    finished = [key for key, job in JOBS.items() if job.status != "running"]
    for key in finished[: max(0, len(finished) - keep)]:
        del JOBS[key]


async def evidence_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    uploads = await Upload.filter(inspection_id=inspection.id).order_by("-id")
    return render(
        request,
        "evidence.html",
        {
            "inspection": inspection,
            "role": role,
            "uploads": uploads,
            "kinds": SOURCE_KINDS,
            "agencies": AGENCIES,
            "templates": TEMPLATES,
            "can_upload": role in EDITORS,
            "error": "",
        },
    )


async def start_upload(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    settings = request.app.state.settings
    form = await request.form(max_files=1)
    kind = form_text(form, "source_kind")
    agency = agency_code(form_text(form, "agency"))
    upload = form.get("file")
    error = ""
    if kind not in SOURCE_KINDS:
        error = "Choose what kind of file this is."
    elif not isinstance(upload, UploadFile) or not upload.filename:
        error = "Choose a file to upload."
    elif kind == "agency" and not agency:
        error = "Say which agency the extract comes from."
    elif not fits(Upload, "agency", agency):
        error = f"Write the agency's name in {max_length(Upload, 'agency')} characters or fewer."
    elif not fits(Upload, "filename", Path(upload.filename).name):
        limit = max_length(Upload, "filename")
        error = f"Give the file a name of {limit} characters or fewer, then upload it again."
    if error:
        await form.close()  # a file sent with a refused form is not kept
        uploads = await Upload.filter(inspection_id=inspection.id).order_by("-id")
        return render(
            request,
            "evidence.html",
            {
                "inspection": inspection,
                "role": role,
                "uploads": uploads,
                "kinds": SOURCE_KINDS,
                "agencies": AGENCIES,
                "templates": TEMPLATES,
                "can_upload": True,
                "error": error,
            },
            fragment="_evidence_progress.html",
            # htmx swaps only 2xx answers; a page without JavaScript gets the 400.
            status_code=200 if request.headers.get("HX-Request") == "true" else 400,
        )
    assert isinstance(upload, UploadFile)
    filename = Path(upload.filename or "upload").name
    job = Job(id=secrets.token_urlsafe(12), inspection_id=inspection.id, filename=filename)
    try:
        raw = await asyncio.to_thread(
            receive, settings.data_dir, inspection.id, upload.file, Path(filename).suffix
        )
    finally:
        await upload.close()
    _forget_old_jobs()
    JOBS[job.id] = job
    task = asyncio.create_task(_run(job, raw, kind, agency, settings, request.state.user))
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)
    url = f"/inspections/{inspection.id}/evidence/jobs/{job.id}"
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse(url, status_code=303)
    return render(
        request, "_evidence_progress.html", {"inspection": inspection, "job": job, "error": ""}
    )


async def job_status(request: Request) -> Response:
    inspection, _ = await require_inspection(request, EDITORS)
    job = JOBS.get(request.path_params["job_id"])
    if job is None or job.inspection_id != inspection.id:
        raise not_found()
    return render(
        request,
        "evidence_job.html",
        {"inspection": inspection, "job": job, "error": ""},
        fragment="_evidence_progress.html",
    )


async def upload_report(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    report = await issue_report(
        inspection.id,
        request.path_params["upload_id"],
        query_text(request, "list"),
        query_text(request, "severity"),
        query_text(request, "rule"),
        limit=0,  # the page lists each group's first cells; the download has every issue
    )
    if report is None:
        raise not_found()
    await log_access(
        request, "view-validation-report", inspection.id, "upload", str(report.upload.id)
    )
    return render(
        request,
        "evidence_report.html",
        {"inspection": inspection, "role": role, "report": report},
        fragment="_evidence_issues.html",
    )


async def report_xlsx(request: Request) -> Response:
    inspection, _ = await require_inspection(request, READERS)
    report = await issue_report(
        inspection.id,
        request.path_params["upload_id"],
        query_text(request, "list"),
        query_text(request, "severity"),
        query_text(request, "rule"),
        limit=None,
    )
    if report is None:
        raise not_found()
    await log_access(
        request, "export-validation-report", inspection.id, "upload", str(report.upload.id)
    )
    content = await asyncio.to_thread(issues_workbook, report)
    name = f"validation-upload-{report.upload.id}.xlsx"
    return Response(
        content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


async def agency_template(request: Request) -> Response:
    await require_inspection(request, READERS)
    agency = request.path_params["agency"]
    path = DOCS_TEMPLATES / f"agency_{agency}.csv"
    if agency not in TEMPLATES or not path.is_file():
        raise not_found()
    return FileResponse(path, media_type="text/csv", filename=path.name)


routes = [
    Route("/inspections/{inspection_id:id}/evidence", evidence_page, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/evidence", start_upload, methods=["POST"]),
    Route("/inspections/{inspection_id:id}/evidence/jobs/{job_id}", job_status, methods=["GET"]),
    Route(
        "/inspections/{inspection_id:id}/evidence/uploads/{upload_id:id}",
        upload_report,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/evidence/uploads/{upload_id:id}/issues.xlsx",
        report_xlsx,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/evidence/templates/agency_{agency}.csv",
        agency_template,
        methods=["GET"],
    ),
]

__all__ = ["JOBS", "routes"]
