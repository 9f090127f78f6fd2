"""Evidence: upload a file, watch it load, read (and download) its validation report.

The upload is a self-replacing component (contact-app pattern): the POST saves the raw file,
enqueues an import job (``inspection.jobs``) and answers with a progress fragment that polls
itself (``hx-trigger="load delay:500ms"``). The fragment reads the job's row, so any web
process answers any poll; once the job has ended it shows the summary with a link to the
report, or why nothing was loaded, and tells the page (``HX-Trigger: evidence-changed``) to
refresh its list of uploads and attempts.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from inspection.evidence import ssda903
from inspection.evidence.agencies import KINDS
from inspection.evidence.incoming import receive
from inspection.evidence.load import SOURCE_KINDS
from inspection.evidence.report import issue_report, issues_workbook
from inspection.jobs import queue
from inspection.jobs.outcome import describe
from inspection.jobs.runner import import_work
from inspection.journey.kinds import agency_code
from inspection.models import Job, JobKind, Upload
from inspection.models.columns import fits, max_length
from inspection.web.access import EDITORS, READERS, log_access, not_found, require_inspection
from inspection.web.jobs import job_context, wake_worker
from inspection.web.params import form_text, query_text
from inspection.web.templating import render

DOCS_TEMPLATES = Path(__file__).resolve().parents[3] / "docs" / "templates"
AGENCIES = (*KINDS, "social_care")
TEMPLATES = (*AGENCIES, "other")  # agency_other.csv: the same columns, for any other agency
SSDA903_TEMPLATES = tuple((t.template, t.label) for t in ssda903.TABLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The event the page listens for to refresh its uploads and attempts.
CHANGED = "evidence-changed"


async def _lists(inspection_id: int) -> dict[str, object]:
    """The uploads and every attempt to load a file, newest first."""
    attempts = await queue.attempts(inspection_id, JobKind.IMPORT)
    return {
        "uploads": await Upload.filter(inspection_id=inspection_id).order_by("-id"),
        "attempts": [(job, describe(job)) for job in attempts],
    }


async def evidence_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    return render(
        request,
        "evidence.html",
        {
            "inspection": inspection,
            "role": role,
            **await _lists(inspection.id),
            "kinds": SOURCE_KINDS,
            "agencies": AGENCIES,
            "templates": TEMPLATES,
            "ssda903_templates": SSDA903_TEMPLATES,
            "can_upload": role in EDITORS,
            "error": "",
        },
        fragment="_evidence_lists.html",
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
        return render(
            request,
            "evidence.html",
            {
                "inspection": inspection,
                "role": role,
                **await _lists(inspection.id),
                "kinds": SOURCE_KINDS,
                "agencies": AGENCIES,
                "templates": TEMPLATES,
                "ssda903_templates": SSDA903_TEMPLATES,
                "can_upload": True,
                "error": error,
            },
            fragment="_evidence_progress.html",
            # htmx swaps only 2xx answers; a page without JavaScript gets the 400.
            status_code=200 if request.headers.get("HX-Request") == "true" else 400,
        )
    assert isinstance(upload, UploadFile)
    filename = Path(upload.filename or "upload").name
    try:
        raw = await asyncio.to_thread(
            receive, settings.data_dir, inspection.id, upload.file, Path(filename).suffix
        )
    finally:
        await upload.close()
    try:
        job = await queue.enqueue(
            inspection.id,
            JobKind.IMPORT,
            request.state.user,
            filename,
            import_work(raw.path, kind, agency),
            raw.path,
        )
    except BaseException:
        await asyncio.to_thread(raw.release)  # not queued: the file goes
        raise
    await asyncio.to_thread(raw.hand_over)
    wake_worker(request)
    url = f"/inspections/{inspection.id}/evidence/jobs/{job.token}"
    if request.headers.get("HX-Request") != "true":
        return RedirectResponse(url, status_code=303)
    return render(request, "_evidence_progress.html", _job_context(inspection, job))


def _job_context(inspection: object, job: Job) -> dict[str, object]:
    return {"inspection": inspection, **job_context(job), "error": ""}


async def job_status(request: Request) -> Response:
    inspection, _ = await require_inspection(request, EDITORS)
    job = await queue.of_inspection(inspection.id, request.path_params["job_id"], JobKind.IMPORT)
    if job is None:
        raise not_found()
    context = _job_context(inspection, job)
    response = render(request, "evidence_job.html", context, fragment="_evidence_progress.html")
    if context["ended"]:
        response.headers["HX-Trigger"] = CHANGED
    return response


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


async def ssda903_template(request: Request) -> Response:
    await require_inspection(request, READERS)
    name = f"ssda903_{request.path_params['table']}.csv"
    path = DOCS_TEMPLATES / name
    if name not in dict(SSDA903_TEMPLATES) or not path.is_file():
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
    Route(
        "/inspections/{inspection_id:id}/evidence/templates/ssda903_{table}.csv",
        ssda903_template,
        methods=["GET"],
    ),
]

__all__ = ["routes"]
