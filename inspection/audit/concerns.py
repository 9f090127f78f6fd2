"""Concerns about a child at immediate risk, raised from the audit page.

A concern is recorded at once. Who sees it is decided in ``inspection.audit.visibility``
(the inspection's leads, its authority's named contacts and whoever raised it), for the pages
and the exports alike. It cannot be closed until a response is recorded. Every action is
appended to ``Concern.actions``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from inspection.audit.status import ConcernStatus
from inspection.audit.visibility import LEAD_ROLES, Viewer, concerns_seen, sees_every_concern
from inspection.models import Audit, Concern, Membership, User
from inspection.models.core import Role

RAISERS = frozenset({Role.ADMIN, Role.LEAD_INSPECTOR, Role.INSPECTOR, Role.LA_AUDITOR})


class ConcernError(ValueError):
    pass


def _action(user: User, action: str, text: str = "") -> dict[str, Any]:
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "by": user.name,
        "by_id": user.id,
        "action": action,
        "text": text,
    }


async def may_respond(user: User, role: Role, inspection_id: int) -> bool:
    """Those who see every concern answer them: leads and the authority's named contacts."""
    return await sees_every_concern(inspection_id, Viewer(user, role))


async def named_contacts(inspection_id: int) -> list[str]:
    """The names of the authority's named contacts in this inspection: those told of every
    concern (none: nobody at the authority is told)."""
    rows = (
        await Membership.filter(inspection_id=inspection_id, is_la_contact=True)
        .order_by("user__name", "id")
        .values_list("user__name", flat=True)
    )
    return [str(name) for name in rows]


async def raise_concern(
    inspection_id: int, audit_id: int, user: User, role: Role, text: str
) -> Concern:
    if role not in RAISERS:
        raise ConcernError("Only auditors can raise a concern.")
    if not text.strip():
        raise ConcernError("Describe why the child is at immediate risk.")
    audit = await Audit.get_or_none(id=audit_id, inspection_id=inspection_id)
    if audit is None:
        raise ConcernError("There is no such audit.")
    return await Concern.create(
        inspection_id=inspection_id,
        child_id=audit.child_id,
        audit=audit,
        raised_by=user,
        text=text.strip(),
        status=ConcernStatus.OPEN,
        actions=[_action(user, "raised", text.strip())],
    )


async def visible_concerns(inspection_id: int, viewer: Viewer) -> list[Concern]:
    """The concerns ``viewer`` may open, open ones first, newest first."""
    query = await concerns_seen(inspection_id, viewer)
    return list(
        await query.prefetch_related("raised_by", "responded_by", "child", "audit").order_by(
            "status", "-raised_at", "-id"
        )
    )


async def get_concern(inspection_id: int, concern_id: int, user: User, role: Role) -> Concern:
    for concern in await visible_concerns(inspection_id, Viewer(user, role)):
        if concern.id == concern_id:
            return concern
    raise ConcernError("There is no such concern.")


async def respond(
    inspection_id: int, concern_id: int, user: User, role: Role, text: str
) -> Concern:
    concern = await get_concern(inspection_id, concern_id, user, role)
    if not await may_respond(user, role, inspection_id):
        raise ConcernError("Only the lead inspector or the authority's named contact responds.")
    if concern.status == ConcernStatus.CLOSED:
        raise ConcernError("This concern is closed.")
    if not text.strip():
        raise ConcernError("Write the response: what has been done to keep the child safe.")
    concern.response = (concern.response + "\n\n" if concern.response else "") + text.strip()
    concern.status = ConcernStatus.RESPONDED
    concern.responded_by = user
    concern.responded_at = datetime.now(UTC)
    concern.actions = [*concern.actions, _action(user, "responded", text.strip())]
    await concern.save()
    return concern


async def close(
    inspection_id: int, concern_id: int, user: User, role: Role, note: str = ""
) -> Concern:
    concern = await get_concern(inspection_id, concern_id, user, role)
    if role not in LEAD_ROLES:
        raise ConcernError("Only a lead inspector can close a concern.")
    if not concern.response.strip():
        raise ConcernError("A concern cannot be closed until a response has been recorded.")
    if concern.status == ConcernStatus.CLOSED:
        raise ConcernError("This concern is already closed.")
    concern.status = ConcernStatus.CLOSED
    concern.actions = [*concern.actions, _action(user, "closed", note.strip())]
    await concern.save()
    return concern
