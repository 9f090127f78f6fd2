"""The inspections list, creating an inspection, and an inspection's overview."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.accounts import email_fits, email_too_long, normalise_email
from inspection.audit.rubric import default_definition
from inspection.audit.visibility import Viewer
from inspection.inspections import (
    MEMBER_ROLES,
    InspectionError,
    add_member,
    create_inspection,
    remove_member,
    removed_member_name,
    visible_inspections,
)
from inspection.models import LocalAuthority, Membership, User
from inspection.models.core import InspectionKind, Role
from inspection.models.ids import ROW_ID
from inspection.overview import Overview, TaskStatus, inspection_overview, may_open
from inspection.retention import PurgeReport, purge_allowed, purge_due
from inspection.web.access import (
    LEADS,
    READERS,
    current_user,
    log_access,
    not_found,
    require_inspection,
)
from inspection.web.date_input import DateField, date_field, read_date
from inspection.web.params import form_text, query_text
from inspection.web.routes.instruments import instrument_options
from inspection.web.templating import render

CREATORS = {Role.ADMIN, Role.LEAD_INSPECTOR}


def task_rows(inspection_id: int, overview: Overview, role: Role) -> list[dict[str, str]]:
    """The task list as the page shows it: a task links to its page when it can be started and
    ``role`` may open it (the team is on the overview itself)."""
    base = f"/inspections/{inspection_id}"
    rows = []
    for task in overview.tasks:
        href = ""
        if task.status is not TaskStatus.CANNOT_START and may_open(task.section, role):
            href = f"{base}/{task.section.value}" if task.section.value else f"{base}#team"
        rows.append({**task.as_dict(), "href": href})
    return rows


async def home(request: Request) -> Response:
    return RedirectResponse("/inspections", status_code=303)


async def inspections_list(request: Request) -> Response:
    user = current_user(request)
    rows = await visible_inspections(user)
    return render(
        request, "inspections.html", {"inspections": rows, "can_create": user.role in CREATORS}
    )


async def _form_context(
    errors: dict[str, str], values: dict[str, str], reference: DateField
) -> dict[str, object]:
    return {
        "errors": errors,
        "values": values,
        "reference": reference,
        "authorities": await LocalAuthority.all().order_by("name"),
        "kinds": list(InspectionKind),
        "instruments": await instrument_options(),
    }


async def new_inspection(request: Request) -> Response:
    if current_user(request).role not in CREATORS:
        raise not_found()
    chosen = {"la": query_text(request, "la")}
    return render(
        request,
        "inspection_new.html",
        await _form_context({}, chosen, date_field("reference", None)),
    )


async def create(request: Request) -> Response:
    user = current_user(request)
    if user.role not in CREATORS:
        raise not_found()
    form = await request.form()
    values = {k: form_text(form, k) for k in ("la", "kind", "title", "instrument", "theme")}
    reference = read_date(form, "reference", "the reference date")
    errors: dict[str, str] = {}
    if not values["la"]:
        errors["la"] = "Choose the local authority"
    if not values["title"].strip():
        errors["title"] = "Enter the inspection's title"
    if reference.error:
        errors[reference.anchor] = reference.error
    if not errors and reference.value is not None:
        try:
            inspection = await create_inspection(
                values["la"],
                values["kind"],
                values["title"],
                reference.value,
                user,
                instrument=values["instrument"],
                theme=values["theme"],
            )
        except InspectionError as exc:
            errors[exc.field or "la"] = str(exc)
    if errors:
        context = await _form_context(errors, values, reference)
        return render(request, "inspection_new.html", context, status_code=400)
    await log_access(request, "create-inspection", inspection.id, "inspection", str(inspection.id))
    return RedirectResponse(f"/inspections/{inspection.id}", status_code=303)


async def _team(inspection_id: int) -> list[dict[str, str]]:
    rows = (
        await Membership.filter(inspection_id=inspection_id)
        .order_by("user__name", "id")
        .values("user_id", "user__name", "user__email", "role", "is_la_contact")
    )
    leads = [r["user_id"] for r in rows if r["role"] == Role.LEAD_INSPECTOR]
    return [
        {
            "user_id": str(r["user_id"]),
            "name": r["user__name"],
            "email": r["user__email"],
            "role": Role(r["role"]).label,
            "la_contact": "Yes" if r["is_la_contact"] else "",
            "removable": "yes" if leads != [r["user_id"]] else "",
        }
        for r in rows
    ]


async def overview_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    added: str = "",
    status_code: int = 200,
    purged: PurgeReport | None = None,
    removed: int | None = None,
) -> Response:
    """The overview; ``purged``: what a purge just removed, said in a banner."""
    inspection, role = await require_inspection(request, READERS)
    await inspection.fetch_related("la", "rubric", "programme")  # the page names them
    data = await inspection_overview(inspection.id, Viewer(current_user(request), role))
    retention_days = request.app.state.settings.retention_days
    return render(
        request,
        "inspection.html",
        {
            "inspection": inspection,
            "role": role,
            "overview": data,
            "tasks": task_rows(inspection.id, data, role),
            "purge_from": purge_due(inspection, retention_days),
            "purge_allowed": purge_allowed(inspection, retention_days),
            "purged": purged.removed() if purged else None,
            "team": await _team(inspection.id),
            "instrument": inspection.rubric.title
            if inspection.rubric
            else default_definition().title,
            "can_manage_team": role in LEADS,
            "member_roles": [r.value for r in MEMBER_ROLES],
            "team_errors": errors or {},
            "team_values": values or {"role": Role.INSPECTOR.value},
            "added": added,
            "removed": await removed_member_name(inspection.id, removed) if removed else "",
        },
        status_code=status_code,
    )


async def overview(request: Request) -> Response:
    added = request.query_params.get("added", "")
    removed = ROW_ID.parse(request.query_params.get("removed", ""))
    return await overview_page(request, added=added if added.isdigit() else "", removed=removed)


async def remove_team_member_page(request: Request) -> Response:
    """Remove a member of the team: what it does, Confirm or Cancel (GET); the member leaves
    the team only when confirmed (POST), and the removal is logged."""
    inspection, role = await require_inspection(request, LEADS)
    user_id = int(request.path_params["person_id"])
    member = next((m for m in await _team(inspection.id) if m["user_id"] == str(user_id)), None)
    if member is None:
        raise not_found()
    context = {"inspection": inspection, "role": role, "member": member, "error": ""}
    if request.method == "GET":
        return render(request, "inspection_member_remove.html", context)
    try:
        person = await remove_member(inspection, user_id)
    except InspectionError as exc:
        context["error"] = str(exc)
        return render(request, "inspection_member_remove.html", context, status_code=400)
    await log_access(
        request, "remove-member", inspection.id, "user", str(person.id), detail=member["role"]
    )
    if person.id == current_user(request).id:
        return RedirectResponse("/inspections", status_code=303)
    return RedirectResponse(
        f"/inspections/{inspection.id}?removed={person.id}#team", status_code=303
    )


async def add_team_member(request: Request) -> Response:
    """A lead inspector (or admin) adds an existing user to this inspection's team."""
    inspection, _role = await require_inspection(request, LEADS)
    form = await request.form()
    values = {
        "email": form_text(form, "email").strip(),
        "role": form_text(form, "role"),
        "la_contact": "yes" if form.get("la_contact") == "yes" else "",
    }
    errors: dict[str, str] = {}
    user = None
    if not values["email"]:
        errors["member-email"] = "Enter the e-mail address of the person to add."
    elif not email_fits(values["email"]):
        errors["member-email"] = email_too_long()
    else:
        user = await User.get_or_none(email=normalise_email(values["email"]), active=True)
        if user is None:
            errors["member-email"] = "There is no active user with that e-mail address."
    if values["role"] not in {r.value for r in MEMBER_ROLES}:
        errors["member-role"] = "Choose the role this person has in the inspection."
    if errors or user is None:
        return await overview_page(request, errors, values, status_code=400)
    # Ticked: the authority's named contact; not ticked: a named contact stays one.
    await add_member(inspection, user, values["role"], True if values["la_contact"] else None)
    await log_access(
        request,
        "add-member",
        inspection.id,
        "user",
        str(user.id),
        detail=Role(values["role"]).label
        + (", the authority's named contact" if values["la_contact"] else ""),
    )
    return RedirectResponse(f"/inspections/{inspection.id}?added={user.id}#team", status_code=303)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/inspections", inspections_list, methods=["GET"]),
    Route("/inspections/new", new_inspection, methods=["GET"]),
    Route("/inspections", create, methods=["POST"]),
    Route("/inspections/{inspection_id:id}", overview, methods=["GET"]),
    Route("/inspections/{inspection_id:id}/members", add_team_member, methods=["POST"]),
    Route(
        "/inspections/{inspection_id:id}/members/{person_id:id}/remove",
        remove_team_member_page,
        methods=["GET", "POST"],
    ),
]
