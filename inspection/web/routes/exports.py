"""Spreadsheets: make the QA workbook, the CSV tables or an offline audit pack, and load packs.

Making an export is a job (``inspection.export.stored``): the page's buttons post, the job is
enqueued with the format and the choices (pseudonymised unless identifiable is chosen), and the
answer is the export's own page, which polls until the file is ready and then offers it. Only
the person who asked may download it, while the visibility rule still gives them what it holds;
each download is logged there as export-xlsx, export-csv or export-offline-pack, with the ip.
Loading a pack is logged as import-offline-pack.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.export import stored
from inspection.export.offline import import_offline_pack
from inspection.export.stored import ExportFormat
from inspection.jobs import queue
from inspection.models import Job, JobKind, JobStatus, Sample, SampleMember
from inspection.sampling.service import sample_name, samples_of
from inspection.sampling.status import AUDITED
from inspection.web.access import EDITORS, READERS, current_user, not_found, require_inspection
from inspection.web.jobs import job_context, wake_worker
from inspection.web.sessions import client_ip
from inspection.web.templating import render

# Who may make (and take) each format: the pack is for auditors, as its loading is.
MAKERS = {
    ExportFormat.WORKBOOK: READERS,
    ExportFormat.TABLES: READERS,
    ExportFormat.OFFLINE_PACK: EDITORS,
}


async def _samples(inspection_id: int) -> list[dict[str, object]]:
    out = []
    for s in await samples_of(inspection_id):
        members = await SampleMember.filter(sample_id=s.id, status__in=AUDITED).count()
        out.append(
            {
                "id": s.id,
                "purpose": s.purpose or s.method,
                "name": sample_name(s.purpose, s.drawn_at),
                "members": members,
            }
        )
    return out


async def exports_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    return render(
        request,
        "exports.html",
        {
            "inspection": inspection,
            "role": role,
            "samples": await _samples(inspection.id),
            "can_pack": role in EDITORS,
            "keep_minutes": request.app.state.settings.export_keep_minutes,
            "recent": [
                r
                for r in await stored.recent(
                    inspection.id,
                    current_user(request),
                    request.app.state.settings.export_keep_minutes,
                )
                if role in EDITORS or not r.is_pack
            ],
        },
    )


async def _start(
    request: Request, export_format: ExportFormat, sample_id: int | None = None
) -> Response:
    """Enqueue the export as a job and answer with its page."""
    inspection, role = await require_inspection(request, MAKERS[export_format])
    if (
        sample_id is not None
        and not await Sample.filter(id=sample_id, inspection_id=inspection.id).exists()
    ):
        raise not_found()
    async with request.form() as form:
        # Pseudonymised unless the user deliberately chose identifiable.
        pseudonymise = form.get("pseudonymise") != "no"
    work, partial = stored.export_work(
        request.app.state.settings.data_dir,
        inspection.id,
        export_format,
        pseudonymise=pseudonymise,
        sample_id=sample_id,
        role=str(role),
    )
    job = await queue.enqueue(
        inspection.id, JobKind.EXPORT, current_user(request), work=work, raw_path=partial
    )
    wake_worker(request)
    return RedirectResponse(
        f"/inspections/{inspection.id}/exports/downloads/{job.token}", status_code=303
    )


async def make_workbook(request: Request) -> Response:
    return await _start(request, ExportFormat.WORKBOOK)


async def make_tables(request: Request) -> Response:
    return await _start(request, ExportFormat.TABLES)


async def make_pack(request: Request) -> Response:
    return await _start(request, ExportFormat.OFFLINE_PACK, int(request.path_params["sample_id"]))


async def _export_job(request: Request) -> tuple[object, object, Job]:
    """The inspection, the role and the export named in the path, if the signed-in person
    started it and may still make its format (404 otherwise, as for any export not theirs)."""
    inspection, role = await require_inspection(request, READERS)
    job = await queue.of_inspection(inspection.id, request.path_params["export_id"], JobKind.EXPORT)
    user = current_user(request)
    if (
        job is None
        or user is None
        or job.started_by_id != user.id  # type: ignore[attr-defined]
        or role not in MAKERS[ExportFormat(job.work["format"])]
    ):
        raise not_found()
    return inspection, role, job


def _context(inspection: object, role: object, job: Job) -> dict[str, object]:
    export_format = ExportFormat(job.work["format"])
    return {
        "inspection": inspection,
        "role": role,
        "label": stored.FORMAT_LABELS[export_format],
        "name": stored.FORMAT_NAMES[export_format],
        "pseudonymised": bool(job.work.get("pseudonymise")),
        "is_pack": export_format == ExportFormat.OFFLINE_PACK,
        "kept_until": stored.kept_until(job) if job.status == JobStatus.DONE else None,
        "removed": job.status == JobStatus.DONE and stored.stored_file(job) is None,
        "refused": "",
        **job_context(job),
    }


async def export_page(request: Request) -> Response:
    """An export's progress (the fragment polls itself), then its download link."""
    inspection, role, job = await _export_job(request)
    return render(
        request, "export_job.html", _context(inspection, role, job), fragment="_export_job.html"
    )


async def download(request: Request) -> Response:
    """The finished export's file, for the person who asked, while the rule still allows."""
    inspection, role, job = await _export_job(request)
    context = _context(inspection, role, job)
    if job.status != JobStatus.DONE:
        return render(request, "export_job.html", context, status_code=409)
    user = current_user(request)
    if not await stored.may_take(job, user):
        context["refused"] = (
            "Your role in this inspection has changed since this export was made, so it may "
            "hold what you can no longer see. Make it again from the Spreadsheets page."
        )
        return render(request, "export_job.html", context, status_code=403)
    taken = await stored.take(job, user, client_ip(request.scope))
    if taken is None:
        context["removed"] = True
        return render(request, "export_job.html", context, status_code=410)
    return Response(
        taken.data,
        media_type=taken.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{taken.filename}"',
            "Cache-Control": "no-store",
        },
    )


async def load_pack(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    sample_id = int(request.path_params["sample_id"])
    if not await Sample.filter(id=sample_id, inspection_id=inspection.id).exists():
        raise not_found()
    settings = request.app.state.settings
    async with request.form() as form:
        upload = form.get("pack")
        overwrite = form.get("overwrite") == "yes"
        chosen = upload if isinstance(upload, UploadFile) and upload.filename else None
        # (A body larger than any upload may be was refused unread, with a 413.)
        filename = chosen.filename or "" if chosen else ""
        data = await chosen.read() if chosen else b""
    context: dict[str, object] = {
        "inspection": inspection,
        "sample_id": sample_id,
        "overwrite": overwrite,
        "result": None,
        "error": "",
    }
    if chosen is None:
        context["error"] = "Choose the completed offline audit pack (.xlsx) to load."
        return render(
            request,
            "export_pack_result.html",
            context,
            fragment="_export_pack_result.html",
            status_code=400,
        )
    result = await import_offline_pack(
        inspection.id,
        data,
        current_user(request),
        role,
        overwrite=overwrite,
        sample_id=sample_id,
        ip=client_ip(request.scope),
        filename=filename,
        max_bytes=settings.max_upload_bytes,
        memory_bytes=settings.read_memory_bytes,
    )
    context["result"] = result
    status = 200 if result.saved else 409 if result.conflicts and not result.problems else 400
    return render(
        request,
        "export_pack_result.html",
        context,
        fragment="_export_pack_result.html",
        status_code=status,
    )


routes = [
    Route("/inspections/{inspection_id:id}/exports", exports_page, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/exports/workbook", make_workbook, methods=["POST"]),
    Route("/inspections/{inspection_id:id}/exports/tables", make_tables, methods=["POST"]),
    Route(
        "/inspections/{inspection_id:id}/exports/samples/{sample_id:id}/offline-pack/make",
        make_pack,
        methods=["POST"],
    ),
    Route(
        "/inspections/{inspection_id:id}/exports/downloads/{export_id}",
        export_page,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/exports/downloads/{export_id}/file",
        download,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/exports/samples/{sample_id:id}/offline-pack",
        load_pack,
        methods=["POST"],
    ),
]
