"""Who may do what: roles and membership of an inspection.

Anything a user may not see answers exactly as if it did not exist (404), so the response
never tells whether an inspection or a child is there.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.exceptions import HTTPException
from starlette.requests import Request

from inspection.inspections import inspection_for
from inspection.models import AccessLog, Inspection, User
from inspection.models.core import EDITORS as EDITORS  # the role sets, defined with Role
from inspection.models.core import LEADS as LEADS
from inspection.models.core import READERS as READERS
from inspection.models.core import Role
from inspection.web.sessions import client_ip


def current_user(request: Request) -> User:
    user = request.state.user
    if user is None:
        raise HTTPException(status_code=401)
    return user


def not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="Not found")


async def require_inspection(
    request: Request, roles: frozenset[Role] = READERS
) -> tuple[Inspection, Role]:
    """The inspection named in the path, if the user's role in it is one of ``roles``."""
    user = current_user(request)
    try:
        inspection_id = int(request.path_params["inspection_id"])
    except (KeyError, ValueError):
        raise not_found() from None
    found = await inspection_for(user, inspection_id)
    if found is None or found[1] not in roles:
        raise not_found()
    inspection, role = found
    request.state.role = role
    return inspection, role


async def log_access(
    request: Request,
    action: str,
    inspection_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    detail: str = "",
    actor: User | None = None,
) -> None:
    """One entry by the signed-in user (or ``actor``, who is not signed in yet)."""
    user = actor or request.state.user
    await AccessLog.create(
        user=user,
        user_email=user.email if user else "",
        inspection_id=inspection_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail[:500],
        ip=client_ip(request.scope),
    )


async def log_children_shown(
    request: Request,
    action: str,
    inspection_id: int,
    child_ids: Iterable[int | None],
    detail: str = "",
) -> None:
    """One entry per child a page showed (a list of names and grades is a view of each child's
    record), in one insert."""
    user = request.state.user
    ip = client_ip(request.scope)
    shown = sorted({int(c) for c in child_ids if c is not None})
    await AccessLog.bulk_create(
        [
            AccessLog(
                user=user,
                user_email=user.email if user else "",
                inspection_id=inspection_id,
                action=action,
                object_type="child",
                object_id=str(child_id),
                detail=detail[:500],
                ip=ip,
            )
            for child_id in shown
        ]
    )
