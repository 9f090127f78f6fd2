"""What the children list and the linkage review queue show (one function each)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import Q

from inspection.models import Child, LinkDecision, SourceRecord
from inspection.models.children import IDENTITY_FIELDS

PAGE_SIZE = 100
_RECORD_FIELDS = ("id", *IDENTITY_FIELDS, "child_id")


@dataclass
class ChildrenPage:
    total: int
    matching: int
    rows: list[dict[str, Any]]
    query: str


async def children_page(inspection_id: int, query: str = "") -> ChildrenPage:
    """Children of the inspection (the first ``PAGE_SIZE``), optionally those whose name or
    local authority id contains ``query``."""
    base = Child.filter(inspection_id=inspection_id)
    total = await base.count()
    filtered = base
    for word in query.split()[:3]:
        filtered = filtered.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(la_child_id__icontains=word)
        )
    matching = await filtered.count() if query else total
    rows = (
        await filtered.order_by("family_name", "given_name", "id")
        .limit(PAGE_SIZE)
        .values("id", "la_child_id", "given_name", "family_name", "dob", "sex")
    )
    ids = [r["id"] for r in rows]
    agencies: dict[int, set[str]] = {i: set() for i in ids}
    for rec in await SourceRecord.filter(inspection_id=inspection_id, child_id__in=ids).values(
        "child_id", "agency"
    ):
        agencies[rec["child_id"]].add(rec["agency"])
    for r in rows:
        r["agencies"] = sorted(agencies[r["id"]])
    return ChildrenPage(total=total, matching=matching, rows=rows, query=query)


@dataclass
class ReviewQueue:
    pending: list[dict[str, Any]]
    pending_total: int
    decided: list[dict[str, Any]]


async def review_queue(inspection_id: int, limit: int = 200) -> ReviewQueue:
    """Pairs waiting for a person (most likely first), both records side by side, and the
    decisions already taken, newest first."""
    pending_q = LinkDecision.filter(inspection_id=inspection_id, decision="pending")
    total = await pending_q.count()
    pending = (
        await pending_q.order_by("-probability", "id")
        .limit(limit)
        .values("id", "probability", "evidence", "left_record_id", "right_record_id")
    )
    decided = (
        await LinkDecision.filter(inspection_id=inspection_id)
        .exclude(decision="pending")
        .order_by("-id")
        .limit(100)
        .values(
            "id",
            "decision",
            "reason",
            "decided_at",
            "decided_by__name",
            "left_record_id",
            "right_record_id",
            "child_id",
        )
    )
    ids = {
        r[k]
        for r in (*pending, *decided)
        for k in ("left_record_id", "right_record_id")
        if r[k] is not None
    }
    records = {
        r["id"]: r
        for r in await SourceRecord.filter(inspection_id=inspection_id, id__in=list(ids)).values(
            *_RECORD_FIELDS
        )
    }
    for row in (*pending, *decided):
        row["left"] = records.get(row["left_record_id"])
        row["right"] = records.get(row["right_record_id"])
    return ReviewQueue(pending=pending, pending_total=total, decided=decided)
