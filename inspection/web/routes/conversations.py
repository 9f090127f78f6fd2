"""Conversations with the child, a parent or carer and the practitioner
(``inspection.audit.conversations``): the list about one child, and the form that records one.
From an audit (``?audit=ID``) the form returns to that audit, where the conversation can be cited.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit import conversations
from inspection.audit.audits import AuditNotFound, open_audit
from inspection.audit.visibility import Viewer
from inspection.audit.voice_kinds import MEANS_LABELS, SPEAKER_LABELS
from inspection.models import Audit, Child
from inspection.models.ids import ROW_ID
from inspection.web.access import (
    EDITORS,
    READERS,
    current_user,
    log_access,
    not_found,
    require_inspection,
)
from inspection.web.date_input import DateField, read_date
from inspection.web.params import form_text, query_text
from inspection.web.templating import render

_P = "/inspections/{inspection_id:id}/children/{child_id:id}/conversations"


async def _child(request: Request, inspection_id: int) -> Child:
    child = await Child.get_or_none(id=request.path_params["child_id"], inspection_id=inspection_id)
    if child is None:
        raise not_found()
    return child


async def conversations_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    child = await _child(request, inspection.id)
    shown = await conversations.conversations_seen(
        inspection.id, Viewer(current_user(request), role), [child.id]
    )
    await log_access(request, "view-conversations", inspection.id, "child", str(child.id))
    recorded = ROW_ID.parse(query_text(request, "recorded"))
    banner = (
        "The conversation is recorded."
        if recorded is not None and any(c.id == recorded for c in shown)
        else ""
    )
    return render(
        request,
        "conversations.html",
        {
            "inspection": inspection,
            "role": role,
            "child": child,
            "conversations": shown,
            "can_record": role in EDITORS,
            "banner": banner,
        },
    )


async def _from_audit(
    request: Request, inspection_id: int, role: Any, child: Child
) -> Audit | None:
    """The audit of this child the form was opened from (``audit`` in the query string), if the
    user may open it; otherwise none (the form then returns to the list)."""
    audit_id = ROW_ID.parse(query_text(request, "audit"))
    if audit_id is None:
        return None
    try:
        audit = await open_audit(inspection_id, audit_id, current_user(request), role, ())
    except AuditNotFound:
        return None
    return audit if audit.child_id == child.id else None


def _typed(form: FormData) -> tuple[dict[str, str], DateField]:
    values = {
        key: form_text(form, key)
        for key in ("speaker", "relationship_or_role", "means", "said", "tells_us")
    }
    return values, read_date(form, "held_on", "the date of the conversation")


async def _form(
    request: Request,
    inspection: Any,
    role: Any,
    child: Child,
    audit: Audit | None,
    *,
    values: dict[str, str] | None = None,
    held_on: DateField | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    await log_access(request, "view-conversations", inspection.id, "child", str(child.id))
    return render(
        request,
        "conversation_new.html",
        {
            "inspection": inspection,
            "role": role,
            "child": child,
            "audit": audit,
            "values": values or {},
            "held_on": held_on or DateField("held_on"),
            "errors": errors or {},
            # the error summary links to the field, or to the date's first wrong part
            "summary": {
                (held_on.anchor if k == "held_on" and held_on else k): v
                for k, v in (errors or {}).items()
            },
            "speakers": SPEAKER_LABELS,
            "means": MEANS_LABELS,
        },
        status_code=400 if errors else 200,
    )


async def new_conversation_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    child = await _child(request, inspection.id)
    audit = await _from_audit(request, inspection.id, role, child)
    return await _form(request, inspection, role, child, audit)


async def record(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    child = await _child(request, inspection.id)
    audit = await _from_audit(request, inspection.id, role, child)
    form = await request.form()
    values, held_on = _typed(form)
    heard = conversations.Heard(held_on=held_on.value, **values)
    errors = conversations.problems(heard, conversations.today_in_uk())
    if held_on.error:  # the date input's own words for a date that is not one
        errors["held_on"] = held_on.error
    if errors:
        ordered = {k: errors[k] for k in conversations.FIELDS if k in errors}
        return await _form(
            request, inspection, role, child, audit, values=values, held_on=held_on, errors=ordered
        )
    made = await conversations.record_conversation(
        inspection.id, child.id, heard, current_user(request)
    )
    await log_access(request, "record-conversation", inspection.id, "child", str(child.id))
    if audit is not None:
        return RedirectResponse(
            f"/inspections/{inspection.id}/audits/{audit.id}#conversations", status_code=303
        )
    return RedirectResponse(
        f"/inspections/{inspection.id}/children/{child.id}/conversations?recorded={made.id}",
        status_code=303,
    )


routes = [
    Route(_P, conversations_page, methods=["GET"]),
    Route(f"{_P}/new", new_conversation_page, methods=["GET"]),
    Route(f"{_P}/new", record, methods=["POST"]),
]
