"""The inspections list, creating an inspection, and an inspection's overview."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.inspections import InspectionError, create_inspection, visible_inspections
from inspection.models import LocalAuthority
from inspection.models.core import InspectionKind, Role
from inspection.overview import inspection_overview
from inspection.retention import purge_due
from inspection.web.access import READERS, current_user, require_inspection
from inspection.web.templating import render

CREATORS = {Role.ADMIN, Role.LEAD_INSPECTOR}

# The sections of an inspection, in the order of the work; each area's routes live in its module.
SECTION_LINKS: list[dict[str, str]] = [
    {"path": "evidence", "label": "Evidence: upload and validation"},
    {"path": "children", "label": "Children and their journeys"},
    {"path": "linkage", "label": "Linkage review"},
    {"path": "samples", "label": "Samples"},
    {"path": "audits", "label": "Audits"},
    {"path": "moderation", "label": "Moderation"},
    {"path": "findings", "label": "Findings"},
    {"path": "concerns", "label": "Concerns about children"},
    {"path": "exports", "label": "Spreadsheets: export and offline audit packs"},
]


async def home(request: Request) -> Response:
    return RedirectResponse("/inspections", status_code=303)


async def inspections_list(request: Request) -> Response:
    user = current_user(request)
    rows = await visible_inspections(user)
    return render(
        request, "inspections.html", {"inspections": rows, "can_create": user.role in CREATORS}
    )


async def _form_context(errors: dict[str, str], values: dict[str, str]) -> dict[str, object]:
    return {
        "errors": errors,
        "values": values,
        "authorities": await LocalAuthority.all().order_by("name"),
        "kinds": [k.value for k in InspectionKind],
    }


async def new_inspection(request: Request) -> Response:
    if current_user(request).role not in CREATORS:
        return Response("Not found", status_code=404)
    return render(request, "inspection_new.html", await _form_context({}, {}))


async def create(request: Request) -> Response:
    user = current_user(request)
    if user.role not in CREATORS:
        return Response("Not found", status_code=404)
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("la", "kind", "title", "reference_date")}
    errors: dict[str, str] = {}
    try:
        reference = date.fromisoformat(values["reference_date"])
    except ValueError:
        errors["reference_date"] = "Enter the reference date as YYYY-MM-DD."
    if not errors:
        try:
            inspection = await create_inspection(
                values["la"], values["kind"], values["title"], reference, user
            )
        except InspectionError as exc:
            errors["form"] = str(exc)
    if errors:
        return render(
            request, "inspection_new.html", await _form_context(errors, values), status_code=400
        )
    return RedirectResponse(f"/inspections/{inspection.id}", status_code=303)


async def overview(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    data = await inspection_overview(inspection.id)
    return render(
        request,
        "inspection.html",
        {
            "inspection": inspection,
            "role": role,
            "overview": data,
            "inspection_links": SECTION_LINKS,
            "purge_from": purge_due(inspection, request.app.state.settings.retention_days),
        },
    )


routes = [
    Route("/", home, methods=["GET"]),
    Route("/inspections", inspections_list, methods=["GET"]),
    Route("/inspections/new", new_inspection, methods=["GET"]),
    Route("/inspections", create, methods=["POST"]),
    Route("/inspections/{inspection_id:int}", overview, methods=["GET"]),
]
