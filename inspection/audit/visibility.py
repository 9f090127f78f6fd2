"""Who may see which audit work: one rule for every page, fragment, drill-down, export and pack.

An audit's *content* is everything a marker wrote: the domain grades, evidence, cited events
and conversations, the overall judgement (and the proposed one), the reason for changing it,
strengths, what would make it better, themes, and, for an audit done with the practitioner, the
practitioner's reflection and the learning conversation. That an audit exists, its status and
its auditor are not content: the audits board shows them, so that nobody starts a marking twice.

A viewer sees an audit's content when the first of these rules that applies says so:

1. Its own auditor always sees it.
2. The auditor of another audit of the same child made blind to it (``status.independent``:
   the inspectors' two markings; either of them and the authority's audit or an agency's part;
   two agencies' parts) sees it only once both are submitted, even a lead inspector or an
   admin: the second marker, the inspectors and the authority, and each agency in a
   multi-agency audit judge the child before they read the others.
3. Once both of the inspectors' markings of a child are submitted, every other member of the
   inspection sees both (and so does the command line).
4. A draft is seen only by its auditor and by leads (admins and lead inspectors).
5. A submitted marking of a child chosen for second marking is seen only by its auditor and by
   leads until the second marking is submitted too; a submitted agency's part is seen only by
   its auditor, the other agencies' auditors who have submitted theirs (rule 2) and leads
   until the joint discussion is recorded (which needs every part submitted).
6. Any other submitted audit is seen by every member of the inspection (and the command line).

A conversation with the child, a parent or carer or the practitioner
(``inspection.audit.conversations``) is evidence about the child: who was heard, when, how and
what they said are seen by every member who may see the child. What it tells us (the recorder's
reading) is part of the recorder's marking of that child: it is hidden from a viewer wherever
that marking's content is (``hidden_readings``), so a blind second marker does not read the first
marker's reading of a conversation before both markings are submitted, nor, for a child chosen
for second marking, does any member who is not a lead. A reading whose recorder has no marking of
the child is seen by everyone who sees the conversation.

Concerns about a child are seen by the inspection's leads, its authority's named contacts
(``Membership.is_la_contact``) and whoever raised the concern.

The command line has no signed-in person (``COMMAND_LINE``): it sees what rules 3 and 6 give
everyone, and no concerns. ``--user EMAIL`` makes it see exactly what that person sees in the
browser.

Findings, agreement statistics and every export are computed only from the audits the viewer
sees, so that no figure carries a grade its reader could not open.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet

from inspection.audit.moderation import selected_member_ids
from inspection.audit.status import INSPECTORS_MARKINGS, AuditStatus, independent, other_marking
from inspection.audit.status import Marking as StatusMarking
from inspection.inspections import membership_role
from inspection.models import Audit, Concern, Inspection, Membership, SampleMember, User
from inspection.models.core import Role

LEAD_ROLES = frozenset({Role.ADMIN, Role.LEAD_INSPECTOR})


class NotAMember(LookupError):
    """The person is not a member of the inspection: they see nothing of it."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking: a person with their role in the inspection, or the command line."""

    user: User | None
    role: Role | None

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user is not None else None

    @property
    def leads(self) -> bool:
        return self.role in LEAD_ROLES

    @property
    def described(self) -> str:
        """How the viewer is named in an export."""
        if self.user is None:
            return "command line (no user)"
        return f"{self.user.name} <{self.user.email}>"


COMMAND_LINE = Viewer(None, None)


async def viewer_for(user: User | None, inspection_id: int) -> Viewer:
    """``user`` as a viewer of this inspection (``COMMAND_LINE`` when there is no user).

    Raises ``NotAMember`` when the person may not see the inspection at all.
    """
    if user is None:
        return COMMAND_LINE
    role = await membership_role(user, inspection_id)
    if role is None:
        raise NotAMember(f"{user.email} is not a member of inspection {inspection_id}.")
    return Viewer(user, role)


@dataclass(frozen=True)
class Marking:
    """What the rule needs to know about one audit."""

    id: int
    member_id: int | None
    marking: str
    status: str
    auditor_id: int | None


def sees(
    viewer: Viewer,
    audit: Marking,
    others: Collection[Marking],
    chosen: bool,
) -> bool:
    """The rule itself: may ``viewer`` see ``audit``'s content? ``others``: the child's other
    audits (the other markings, the authority's audit, the agencies' parts); ``chosen``: the
    child is chosen for second marking."""
    if viewer.user_id is not None and audit.auditor_id == viewer.user_id:
        return True
    submitted = audit.status == AuditStatus.SUBMITTED
    inspectors = audit.marking in INSPECTORS_MARKINGS
    blind_to = [
        o
        for o in others
        if viewer.user_id is not None
        and o.auditor_id == viewer.user_id
        and independent(audit.marking, o.marking)
    ]
    if blind_to:
        return submitted and all(o.status == AuditStatus.SUBMITTED for o in blind_to)
    if (
        inspectors
        and submitted
        and any(
            o.marking == other_marking(audit.marking) and o.status == AuditStatus.SUBMITTED
            for o in others
        )
    ):
        return True
    if viewer.leads:
        return True
    if not submitted:
        return False
    if inspectors:
        return not chosen
    if audit.marking == StatusMarking.PART:
        # The joint discussion, recorded only once every part is in, is the authority's audit.
        return any(
            o.marking == StatusMarking.AUTHORITY and o.status == AuditStatus.SUBMITTED
            for o in others
        )
    return True


def marking_of(row: dict[str, object]) -> Marking:
    """What the rule needs of an audit row (``id``, ``member_id``, ``marking``, ``status``,
    ``auditor_id``)."""
    return Marking(
        id=int(str(row["id"])),
        member_id=int(str(row["member_id"])) if row["member_id"] is not None else None,
        marking=str(row["marking"]),
        status=str(row["status"]),
        auditor_id=int(str(row["auditor_id"])) if row["auditor_id"] is not None else None,
    )


_FIELDS = ("id", "member_id", "marking", "status", "auditor_id")


async def _chosen(member_ids: Iterable[int]) -> set[int]:
    """Of ``member_ids``, the members chosen for second marking."""
    wanted = set(member_ids)
    if not wanted:
        return set()
    samples = (
        await SampleMember.filter(id__in=sorted(wanted))
        .distinct()
        .values_list("sample_id", flat=True)
    )
    chosen: set[int] = set()
    for sample_id in sorted({int(str(s)) for s in samples}):
        chosen |= await selected_member_ids(sample_id)
    return chosen & wanted


async def visible_audits(inspection_id: int, viewer: Viewer) -> frozenset[int]:
    """The ids of the inspection's audits whose content ``viewer`` may see."""
    rows = [marking_of(r) for r in await Audit.filter(inspection_id=inspection_id).values(*_FIELDS)]
    chosen = await _chosen(m.member_id for m in rows if m.member_id is not None)
    return visible_among(viewer, rows, chosen)


def visible_among(
    viewer: Viewer, markings: Iterable[Marking], chosen: Collection[int]
) -> frozenset[int]:
    """Of every marking of one inspection, the ids whose content ``viewer`` may see;
    ``chosen``: the members chosen for second marking."""
    rows = list(markings)
    by_member: dict[int, list[Marking]] = {}
    for m in rows:
        if m.member_id is not None:
            by_member.setdefault(m.member_id, []).append(m)
    seen = set()
    for m in rows:
        others = (
            [o for o in by_member[m.member_id] if o.id != m.id] if m.member_id is not None else []
        )
        if sees(viewer, m, others, m.member_id in chosen):
            seen.add(m.id)
    return frozenset(seen)


_ROUND_FIELDS = (
    "id",
    "title",
    "reference_date",
    "judgement",
    "judgement_at",
    "judgement_by__name",
    "la__name",
)


async def round_viewers(
    inspection_id: int, viewer: Viewer
) -> tuple[list[dict[str, Any]], dict[int, Viewer]]:
    """The rounds of this inspection's local authority that ``viewer`` may see (``id``,
    ``title``, ``reference_date``, the authority's name ``la__name`` and the written judgement:
    ``judgement``, ``judgement_at``, ``judgement_by__name``; oldest first), and the viewer as
    they are in each (their role there): one query. Raises ``NotAMember`` if they may not see
    this inspection."""
    rounds = Inspection.filter(
        la_id=Subquery(Inspection.filter(id=inspection_id).values("la_id"))
    ).order_by("reference_date", "id")
    user = viewer.user
    if user is None or user.role == Role.ADMIN:
        rows = list(await rounds.values(*_ROUND_FIELDS))
        as_viewer = COMMAND_LINE if user is None else Viewer(user, Role.ADMIN)
        viewers = {int(r["id"]): as_viewer for r in rows}
    else:
        rows = list(
            await rounds.filter(memberships__user_id=user.id).values(
                *_ROUND_FIELDS, role="memberships__role"
            )
        )
        viewers = {int(r["id"]): Viewer(user, Role(r["role"])) for r in rows}
    if inspection_id not in viewers:
        if user is None or user.role == Role.ADMIN:
            raise NotAMember(f"There is no inspection {inspection_id}.")
        raise NotAMember(f"{user.email} is not a member of inspection {inspection_id}.")
    return rows, viewers


async def may_see_audit(audit: Audit, viewer: Viewer) -> bool:
    """The rule for one audit (the audit page and everything done from it)."""
    mine = Marking(audit.id, audit.member_id, audit.marking, audit.status, audit.auditor_id)
    if viewer.user_id is not None and audit.auditor_id == viewer.user_id:
        return sees(viewer, mine, [], False)  # rule 1 needs nothing more (every autosave)
    others: list[Marking] = []
    if audit.member_id is not None:
        found = (
            await Audit.filter(inspection_id=audit.inspection_id, member_id=audit.member_id)
            .exclude(id=audit.id)
            .values(*_FIELDS)
        )
        others = [marking_of(r) for r in found]
    # Whether the child is chosen for second marking matters only to rule 5 (a submitted
    # marking, a viewer who is not a lead): asked only then.
    chosen = (
        audit.member_id is not None
        and audit.marking in INSPECTORS_MARKINGS
        and audit.status == AuditStatus.SUBMITTED
        and not viewer.leads
        and bool(await _chosen([audit.member_id]))
    )
    return sees(viewer, mine, others, chosen)


async def hidden_readings(
    inspection_id: int, viewer: Viewer, conversations: Iterable[tuple[int, int, int | None]]
) -> set[int]:
    """Of ``conversations`` (id, child id, recorder's user id), those whose reading
    ``viewer`` may not see: its recorder made a marking of the child whose content the viewer
    may not see (the rule above). No query when there are none."""
    wanted = [(c, child, by) for c, child, by in conversations if by != viewer.user_id]
    recorded = {(child, by) for _, child, by in wanted if by is not None}
    if not recorded:
        return set()
    markings = await Audit.filter(
        inspection_id=inspection_id,
        child_id__in=sorted({child for child, _ in recorded}),
        auditor_id__in=sorted({by for _, by in recorded}),
    ).values("id", "child_id", "auditor_id")
    seen = await visible_audits(inspection_id, viewer)
    hiding = {
        (int(m["child_id"]), int(m["auditor_id"])) for m in markings if int(m["id"]) not in seen
    }
    return {c for c, child, by in wanted if by is not None and (child, by) in hiding}


async def is_la_contact(user: User, inspection_id: int) -> bool:
    """Is ``user`` one of the authority's named contacts for this inspection?"""
    return await Membership.filter(
        user_id=user.id, inspection_id=inspection_id, is_la_contact=True
    ).exists()


async def sees_every_concern(inspection_id: int, viewer: Viewer) -> bool:
    """Leads and the authority's named contacts see (and answer) every concern."""
    if viewer.user is None:
        return False
    return viewer.leads or await is_la_contact(viewer.user, inspection_id)


async def concerns_seen(inspection_id: int, viewer: Viewer) -> QuerySet[Concern]:
    """The inspection's concerns ``viewer`` may open: every one for leads and named contacts,
    the ones they raised for anyone else, none for the command line."""
    query = Concern.filter(inspection_id=inspection_id)
    if viewer.user is None:
        return query.filter(id__in=[])
    if await sees_every_concern(inspection_id, viewer):
        return query
    return query.filter(raised_by_id=viewer.user.id)


def shown_to(viewer: Viewer) -> str:
    """What of the audit work an export made for ``viewer`` holds, in words (its About sheet)."""
    if viewer.user is None:
        return (
            "what every member may see (the command line, no user): submitted audits, except a "
            "marking of a child chosen for second marking until both markings are submitted; "
            "no drafts and no concerns"
        )
    if viewer.leads:
        scope = (
            "every audit and draft, except the other marking of a child they mark themselves "
            "until both markings are submitted; every concern"
        )
    else:
        scope = (
            "their own audits, and others' submitted audits except a marking of a child chosen "
            "for second marking until both markings are submitted; the concerns they may open"
        )
    return f"only what {viewer.user.name} may see: {scope}"
