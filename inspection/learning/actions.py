"""Actions: what must be done after an audit or the findings, who owns it, by when, and the
evidence that it was done.

An action is owned by a member of the inspection or by a named person or role (the authority's
head of service, say) and is due by a date. It is open until it is closed one of two ways: done,
with the evidence that it was done, the date it was done and who confirmed it (its owner or a
lead); or dropped by a lead, with the reason. Overdue is not a status: an open action whose due
date has passed (in UK time) is overdue, and the lead sees it on the actions page and on the
audits board.

Who sees an action is the audit visibility rule (``inspection.audit.visibility``): an action
raised from an audit is seen by whoever may see that audit's content (so that a follow-up never
tells a blind second marker how the first marking was graded); an action from the findings is
seen by every member. The page, the command line and the exports all read ``actions_of``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from inspection.audit.definition import definition_of
from inspection.audit.visibility import Viewer, visible_audits
from inspection.journey import profile
from inspection.learning.status import ActionOrigin, ActionStatus
from inspection.models import Action, Audit, Child, Membership, Rubric, User
from inspection.models.columns import fits, max_length
from inspection.uk_time import in_uk

# The longest text kept for what must be done, the evidence or a reason.
MAX_TEXT = 4000


class ActionError(ValueError):
    """A request about an action that cannot be done; the message says why in plain English."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field  # the form field the message belongs beside


def uk_today(now: datetime | None = None) -> date:
    return in_uk(now or datetime.now(UTC)).date()


def _text(value: str, what: str, field: str, *, required: str = "") -> str:
    value = value.strip()
    if required and not value:
        raise ActionError(required, field)
    if len(value) > MAX_TEXT:
        raise ActionError(
            f"The {what} is {len(value)} characters long: keep it to {MAX_TEXT} or fewer.", field
        )
    return value


async def _owner(inspection_id: int, owner: User | None, owner_name: str) -> tuple[int | None, str]:
    owner_name = owner_name.strip()
    if owner is None and not owner_name:
        raise ActionError(
            "Enter who owns the action: a member of the team, or a named person or role.",
            "owner",
        )
    if owner is not None:
        if not await Membership.filter(user_id=owner.id, inspection_id=inspection_id).exists():
            raise ActionError(f"{owner.name} is not a member of this inspection's team.", "owner")
        return owner.id, ""
    if not fits(Action, "owner_name", owner_name):
        limit = max_length(Action, "owner_name")
        raise ActionError(f"The owner's name is {limit} characters at most.", "owner_name")
    return None, owner_name


async def add_action(
    inspection_id: int,
    viewer: Viewer,
    *,
    what: str,
    due: date | None,
    owner: User | None = None,
    owner_name: str = "",
    audit_id: int | None = None,
    domain: str = "",
    origin: ActionOrigin | None = None,
) -> Action:
    """Record an action of ``inspection_id``, raised by ``viewer`` from the audit ``audit_id``
    (one whose content they may see) or from the findings (about ``domain``, if given).
    Refused, with nothing written, when what must be done, the due date or the owner is
    missing, the owner is not in the team, or the audit or domain is not one of this
    inspection's."""
    what = _text(
        what, "description of what must be done", "what", required="Enter what must be done."
    )
    if due is None:
        raise ActionError("Enter the date the action is due by.", "due")
    owner_id, owner_name = await _owner(inspection_id, owner, owner_name)
    domain = domain.strip()
    rubric_id = None
    if audit_id is not None:
        found = await Audit.filter(id=audit_id, inspection_id=inspection_id).values("rubric_id")
        if not found or audit_id not in await visible_audits(inspection_id, viewer):
            raise ActionError(f"This inspection has no audit {audit_id} open to you.", "audit")
        rubric_id = int(found[0]["rubric_id"])
    if domain:
        rubrics = (
            Rubric.filter(id=rubric_id)
            if rubric_id
            else Rubric.filter(audits__inspection_id=inspection_id).distinct()
        )
        keys = {d.key for r in await rubrics for d in definition_of(r).domains}
        if domain not in keys:
            raise ActionError(
                f"'{domain[:60]}' is not a domain of this inspection's audits.", "domain"
            )
    return await Action.create(
        inspection_id=inspection_id,
        audit_id=audit_id,
        domain=domain,
        origin=origin or (ActionOrigin.AUDIT if audit_id is not None else ActionOrigin.FINDINGS),
        what=what,
        owner_id=owner_id,
        owner_name=owner_name,
        due=due,
        created_by=viewer.user,
    )


async def _open_action(inspection_id: int, action_id: int, viewer: Viewer) -> Action:
    action = await Action.get_or_none(id=action_id, inspection_id=inspection_id)
    if action is None or not await _visible(inspection_id, viewer, action.audit_id):
        raise ActionError(f"This inspection has no action {action_id} open to you.", "action")
    if action.status != ActionStatus.OPEN:
        raise ActionError(
            f"This action is already {ActionStatus(action.status).label.lower()}.", "action"
        )
    return action


async def _visible(inspection_id: int, viewer: Viewer, audit_id: int | None) -> bool:
    return audit_id is None or audit_id in await visible_audits(inspection_id, viewer)


def may_complete(action: Action | dict[str, Any], viewer: Viewer) -> bool:
    """Its owner or a lead records that an action was done."""
    owner_id = action["owner_id"] if isinstance(action, dict) else action.owner_id
    return viewer.user is not None and (viewer.leads or owner_id == viewer.user.id)


async def complete_action(
    inspection_id: int,
    action_id: int,
    viewer: Viewer,
    *,
    evidence: str,
    done_on: date | None,
    now: datetime | None = None,
) -> Action:
    """Record that an open action was done, with the evidence, the date it was done (not after
    today) and ``viewer`` as who confirmed it: its owner or a lead."""
    action = await _open_action(inspection_id, action_id, viewer)
    if not may_complete(action, viewer):
        raise ActionError("Only the action's owner or a lead inspector can record it as done.")
    evidence = _text(
        evidence, "evidence", "evidence", required="Enter the evidence that the action was done."
    )
    if done_on is None:
        raise ActionError("Enter the date the action was done.", "done_on")
    if done_on > uk_today(now):
        raise ActionError("The date the action was done must be today or in the past.", "done_on")
    action.status = ActionStatus.DONE
    action.evidence = evidence
    action.done_on = done_on
    action.closed_by = viewer.user
    action.closed_at = now or datetime.now(UTC)
    await action.save(update_fields=("status", "evidence", "done_on", "closed_by_id", "closed_at"))
    return action


async def drop_action(
    inspection_id: int, action_id: int, viewer: Viewer, *, reason: str, now: datetime | None = None
) -> Action:
    """A lead drops an open action, saying why (nothing is deleted)."""
    action = await _open_action(inspection_id, action_id, viewer)
    if not viewer.leads:
        raise ActionError("Only a lead inspector can drop an action.")
    reason = _text(reason, "reason", "reason", required="Enter why the action is dropped.")
    action.status = ActionStatus.DROPPED
    action.drop_reason = reason
    action.closed_by = viewer.user
    action.closed_at = now or datetime.now(UTC)
    await action.save(update_fields=("status", "drop_reason", "closed_by_id", "closed_at"))
    return action


@dataclass(frozen=True)
class ActionView:
    """One action as every page, export and the command line show it."""

    id: int
    origin: str
    origin_label: str
    what: str
    owner: str
    owner_id: int | None
    due: date
    status: str
    status_label: str
    overdue: bool
    audit_id: int | None
    child_id: int | None
    child: str
    domain: str
    domain_title: str
    evidence: str
    done_on: date | None
    closed_by: str
    closed_at: datetime | None
    drop_reason: str
    created_by: str
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for key in ("due", "done_on", "closed_at", "created_at"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


_FIELDS = (
    "id",
    "origin",
    "what",
    "owner_id",
    "owner_name",
    "owner__name",
    "due",
    "status",
    "audit_id",
    "audit__child_id",
    "domain",
    "evidence",
    "done_on",
    "closed_by__name",
    "closed_at",
    "drop_reason",
    "created_by__name",
    "created_at",
)


async def actions_of(
    inspection_id: int,
    viewer: Viewer,
    *,
    today: date | None = None,
    child_name: Callable[[int], str] | None = None,
) -> list[ActionView]:
    """Every action of the inspection ``viewer`` may see, overdue first, then open by due
    date, then closed. ``child_name`` names a child (an export's id or pseudonym); by
    default each child is named as the journey names them."""
    today = today or uk_today()
    seen = await visible_audits(inspection_id, viewer)
    rows = [
        r
        for r in await Action.filter(inspection_id=inspection_id).values(*_FIELDS)
        if r["audit_id"] is None or r["audit_id"] in seen
    ]
    titles: dict[str, str] = {}
    for rubric in await Rubric.filter(audits__inspection_id=inspection_id).distinct():
        for key, title in definition_of(rubric).titles.items():
            titles.setdefault(key, title)
    if child_name is None:
        names = await _child_names(
            inspection_id, {r["audit__child_id"] for r in rows if r["audit__child_id"]}
        )
        child_name = names.__getitem__
    views = []
    for r in rows:
        status = ActionStatus(r["status"])
        views.append(
            ActionView(
                id=r["id"],
                origin=r["origin"],
                origin_label=ActionOrigin(r["origin"]).label,
                what=r["what"],
                owner=r["owner__name"] or r["owner_name"] or "A former member of the team",
                owner_id=r["owner_id"],
                due=r["due"],
                status=status.value,
                status_label=status.label,
                overdue=status is ActionStatus.OPEN and r["due"] < today,
                audit_id=r["audit_id"],
                child_id=r["audit__child_id"],
                child=child_name(r["audit__child_id"]) if r["audit__child_id"] else "",
                domain=r["domain"],
                domain_title=titles.get(r["domain"], r["domain"]),
                evidence=r["evidence"],
                done_on=r["done_on"],
                closed_by=r["closed_by__name"] or "",
                closed_at=r["closed_at"],
                drop_reason=r["drop_reason"],
                created_by=r["created_by__name"] or "",
                created_at=r["created_at"],
            )
        )
    order = {ActionStatus.OPEN.value: 1, ActionStatus.DONE.value: 2, ActionStatus.DROPPED.value: 2}
    views.sort(key=lambda a: (0 if a.overdue else order[a.status], a.due, a.id))
    return views


async def _child_names(inspection_id: int, child_ids: set[int]) -> dict[int, str]:
    if not child_ids:
        return {}
    return {
        c["id"]: profile.display_name(c["given_name"], c["family_name"], c["la_child_id"], c["dob"])
        for c in await Child.filter(inspection_id=inspection_id, id__in=sorted(child_ids)).values(
            "id", "given_name", "family_name", "la_child_id", "dob"
        )
    }


def overdue(actions: list[ActionView]) -> list[ActionView]:
    return [a for a in actions if a.overdue]
