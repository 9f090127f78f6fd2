"""The learning loop in the browser (``inspection.learning``): the actions page (with the
follow-ups of Inadequate audits and who was told), one action with the forms that close it, the
re-audits with their before and after, and the self-evaluation."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit.definition import definition_of
from inspection.audit.visibility import Viewer, visible_audits
from inspection.learning import actions as acts
from inspection.learning import reaudit
from inspection.learning.follow_up import MAX_DAYS, follow_ups, set_follow_up_days
from inspection.learning.self_evaluation import QUESTIONS, self_evaluation
from inspection.models import Audit, Child, Membership, Rubric
from inspection.models.columns import fits
from inspection.web.access import (
    EDITORS,
    LEADS,
    READERS,
    current_user,
    log_access,
    log_children_shown,
    not_found,
    require_inspection,
)
from inspection.web.date_input import DateField, read_date
from inspection.web.params import form_text, query_id, query_text
from inspection.web.templating import render

_P = "/inspections/{inspection_id:id}"
BANNERS = {
    "added": "The action has been recorded",
    "done": "The action has been recorded as done",
    "dropped": "The action has been dropped",
    "days": "Follow-ups of Inadequate audits are now due after the number of days you chose",
}


async def _child_of(audit_id: int | None) -> int | None:
    if audit_id is None:
        return None
    found = await Audit.filter(id=audit_id).values_list("child_id", flat=True)
    return int(str(found[0])) if found and found[0] is not None else None


async def _log(request: Request, action: str, inspection_id: int, child_id: int | None) -> None:
    """A change to the learning loop, logged against the child it is about (if any)."""
    if child_id is None:
        await log_access(request, action, inspection_id, "inspection", str(inspection_id))
    else:
        await log_access(request, action, inspection_id, "child", str(child_id))


def _viewer(request: Request, role: Any) -> Viewer:
    return Viewer(current_user(request), role)


async def _team(inspection_id: int) -> list[dict[str, Any]]:
    return list(
        await Membership.filter(inspection_id=inspection_id, user__active=True)
        .order_by("user__name", "id")
        .values("user_id", "user__name")
    )


async def _domains(inspection_id: int) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for rubric in await Rubric.filter(audits__inspection_id=inspection_id).distinct():
        for key, title in definition_of(rubric).titles.items():
            found.setdefault(key, title)
    return list(found.items())


async def _from_audit(inspection_id: int, viewer: Viewer, audit_id: int | None) -> Any:
    """The audit an action is being raised from, if the viewer may see it."""
    if audit_id is None or audit_id not in await visible_audits(inspection_id, viewer):
        return None
    return (
        await Audit.filter(id=audit_id, inspection_id=inspection_id).select_related("child").first()
    )


async def _actions_page(
    request: Request,
    inspection: Any,
    role: Any,
    *,
    values: dict[str, str] | None = None,
    due: DateField | None = None,
    errors: dict[str, str] | None = None,
    days: str | None = None,
    status_code: int = 200,
) -> Response:
    viewer = _viewer(request, role)
    shown = await acts.actions_of(inspection.id, viewer)
    followed = await follow_ups(inspection.id, viewer)
    await log_children_shown(
        request, "view-actions", inspection.id, [a.child_id for a in shown if a.child_id]
    )
    values = values or {}
    audit_id = query_id(request, "audit") if not values else acts_id(values.get("audit", ""))
    return render(
        request,
        "actions.html",
        {
            "inspection": inspection,
            "role": role,
            "actions": shown,
            "overdue": acts.overdue(shown),
            "follow_ups": followed,
            "child_of_audit": {a.audit_id: a.child for a in shown if a.audit_id},
            "team": await _team(inspection.id),
            "domains": await _domains(inspection.id),
            "from_audit": await _from_audit(inspection.id, viewer, audit_id),
            "values": values,
            "due": due or DateField("due"),
            "errors": errors or {},
            "banner": BANNERS.get(query_text(request, "done"), ""),
            "can_add": role in EDITORS,
            "is_lead": role in LEADS,
            "max_days": MAX_DAYS,
            "days": inspection.follow_up_days if days is None else days,
        },
        status_code=status_code,
    )


def acts_id(text: str) -> int | None:
    return int(text) if text.strip().isdigit() and len(text.strip()) < 10 else None


async def actions_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    return await _actions_page(request, inspection, role)


async def add_action(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    form = await request.form()
    values = {k: form_text(form, k) for k in ("what", "owner", "owner_name", "domain", "audit")}
    due = read_date(form, "due", "the date the action is due by")
    errors: dict[str, str] = {}
    if due.error:
        errors[due.anchor] = due.error
    owner = None
    owner_id = acts_id(values["owner"])
    if owner_id is not None:
        member = (
            await Membership.filter(inspection_id=inspection.id, user_id=owner_id)
            .select_related("user")
            .first()
        )
        owner = member.user if member else None
    if not errors:
        try:
            action = await acts.add_action(
                inspection.id,
                _viewer(request, role),
                what=values["what"],
                due=due.value,
                owner=owner,
                owner_name="" if owner else values["owner_name"],
                audit_id=acts_id(values["audit"]),
                domain=values["domain"],
            )
        except acts.ActionError as exc:
            field = {"due": "due-day", "audit": "what", "owner_name": "owner_name"}
            errors[field.get(exc.field, exc.field or "what")] = str(exc)
    if errors:
        return await _actions_page(
            request, inspection, role, values=values, due=due, errors=errors, status_code=400
        )
    await _log(request, "add-action", inspection.id, await _child_of(action.audit_id))
    return RedirectResponse(f"/inspections/{inspection.id}/actions?done=added", 303)


async def follow_up_days(request: Request) -> Response:
    inspection, role = await require_inspection(request, LEADS)
    days = form_text(await request.form(), "follow_up_days")
    try:
        await set_follow_up_days(inspection.id, _viewer(request, role), days)
    except acts.ActionError as exc:
        return await _actions_page(
            request,
            inspection,
            role,
            errors={"follow_up_days": str(exc)},
            days=days,
            status_code=400,
        )
    await _log(request, "set-follow-up-days", inspection.id, None)
    return RedirectResponse(f"/inspections/{inspection.id}/actions?done=days", 303)


async def _action(request: Request, inspection: Any, role: Any) -> acts.ActionView:
    wanted = int(request.path_params["action_id"])
    found = next(
        (a for a in await acts.actions_of(inspection.id, _viewer(request, role)) if a.id == wanted),
        None,
    )
    if found is None:
        raise not_found()
    return found


async def _action_page(
    request: Request,
    inspection: Any,
    role: Any,
    action: acts.ActionView,
    *,
    values: dict[str, str] | None = None,
    done_on: DateField | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    if action.child_id:
        await log_access(request, "view-action", inspection.id, "child", str(action.child_id))
    viewer = _viewer(request, role)
    return render(
        request,
        "action.html",
        {
            "inspection": inspection,
            "role": role,
            "action": action,
            "may_complete": action.status == "open" and acts.may_complete(action.__dict__, viewer),
            "may_drop": action.status == "open" and viewer.leads,
            "values": values or {},
            "done_on": done_on or DateField("done_on"),
            "errors": errors or {},
        },
        status_code=status_code,
    )


async def action_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    return await _action_page(request, inspection, role, await _action(request, inspection, role))


async def complete_action(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    action = await _action(request, inspection, role)
    form = await request.form()
    values = {"evidence": form_text(form, "evidence")}
    done_on = read_date(form, "done_on", "the date the action was done")
    errors: dict[str, str] = {}
    if done_on.error:
        errors[done_on.anchor] = done_on.error
    else:
        try:
            await acts.complete_action(
                inspection.id,
                action.id,
                _viewer(request, role),
                evidence=values["evidence"],
                done_on=done_on.value,
            )
        except acts.ActionError as exc:
            errors[exc.field if exc.field in ("evidence", "done_on") else "evidence"] = str(exc)
    if errors:
        if "done_on" in errors:
            errors["done_on-day"] = errors.pop("done_on")
        return await _action_page(
            request,
            inspection,
            role,
            action,
            values=values,
            done_on=done_on,
            errors=errors,
            status_code=400,
        )
    await _log(request, "complete-action", inspection.id, action.child_id)
    return RedirectResponse(f"/inspections/{inspection.id}/actions?done=done", 303)


async def drop_action(request: Request) -> Response:
    inspection, role = await require_inspection(request, LEADS)
    action = await _action(request, inspection, role)
    reason = form_text(await request.form(), "reason")
    try:
        await acts.drop_action(inspection.id, action.id, _viewer(request, role), reason=reason)
    except acts.ActionError as exc:
        return await _action_page(
            request,
            inspection,
            role,
            action,
            values={"reason": reason},
            errors={"reason": str(exc)},
            status_code=400,
        )
    await _log(request, "drop-action", inspection.id, action.child_id)
    return RedirectResponse(f"/inspections/{inspection.id}/actions?done=dropped", 303)


async def _reaudits_page(
    request: Request,
    inspection: Any,
    role: Any,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    rows = await reaudit.before_after(inspection.id, _viewer(request, role))
    await log_children_shown(request, "view-reaudits", inspection.id, [r.child_id for r in rows])
    return render(
        request,
        "reaudits.html",
        {
            "inspection": inspection,
            "role": role,
            "rows": rows,
            "values": values or {},
            "errors": errors or {},
            "banner": banner,
        },
        status_code=status_code,
    )


async def reaudits_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    banner = ""
    if query_text(request, "done") == "recorded":
        banner = "The reason has been recorded: the child may be audited again"
    return await _reaudits_page(request, inspection, role, banner=banner)


async def record_reaudit(request: Request) -> Response:
    inspection, role = await require_inspection(request, EDITORS)
    form = await request.form()
    values = {k: form_text(form, k) for k in ("child", "reason")}
    text = values["child"].strip()
    if not text:
        errors = {"child": "Enter the child’s local authority ID."}
        return await _reaudits_page(
            request, inspection, role, values=values, errors=errors, status_code=400
        )
    child = (
        await Child.get_or_none(inspection_id=inspection.id, la_child_id=text)
        if fits(Child, "la_child_id", text)
        else None
    )
    if child is None:
        errors = {"child": f"No child in this inspection has the local authority ID ‘{text[:60]}’."}
        return await _reaudits_page(
            request, inspection, role, values=values, errors=errors, status_code=400
        )
    try:
        await reaudit.allow_reaudit(
            inspection.id, child.id, values["reason"], _viewer(request, role)
        )
    except reaudit.ReauditError as exc:
        field = "reason" if str(exc).startswith("Enter why") else "child"
        return await _reaudits_page(
            request, inspection, role, values=values, errors={field: str(exc)}, status_code=400
        )
    await log_access(request, "record-reaudit", inspection.id, "child", str(child.id))
    return RedirectResponse(f"/inspections/{inspection.id}/reaudits?done=recorded", 303)


async def self_evaluation_page(request: Request) -> Response:
    inspection, role = await require_inspection(request, READERS)
    statements = await self_evaluation(inspection.id, _viewer(request, role))
    return render(
        request,
        "self_evaluation.html",
        {
            "inspection": inspection,
            "role": role,
            "questions": [
                (key, question, [s for s in statements if s.question == key])
                for key, question in QUESTIONS.items()
            ],
        },
    )


routes = [
    Route(f"{_P}/actions", actions_page, methods=["GET"]),
    Route(f"{_P}/actions", add_action, methods=["POST"]),
    Route(f"{_P}/actions/follow-up-days", follow_up_days, methods=["POST"]),
    Route(f"{_P}/actions/{{action_id:id}}", action_page, methods=["GET"]),
    Route(f"{_P}/actions/{{action_id:id}}/complete", complete_action, methods=["POST"]),
    Route(f"{_P}/actions/{{action_id:id}}/drop", drop_action, methods=["POST"]),
    Route(f"{_P}/reaudits", reaudits_page, methods=["GET"]),
    Route(f"{_P}/reaudits", record_reaudit, methods=["POST"]),
    Route(f"{_P}/self-evaluation", self_evaluation_page, methods=["GET"]),
]
