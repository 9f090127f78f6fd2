"""Children and their journeys, the multi-agency chronology, and the linkage review queue."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit.visibility import Viewer
from inspection.jobs import queue
from inspection.journey import consistency, recorded
from inspection.journey.build import JourneyNotFound, journey_for_child
from inspection.journey.chronology import chronology_csv, chronology_rows
from inspection.journey.decision_kinds import DecisionKind
from inspection.journey.decisions import LinkError, decide, merge_children, split_record
from inspection.journey.indicators import LABELS as INDICATOR_LABELS
from inspection.journey.indicators import for_journey, hint
from inspection.journey.person_ids import child_identifiers
from inspection.journey.records import linked_record, linked_records, separated_from
from inspection.journey.review import (
    CHILDREN_FILTERS,
    children_page,
    link_accuracy,
    review_queue,
    search_to_link,
    set_blind_review,
)
from inspection.journey.timeline import timelines_for
from inspection.learning.reaudit import before_after
from inspection.models import JobKind, JobStatus
from inspection.models.ids import ROW_ID
from inspection.sampling import tracking
from inspection.web.access import (
    EDITORS,
    LEADS,
    READERS,
    current_user,
    log_access,
    not_found,
    require_inspection,
)
from inspection.web.jobs import job_context, wake_worker
from inspection.web.params import form_id_or_none, form_text, query_text
from inspection.web.templating import render


def _plain(value: Any) -> str:
    if value is None:
        return "Not recorded"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return str(value)


def _page_number(value: str) -> int:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 7 else 1


async def children(request: Request) -> Response:
    """The children list: GET pages through it (filter and page in the address); a search by
    name is a POST, so names stay out of addresses and logs."""
    inspection, role = await require_inspection(request, READERS)
    query = ""
    show = query_text(request, "show")
    number = _page_number(query_text(request, "page"))
    if request.method == "POST":
        form = await request.form()
        query = form_text(form, "q").strip()[:100]
        show = form_text(form, "show")
        number = _page_number(form_text(form, "page"))
    page = await children_page(inspection.id, query, show, number)
    await log_access(
        request,
        "list-children",
        inspection.id,
        "inspection",
        str(inspection.id),
        detail="search" if query else "",
    )
    return render(
        request,
        "journey_children.html",
        {
            "inspection": inspection,
            "role": role,
            "page": page,
            "query": query,
            "filters": CHILDREN_FILTERS,
        },
        fragment="_journey_children_rows.html",
    )


def _whole_span(request: Request) -> bool:
    """Whether the journey's timeline shows the whole span (``?timeline=whole``) rather than
    the period of the child's events."""
    return request.query_params.get("timeline") == "whole"


async def _journey(request: Request, roles: Any = READERS) -> tuple[Any, Any, Any]:
    inspection, role = await require_inspection(request, roles)
    try:
        journey = await journey_for_child(inspection.id, int(request.path_params["child_id"]))
    except JourneyNotFound:
        raise not_found() from None
    return inspection, role, journey


async def journey(request: Request) -> Response:
    inspection, role, j = await _journey(request)
    await log_access(request, "view-journey", inspection.id, "child", str(j.child.id))
    indicators = for_journey(j)
    return render(
        request,
        "journey.html",
        {
            "inspection": inspection,
            "role": role,
            "journey": j,
            "timelines": timelines_for(j, whole=_whole_span(request)),
            "inconsistencies": consistency.check(j),
            "recorded_differences": recorded.differences(j.events),
            "indicators": [
                (INDICATOR_LABELS[k], _plain(v), hint(k)) for k, v in indicators.items()
            ],
            "sources": await linked_records(inspection.id, j.child.id),
            "identifiers": await child_identifiers(inspection.id, j.child.id),
            "can_edit": role in EDITORS,
            "banner": await _separated_banner(request, inspection.id, j.child.id),
            "tracked": await tracking.tracked_member(inspection.id, j.child.id)
            if j.tracked
            else None,
            "reaudits": await before_after(
                inspection.id, Viewer(current_user(request), role), j.child.id
            )
            if j.reaudit_recorded
            else [],
        },
    )


async def _separated_banner(request: Request, inspection_id: int, child_id: int) -> str:
    """After "Not this child": which record was separated (read back from the decision, so the
    address cannot make the page say anything)."""
    record_id = ROW_ID.parse(request.query_params.get("separated", ""))
    if record_id is None:
        return ""
    return await separated_from(inspection_id, child_id, record_id)


async def chronology(request: Request) -> Response:
    inspection, role, j = await _journey(request)
    await log_access(request, "view-chronology", inspection.id, "child", str(j.child.id))
    return render(
        request,
        "chronology.html",
        {
            "inspection": inspection,
            "role": role,
            "journey": j,
            "rows": chronology_rows(j),
            "identifiers": await child_identifiers(inspection.id, j.child.id),
            "inconsistencies": consistency.check(j),
        },
    )


async def chronology_export(request: Request) -> Response:
    inspection, _role, j = await _journey(request)
    await log_access(request, "export-chronology", inspection.id, "child", str(j.child.id))
    return Response(
        chronology_csv(j),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="chronology-child-{j.child.id}.csv"',
            "Cache-Control": "no-store",
        },
    )


# The counts a linkage run reports back to the queue page (numbers only, never identifiers).
RUN_COUNTS = ("records", "children", "deterministic_links", "auto_linked", "for_review")


def _run_counts(request: Request) -> dict[str, int] | None:
    query = request.query_params
    counts = {k: ROW_ID.parse(query.get(k, "")) for k in RUN_COUNTS}
    found = {k: v for k, v in counts.items() if v is not None}
    return found if len(found) == len(RUN_COUNTS) else None


async def linkage(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    queue = await review_queue(inspection.id)
    await log_access(request, "view-linkage", inspection.id, "inspection", str(inspection.id))
    return render(
        request,
        "linkage.html",
        {
            "inspection": inspection,
            "role": role,
            "queue": queue,
            "accuracy": await link_accuracy(inspection.id),
            "can_edit": role in EDITORS,
            "can_lead": role in LEADS,
            "error": request.query_params.get("error", ""),
            "run": _run_counts(request),
        },
    )


async def linkage_blind(request: Request) -> Response:
    """Turn blind review on or off for the inspection (lead inspectors)."""
    inspection, _role = await require_inspection(request, LEADS)
    form = await request.form()
    blind = str(form.get("blind", "")) == "on"
    await set_blind_review(inspection.id, blind)
    await log_access(
        request,
        "link-review-blind" if blind else "link-review-open",
        inspection.id,
        "inspection",
        str(inspection.id),
    )
    return RedirectResponse(f"/inspections/{inspection.id}/linkage", status_code=303)


async def linkage_run(request: Request) -> Response:
    """Start a linkage run of every record of the inspection (people's decisions are respected)
    as a job, and show its progress."""
    inspection, _role = await require_inspection(request, EDITORS)
    job = await queue.enqueue(inspection.id, JobKind.LINKAGE, request.state.user)
    await log_access(request, "link-run", inspection.id, "inspection", str(inspection.id))
    wake_worker(request)
    return RedirectResponse(
        f"/inspections/{inspection.id}/linkage/jobs/{job.token}", status_code=303
    )


async def linkage_job(request: Request) -> Response:
    """A linkage run's progress (the fragment polls itself), then what it did."""
    inspection, _role = await require_inspection(request, EDITORS)
    job = await queue.of_inspection(
        inspection.id, request.path_params["linkage_job_id"], JobKind.LINKAGE
    )
    if job is None:
        raise not_found()
    counts = ""
    if job.status == JobStatus.DONE:
        counts = "&".join(f"{k}={int(job.outcome[k])}" for k in RUN_COUNTS)
    return render(
        request,
        "linkage_job.html",
        {
            "inspection": inspection,
            **job_context(job),
            "counts": counts,
        },
        fragment="_linkage_progress.html",
    )


async def _user_id(request: Request) -> int | None:
    user = request.state.user
    return user.id if user else None


async def linkage_decide(request: Request) -> Response:
    inspection, _role = await require_inspection(request, EDITORS)
    form = await request.form()
    decision_id = int(request.path_params["decision_id"])
    accept = form_text(form, "decision") == DecisionKind.ACCEPT
    try:
        d = await decide(
            inspection.id, decision_id, accept, await _user_id(request), form_text(form, "reason")
        )
    except LinkError:
        raise not_found() from None
    await log_access(
        request,
        "link-accept" if accept else "link-reject",
        inspection.id,
        "link_decision",
        str(d.id),
        detail=d.reason,
    )
    return RedirectResponse(f"/inspections/{inspection.id}/linkage", status_code=303)


async def not_this_child(request: Request) -> Response:
    """ "Not this child": what separating one record from the child will do, a reason, Confirm
    or Cancel (GET); the record is separated only when confirmed with a reason (POST)."""
    inspection, role, j = await _journey(request, EDITORS)
    record = await linked_record(inspection.id, j.child.id, int(request.path_params["record_id"]))
    if record is None:
        raise not_found()
    records = await linked_records(inspection.id, j.child.id)
    context: dict[str, Any] = {
        "inspection": inspection,
        "role": role,
        "journey": j,
        "record": record,
        "only_record": len(records) < 2,
        "reason": "",
        "errors": {},
    }
    if request.method == "GET":
        await log_access(request, "view-journey", inspection.id, "child", str(j.child.id))
        return render(request, "journey_not_this_child.html", context)
    form = await request.form()
    reason = form_text(form, "reason").strip()[:500]
    context["reason"] = reason
    if not reason:
        context["errors"] = {"reason": "Enter why this record is not this child"}
        return render(request, "journey_not_this_child.html", context, status_code=400)
    try:
        d = await split_record(inspection.id, record.id, await _user_id(request), reason)
    except LinkError as exc:
        context["errors"] = {"reason": str(exc)}
        return render(request, "journey_not_this_child.html", context, status_code=400)
    await log_access(
        request, "link-split", inspection.id, "source_record", str(record.id), detail=d.reason
    )
    return RedirectResponse(
        f"/inspections/{inspection.id}/children/{j.child.id}?separated={record.id}",
        status_code=303,
    )


async def merge(request: Request) -> Response:
    inspection, _role = await require_inspection(request, EDITORS)
    form = await request.form()
    child_id = request.path_params["child_id"]
    other = form_id_or_none(form, "other_child_id")
    if other is None:
        return await _journey_error(
            request, inspection.id, child_id, "Search for the other child and choose it."
        )
    try:
        d = await merge_children(
            inspection.id, child_id, other, await _user_id(request), form_text(form, "reason")
        )
    except LinkError as exc:
        return await _journey_error(request, inspection.id, child_id, str(exc))
    assert d is not None
    await log_access(
        request, "link-merge", inspection.id, "child", str(d.child_id), detail=d.reason
    )
    return RedirectResponse(f"/inspections/{inspection.id}/children/{d.child_id}", status_code=303)


def _search_date(query: Any) -> tuple[date | None, str]:
    """The date of birth from the GOV.UK date input (day, month, year): (date, error)."""
    parts = [str(query.get(k, "")).strip() for k in ("dob-day", "dob-month", "dob-year")]
    if not any(parts):
        return None, ""
    try:
        day, month, year = (int(p) for p in parts)
        if year < 1900:
            raise ValueError
        return date(year, month, day), ""
    except ValueError:
        return None, "Date of birth must be a real date, for example 27 3 2015"


async def link_search(request: Request) -> Response:
    """Search the inspection's other children to join one to this child by hand."""
    inspection, role = await require_inspection(request, EDITORS)
    child_id = int(request.path_params["child_id"])
    try:
        j = await journey_for_child(inspection.id, child_id)
    except JourneyNotFound:
        raise not_found() from None
    # A search by name is a POST, so that no child's name or identifier is in a URL (and so in
    # a proxy's or browser's history).
    query = await request.form()
    name = form_text(query, "name").strip()[:100]
    identifier = form_text(query, "identifier").strip()[:64]
    dob, error = _search_date(query)
    found = await search_to_link(inspection.id, child_id, name, dob, identifier)
    if found.searched and not error:
        await log_access(
            request,
            "search-children-to-link",
            inspection.id,
            "child",
            str(child_id),
            detail=f"{len(found.rows)} children found",
        )
    return render(
        request,
        "journey_link_search.html",
        {
            "inspection": inspection,
            "role": role,
            "journey": j,
            "found": found,
            "error": error,
            "form": {
                "name": name,
                "identifier": identifier,
                **{k: form_text(query, k)[:4] for k in ("dob-day", "dob-month", "dob-year")},
            },
        },
        fragment="_journey_link_search.html",
    )


async def link_confirm(request: Request) -> Response:
    """Both children side by side before joining them, with the reason to give."""
    inspection, role = await require_inspection(request, EDITORS)
    try:
        keep = await journey_for_child(inspection.id, int(request.path_params["child_id"]))
        other = await journey_for_child(inspection.id, int(request.path_params["other_id"]))
    except JourneyNotFound:
        raise not_found() from None
    if keep.child.id == other.child.id:
        raise not_found()
    await log_access(request, "view-link-confirm", inspection.id, "child", str(other.child.id))
    return render(
        request,
        "journey_link_confirm.html",
        {
            "inspection": inspection,
            "role": role,
            "keep": keep,
            "other": other,
            "keep_sources": await linked_records(inspection.id, keep.child.id),
            "other_sources": await linked_records(inspection.id, other.child.id),
        },
    )


async def _journey_error(
    request: Request, inspection_id: int, child_id: int, message: str
) -> Response:
    inspection, role, j = await _journey(request)
    await log_access(request, "view-journey", inspection_id, "child", str(child_id))
    return render(
        request,
        "journey.html",
        {
            "inspection": inspection,
            "role": role,
            "journey": j,
            "timelines": timelines_for(j, whole=_whole_span(request)),
            "inconsistencies": consistency.check(j),
            "recorded_differences": recorded.differences(j.events),
            "indicators": [
                (INDICATOR_LABELS[k], _plain(v), hint(k)) for k, v in for_journey(j).items()
            ],
            "sources": await linked_records(inspection_id, j.child.id),
            "identifiers": await child_identifiers(inspection_id, j.child.id),
            "can_edit": True,
            "error": message,
            "tracked": await tracking.tracked_member(inspection_id, j.child.id)
            if j.tracked
            else None,
        },
        status_code=400,
    )


routes = [
    Route("/inspections/{inspection_id:id}/children", children, methods=["GET", "POST"]),
    Route("/inspections/{inspection_id:id}/children/{child_id:id}", journey, methods=["GET"]),
    Route(
        "/inspections/{inspection_id:id}/children/{child_id:id}/chronology",
        chronology,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/children/{child_id:id}/chronology.csv",
        chronology_export,
        methods=["GET"],
    ),
    Route(
        "/inspections/{inspection_id:id}/children/{child_id:id}/records/{record_id:id}"
        "/not-this-child",
        not_this_child,
        methods=["GET", "POST"],
    ),
    Route("/inspections/{inspection_id:id}/children/{child_id:id}/merge", merge, methods=["POST"]),
    Route(
        "/inspections/{inspection_id:id}/children/{child_id:id}/link-search",
        link_search,
        methods=["POST"],
    ),
    Route(
        "/inspections/{inspection_id:id}/children/{child_id:id}/link/{other_id:id}",
        link_confirm,
        methods=["GET"],
    ),
    Route("/inspections/{inspection_id:id}/linkage", linkage, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/linkage/run", linkage_run, methods=["POST"]),
    Route(
        "/inspections/{inspection_id:id}/linkage/jobs/{linkage_job_id}",
        linkage_job,
        methods=["GET"],
    ),
    Route("/inspections/{inspection_id:id}/linkage/blind", linkage_blind, methods=["POST"]),
    Route(
        "/inspections/{inspection_id:id}/linkage/{decision_id:id}",
        linkage_decide,
        methods=["POST"],
    ),
]
