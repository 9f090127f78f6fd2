"""Administration: reading and exporting the access log, purging an inspection's child data."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.access_log import LogFilter, actions, log_as_csv, read_log
from inspection.models.core import Role
from inspection.models.ids import ROW_ID
from inspection.retention import RetentionError, purge_inspection
from inspection.web.access import current_user, log_access, not_found, require_inspection
from inspection.web.params import query_text
from inspection.web.sessions import client_ip
from inspection.web.templating import render


def _require_admin(request: Request) -> None:
    if current_user(request).role != Role.ADMIN:
        raise not_found()


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filter(request: Request) -> LogFilter:
    return LogFilter(
        user=query_text(request, "user"),
        action=query_text(request, "action"),
        inspection_id=ROW_ID.parse(query_text(request, "inspection")),
        since=_parse_date(query_text(request, "since")),
        until=_parse_date(query_text(request, "until")),
    )


async def access_log(request: Request) -> Response:
    _require_admin(request)
    f = _filter(request)
    total, rows = await read_log(f)
    await log_access(request, "view-access-log")
    return render(
        request,
        "access_log.html",
        {
            "filter": f,
            "total": total,
            "rows": rows,
            "actions": await actions(),
            "query": request.url.query,
        },
        fragment="_access_log_rows.html",
    )


async def access_log_csv(request: Request) -> Response:
    _require_admin(request)
    f = _filter(request)
    await log_access(request, "export-access-log")
    return Response(
        await log_as_csv(f),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="access-log.csv"'},
    )


async def purge(request: Request) -> Response:
    inspection, _ = await require_inspection(request, frozenset({Role.ADMIN}))
    settings = request.app.state.settings
    try:
        await purge_inspection(
            inspection.id,
            current_user(request),
            settings.retention_days,
            ip=client_ip(request.scope),
        )
    except RetentionError as exc:
        return Response(str(exc), status_code=409)
    return RedirectResponse(f"/inspections/{inspection.id}", status_code=303)


routes = [
    Route("/admin/access-log", access_log, methods=["GET"]),
    Route("/admin/access-log.csv", access_log_csv, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/purge", purge, methods=["POST"]),
]
