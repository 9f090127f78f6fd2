"""People's decisions about links: accept or reject a pending pair, split a record off a child,
merge two children. Each is one transaction, logged by the caller, and respected by every later
``link_inspection`` run.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from inspection.journey.decision_kinds import DecisionKind
from inspection.journey.linkage import unreferenced
from inspection.models import Child, Event, LinkDecision, SourceRecord


class LinkError(Exception):
    """A decision that cannot be made (plain-English message)."""


async def decide(
    inspection_id: int, decision_id: int, accept: bool, user_id: int | None, reason: str = ""
) -> LinkDecision:
    """Accept or reject a pending pair. The next ``link_inspection`` run applies it."""
    async with in_transaction():
        return await _decide(inspection_id, decision_id, accept, user_id, reason)


async def _decide(
    inspection_id: int, decision_id: int, accept: bool, user_id: int | None, reason: str
) -> LinkDecision:
    d = await LinkDecision.get_or_none(id=decision_id, inspection_id=inspection_id)
    if d is None or d.decision != DecisionKind.PENDING:
        raise LinkError("That link is not waiting for a decision.")
    d.decision = DecisionKind.ACCEPT if accept else DecisionKind.REJECT
    d.decided_by_id = user_id
    d.decided_at = datetime.now(UTC)
    d.reason = reason.strip()
    await d.save()
    await _apply_pair(inspection_id, d)
    return d


async def _apply_pair(inspection_id: int, d: LinkDecision) -> None:
    """Apply an accepted pair at once (records of the right child move to the left one)."""
    if d.decision != DecisionKind.ACCEPT:
        return
    left = await SourceRecord.get(id=d.left_record_id, inspection_id=inspection_id)
    right = await SourceRecord.get(id=d.right_record_id, inspection_id=inspection_id)
    if left.child_id is None or right.child_id is None or left.child_id == right.child_id:
        return
    both = await Child.filter(
        id__in=[left.child_id, right.child_id], la_child_id__isnull=False
    ).count()
    if both == 2:
        return
    await _merge_children(inspection_id, left.child_id, right.child_id, None, "", record=False)


async def split_record(
    inspection_id: int, record_id: int, user_id: int | None, reason: str
) -> LinkDecision:
    """Take one source record out of its child: it becomes an agency-only child of its own
    and is kept apart from that child's other records in later runs."""
    async with in_transaction():
        return await _split_record(inspection_id, record_id, user_id, reason)


async def _split_record(
    inspection_id: int, record_id: int, user_id: int | None, reason: str
) -> LinkDecision:
    if not reason.strip():
        raise LinkError("Give a reason for separating this record.")
    record = await SourceRecord.get_or_none(id=record_id, inspection_id=inspection_id)
    if record is None or record.child_id is None:
        raise LinkError("That record is not linked to a child.")
    others = (
        await SourceRecord.filter(inspection_id=inspection_id, child_id=record.child_id)
        .exclude(id=record_id)
        .values_list("id", flat=True)
    )
    if not others:
        raise LinkError("That record is the child's only record: there is nothing to split.")
    old_child = record.child_id
    d = await LinkDecision.create(
        inspection_id=inspection_id,
        left_record_id=record_id,
        child_id=old_child,
        decision=DecisionKind.SPLIT,
        # how the record had been linked: a split of the model's link is a label against it
        evidence={"kept_apart_from": sorted(others), "link_method": record.link_method},
        decided_by_id=user_id,
        decided_at=datetime.now(UTC),
        reason=reason.strip(),
    )
    new = await Child.create(
        inspection_id=inspection_id,
        given_name=record.given_name,
        family_name=record.family_name,
        dob=record.dob,
        sex=record.sex if record.sex in ("M", "F", "U") else "",
        postcode=record.postcode[:10],
        attributes={"created_by": "linkage", "first_record": record_id},
    )
    await SourceRecord.filter(id=record_id).update(
        child_id=new.id,
        link_method="manual",
        link_probability=None,
        link_evidence={"decision": d.id, "kind": DecisionKind.SPLIT},
    )
    await Event.filter(inspection_id=inspection_id, record_id=record_id).update(child_id=new.id)
    return d


async def merge_children(
    inspection_id: int,
    keep_child_id: int,
    other_child_id: int,
    user_id: int | None,
    reason: str,
    record: bool = True,
) -> LinkDecision | None:
    """Join two children: every record of ``other`` moves to ``keep``. Refused when both have
    the authority's child id (two children the authority itself keeps apart)."""
    async with in_transaction():
        return await _merge_children(
            inspection_id, keep_child_id, other_child_id, user_id, reason, record
        )


async def _merge_children(
    inspection_id: int,
    keep_child_id: int,
    other_child_id: int,
    user_id: int | None,
    reason: str,
    record: bool,
) -> LinkDecision | None:
    if keep_child_id == other_child_id:
        raise LinkError("Choose two different children.")
    keep = await Child.get_or_none(id=keep_child_id, inspection_id=inspection_id)
    other = await Child.get_or_none(id=other_child_id, inspection_id=inspection_id)
    if keep is None or other is None:
        raise LinkError("There is no such child in this inspection.")
    if record and not reason.strip():
        raise LinkError("Give a reason for joining these records.")
    if keep.la_child_id and other.la_child_id:
        raise LinkError(
            "Both children have the authority's own child id: the authority "
            "records them as two children, so they cannot be joined here."
        )
    if other.la_child_id and not keep.la_child_id:
        keep, other = other, keep
    left = (
        await SourceRecord.filter(inspection_id=inspection_id, child_id=keep.id)
        .order_by("id")
        .first()
    )
    right = (
        await SourceRecord.filter(inspection_id=inspection_id, child_id=other.id)
        .order_by("id")
        .first()
    )
    d = None
    if record:
        if left is None or right is None:
            raise LinkError("Both children need at least one source record to be joined.")
        d = await LinkDecision.create(
            inspection_id=inspection_id,
            left_record_id=left.id,
            right_record_id=right.id,
            child_id=keep.id,
            decision=DecisionKind.MERGE,
            evidence={"from_child": other.id},
            decided_by_id=user_id,
            decided_at=datetime.now(UTC),
            reason=reason.strip(),
        )
    await SourceRecord.filter(inspection_id=inspection_id, child_id=other.id).update(
        child_id=keep.id,
        link_method="manual",
        link_probability=None,
        link_evidence={"decision": d.id if d else None, "kind": DecisionKind.MERGE},
    )
    await Event.filter(inspection_id=inspection_id, child_id=other.id).update(child_id=keep.id)
    if not other.la_child_id and await unreferenced([other.id]):
        await other.delete()
    return d
