"""Spreadsheets: download the QA workbook or CSV tables, take and load offline audit packs.

Thin shells over ``inspection.export``: every download is logged there (with the ip) as
export-xlsx, export-csv or export-offline-pack; loading a pack as import-offline-pack. Each
holds the audit work the signed-in user may see, and the workbook and the CSV files are
pseudonymised unless identifiable is chosen (``?pseudonymise=no``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inspection.export.csv import build_csv, csv_zip
from inspection.export.offline import PackError, import_offline_pack
from inspection.export.offline import build_offline_pack as make_pack
from inspection.export.workbook import build_workbook
from inspection.models import Sample, SampleMember
from inspection.sampling.service import sample_name
from inspection.sampling.status import AUDITED
from inspection.web.access import EDITORS, READERS, current_user, not_found, require_inspection
from inspection.web.sessions import client_ip
from inspection.web.templating import render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, filename: str, media_type: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _pseudonymise(request: Request) -> bool:
    """Pseudonymised unless the user deliberately chose identifiable."""
    return request.query_params.get("pseudonymise") != "no"


async def _samples(inspection_id: int) -> list[dict[str, object]]:
    out = []
    for s in await Sample.filter(inspection_id=inspection_id).order_by("id"):
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
        },
    )


async def workbook(request: Request) -> Response:
    inspection, _ = await require_inspection(request, READERS)
    export = await build_workbook(
        inspection.id,
        current_user(request),
        pseudonymise=_pseudonymise(request),
        ip=client_ip(request.scope),
    )
    return _download(export.data, export.filename, XLSX)


async def tables_zip(request: Request) -> Response:
    inspection, _ = await require_inspection(request, READERS)
    pseudonymise = _pseudonymise(request)
    export = await build_csv(
        inspection.id, current_user(request), pseudonymise=pseudonymise, ip=client_ip(request.scope)
    )
    now = datetime.now(UTC)
    suffix = "-pseudonymised" if pseudonymise else ""
    return _download(
        csv_zip(export, now),
        f"inspection-{inspection.id}-{now:%Y%m%d}{suffix}-csv.zip",
        "application/zip",
    )


async def offline_pack(request: Request) -> Response:
    inspection, _ = await require_inspection(request, EDITORS)
    try:
        pack = await make_pack(
            inspection.id,
            int(request.path_params["sample_id"]),
            current_user(request),
            ip=client_ip(request.scope),
        )
    except PackError:
        raise not_found() from None
    return _download(pack.data, pack.filename, XLSX)


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
    Route("/inspections/{inspection_id:id}/exports/workbook.xlsx", workbook, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/exports/tables.zip", tables_zip, methods=["GET"]),
    Route(
        "/inspections/{inspection_id:id}/exports/samples/{sample_id:id}/offline-pack.xlsx",
        offline_pack,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/exports/samples/{sample_id:id}/offline-pack",
        load_pack,
        methods=["POST"],
    ),
]
