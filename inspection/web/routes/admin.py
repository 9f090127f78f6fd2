"""Administration: reading and exporting the access log, purging an inspection's child data."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from inspection.access_log import LogFilter, actions, log_as_csv, read_log
from inspection.models import Inspection
from inspection.models.core import Role
from inspection.models.ids import ROW_ID
from inspection.retention import (
    RetentionError,
    confirmation_errors,
    purge_allowed,
    purge_inspection,
    purge_preview,
    purge_refusal,
)
from inspection.web.access import current_user, log_access, not_found, require_inspection
from inspection.web.date_input import read_date
from inspection.web.params import form_text
from inspection.web.routes.inspections import overview_page
from inspection.web.sessions import client_ip
from inspection.web.templating import render


def _require_admin(request: Request) -> None:
    if current_user(request).role != Role.ADMIN:
        raise not_found()


async def _filter(request: Request) -> tuple[LogFilter, dict[str, object]]:
    """The filter typed into the form (a POST: a child's name never goes into an address) or,
    for a shared link without a child, the query string; and what the form shows back."""
    source = await request.form() if request.method == "POST" else request.query_params
    since = read_date(source, "since", "the first day", required=False)
    until = read_date(source, "until", "the last day", required=False)
    errors = {f.anchor: f.error for f in (since, until) if f.error}
    if since.value and until.value and until.value < since.value:
        errors[until.anchor] = "The last day must be the same as or after the first day"
    text = {k: form_text(source, k) for k in ("user", "action", "inspection", "child")}
    f = LogFilter(
        user=text["user"],
        action=text["action"],
        inspection_id=ROW_ID.parse(text["inspection"]),
        since=since.value,
        until=until.value,
        child=text["child"].strip(),
    )
    return f, {"since": since, "until": until, "errors": errors, "values": text}


async def access_log(request: Request) -> Response:
    _require_admin(request)
    f, form = await _filter(request)
    total, rows = (0, []) if form["errors"] else await read_log(f)
    await log_access(request, "view-access-log")
    inspections = await Inspection.all().select_related("la").order_by("title", "id")
    return render(
        request,
        "access_log.html",
        {
            **form,
            "admin_section": "access-log",
            "filter": f,
            "total": total,
            "rows": rows,
            "actions": await actions(),
            "inspections": inspections,
        },
        status_code=400 if form["errors"] else 200,
    )


async def access_log_csv(request: Request) -> Response:
    _require_admin(request)
    f, form = await _filter(request)
    if form["errors"]:
        return await access_log(request)
    await log_access(request, "export-access-log")
    return Response(
        await log_as_csv(f),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
    )


async def _purge_page(
    request: Request,
    inspection: Inspection,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    refusal: str = "",
    status_code: int = 200,
) -> Response:
    settings = request.app.state.settings
    refusal = refusal or purge_refusal(inspection, settings.retention_days)
    preview = await purge_preview(inspection.id, settings.data_dir)
    return render(
        request,
        "purge.html",
        {
            "inspection": inspection,
            "refusal": refusal,
            "removed": preview.removed(),
            "errors": errors or {},
            "values": values or {"title": "", "reason": ""},
        },
        status_code=status_code,
    )


async def purge_confirmation(request: Request) -> Response:
    """The page that asks an admin to confirm a purge, or says when it will be allowed."""
    inspection, _ = await require_inspection(request, frozenset({Role.ADMIN}))
    return await _purge_page(request, inspection)


async def purge(request: Request) -> Response:
    inspection, _ = await require_inspection(request, frozenset({Role.ADMIN}))
    settings = request.app.state.settings
    form = await request.form()
    values = {"title": form_text(form, "title"), "reason": form_text(form, "reason")}
    if not purge_allowed(inspection, settings.retention_days):
        return await _purge_page(request, inspection, values=values, status_code=409)
    errors = confirmation_errors(inspection, values["title"], values["reason"])
    if errors:
        return await _purge_page(request, inspection, errors, values, status_code=400)
    try:
        report = await purge_inspection(
            inspection.id,
            current_user(request),
            settings.retention_days,
            settings.data_dir,
            typed_title=values["title"],
            reason=values["reason"],
            ip=client_ip(request.scope),
        )
    except RetentionError as exc:
        return await _purge_page(
            request, inspection, values=values, refusal=str(exc), status_code=409
        )
    return await overview_page(request, purged=report)


routes = [
    Route("/admin/access-log", access_log, methods=["GET", "POST"]),
    Route("/admin/access-log.csv", access_log_csv, methods=["GET", "POST"]),
    Route("/inspections/{inspection_id:id}/purge", purge_confirmation, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/purge", purge, methods=["POST"]),
]
