"""Tracked cases: children an inspector chooses on purpose, beside the random sample.

Joint targeted area inspections and ILACS inspections track a handful of children picked from
the management information to test a line of enquiry, as well as auditing a random sample. A
tracked case is a member of the inspection's one purposive sample (method ``purposive``,
created when the first child is tracked): status ``tracked``, design weight 0 (it counts in no
design-weighted estimate), inclusion probability 1 (chosen for certain). The member keeps why
the child was chosen (``reason``), the line of enquiry it tests, who chose the child and when
(``changed_by``, ``changed_at``). It is audited with the same instruments as a sampled child.

Nothing is deleted: a child no longer tracked keeps its member, with status ``untracked`` and
who ended it, when and why. A child whose audit as a tracked case has started stays tracked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import Viewer, visible_audits
from inspection.journey import profile
from inspection.models import Audit, Child, Inspection, Sample, SampleMember, User
from inspection.models.columns import fits
from inspection.sampling.service import sample_name
from inspection.sampling.status import AUDITED, MemberStatus, SampleMethod

PURPOSE = "Tracked cases"
# The longest reason or line of enquiry kept (a paragraph or two).
MAX_TEXT = 2000
# The most children a search for a child to track lists.
MAX_MATCHES = 20


class TrackingError(ValueError):
    """A tracking request that cannot be done; the message says why in plain English."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field  # the form field the message belongs beside


@dataclass(frozen=True)
class Match:
    """A child a search for a child to track found."""

    child_id: int
    la_child_id: str
    name: str
    born: str


def display_name(child: Child) -> str:
    return profile.display_name(child.given_name, child.family_name, child.la_child_id, child.dob)


def _date(at: date | datetime | None) -> str:
    return at.strftime("%d/%m/%Y") if at else ""


async def find_children(inspection_id: int, text: str) -> list[Match]:
    """The children of the inspection ``text`` names: the one whose local authority id it is,
    else those whose name contains every word of it (at most ``MAX_MATCHES``)."""
    text = " ".join(text.split())
    if not text:
        return []
    # an id longer than the column is nobody's (and is not sent)
    found = (
        await Child.filter(inspection_id=inspection_id, la_child_id=text)
        if fits(Child, "la_child_id", text)
        else []
    )
    if not found:
        query = Child.filter(inspection_id=inspection_id)
        for word in text.split():
            query = query.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
        found = await query.order_by("family_name", "given_name", "id").limit(MAX_MATCHES)
    return [
        Match(
            c.id, c.la_child_id or "", display_name(c), c.dob.strftime("%d/%m/%Y") if c.dob else ""
        )
        for c in found
    ]


async def purposive_sample(inspection_id: int) -> Sample | None:
    """The inspection's tracked cases, as a sample, or None before the first child is tracked."""
    return await Sample.get_or_none(inspection_id=inspection_id, method=SampleMethod.PURPOSIVE)


def _clean(text: str, what: str, field: str) -> str:
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise TrackingError(
            f"The {what} is {len(text)} characters long: keep it to {MAX_TEXT} or fewer.", field
        )
    return text


async def track(
    inspection: Inspection,
    child: Child | int,
    reason: str,
    line_of_enquiry: str,
    by_user: User | None,
) -> SampleMember:
    """Make ``child`` a tracked case of ``inspection``, chosen by ``by_user`` for ``reason``
    to test ``line_of_enquiry``. Refused, with nothing changed, when there is no reason, the
    child is not in this inspection, is already tracked, or is in a random sample."""
    reason = _clean(reason, "reason", "reason")
    line_of_enquiry = _clean(line_of_enquiry, "line of enquiry", "line_of_enquiry")
    if not reason:
        raise TrackingError("Enter why you chose this child to track.", "reason")
    child_id = child.id if isinstance(child, Child) else int(child)
    found = await Child.get_or_none(id=child_id, inspection_id=inspection.id)
    if found is None:
        raise TrackingError("That child is not in this inspection.", "child")
    name = display_name(found)
    async with in_transaction() as conn:
        # One purposive sample per inspection, even when two inspectors track their first
        # child at once: the inspection's row is held while the sample is found or made.
        await Inspection.filter(id=inspection.id).using_db(conn).select_for_update().first()
        members = await SampleMember.filter(
            inspection_id=inspection.id, child_id=found.id, status__in=AUDITED
        ).using_db(conn)
        tracked = next((m for m in members if m.status == MemberStatus.TRACKED), None)
        if tracked is not None:
            by = await User.get_or_none(id=tracked.changed_by_id) if tracked.changed_by_id else None
            who = f" by {by.name}" if by else ""
            raise TrackingError(
                f"{name} is already a tracked case (chosen{who} on {_date(tracked.changed_at)}).",
                "child",
            )
        if members:
            drawn = (
                await Sample.filter(id=members[0].sample_id)
                .using_db(conn)
                .only("id", "purpose", "drawn_at")
                .get()
            )
            raise TrackingError(
                f"{name} is in the random sample ‘{sample_name(drawn.purpose, drawn.drawn_at)}’:"
                " they are audited there, so they cannot also be a tracked case.",
                "child",
            )
        sample: Sample | None = (
            await Sample.filter(inspection_id=inspection.id, method=SampleMethod.PURPOSIVE)
            .using_db(conn)
            .first()
        )
        if sample is None:
            sample = await Sample.create(
                inspection_id=inspection.id,
                purpose=PURPOSE,
                method=SampleMethod.PURPOSIVE,
                seed="",
                population_definition={},
                population_ids=[],
                population_hash="",
                population_size=0,
                params={"method": SampleMethod.PURPOSIVE.value},
                result_hash="",
                drawn_by=by_user,
                locked=True,
                using_db=conn,
            )
        order = await SampleMember.filter(sample_id=sample.id).using_db(conn).count()
        return await SampleMember.create(
            inspection_id=inspection.id,
            sample_id=sample.id,
            child_id=found.id,
            population_key=str(found.id),
            stratum="",
            inclusion_probability=1.0,
            weight=0.0,
            order=order + 1,
            status=MemberStatus.TRACKED,
            reason=reason,
            line_of_enquiry=line_of_enquiry,
            changed_by=by_user,
            changed_at=datetime.now(UTC),
            using_db=conn,
        )


async def untrack(
    inspection: Inspection, member_id: int, reason: str, by_user: User | None
) -> SampleMember:
    """Stop tracking a tracked case, recording who, when and why; refused once the child's
    audit as a tracked case has started (its findings stand on it).

    The member's row is held from the check to the change, as starting an audit holds it
    (``audit.audits.insert_marking``), so an audit started at the same moment either comes
    first and the child stays tracked, or finds the child no longer tracked and is refused."""
    reason = _clean(reason, "reason", "untrack_reason")
    async with in_transaction() as conn:
        member = (
            await SampleMember.filter(id=member_id, inspection_id=inspection.id)
            .using_db(conn)
            .select_for_update()
            .first()
        )
        if member is None or member.status != MemberStatus.TRACKED:
            raise TrackingError("That child is not a tracked case of this inspection.", "member")
        child = await Child.get_or_none(id=member.child_id) if member.child_id else None
        name = display_name(child) if child else "This child"
        if not reason:
            raise TrackingError(f"Enter why {name} is no longer tracked.", "untrack_reason")
        if await Audit.filter(member_id=member.id).using_db(conn).exists():
            raise TrackingError(
                f"{name}’s audit as a tracked case has started, so they stay a tracked case.",
                "member",
            )
        member.status = MemberStatus.UNTRACKED
        member.untracked_reason = reason
        member.untracked_by = by_user
        member.untracked_at = datetime.now(UTC)
        await member.save(
            using_db=conn,
            update_fields=["status", "untracked_reason", "untracked_by_id", "untracked_at"],
        )
    return member


async def tracked_member(inspection_id: int, child_id: int) -> SampleMember | None:
    """The child's tracked case in this inspection, if they are one (the journey page's tag)."""
    return await SampleMember.get_or_none(
        inspection_id=inspection_id, child_id=child_id, status=MemberStatus.TRACKED
    )


async def tracked_cases(inspection_id: int, viewer: Viewer) -> dict[str, Any]:
    """The inspection's tracked cases as the page, the command line and exports show them:
    each child with why, the line of enquiry, who chose them and when, and where their first
    marking stands (its overall grade only when ``viewer`` may see it); and the children no
    longer tracked, with who ended it, when and why."""
    inspection = await Inspection.get(id=inspection_id)
    sample = await purposive_sample(inspection_id)
    rows = await SampleMember.filter(sample_id=sample.id).order_by("order", "id") if sample else []
    child_ids = {r.child_id for r in rows if r.child_id}
    children = await profile.profiles(inspection_id, inspection.reference_date, child_ids)
    la_ids = dict(
        await Child.filter(id__in=sorted(child_ids)).values_list("id", "la_child_id")
        if child_ids
        else []
    )
    user_ids = {r.changed_by_id for r in rows} | {r.untracked_by_id for r in rows}
    users = {u.id: u.name for u in await User.filter(id__in=sorted(i for i in user_ids if i))}
    audits = {
        a.member_id: a
        for a in await Audit.filter(
            inspection_id=inspection_id,
            member_id__in=[r.id for r in rows],
            marking=Marking.FIRST,
        ).prefetch_related("auditor")
    }
    seen = await visible_audits(inspection_id, viewer) if audits else frozenset()
    tracked: list[dict[str, Any]] = []
    ended: list[dict[str, Any]] = []
    for r in rows:
        child = children.get(r.child_id) if r.child_id else None
        audit = audits.get(r.id)
        entry = {
            "member_id": r.id,
            "child_id": r.child_id,
            "la_child_id": la_ids.get(r.child_id) or "",
            "name": child.name if child else f"Record {r.population_key} (removed)",
            "age": child.age if child else "Not known",
            "legal_status": child.legal_status if child else "Not known",
            "team": child.team if child else "Not known",
            "status": r.status,
            "status_label": MemberStatus(r.status).label,
            "reason": r.reason,
            "line_of_enquiry": r.line_of_enquiry,
            "tracked_by": users.get(r.changed_by_id or 0, ""),
            "tracked_at": r.changed_at,
            "untracked_reason": r.untracked_reason,
            "untracked_by": users.get(r.untracked_by_id or 0, ""),
            "untracked_at": r.untracked_at,
            "audit": None
            if audit is None
            else {
                "id": audit.id,
                "status": audit.status,
                "status_label": AuditStatus(audit.status).label,
                "auditor": audit.auditor.name if audit.auditor else "",
                "overall": audit.overall if audit.id in seen else "",
                "visible": audit.id in seen,
            },
        }
        (tracked if r.status == MemberStatus.TRACKED else ended).append(entry)
    return {
        "inspection_id": inspection_id,
        "sample_id": sample.id if sample else None,
        "tracked": tracked,
        "ended": ended,
    }
