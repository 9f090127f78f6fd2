"""Multi-agency audits (each agency's part, then the joint discussion), the authority's own
audits of children, the agencies' auditors, and how well the authority knows its practice
(``inspection.audit.multi_agency``, ``inspection.audit.authority_agreement``)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit import multi_agency
from inspection.audit.agency import Agency
from inspection.audit.audits import AuditError, AuditNotFound
from inspection.audit.authority_agreement import authority_agreement
from inspection.audit.definition import OVERALL
from inspection.audit.visibility import Viewer
from inspection.models import Membership, User
from inspection.models.core import Role
from inspection.models.ids import ROW_ID
from inspection.web.access import (
    EDITORS,
    LEADS,
    READERS,
    current_user,
    log_access,
    not_found,
)
from inspection.web.access import require_inspection as require
from inspection.web.date_input import date_field, read_date
from inspection.web.params import form_text
from inspection.web.templating import render

_P = "/inspections/{inspection_id:id}"
_M = _P + "/audits/members/{member_id:id}"


def _base(inspection_id: int, member_id: int) -> str:
    return f"/inspections/{inspection_id}/audits/members/{member_id}/multi-agency"


async def _page(
    request: Request,
    inspection: Any,
    role: Any,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    member_id = int(request.path_params["member_id"])
    try:
        doc = await multi_agency.joint_page(
            inspection.id, member_id, Viewer(current_user(request), role)
        )
    except AuditNotFound:
        raise not_found() from None
    await log_access(
        request,
        "view-multi-agency-audit",
        inspection.id,
        "child",
        str(doc["member"]["child_id"] or ""),
    )
    typed = typed or {}
    return render(
        request,
        "multi_agency.html",
        {
            "inspection": inspection,
            "role": role,
            "doc": doc,
            "agencies": list(Agency),
            "is_lead": role in LEADS,
            "errors": errors or {},
            "typed": typed,
            "discussed_on": typed.get("discussed_on") or date_field("discussed_on", None),
            "overall": OVERALL,
            "banner": banner,
            "base": _base(inspection.id, member_id),
        },
        status_code=status_code,
    )


async def joint_audit_page(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    banner = {
        "set-up": "The audit is set up as multi-agency",
        "discussed": "The joint discussion is recorded: the multi-agency audit is complete",
    }.get(request.query_params.get("done", ""), "")
    return await _page(request, inspection, role, banner=banner)


async def set_up(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    form = await request.form()
    member_id = int(request.path_params["member_id"])
    chosen = [str(v) for v in form.getlist("agencies")]
    try:
        await multi_agency.set_up(inspection.id, member_id, chosen, current_user(request), role)
    except AuditNotFound:
        raise not_found() from None
    except AuditError as exc:
        return await _page(
            request,
            inspection,
            role,
            errors={"agencies": str(exc)},
            typed={"agencies": chosen},
            status_code=400,
        )
    return RedirectResponse(_base(inspection.id, member_id) + "?done=set-up", status_code=303)


async def record_discussion(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    member_id = int(request.path_params["member_id"])
    form = await request.form()
    when = read_date(form, "discussed_on", "the date of the joint discussion")
    participants = [i for i in (ROW_ID.parse(str(v)) for v in form.getlist("participants")) if i]
    grades = {k[len("grade:") :]: form_text(form, k) for k in form if k.startswith("grade:")}
    reasons = {k[len("reason:") :]: form_text(form, k) for k in form if k.startswith("reason:")}
    typed: dict[str, Any] = {
        "discussed_on": when,
        "participants": participants,
        "others_present": form_text(form, "others_present"),
        "grades": grades,
        "reasons": reasons,
        "disagreements": form_text(form, "disagreements"),
    }
    discussion = multi_agency.Discussion(
        discussed_on=when.value,
        participants=participants,
        others_present=form_text(form, "others_present"),
        grades=grades,
        reasons=reasons,
        disagreements=form_text(form, "disagreements"),
    )
    try:
        await multi_agency.record_discussion(
            inspection.id, member_id, current_user(request), role, discussion
        )
    except AuditNotFound:
        raise not_found() from None
    except multi_agency.DiscussionRefused as exc:
        errors = dict(exc.errors)
        if when.error:
            errors["discussed_on"] = when.error
        if "discussed_on" in errors:  # the summary links to the first part that is wrong
            errors = {(when.anchor if k == "discussed_on" else k): v for k, v in errors.items()}
        return await _page(request, inspection, role, errors=errors, typed=typed, status_code=400)
    except AuditError as exc:
        return await _page(
            request,
            inspection,
            role,
            errors={"discussion": str(exc)},
            typed=typed,
            status_code=400,
        )
    return RedirectResponse(_base(inspection.id, member_id) + "?done=discussed", status_code=303)


async def _auditors_page(
    request: Request,
    inspection: Any,
    role: Any,
    errors: dict[str, str] | None = None,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    team = [
        {**m, "role_label": Role(m["role"]).label, "audits": Role(m["role"]) in EDITORS}
        for m in await Membership.filter(inspection_id=inspection.id)
        .order_by("user__name", "user_id")
        .values("role", "agency", id="user_id", name="user__name")
    ]
    return render(
        request,
        "agency_auditors.html",
        {
            "inspection": inspection,
            "role": role,
            "team": team,
            "agencies": list(Agency),
            "is_lead": role in LEADS,
            "errors": errors or {},
            "banner": banner,
        },
        status_code=status_code,
    )


async def agency_auditors_page(request: Request) -> Response:
    inspection, role = await require(request, READERS)
    return await _auditors_page(
        request,
        inspection,
        role,
        banner="The agency is recorded" if request.query_params.get("saved") == "yes" else "",
    )


async def set_agency_auditor(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    form = await request.form()
    user_id = ROW_ID.parse(form_text(form, "user"))
    user = await User.get_or_none(id=user_id) if user_id is not None else None
    if user is None:
        return await _auditors_page(
            request,
            inspection,
            role,
            errors={"team": "Choose a member of the team"},
            status_code=400,
        )
    try:
        await multi_agency.set_agency(inspection.id, user, form_text(form, "agency"))
    except AuditError as exc:
        return await _auditors_page(
            request, inspection, role, errors={f"agency-{user.id}": str(exc)}, status_code=400
        )
    return RedirectResponse(f"/inspections/{inspection.id}/members/agencies?saved=yes", 303)


async def authority_agreement_page(request: Request) -> Response:
    inspection, role = await require(request, READERS)
    doc = await authority_agreement(inspection.id, Viewer(current_user(request), role))
    return render(
        request,
        "authority_agreement.html",
        {"inspection": inspection, "role": role, "doc": doc},
    )


routes = [
    Route(f"{_M}/multi-agency", joint_audit_page, methods=["GET"]),
    Route(f"{_M}/multi-agency", set_up, methods=["POST"]),
    Route(f"{_M}/multi-agency/discussion", record_discussion, methods=["POST"]),
    Route(f"{_P}/members/agencies", agency_auditors_page, methods=["GET"]),
    Route(f"{_P}/members/agencies", set_agency_auditor, methods=["POST"]),
    Route(f"{_P}/findings/authority", authority_agreement_page, methods=["GET"]),
]
