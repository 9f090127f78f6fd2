"""Samples: build a population (size and breakdown live), draw, view, verify, replace."""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.jobs import queue
from inspection.jobs.runner import sample_check_work
from inspection.journey import indicators as journey_indicators
from inspection.models import JobKind, JobStatus
from inspection.sampling import population as pop
from inspection.sampling import service
from inspection.sampling.draw import ALLOCATIONS
from inspection.sampling.status import SampleMethod
from inspection.sampling.verify import Verification
from inspection.web.access import (
    EDITORS,
    READERS,
    current_user,
    log_access,
    not_found,
    require_inspection,
)
from inspection.web.date_input import DateField, read_date
from inspection.web.jobs import job_context, wake_worker
from inspection.web.params import form_text
from inspection.web.templating import is_htmx, render

INDICATOR_ROWS = 2


# What each number on the form is, for its error message.
NUMBER_FIELDS = {
    "size": "the sample size",
    "minimum": "the minimum per stratum",
    "reserve": "the reserve per stratum",
    "exclude_audited_months": "the months to leave out recently audited children",
}
# The window's dates (GOV.UK date inputs): each by its name in messages.
DATE_FIELDS = {"from": "the first day of the window", "to": "the last day of the window"}
# The fields whose error is shown beside them, in the order of the form.
FIELD_ERRORS = (
    *DATE_FIELDS,
    *(f"indicator_{i}" for i in range(INDICATOR_ROWS)),
    "exclude_audited_months",
    "minimum",
    "quotas",
    "size",
    "reserve",
)


def _int(value: str, name: str, errors: dict[str, str], default: int = 0) -> int:
    value = value.strip()
    if not value:
        return default
    if value.isdigit():
        return int(value)
    errors[name] = f"Enter {NUMBER_FIELDS[name]} as a whole number, like 3."
    return default


def _parse(
    form: FormData,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str], dict[str, Any]]:
    """(population definition, draw options, errors, values to redisplay) from the form."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        k: form_text(form, k)
        for k in (
            "cohort",
            "teams",
            "stratify_by",
            "allocation",
            "minimum",
            "reserve",
            "size",
            "seed",
            "exclude_audited_months",
            "quotas",
            "purpose",
        )
    }
    for name in ("age_bands", "disability", "ethnicity_groups"):
        values[name] = [str(v) for v in form.getlist(name)]
    window: dict[str, str] = {}
    for name, label in DATE_FIELDS.items():
        typed = values[name] = read_date(form, name, label, required=False)
        if typed.error:
            errors[name] = typed.error
        elif typed.value is not None:
            window[name] = typed.value.isoformat()
    indicators = []
    for i in range(INDICATOR_ROWS):
        name = form_text(form, f"indicator_{i}_name").strip()
        op = (form_text(form, f"indicator_{i}_op") or ">=").strip()
        raw = form_text(form, f"indicator_{i}_value").strip()
        values[f"indicator_{i}"] = {"name": name, "op": op, "value": raw}
        if not name:
            continue
        try:
            indicators.append({"name": name, "op": op, "value": float(raw)})
        except ValueError:
            errors[f"indicator_{i}"] = (
                f"Enter a number to compare {journey_indicators.LABELS.get(name, name).lower()}"
                " with."
                if raw == ""
                else f"Enter a number, like 3, instead of ‘{raw[:20]}’."
            )
    definition: dict[str, Any] = {
        "cohort": values["cohort"],
        **window,
        "age_bands": values["age_bands"],
        "disability": values["disability"],
        "ethnicity_groups": values["ethnicity_groups"],
        "teams": [t.strip() for t in values["teams"].split(",") if t.strip()],
        "indicators": indicators,
    }
    definition = {k: v for k, v in definition.items() if v}
    quotas: dict[str, int] = {}
    for part in values["quotas"].split(","):
        if not part.strip():
            continue
        team, sep, number = part.rpartition("=")
        if not sep or not team.strip() or not number.strip().isdigit():
            errors["quotas"] = "Write quotas as Team name=3, Other team=2."
            break
        quotas[team.strip()] = int(number)
    options: dict[str, Any] = {
        "size": _int(values["size"], "size", errors),
        "stratify_by": values["stratify_by"] or None,
        "allocation": values["allocation"] or None,
        "minimum": _int(values["minimum"], "minimum", errors),
        "reserve": _int(values["reserve"], "reserve", errors),
        "seed": values["seed"].strip() or None,
        "exclude_audited_months": _int(
            values["exclude_audited_months"],
            "exclude_audited_months",
            errors,
            service.DEFAULT_EXCLUDE_MONTHS,
        ),
        "quotas": quotas,
        "purpose": values["purpose"],
    }
    if quotas:
        options["allocation"] = "quota"
    return definition, options, errors, values


def _empty_values() -> dict[str, Any]:
    values: dict[str, Any] = {
        "age_bands": [],
        "disability": [],
        "ethnicity_groups": [],
        "exclude_audited_months": str(service.DEFAULT_EXCLUDE_MONTHS),
        "reserve": "2",
        **{name: DateField(name) for name in DATE_FIELDS},
    }
    for i in range(INDICATOR_ROWS):
        values[f"indicator_{i}"] = {"name": "", "op": ">=", "value": ""}
    return values


async def _page_context(
    inspection: Any,
    role: Any,
    values: dict[str, Any],
    errors: dict[str, str],
    result: service.Preview | None,
) -> dict[str, Any]:
    return {
        "inspection": inspection,
        "role": role,
        "values": values,
        "errors": errors,
        "preview": result,
        "samples": await service.list_samples(inspection.id),
        "cohorts": pop.COHORTS,
        "age_bands": pop.AGE_BANDS,
        "disability_values": pop.DISABILITY_VALUES,
        "ethnicity_groups": pop.ETHNICITY_GROUP_NAMES,
        "indicators": {name: journey_indicators.LABELS[name] for name in pop.INDICATORS},
        "operators": pop.OPERATOR_LABELS,
        "stratify_fields": pop.STRATIFY_FIELDS,
        "allocations": [a for a in ALLOCATIONS if a != "simple"],
        "can_draw": role in EDITORS,
        "indicator_rows": range(INDICATOR_ROWS),
        "field_errors": FIELD_ERRORS,
        "error_anchors": _error_anchors(values),
    }


def _error_anchors(values: dict[str, Any]) -> dict[str, str]:
    """Where the error summary's link for each field goes: the first wrong part of a date,
    an indicator's number."""
    anchors = {name: name for name in FIELD_ERRORS}
    anchors.update({f"indicator_{i}": f"indicator_{i}_value" for i in range(INDICATOR_ROWS)})
    anchors.update({name: values[name].anchor for name in DATE_FIELDS if name in values})
    return anchors


async def samples_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    result = await service.preview(inspection.id, {})
    return render(
        request, "sampling.html", await _page_context(inspection, role, _empty_values(), {}, result)
    )


async def preview(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    definition, options, errors, values = _parse(await request.form())
    result = None
    if not errors:
        try:
            result = await service.preview(
                inspection.id, definition, options["stratify_by"], options["exclude_audited_months"]
            )
        except (service.SamplingError, pop.PopulationError) as exc:
            errors["form"] = str(exc)
    context = await _page_context(inspection, role, values, errors, result)
    # an htmx update also replaces each field's error message, beside the field
    context["oob"] = is_htmx(request)
    return render(request, "sampling.html", context, fragment="_sampling_preview.html")


async def draw(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    definition, options, errors, values = _parse(await request.form())
    if not errors:
        try:
            sample = await service.draw_sample(
                inspection.id, definition, drawn_by=current_user(request), **options
            )
        except (service.SamplingError, pop.PopulationError) as exc:
            errors["form"] = str(exc)
    if errors:
        result = None
        with contextlib.suppress(service.SamplingError, pop.PopulationError):
            result = await service.preview(
                inspection.id, definition, options["stratify_by"], options["exclude_audited_months"]
            )
        return render(
            request,
            "sampling.html",
            await _page_context(inspection, role, values, errors, result),
            status_code=400,
        )
    return RedirectResponse(f"/inspections/{inspection.id}/samples/{sample.id}", status_code=303)


async def _sample_context(
    request: Request,
    inspection: Any,
    role: Any,
    errors: dict[str, str] | None = None,
    verification: Any = None,
) -> dict[str, Any]:
    sample_id = int(request.path_params["sample_id"])
    try:
        document = await service.sample_document(inspection.id, sample_id)
    except service.SamplingError:
        raise not_found() from None
    return {
        "inspection": inspection,
        "role": role,
        "sample": document,
        "errors": errors or {},
        "verification": verification,
        "can_replace": role in EDITORS,
    }


async def sample_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    context = await _sample_context(request, inspection, role)
    if context["sample"]["method"] == SampleMethod.PURPOSIVE:
        # the tracked cases are shown, and chosen, on their own page
        return RedirectResponse(f"/inspections/{inspection.id}/tracked", status_code=303)
    await log_access(request, "view_sample", inspection.id, "sample", str(context["sample"]["id"]))
    return render(request, "sampling_sample.html", context)


async def verify(request: Request) -> Response:
    """Start the sample's verification as a job, and show its progress then its checks."""
    inspection, role = await require_inspection(request, READERS)
    sample_id = int(request.path_params["sample_id"])
    if not await service.sample_exists(inspection.id, sample_id):
        raise not_found()
    job = await queue.enqueue(
        inspection.id,
        JobKind.SAMPLE_CHECK,
        request.state.user,
        work=sample_check_work(sample_id),
    )
    await log_access(request, "verify_sample", inspection.id, "sample", str(sample_id))
    wake_worker(request)
    return RedirectResponse(
        f"/inspections/{inspection.id}/samples/{sample_id}/verifications/{job.token}",
        status_code=303,
    )


async def verification_page(request: Request) -> Response:
    """A verification's progress (the fragment polls itself), then its checks."""
    inspection, role = await require_inspection(request, READERS)
    sample_id = int(request.path_params["sample_id"])
    job = await queue.of_inspection(
        inspection.id, request.path_params["verification_id"], JobKind.SAMPLE_CHECK
    )
    if job is None or int(job.work.get("sample_id", 0)) != sample_id:
        raise not_found()
    context = await _sample_context(request, inspection, role)
    context.update(job_context(job))
    if job.status == JobStatus.DONE:
        context["verification"] = Verification.from_dict(job.outcome)
    context["open_verification"] = True
    return render(request, "sampling_sample.html", context, fragment="_sampling_verify.html")


async def _member_context(
    request: Request, inspection: Any, role: Any, errors: dict[str, str] | None = None
) -> dict[str, Any]:
    try:
        document = await service.member_document(
            inspection.id,
            int(request.path_params["sample_id"]),
            int(request.path_params["member_id"]),
        )
    except service.SamplingError:
        raise not_found() from None
    return {
        "inspection": inspection,
        "role": role,
        **document,
        "errors": errors or {},
        "reason": "",
        "can_replace": role in EDITORS,
    }


async def member_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    context = await _member_context(request, inspection, role)
    await log_access(request, "view_sample", inspection.id, "sample", str(context["sample"]["id"]))
    return render(request, "sampling_member.html", context)


async def replace(request: Request) -> Response:
    """Replace one member by the next reserve of its stratum, from that member's own page."""
    inspection, role = await require_inspection(request, EDITORS)
    context = await _member_context(request, inspection, role)
    sample_id, member_id = context["sample"]["id"], context["member"]["id"]
    reason = form_text(await request.form(), "reason")
    try:
        await service.replace_member(
            inspection.id, sample_id, member_id, reason, current_user(request)
        )
    except service.SamplingError as exc:
        context["errors"] = {"reason": _replace_error(exc)}
        context["reason"] = reason
        return render(request, "sampling_member.html", context, status_code=400)
    return RedirectResponse(f"/inspections/{inspection.id}/samples/{sample_id}", status_code=303)


def _replace_error(exc: service.SamplingError) -> str:
    message = str(exc)
    if message == "A replacement needs a reason.":
        return "Enter why this child cannot be audited."
    if message.startswith("No reserve is left"):
        return "No reserve is left in this child’s group, so nobody can replace them."
    if "only a selected member" in message:
        return (
            "This child has already been replaced or is a reserve: "
            "only a chosen child can be replaced."
        )
    return message


routes = [
    Route("/inspections/{inspection_id:id}/samples", samples_page, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/samples", draw, methods=["POST"]),
    Route("/inspections/{inspection_id:id}/samples/preview", preview, methods=["POST"]),
    Route("/inspections/{inspection_id:id}/samples/{sample_id:id}", sample_page, methods=["GET"]),
    Route(
        "/inspections/{inspection_id:id}/samples/{sample_id:id}/verify", verify, methods=["POST"]
    ),
    Route(
        "/inspections/{inspection_id:id}/samples/{sample_id:id}/verifications/{verification_id}",
        verification_page,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/samples/{sample_id:id}/members/{member_id:id}",
        member_page,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/samples/{sample_id:id}/members/{member_id:id}/replace",
        replace,
        methods=["POST"],
    ),
]
