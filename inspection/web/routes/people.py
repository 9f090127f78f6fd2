"""Administration in the browser: local authorities, users (invited with a set-password link),
their memberships of inspections, deactivation; and the page where an invited person sets their
password. Every change is written to the access log."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.accounts import AccountError, new_account_problems
from inspection.inspections import (
    MEMBER_ROLES,
    InspectionError,
    NotAMember,
    add_local_authority,
    add_member,
    remove_member,
)
from inspection.invitations import (
    INVITATION_PATH,
    INVITATION_VALID,
    Link,
    accept,
    deactivate,
    has_password,
    invitation_for,
    invite_user,
    new_link,
    password_errors,
    reactivate,
)
from inspection.models import Inspection, LocalAuthority, Membership, User
from inspection.models.core import Role
from inspection.models.ids import ROW_ID
from inspection.web.access import current_user, log_access, not_found
from inspection.web.params import form_id_or_none, form_text, query_text
from inspection.web.templating import render


def _require_admin(request: Request) -> User:
    user = current_user(request)
    if user.role != Role.ADMIN:
        raise not_found()
    return user


# --- local authorities ---------------------------------------------------------------------


async def _authorities_page(
    request: Request,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    added: str = "",
    status_code: int = 200,
) -> Response:
    authorities = await LocalAuthority.all().order_by("name")
    counts: dict[int, int] = {}
    for la_id in await Inspection.all().values_list("la_id", flat=True):
        counts[int(str(la_id))] = counts.get(int(str(la_id)), 0) + 1
    return render(
        request,
        "admin_authorities.html",
        {
            "admin_section": "authorities",
            "authorities": [(la, counts.get(la.id, 0)) for la in authorities],
            "errors": errors or {},
            "values": values or {"name": "", "code": ""},
            "added": added,
        },
        status_code=status_code,
    )


async def authorities(request: Request) -> Response:
    _require_admin(request)
    added = await LocalAuthority.get_or_none(code=query_text(request, "added")[:16])
    return await _authorities_page(request, added=added.name if added else "")


async def add_authority(request: Request) -> Response:
    _require_admin(request)
    form = await request.form()
    values = {"name": form_text(form, "name").strip(), "code": form_text(form, "code").strip()}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = "Enter the local authority's name"
    if not values["code"]:
        errors["code"] = "Enter the local authority's code"
    if not errors:
        try:
            la = await add_local_authority(values["code"], values["name"])
        except InspectionError as exc:
            errors["code"] = str(exc).rstrip(".")
    if errors:
        return await _authorities_page(request, errors, values, status_code=400)
    await log_access(request, "add-authority", detail=f"{la.name} ({la.code})")
    return RedirectResponse(f"/admin/authorities?added={la.code}", status_code=303)


# --- users ----------------------------------------------------------------------------------


def status_of(user: User) -> str:
    """A person's standing in words: what the users table and the user's page say."""
    if not user.active:
        return "Deactivated"
    return "Active" if has_password(user) else "Invited"


async def users(request: Request) -> Response:
    _require_admin(request)
    people = await User.all().order_by("name", "email")
    return render(
        request,
        "admin_users.html",
        {"admin_section": "users", "people": [(p, status_of(p)) for p in people]},
    )


def _invite_form(
    request: Request, errors: dict[str, str], values: dict[str, str], status_code: int = 200
) -> Response:
    return render(
        request,
        "admin_user_new.html",
        {"admin_section": "users", "errors": errors, "values": values, "roles": list(Role)},
        status_code=status_code,
    )


async def new_user(request: Request) -> Response:
    _require_admin(request)
    return _invite_form(request, {}, {"name": "", "email": "", "role": ""})


def _link_page(request: Request, link: Link, new_account: bool) -> Response:
    return render(
        request,
        "admin_user_link.html",
        {
            "admin_section": "users",
            "person": link.user,
            "link": str(request.base_url).rstrip("/") + link.path,
            "expires_at": link.expires_at,
            "new_account": new_account,
        },
    )


async def invite(request: Request) -> Response:
    admin = _require_admin(request)
    form = await request.form()
    values = {k: form_text(form, k).strip() for k in ("name", "email", "role")}
    problems = await new_account_problems(values["email"], values["name"], values["role"])
    if "role" in problems:
        problems["role"] = "Choose the person's role"
    errors = {k: problems[k] for k in ("name", "email", "role") if k in problems}
    if errors:
        anchors = {"name": "name", "email": "email", "role": "role"}
        return _invite_form(
            request, {anchors[k]: v for k, v in errors.items()}, values, status_code=400
        )
    try:
        link = await invite_user(values["email"], values["name"], values["role"], admin)
    except AccountError as exc:  # another admin took the address a moment ago
        return _invite_form(request, {"email": str(exc).rstrip(".")}, values, status_code=400)
    await log_access(
        request, "invite-user", None, "user", str(link.user.id), detail=link.user.role.label
    )
    return _link_page(request, link, new_account=True)


async def _person(request: Request) -> User:
    person = await User.get_or_none(id=int(request.path_params["user_id"]))
    if person is None:
        raise not_found()
    return person


async def _user_page(
    request: Request,
    person: User,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    banner: str = "",
    status_code: int = 200,
) -> Response:
    memberships = (
        await Membership.filter(user_id=person.id)
        .select_related("inspection__la")
        .order_by("inspection__title", "id")
    )
    joined = {m.inspection.id for m in memberships}
    others = [
        i
        for i in await Inspection.all().select_related("la").order_by("title", "id")
        if i.id not in joined
    ]
    return render(
        request,
        "admin_user.html",
        {
            "admin_section": "users",
            "person": person,
            "status": status_of(person),
            "memberships": memberships,
            "others": others,
            "member_roles": MEMBER_ROLES,
            "errors": errors or {},
            "values": values or {"inspection": "", "role": Role.INSPECTOR.value},
            "banner": banner,
            "is_self": person.id == current_user(request).id,
        },
        status_code=status_code,
    )


BANNERS = {
    "added": "{name} was added to {inspection}.",
    "removed": "{name} was taken off {inspection}.",
    "deactivated": "{name} is deactivated: they cannot sign in, and their sessions have ended.",
    "reactivated": "{name} may sign in again.",
}


async def user_page(request: Request) -> Response:
    _require_admin(request)
    person = await _person(request)
    done = request.query_params.get("done", "")
    banner = ""
    if done in BANNERS:
        inspection_id = ROW_ID.parse(query_text(request, "inspection"))
        inspection = await Inspection.get_or_none(id=inspection_id) if inspection_id else None
        title = inspection.title if inspection else "the inspection"
        banner = BANNERS[done].format(name=person.name, inspection=title)
    return await _user_page(request, person, banner=banner)


async def password_link(request: Request) -> Response:
    admin = _require_admin(request)
    person = await _person(request)
    try:
        link = await new_link(person, admin)
    except AccountError as exc:
        return await _user_page(request, person, {"link": str(exc).rstrip(".")}, status_code=409)
    await log_access(request, "new-password-link", None, "user", str(person.id))
    return _link_page(request, link, new_account=False)


async def deactivate_confirmation(request: Request) -> Response:
    _require_admin(request)
    person = await _person(request)
    if person.id == current_user(request).id or not person.active:
        raise not_found()
    return render(
        request, "admin_user_deactivate.html", {"admin_section": "users", "person": person}
    )


async def deactivate_user(request: Request) -> Response:
    admin = _require_admin(request)
    person = await _person(request)
    try:
        await deactivate(person, admin)
    except AccountError as exc:
        return await _user_page(
            request, person, {"deactivate": str(exc).rstrip(".")}, status_code=409
        )
    await log_access(request, "deactivate-user", None, "user", str(person.id))
    return RedirectResponse(f"/admin/users/{person.id}?done=deactivated", status_code=303)


async def reactivate_user(request: Request) -> Response:
    _require_admin(request)
    person = await _person(request)
    await reactivate(person)
    await log_access(request, "reactivate-user", None, "user", str(person.id))
    return RedirectResponse(f"/admin/users/{person.id}?done=reactivated", status_code=303)


async def add_membership(request: Request) -> Response:
    _require_admin(request)
    person = await _person(request)
    form = await request.form()
    values = {"inspection": form_text(form, "inspection"), "role": form_text(form, "role")}
    errors: dict[str, str] = {}
    inspection_id = form_id_or_none(form, "inspection")
    inspection = await Inspection.get_or_none(id=inspection_id) if inspection_id else None
    if inspection is None:
        errors["inspection"] = "Choose the inspection"
    if values["role"] not in {r.value for r in MEMBER_ROLES}:
        errors["member-role"] = "Choose the role this person has in the inspection"
    if not person.active:
        errors["inspection"] = f"{person.name} is deactivated: reactivate them first"
    if errors or inspection is None:
        return await _user_page(request, person, errors, values, status_code=400)
    role = Role(values["role"])
    await add_member(inspection, person, role)
    await log_access(
        request, "add-member", inspection.id, "user", str(person.id), detail=role.label
    )
    return RedirectResponse(
        f"/admin/users/{person.id}?done=added&inspection={inspection.id}", status_code=303
    )


async def remove_membership(request: Request) -> Response:
    _require_admin(request)
    person = await _person(request)
    inspection = await Inspection.get_or_none(id=int(request.path_params["inspection_id"]))
    if inspection is None:
        raise not_found()
    try:
        await remove_member(inspection, person.id)
    except NotAMember:
        raise not_found() from None
    except InspectionError as exc:
        return await _user_page(request, person, {"inspections": str(exc)}, status_code=400)
    await log_access(request, "remove-member", inspection.id, "user", str(person.id))
    return RedirectResponse(
        f"/admin/users/{person.id}?done=removed&inspection={inspection.id}", status_code=303
    )


# --- setting a password from a link (no session needed) -----------------------------------


def _set_password_page(
    request: Request, person: User | None, errors: dict[str, str], status_code: int = 200
) -> Response:
    context: dict[str, Any] = {
        "person": person,
        "errors": errors,
        "valid_days": INVITATION_VALID.days,
        "action": f"{INVITATION_PATH}{request.path_params['token']}",
    }
    if person is None:
        return render(request, "invitation_expired.html", context, status_code=404)
    return render(request, "invitation.html", context, status_code=status_code)


async def invitation_page(request: Request) -> Response:
    invitation = await invitation_for(request.path_params["token"])
    return _set_password_page(request, invitation.user if invitation else None, {})


async def set_password(request: Request) -> Response:
    token = request.path_params["token"]
    invitation = await invitation_for(token)
    if invitation is None:
        return _set_password_page(request, None, {})
    form = await request.form()
    password, confirmation = form_text(form, "password"), form_text(form, "confirmation")
    errors = password_errors(password, confirmation)
    if errors:
        return _set_password_page(request, invitation.user, errors, status_code=400)
    person = await accept(token, password)
    if person is None:  # used a moment ago in another tab
        return _set_password_page(request, None, {})
    await log_access(request, "set-password", None, "user", str(person.id), actor=person)
    return RedirectResponse("/login?password=set", status_code=303)


routes = [
    Route("/admin/authorities", authorities, methods=["GET"]),
    Route("/admin/authorities", add_authority, methods=["POST"]),
    Route("/admin/users", users, methods=["GET"]),
    Route("/admin/users/new", new_user, methods=["GET"]),
    Route("/admin/users", invite, methods=["POST"]),
    Route("/admin/users/{user_id:id}", user_page, methods=["GET"]),
    Route("/admin/users/{user_id:id}/password-link", password_link, methods=["POST"]),
    Route("/admin/users/{user_id:id}/deactivate", deactivate_confirmation, methods=["GET"]),
    Route("/admin/users/{user_id:id}/deactivate", deactivate_user, methods=["POST"]),
    Route("/admin/users/{user_id:id}/reactivate", reactivate_user, methods=["POST"]),
    Route("/admin/users/{user_id:id}/memberships", add_membership, methods=["POST"]),
    Route(
        "/admin/users/{user_id:id}/memberships/{inspection_id:id}/remove",
        remove_membership,
        methods=["POST"],
    ),
    Route("/invitations/{token}", invitation_page, methods=["GET"]),
    Route("/invitations/{token}", set_password, methods=["POST"]),
]
