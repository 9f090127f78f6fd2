"""The instruments: every current one described, and choosing a round's instrument."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit.definition import definition_of
from inspection.audit.programmes import ProgrammeError, set_round_instrument
from inspection.audit.rubric import DEFAULT_RUBRIC, instrument_choices
from inspection.web.access import LEADS, current_user, log_access, require_inspection
from inspection.web.params import form_text
from inspection.web.templating import render


async def instrument_options() -> list[dict[str, Any]]:
    """The instruments a round may choose, as a form's options (the default first)."""
    return [
        {
            "code": r.code,
            "title": r.title,
            "default": (r.code, r.version) == DEFAULT_RUBRIC,
        }
        for r in await instrument_choices()
    ]


async def instruments_page(request: Request) -> Response:
    """Every current instrument: what it is for, its domains and what each informs."""
    current_user(request)
    instruments = []
    for r in await instrument_choices():
        definition = definition_of(r)
        instruments.append(
            {
                "title": definition.title,
                "description": definition.description,
                "version": definition.version,
                "default": (r.code, r.version) == DEFAULT_RUBRIC,
                "domains": [
                    {
                        "title": d.title,
                        "question": d.question,
                        "area": d.area.label if d.area else "",
                        "outcome": d.outcome.label if d.outcome else "",
                    }
                    for d in definition.domains
                ],
            }
        )
    return render(request, "instruments.html", {"instruments": instruments})


async def round_instrument(request: Request) -> Response:
    """A lead chooses the instrument the round's new audits are made with."""
    inspection, _role = await require_inspection(request, LEADS)
    await inspection.fetch_related("rubric")
    options = await instrument_options()
    chosen = {"instrument": inspection.rubric.code if inspection.rubric else ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = await request.form()
        chosen = {"instrument": form_text(form, "instrument")}
        if not chosen["instrument"]:
            errors["instrument"] = "Choose the instrument"
        else:
            try:
                rubric = await set_round_instrument(inspection.id, chosen["instrument"])
            except ProgrammeError as exc:
                errors["instrument"] = str(exc)
            else:
                await log_access(
                    request,
                    "choose-instrument",
                    inspection.id,
                    "inspection",
                    str(inspection.id),
                    detail=rubric.title,
                )
                return RedirectResponse(f"/inspections/{inspection.id}", status_code=303)
    return render(
        request,
        "round_instrument.html",
        {"inspection": inspection, "instruments": options, "values": chosen, "errors": errors},
        status_code=400 if errors else 200,
    )


routes = [
    Route("/instruments", instruments_page, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/instrument", round_instrument, methods=["GET", "POST"]),
]
