"""Audits, second marking and moderation, and concerns about children."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit import concerns as concern_rules
from inspection.audit import scoring
from inspection.audit.audits import (
    AuditConflict,
    AuditError,
    AuditNotFound,
    audit_board,
    audit_values,
    child_events,
    create_audit,
    may_edit,
    next_in_list,
    open_audit,
    save_opened,
    submit_audit,
    value_keys,
)
from inspection.audit.conversations import conversations_seen
from inspection.audit.definition import RubricDefinition, definition_of
from inspection.audit.moderation import (
    FEW_PAIRS,
    AgreedGradeRefused,
    ModerationError,
    agreement_report,
    disagreements,
    record_agreed_grade,
    selected_member_ids,
    set_plan,
    submitted_pairs,
)
from inspection.audit.multi_agency import authority_column, start_authority_audit, start_part
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import Viewer, visible_audits
from inspection.export.csv import table_csv
from inspection.export.tables import feedback_table, load_context
from inspection.learning import actions as acts
from inspection.learning.follow_up import follow_ups
from inspection.models import Audit, Inspection, ModerationPlan
from inspection.models.core import Role
from inspection.sampling.service import samples_of
from inspection.web.access import (
    EDITORS,
    LEADS,
    READERS,
    current_user,
    log_access,
    log_children_shown,
    not_found,
)
from inspection.web.access import require_inspection as require
from inspection.web.params import form_id, form_number, form_text, query_id
from inspection.web.templating import is_htmx, render

OUT_OF_DATE = "This page is out of date: reload the audit and make your change again."
PAIR_MISSING = "Choose the pair of markings to moderate."


def _form_values(definition: RubricDefinition, form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in value_keys(definition):
        if key.startswith(scoring.CITED_PREFIXES):
            values[key] = [str(v) for v in form.getlist(key)]
        else:
            values[key] = form_text(form, key)
    return values


async def audits_page(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    user = current_user(request)
    rows = await audit_board(inspection.id, user, role)
    await log_children_shown(
        request, "view-audits-board", inspection.id, (r["member"]["child_id"] for r in rows)
    )
    samples = await samples_of(inspection.id)
    plans = {p.sample_id: p for p in await ModerationPlan.filter(inspection_id=inspection.id)}
    authority = await authority_column(
        inspection.id, Viewer(user, role), [r["member"]["id"] for r in rows]
    )
    return render(
        request,
        "audits.html",
        {
            "inspection": inspection,
            "role": role,
            "rows": rows,
            "authority": authority,
            "samples": samples,
            "sample_by_id": {s.id: s for s in samples},
            "plans": plans,
            "is_lead": role in LEADS,
            "overdue": acts.overdue(await acts.actions_of(inspection.id, Viewer(user, role)))
            if role in LEADS
            else [],
        },
    )


async def start_audit(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    form = await request.form()
    member_id = form_id(form, "member", "Choose the child to audit.")
    marking = form_text(form, "marking") or Marking.FIRST
    user = current_user(request)
    try:
        if marking == Marking.PART:  # the auditor's agency's part of a multi-agency audit
            audit = await start_part(inspection.id, member_id, user)
        elif marking == Marking.AUTHORITY:
            audit = await start_authority_audit(inspection.id, member_id, user)
        else:
            audit = await create_audit(inspection.id, member_id, user, marking)
    except AuditNotFound:
        raise not_found() from None
    except AuditError as exc:
        raise HTTPException(400, str(exc)) from exc
    return RedirectResponse(f"/inspections/{inspection.id}/audits/{audit.id}", status_code=303)


async def _audit_context(
    request: Request, audit: Audit, role: Any, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    inspection_id = audit.inspection_id
    user = current_user(request)
    definition = definition_of(audit.rubric)
    stored = await audit_values(audit, definition)
    values = values if values is not None else stored
    events = await child_events(inspection_id, audit.child_id)
    event_by_id = {e.id: e for e in events}
    heard = (
        await conversations_seen(inspection_id, Viewer(user, role), [audit.child_id])
        if audit.child_id is not None
        else []
    )
    other_open = [
        c
        for c in await concern_rules.visible_concerns(inspection_id, Viewer(user, role))
        if c.audit_id == audit.id
    ]
    return {
        "audit": audit,
        "definition": definition,
        "values": values,
        "labels": definition.grade_labels,
        "events": events,
        "event_by_id": event_by_id,
        "conversations": heard,
        "conversation_by_id": {c.id: c for c in heard},
        "proposed": scoring.propose_overall(definition, scoring.domain_grades(definition, values)),
        "can_edit": may_edit(audit, user, role),
        "concerns": other_open,
        "contacts": await concern_rules.named_contacts(inspection_id),
        "is_lead": role in LEADS,
        "missing": None,
        "conflict": None,
        "follow_ups": await follow_ups(inspection_id, Viewer(user, role), audit.id),
        "can_add_action": role in EDITORS,
    }


async def audit_page(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    audit_id = request.path_params["audit_id"]
    try:
        audit = await open_audit(inspection.id, audit_id, current_user(request), role)
    except AuditNotFound:
        raise not_found() from None
    await log_access(
        request,
        "view-audit",
        inspection.id,
        "child",
        str(audit.child_id or ""),
        f"audit {audit.id}",
    )
    if request.query_params.get("submitted") == "yes" and audit.status == AuditStatus.SUBMITTED:
        return await _submitted_page(request, inspection, role, audit)
    ctx = await _audit_context(request, audit, role)
    return render(request, "audit.html", {"inspection": inspection, "role": role, **ctx})


async def _submitted_page(
    request: Request, inspection: Inspection, role: Role, audit: Audit
) -> Response:
    """The confirmation that an audit is submitted, and the next child in the user's list."""
    rows = await audit_board(inspection.id, current_user(request), role)
    upcoming = next_in_list(rows, audit.member_id)
    if upcoming is not None:
        await log_children_shown(
            request,
            "view-audits-board",
            inspection.id,
            [upcoming.child.id if upcoming.child else None],
        )
    return render(
        request,
        "audit_submitted.html",
        {"inspection": inspection, "role": role, "audit": audit, "upcoming": upcoming},
    )


async def save(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    audit_id = request.path_params["audit_id"]
    user = current_user(request)
    try:
        # An autosave needs the audit and its rubric only; the page's other parts are read
        # again only to show a conflict.
        audit = await open_audit(inspection.id, audit_id, user, role, ("rubric",))
    except AuditNotFound:
        raise not_found() from None
    form = await request.form()
    base = form_number(
        form, "overwrite_version" if form.get("overwrite_version") else "version", OUT_OF_DATE
    )
    raw = _form_values(definition_of(audit.rubric), form)
    try:
        result = await save_opened(audit, user, role, base, raw)
    except AuditConflict as conflict:
        try:
            audit = await open_audit(inspection.id, audit.id, user, role)
        except AuditNotFound:
            raise not_found() from None
        ctx = await _audit_context(request, audit, role, conflict.yours)
        ctx["conflict"] = conflict
        return render(
            request,
            "audit.html",
            {"inspection": inspection, "role": role, **ctx},
            fragment="_audit_status.html",
            status_code=409,
        )
    except AuditError as exc:
        if is_htmx(request):
            return render(
                request,
                "_audit_status.html",
                {"inspection": inspection, "audit": audit, "error": str(exc)},
                status_code=400,
            )
        raise HTTPException(400, str(exc)) from exc
    if not is_htmx(request):
        return RedirectResponse(f"/inspections/{inspection.id}/audits/{audit.id}", status_code=303)
    return render(
        request,
        "_audit_status.html",
        {
            "inspection": inspection,
            "audit": audit,
            "result": result,
            "labels": definition_of(audit.rubric).grade_labels,
        },
    )


async def submit(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    audit_id = request.path_params["audit_id"]
    user = current_user(request)
    try:
        audit = await open_audit(inspection.id, audit_id, user, role)
    except AuditNotFound:
        raise not_found() from None
    form = await request.form()
    raw = _form_values(definition_of(audit.rubric), form)
    try:
        audit, missing = await submit_audit(
            inspection.id, audit.id, user, role, form_number(form, "version", OUT_OF_DATE), raw
        )
    except AuditConflict as conflict:
        ctx = await _audit_context(request, audit, role, conflict.yours)
        ctx["conflict"] = conflict
        return render(
            request, "audit.html", {"inspection": inspection, "role": role, **ctx}, status_code=409
        )
    except AuditError as exc:
        raise HTTPException(400, str(exc)) from exc
    if missing:
        audit = await open_audit(inspection.id, audit.id, user, role)
        ctx = await _audit_context(request, audit, role)
        ctx["missing"] = missing
        return render(
            request, "audit.html", {"inspection": inspection, "role": role, **ctx}, status_code=400
        )
    return RedirectResponse(
        f"/inspections/{inspection.id}/audits/{audit.id}?submitted=yes", status_code=303
    )


async def feedback_csv(request: Request) -> Response:
    """The feedback to practitioners and teams (strengths, what would make it better), from
    the audits the user may see."""
    inspection, role = await require(request, EDITORS)
    ctx = await load_context(inspection.id, Viewer(current_user(request), role), children=False)
    text = table_csv(await feedback_table(ctx))
    await log_access(
        request, "export-audit-feedback", inspection.id, "inspection", str(inspection.id)
    )
    return Response(
        text.encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="audit-feedback-{inspection.id}.csv"'
        },
    )


async def raise_concern(request: Request) -> Response:
    inspection, role = await require(request, EDITORS)
    audit_id = request.path_params["audit_id"]
    user = current_user(request)
    try:
        audit = await open_audit(inspection.id, audit_id, user, role)
    except AuditNotFound:
        raise not_found() from None
    form = await request.form()
    try:
        concern = await concern_rules.raise_concern(
            inspection.id, audit.id, user, role, form_text(form, "text")
        )
    except concern_rules.ConcernError as exc:
        raise HTTPException(400, str(exc)) from exc
    await log_access(request, "raise-concern", inspection.id, "concern", str(concern.id))
    return RedirectResponse(f"/inspections/{inspection.id}/concerns/{concern.id}", status_code=303)


async def _moderation(
    request: Request,
    inspection: Inspection,
    role: Role,
    sample_id: int | None = None,
    refused: dict[str, Any] | None = None,
) -> Response:
    """The moderation page; ``refused``: an agreed grade not recorded, with what was typed."""
    viewer = Viewer(current_user(request), role)
    seen = await visible_audits(inspection.id, viewer)
    pairs = await submitted_pairs(inspection.id, sample_id, seen)
    # second marking is planned for the random samples (a plan's share is drawn by their seed)
    samples = await samples_of(inspection.id, random_only=True)
    plans = {p.sample_id: p for p in await ModerationPlan.filter(inspection_id=inspection.id)}
    chosen = {s.id: len(await selected_member_ids(s.id)) for s in samples}
    await log_children_shown(
        request, "view-moderation", inspection.id, (p.first.child_id for p in pairs)
    )
    return render(
        request,
        "moderation.html",
        {
            "inspection": inspection,
            "role": role,
            "samples": samples,
            "plans": plans,
            "chosen": chosen,
            "report": await agreement_report(inspection.id, sample_id, seen),
            "few_pairs": FEW_PAIRS,
            "pairs": [
                {
                    "pair": p,
                    "rows": disagreements(p),
                    "labels": definition_of(p.first.rubric).grade_labels,
                    "scale": definition_of(p.first.rubric).scale,
                }
                for p in pairs
            ],
            "refused": refused,
        },
        status_code=400 if refused else 200,
    )


async def moderation_page(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    return await _moderation(request, inspection, role, query_id(request, "sample"))


async def moderation_plan(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    form = await request.form()
    try:
        share = float(form_text(form, "share_percent")) / 100
        await set_plan(
            inspection.id,
            form_id(form, "sample", "Choose the sample."),
            share,
            form.get("include_inadequate") == "yes",
            current_user(request),
        )
    except ValueError as exc:
        raise HTTPException(
            400,
            str(exc) if isinstance(exc, ModerationError) else "Enter the share as a percentage.",
        ) from exc
    return RedirectResponse(f"/inspections/{inspection.id}/moderation", status_code=303)


async def moderation_agree(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    form = await request.form()
    first, domain = form_id(form, "first", PAIR_MISSING), form_text(form, "domain")
    grade, reason = form_text(form, "grade"), form_text(form, "reason")
    try:
        await record_agreed_grade(
            inspection.id,
            first,
            form_id(form, "second", PAIR_MISSING),
            domain,
            grade,
            reason,
            current_user(request),
        )
    except ModerationError as exc:
        errors = exc.errors if isinstance(exc, AgreedGradeRefused) else {"": str(exc)}
        refused = {
            "first": first,
            "domain": domain,
            "grade": grade,
            "reason": reason,
            "errors": errors,
        }
        return await _moderation(request, inspection, role, refused=refused)
    return RedirectResponse(
        f"/inspections/{inspection.id}/moderation#pair-{first}", status_code=303
    )


async def concerns_page(request: Request) -> Response:
    inspection, role = await require(request, READERS)
    viewer = Viewer(current_user(request), role)
    rows = await concern_rules.visible_concerns(inspection.id, viewer)
    await log_children_shown(request, "view-concerns", inspection.id, (c.child_id for c in rows))
    openable = await visible_audits(inspection.id, viewer) if role in EDITORS else frozenset()
    return render(
        request,
        "concerns.html",
        {
            "inspection": inspection,
            "role": role,
            "concerns": rows,
            "openable_audits": openable,
            "contacts": await concern_rules.named_contacts(inspection.id),
            "is_lead": role in LEADS,
        },
    )


async def concern_page(request: Request) -> Response:
    inspection, role = await require(request, READERS)
    user = current_user(request)
    try:
        concern = await concern_rules.get_concern(
            inspection.id, request.path_params["concern_id"], user, role
        )
    except concern_rules.ConcernError:
        raise not_found() from None
    await log_access(
        request,
        "view-concern",
        inspection.id,
        "child",
        str(concern.child_id or ""),
        f"concern {concern.id}",
    )
    return render(
        request,
        "concern.html",
        {
            "inspection": inspection,
            "role": role,
            "concern": concern,
            "may_respond": await concern_rules.may_respond(user, role, inspection.id),
            "may_close": role in LEADS,
            "error": None,
        },
    )


async def concern_action(request: Request) -> Response:
    inspection, role = await require(request, READERS)
    user = current_user(request)
    concern_id = request.path_params["concern_id"]
    action = request.path_params["action"]
    if action not in ("respond", "close"):
        raise not_found()
    form = await request.form()
    try:
        if action == "respond":
            await concern_rules.respond(
                inspection.id, concern_id, user, role, form_text(form, "text")
            )
        else:
            await concern_rules.close(
                inspection.id, concern_id, user, role, form_text(form, "text")
            )
    except concern_rules.ConcernError as exc:
        try:
            concern = await concern_rules.get_concern(inspection.id, concern_id, user, role)
        except concern_rules.ConcernError:
            raise not_found() from None
        return render(
            request,
            "concern.html",
            {
                "inspection": inspection,
                "role": role,
                "concern": concern,
                "may_respond": await concern_rules.may_respond(user, role, inspection.id),
                "may_close": role in LEADS,
                "error": str(exc),
            },
            status_code=400,
        )
    await log_access(request, f"concern-{action}", inspection.id, "concern", str(concern_id))
    return RedirectResponse(f"/inspections/{inspection.id}/concerns/{concern_id}", status_code=303)


_P = "/inspections/{inspection_id:id}"
routes = [
    Route(f"{_P}/audits", audits_page, methods=["GET"]),
    Route(f"{_P}/audits", start_audit, methods=["POST"]),
    Route(f"{_P}/audits/feedback.csv", feedback_csv, methods=["GET"]),
    Route(f"{_P}/audits/{{audit_id:id}}", audit_page, methods=["GET"]),
    Route(f"{_P}/audits/{{audit_id:id}}/save", save, methods=["POST"]),
    Route(f"{_P}/audits/{{audit_id:id}}/submit", submit, methods=["POST"]),
    Route(f"{_P}/audits/{{audit_id:id}}/concerns", raise_concern, methods=["POST"]),
    Route(f"{_P}/moderation", moderation_page, methods=["GET"]),
    Route(f"{_P}/moderation/plan", moderation_plan, methods=["POST"]),
    Route(f"{_P}/moderation/agree", moderation_agree, methods=["POST"]),
    Route(f"{_P}/concerns", concerns_page, methods=["GET"]),
    Route(f"{_P}/concerns/{{concern_id:id}}", concern_page, methods=["GET"]),
    Route(f"{_P}/concerns/{{concern_id:id}}/{{action:str}}", concern_action, methods=["POST"]),
]
