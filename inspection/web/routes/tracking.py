"""Tracked cases: the children an inspector chooses on purpose, beside the random sample
(``inspection.sampling.tracking``): the list with the form to track a child, and the page that
stops tracking one."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit.visibility import Viewer
from inspection.models import Child, SampleMember
from inspection.models.ids import ROW_ID
from inspection.sampling import tracking
from inspection.sampling.status import MemberStatus
from inspection.web.access import (
    EDITORS,
    READERS,
    current_user,
    log_access,
    log_children_shown,
    not_found,
    require_inspection,
)
from inspection.web.params import form_text, query_text
from inspection.web.templating import render

_P = "/inspections/{inspection_id:id}"


async def _page(
    request: Request,
    inspection: Any,
    role: Any,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    matches: list[tracking.Match] | None = None,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    doc = await tracking.tracked_cases(inspection.id, Viewer(current_user(request), role))
    shown = [c["child_id"] for c in doc["tracked"] + doc["ended"]]
    shown += [m.child_id for m in matches or []]
    await log_children_shown(request, "view-tracked-cases", inspection.id, shown)
    return render(
        request,
        "tracked.html",
        {
            "inspection": inspection,
            "role": role,
            "doc": doc,
            "values": values or {},
            "errors": errors or {},
            "matches": matches or [],
            "banner": banner,
            "can_track": role in EDITORS,
            "max_text": tracking.MAX_TEXT,
        },
        status_code=status_code,
    )


async def tracked_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    banner = ""
    added = ROW_ID.parse(query_text(request, "added"))
    if added is not None:
        member = await SampleMember.get_or_none(
            id=added, inspection_id=inspection.id, status=MemberStatus.TRACKED
        )
        child = await Child.get_or_none(id=member.child_id) if member and member.child_id else None
        if child is not None:
            banner = f"{tracking.display_name(child)} is now a tracked case."
    return await _page(request, inspection, role, banner=banner)


async def track(request: Request) -> Response:
    """Track the child the form names (by the choice among several matches, or by a name or a
    local authority id that finds exactly one), with the reason and the line of enquiry."""
    inspection, role = await require_inspection(request, EDITORS)
    form = await request.form()
    values = {k: form_text(form, k) for k in ("child", "reason", "line_of_enquiry")}
    chosen = ROW_ID.parse(form_text(form, "child_id"))
    matches: list[tracking.Match] = []
    if chosen is None:
        if not values["child"].strip():
            errors = {"child": "Enter the child’s name or local authority ID."}
            return await _page(
                request, inspection, role, values=values, errors=errors, status_code=400
            )
        matches = await tracking.find_children(inspection.id, values["child"])
        if not matches:
            errors = {
                "child": f"No child in this inspection has the name or local authority ID "
                f"‘{values['child'].strip()[:60]}’."
            }
            return await _page(
                request, inspection, role, values=values, errors=errors, status_code=400
            )
        if len(matches) > 1:
            errors = {"child_id": f"{len(matches)} children match: choose one."}
            return await _page(
                request,
                inspection,
                role,
                values=values,
                errors=errors,
                matches=matches,
                status_code=400,
            )
        chosen = matches[0].child_id
    try:
        member = await tracking.track(
            inspection,
            chosen,
            values["reason"],
            values["line_of_enquiry"],
            current_user(request),
        )
    except tracking.TrackingError as exc:
        field = exc.field if exc.field != "child" else ("child_id" if matches else "child")
        return await _page(
            request,
            inspection,
            role,
            values=values,
            errors={field or "child": str(exc)},
            status_code=400,
        )
    await log_access(request, "track-case", inspection.id, "child", str(member.child_id))
    return RedirectResponse(f"/inspections/{inspection.id}/tracked?added={member.id}", 303)


async def _tracked_entry(request: Request, inspection: Any, role: Any) -> dict[str, Any]:
    doc = await tracking.tracked_cases(inspection.id, Viewer(current_user(request), role))
    member_id = int(request.path_params["tracked_id"])
    entry = next((c for c in doc["tracked"] if c["member_id"] == member_id), None)
    if entry is None:
        raise not_found()
    return entry


async def untrack_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    entry = await _tracked_entry(request, inspection, role)
    await log_access(request, "view-tracked-case", inspection.id, "child", str(entry["child_id"]))
    return render(
        request,
        "tracked_untrack.html",
        {"inspection": inspection, "role": role, "case": entry, "errors": {}, "reason": ""},
    )


async def untrack(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    entry = await _tracked_entry(request, inspection, role)
    reason = form_text(await request.form(), "reason")
    try:
        await tracking.untrack(inspection, entry["member_id"], reason, current_user(request))
    except tracking.TrackingError as exc:
        return render(
            request,
            "tracked_untrack.html",
            {
                "inspection": inspection,
                "role": role,
                "case": entry,
                "errors": {"reason": str(exc)},
                "reason": reason,
            },
            status_code=400,
        )
    await log_access(request, "untrack-case", inspection.id, "child", str(entry["child_id"]))
    return RedirectResponse(f"/inspections/{inspection.id}/tracked", 303)


routes = [
    Route(f"{_P}/tracked", tracked_page, methods=["GET"]),
    Route(f"{_P}/tracked", track, methods=["POST"]),
    Route(f"{_P}/tracked/{{tracked_id:id}}/untrack", untrack_page, methods=["GET"]),
    Route(f"{_P}/tracked/{{tracked_id:id}}/untrack", untrack, methods=["POST"]),
]
