"""Audit programmes: the list, starting one, adding a round, and the programme's page with
its rounds and the trend by domain (``inspection.audit.programmes``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit.programmes import (
    PROGRAMME_MAKERS,
    ProgrammeError,
    ProgrammeNotFound,
    add_round,
    create_programme,
    open_programme,
    programme_trend,
    visible_programmes,
)
from inspection.export.programme import trend_csv
from inspection.models import AuditProgramme, LocalAuthority
from inspection.models.core import PROGRAMME_ROUND_KINDS
from inspection.web.access import current_user, log_access, not_found
from inspection.web.date_input import DateField, date_field, read_date
from inspection.web.params import form_text
from inspection.web.routes.instruments import instrument_options
from inspection.web.templating import render


async def programmes_list(request: Request) -> Response:
    user = current_user(request)
    return render(
        request,
        "programmes.html",
        {
            "programmes": await visible_programmes(user),
            "can_create": user.role in PROGRAMME_MAKERS,
        },
    )


async def new_programme(request: Request) -> Response:
    user = current_user(request)
    if user.role not in PROGRAMME_MAKERS:
        raise not_found()
    values = {"la": "", "title": "", "purpose": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await request.form()
        values = {k: form_text(form, k) for k in values}
        if not values["la"]:
            errors["la"] = "Choose the local authority"
        if not values["title"].strip():
            errors["title"] = "Enter the programme's title"
        if not errors:
            try:
                programme = await create_programme(
                    values["la"], values["title"], values["purpose"], user
                )
            except ProgrammeError as exc:
                errors[exc.field or "la"] = str(exc)
            else:
                await log_access(request, "create-programme", None, "programme", str(programme.id))
                return RedirectResponse(f"/programmes/{programme.id}", status_code=303)
    return render(
        request,
        "programme_new.html",
        {
            "values": values,
            "errors": errors,
            "authorities": await LocalAuthority.all().order_by("name"),
        },
        status_code=400 if errors else 200,
    )


async def _programme(request: Request) -> AuditProgramme:
    try:
        return await open_programme(int(request.path_params["programme_id"]), current_user(request))
    except ProgrammeNotFound:
        raise not_found() from None


async def programme_page(request: Request) -> Response:
    """The rounds and the trend, as the person may see them (aggregate figures only; each
    round's own pages show its children, and log them)."""
    programme = await _programme(request)
    doc = await programme_trend(programme, current_user(request))
    await log_access(request, "view-programme", None, "programme", str(programme.id))
    return render(
        request,
        "programme.html",
        {
            "programme": programme,
            "doc": doc,
            "can_add": current_user(request).role in PROGRAMME_MAKERS,
        },
    )


async def programme_csv(request: Request) -> Response:
    programme = await _programme(request)
    doc = await programme_trend(programme, current_user(request))
    await log_access(request, "export-programme-trend", None, "programme", str(programme.id))
    return Response(
        "\ufeff" + trend_csv(doc),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="programme-{programme.id}-trend.csv"'
        },
    )


async def _round_form(
    programme: AuditProgramme,
    values: dict[str, str],
    reference: DateField,
    errors: dict[str, str],
) -> dict[str, Any]:
    return {
        "programme": programme,
        "values": values,
        "reference": reference,
        "errors": errors,
        "kinds": list(PROGRAMME_ROUND_KINDS),
        "instruments": await instrument_options(),
    }


async def new_round(request: Request) -> Response:
    user = current_user(request)
    if user.role not in PROGRAMME_MAKERS:
        raise not_found()
    programme = await _programme(request)
    if request.method == "GET":
        values = {"kind": PROGRAMME_ROUND_KINDS[0].value}
        context = await _round_form(programme, values, date_field("reference", None), {})
        return render(request, "programme_round_new.html", context)
    form = await request.form()
    values = {k: form_text(form, k) for k in ("kind", "title", "theme", "instrument")}
    reference = read_date(form, "reference", "the reference date")
    errors: dict[str, str] = {}
    if not values["title"].strip():
        errors["title"] = "Enter the round's title"
    if reference.error:
        errors[reference.anchor] = reference.error
    if not errors and reference.value is not None:
        try:
            inspection = await add_round(
                programme,
                values["kind"],
                values["title"],
                reference.value,
                values["theme"],
                values["instrument"],
                user,
            )
        except ProgrammeError as exc:
            errors[exc.field or "title"] = str(exc)
        else:
            await log_access(
                request, "create-inspection", inspection.id, "inspection", str(inspection.id)
            )
            return RedirectResponse(f"/programmes/{programme.id}", status_code=303)
    context = await _round_form(programme, values, reference, errors)
    return render(request, "programme_round_new.html", context, status_code=400)


routes = [
    Route("/programmes", programmes_list, methods=["GET"]),
    Route("/programmes/new", new_programme, methods=["GET", "POST"]),
    Route("/programmes/{programme_id:id}", programme_page, methods=["GET"]),
    Route("/programmes/{programme_id:id}/trend.csv", programme_csv, methods=["GET"]),
    Route("/programmes/{programme_id:id}/rounds/new", new_round, methods=["GET", "POST"]),
]
