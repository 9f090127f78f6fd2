"""The defined follow-up of an audit graded Inadequate.

When a first marking or a re-audit is submitted with the overall grade Inadequate (the worst
grade of its rubric's scale), in the same transaction as the submission:

- what must happen, by when: a follow-up action (``FOLLOW_UP_WHAT``) is recorded against the
  audit, owned by the inspection's lead inspector (the first added to the team; with none, "The
  lead inspector"), due ``Inspection.follow_up_days`` days (28 unless a lead changes it) after
  the day of submission, in UK time;
- who is told: each lead inspector of the team and each of the authority's named contacts
  (``Membership.is_la_contact``), one notice each, recorded as a row. The service sends no
  e-mail: the notices are shown on the actions page, and the follow-up on the audit page.

A second marking starts no follow-up (its grade counts only towards agreement). Who sees a
follow-up is the audit visibility rule: a blind second marker is not told how the first marking
was graded before both are submitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from inspection.audit.definition import definition_of
from inspection.audit.status import Marking
from inspection.audit.visibility import Viewer, visible_audits
from inspection.learning.actions import ActionError, uk_today
from inspection.learning.status import ActionOrigin, ActionStatus
from inspection.models import Action, Audit, FollowUpNotice, Inspection, Membership
from inspection.models.core import Role
from inspection.uk_time import in_uk

FOLLOW_UP_WHAT = (
    "Review this child's help with their social worker and team manager: agree what must "
    "change for the child, record each change as an action with its owner and due date, and "
    "audit the child again once the actions are done."
)
LEAD = "Lead inspector"
CONTACT = "The authority's named contact"
NO_LEAD = "The lead inspector"
MAX_DAYS = 365


async def start_follow_up(audit: Audit, submitted_at: datetime) -> Action | None:
    """The follow-up of ``audit`` (its rubric loaded) if it was submitted Inadequate overall:
    the action and a notice for each person told. None for any other grade or a second
    marking, or when this audit's follow-up exists already."""
    if audit.marking == Marking.SECOND or not audit.overall:
        return None
    if audit.overall != definition_of(audit.rubric).worst_value:
        return None
    if await Action.filter(audit_id=audit.id, origin=ActionOrigin.FOLLOW_UP).exists():
        return None
    days = (
        await Inspection.filter(id=audit.inspection_id).values_list("follow_up_days", flat=True)
    )[0]
    team = (
        await Membership.filter(inspection_id=audit.inspection_id, user__active=True)
        .order_by("id")
        .values("user_id", "role", "is_la_contact")
    )
    leads = [m["user_id"] for m in team if m["role"] == Role.LEAD_INSPECTOR]
    action = await Action.create(
        inspection_id=audit.inspection_id,
        audit_id=audit.id,
        origin=ActionOrigin.FOLLOW_UP,
        what=FOLLOW_UP_WHAT,
        owner_id=leads[0] if leads else None,
        owner_name="" if leads else NO_LEAD,
        due=in_uk(submitted_at).date() + timedelta(days=int(str(days))),
        created_by_id=audit.auditor_id,
    )
    told: dict[int, list[str]] = {}
    for m in team:
        if m["role"] == Role.LEAD_INSPECTOR:
            told.setdefault(m["user_id"], []).append(LEAD)
        if m["is_la_contact"]:
            told.setdefault(m["user_id"], []).append(CONTACT)
    await FollowUpNotice.bulk_create(
        [
            FollowUpNotice(
                inspection_id=audit.inspection_id,
                audit_id=audit.id,
                action_id=action.id,
                recipient_id=user_id,
                told_as=" and ".join(roles),
            )
            for user_id, roles in told.items()
        ]
    )
    return action


@dataclass(frozen=True)
class Told:
    name: str
    told_as: str
    at: datetime


@dataclass(frozen=True)
class FollowUp:
    """One Inadequate audit's follow-up as the pages show it."""

    audit_id: int
    child_id: int | None
    action_id: int
    what: str
    owner: str
    due: date
    status: str
    status_label: str
    overdue: bool
    told: list[Told]
    no_contact: bool  # nobody at the authority was told: the team has no named contact


async def follow_ups(
    inspection_id: int, viewer: Viewer, audit_id: int | None = None
) -> list[FollowUp]:
    """The follow-ups of the inspection's Inadequate audits that ``viewer`` may see (of one
    audit with ``audit_id``), newest first: three queries."""
    seen = await visible_audits(inspection_id, viewer)
    actions = Action.filter(inspection_id=inspection_id, origin=ActionOrigin.FOLLOW_UP)
    if audit_id is not None:
        actions = actions.filter(audit_id=audit_id)
    rows = [
        a
        for a in await actions.order_by("-id").values(
            "id",
            "audit_id",
            "audit__child_id",
            "what",
            "owner__name",
            "owner_name",
            "due",
            "status",
        )
        if a["audit_id"] in seen
    ]
    notices: dict[int, list[Told]] = {}
    for n in (
        await FollowUpNotice.filter(action_id__in=[a["id"] for a in rows] or [0])
        .order_by("id")
        .values("action_id", "recipient__name", "told_as", "at")
    ):
        notices.setdefault(n["action_id"], []).append(
            Told(n["recipient__name"] or "A former member of the team", n["told_as"], n["at"])
        )
    today = uk_today()
    out = []
    for a in rows:
        told = notices.get(a["id"], [])
        status = ActionStatus(a["status"])
        out.append(
            FollowUp(
                audit_id=a["audit_id"],
                child_id=a["audit__child_id"],
                action_id=a["id"],
                what=a["what"],
                owner=a["owner__name"] or a["owner_name"] or "A former member of the team",
                due=a["due"],
                status=status.value,
                status_label=status.label,
                overdue=status is ActionStatus.OPEN and a["due"] < today,
                told=told,
                no_contact=not any(CONTACT in t.told_as for t in told),
            )
        )
    return out


async def set_follow_up_days(inspection_id: int, viewer: Viewer, days: str) -> int:
    """A lead sets how many days after submission an Inadequate audit's follow-up is due."""
    if not viewer.leads:
        raise ActionError("Only a lead inspector can change when follow-ups are due.")
    text = days.strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise ActionError(
            f"Enter the number of days as a whole number from 1 to {MAX_DAYS}.", "follow_up_days"
        )
    await Inspection.filter(id=inspection_id).update(follow_up_days=int(text))
    return int(text)
