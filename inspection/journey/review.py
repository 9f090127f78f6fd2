"""What the children list and the linkage review queue show (one function each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.expressions import Case, Q, Subquery, When
from tortoise.functions import Lower

from inspection.audit.status import AuditStatus
from inspection.journey.comparison_words import comparison_sentences
from inspection.journey.decision_kinds import DecisionKind
from inspection.journey.profile import profiles
from inspection.models import Audit, Child, Inspection, LinkDecision, SampleMember, SourceRecord
from inspection.models.children import IDENTITY_FIELDS
from inspection.models.columns import fits
from inspection.sampling.status import IN_SAMPLE, MemberStatus

PAGE_SIZE = 100
_RECORD_FIELDS = ("id", *IDENTITY_FIELDS, "child_id")


# Which children the list shows, by what the inspector asks for.
CHILDREN_FILTERS: dict[str, str] = {
    "": "All children",
    "sampled": "In a sample",
    "audited": "With a submitted audit",
    "not-sampled": "Not in any sample",
    "partners-only": "Known only to partner agencies",
}


@dataclass
class ChildrenPage:
    total: int
    matching: int
    rows: list[dict[str, Any]]
    query: str
    show: str = ""
    page: int = 1
    pages: int = 1
    first: int = 0


def _submitted_children(inspection_id: int) -> Any:
    return Audit.filter(inspection_id=inspection_id, status=AuditStatus.SUBMITTED)


async def children_page(
    inspection_id: int, query: str = "", show: str = "", page: int = 1
) -> ChildrenPage:
    """One page (``PAGE_SIZE``) of the inspection's children, named children first in
    alphabetical order regardless of case, optionally those whose name or local authority id
    contains ``query`` and those ``show`` picks (see ``CHILDREN_FILTERS``). Each row carries
    the child's profile (age, legal status, team) and whether they are sampled or audited."""
    inspection = await Inspection.get(id=inspection_id)
    base = Child.filter(inspection_id=inspection_id)
    total = await base.count()
    filtered = base
    for word in query.split()[:3]:
        filtered = filtered.filter(
            Q(given_name__icontains=word)
            | Q(family_name__icontains=word)
            | Q(la_child_id__icontains=word)
        )
    active = SampleMember.filter(
        inspection_id=inspection_id, status__in=IN_SAMPLE, child_id__isnull=False
    )
    if show == "sampled":
        filtered = filtered.filter(id__in=Subquery(active.values("child_id")))
    elif show == "not-sampled":
        filtered = filtered.exclude(id__in=Subquery(active.values("child_id")))
    elif show == "audited":
        filtered = filtered.filter(
            Q(id__in=Subquery(_submitted_children(inspection_id).values("child_id")))
            | Q(
                id__in=Subquery(
                    SampleMember.filter(
                        id__in=Subquery(
                            _submitted_children(inspection_id)
                            .filter(member_id__isnull=False)
                            .values("member_id")
                        )
                    ).values("child_id")
                )
            )
        )
    elif show == "partners-only":
        filtered = filtered.filter(la_child_id__isnull=True)
    else:
        show = ""
    matching = await filtered.count() if (query or show) else total
    pages = max(1, -(-matching // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = (
        await filtered.annotate(
            unnamed=Case(When(Q(given_name="") & Q(family_name=""), then="1"), default="0"),
            family=Lower("family_name"),
            given=Lower("given_name"),
        )
        .order_by("unnamed", "family", "given", "la_child_id", "id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .values("id", "la_child_id", "given_name", "family_name", "dob", "sex")
    )
    ids = [r["id"] for r in rows]
    agencies: dict[int, set[str]] = {i: set() for i in ids}
    for rec in await SourceRecord.filter(inspection_id=inspection_id, child_id__in=ids).values(
        "child_id", "agency"
    ):
        agencies[rec["child_id"]].add(rec["agency"])
    sampled = set(await active.filter(child_id__in=ids).values_list("child_id", flat=True))
    tracked = set(
        await SampleMember.filter(
            inspection_id=inspection_id, status=MemberStatus.TRACKED, child_id__in=ids
        ).values_list("child_id", flat=True)
    )
    audited = set(
        await _submitted_children(inspection_id)
        .filter(child_id__in=ids)
        .values_list("child_id", flat=True)
    ) | set(
        await _submitted_children(inspection_id)
        .filter(member__child_id__in=ids)
        .values_list("member__child_id", flat=True)
    )
    about = await profiles(inspection_id, inspection.reference_date, ids)
    for r in rows:
        r["agencies"] = sorted(agencies[r["id"]])
        r["profile"] = about[r["id"]]
        r["sampled"] = r["id"] in sampled
        r["tracked"] = r["id"] in tracked
        r["audited"] = r["id"] in audited
    return ChildrenPage(
        total=total,
        matching=matching,
        rows=rows,
        query=query,
        show=show,
        page=page,
        pages=pages,
        first=(page - 1) * PAGE_SIZE,
    )


@dataclass
class ReviewQueue:
    pending: list[dict[str, Any]]
    pending_total: int
    decided: list[dict[str, Any]]
    blind: bool = False


async def review_queue(inspection_id: int, limit: int = 200) -> ReviewQueue:
    """Pairs waiting for a person, those whose answer changes most first: a child in a sample
    first, then the pairs that would join the most records, then the most likely; both
    records side by side, with how the model compared them field by field in sentences
    (``comparison``); and the decisions already taken, newest first. Under blind review
    (an option of the inspection) the rows carry no probability and no evidence."""
    inspection = await Inspection.get(id=inspection_id)
    blind = inspection.blind_link_review
    every = await LinkDecision.filter(
        inspection_id=inspection_id, decision=DecisionKind.PENDING
    ).values("id", "probability", "evidence", "left_record_id", "right_record_id")
    record_ids = {r[k] for r in every for k in ("left_record_id", "right_record_id")}
    child_of = (
        dict(
            await SourceRecord.filter(
                inspection_id=inspection_id, id__in=list(record_ids)
            ).values_list("id", "child_id")
        )
        if record_ids
        else {}
    )
    sampled = (
        set(
            await SampleMember.filter(
                inspection_id=inspection_id, child_id__in=[c for c in child_of.values() if c]
            ).values_list("child_id", flat=True)
        )
        if child_of
        else set()
    )
    for row in every:
        children = {child_of.get(row["left_record_id"]), child_of.get(row["right_record_id"])}
        row["in_sample"] = bool(children & sampled)
        row["records_joined"] = int(row["evidence"].get("records_joined", 2))
    every.sort(
        key=lambda r: (not r["in_sample"], -r["records_joined"], -(r["probability"] or 0), r["id"])
    )
    pending = every[:limit]
    if blind:
        for row in pending:
            row["probability"] = None
            row["evidence"] = {}
    decided = (
        await LinkDecision.filter(inspection_id=inspection_id)
        .exclude(decision=DecisionKind.PENDING)
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
    for row in pending:
        fields = row["evidence"].get("fields") or {}
        row["comparison"] = comparison_sentences(fields, row["left"], row["right"])
    return ReviewQueue(pending=pending, pending_total=len(every), decided=decided, blind=blind)


async def set_blind_review(inspection_id: int, blind: bool) -> None:
    """Whether reviewers see the model's probability and evidence (False) or the records only."""
    await Inspection.filter(id=inspection_id).update(blind_link_review=blind)


# Fewer settled decisions than this and the figures would mostly be chance.
MIN_DECISIONS = 30


@dataclass
class LinkAccuracy:
    """The model's call (more likely the same child than not) against people's decisions.

    Same child (accepted pairs) the model called the same: agreed links. Different children
    (rejected pairs) and records people separated from a child the model had joined: links
    the model made wrongly. Children people joined that the model had kept apart: links it
    missed. The pairs people decide are the hard ones, so these figures understate how well
    the easy ones are linked."""

    agreed: int
    wrong: int
    missed: int

    @property
    def decisions(self) -> int:
        return self.agreed + self.wrong + self.missed

    @property
    def enough(self) -> bool:
        return self.decisions >= MIN_DECISIONS

    @property
    def precision(self) -> float | None:
        called = self.agreed + self.wrong
        return self.agreed / called if self.enough and called else None

    @property
    def recall(self) -> float | None:
        same = self.agreed + self.missed
        return self.agreed / same if self.enough and same else None

    def summary(self) -> str:
        """One plain sentence, as the linkage page and the workbook's About sheet give it."""
        if not self.enough:
            return (
                f"Too few settled decisions to estimate the linkage's precision and recall "
                f"({self.decisions} so far; at least {MIN_DECISIONS} are needed)."
            )
        parts = [f"estimated from {self.decisions} settled decisions"]
        precision = "not estimable" if self.precision is None else f"{self.precision:.2f}"
        recall = "not estimable" if self.recall is None else f"{self.recall:.2f}"
        return (
            f"Precision {precision}, recall {recall}, {parts[0]} (the hard pairs people decided)."
        )


async def link_accuracy(inspection_id: int) -> LinkAccuracy:
    """Precision and recall of linkage estimated from people's settled decisions."""
    agreed = wrong = missed = 0
    for d in await LinkDecision.filter(
        inspection_id=inspection_id,
        decision__in=[k for k in DecisionKind if k != DecisionKind.PENDING],
    ).values("decision", "evidence"):
        if d["decision"] == DecisionKind.ACCEPT:
            agreed += 1
        elif d["decision"] == DecisionKind.REJECT:
            wrong += 1
        elif d["decision"] == DecisionKind.MERGE:
            missed += 1
        elif (d["evidence"] or {}).get("link_method") == "probabilistic":
            wrong += 1  # a record the model had joined, separated by a person
    return LinkAccuracy(agreed=agreed, wrong=wrong, missed=missed)


SEARCH_LIMIT = 20


@dataclass
class LinkSearch:
    """Children that could be the same child as the one being looked at."""

    rows: list[dict[str, Any]]
    searched: bool
    more: bool = False


async def search_to_link(
    inspection_id: int,
    child_id: int,
    name: str = "",
    dob: date | None = None,
    identifier: str = "",
) -> LinkSearch:
    """Other children of the inspection one of whose records matches every term given: each
    word of ``name`` in a given or family name, the date of birth, or ``identifier`` as an
    NHS number, UPN, authority's child id or agency person id (spaces ignored). The first
    ``SEARCH_LIMIT`` children, by family and given name."""
    words = name.split()[:3]
    ident = "".join(identifier.split())[:64]
    if not words and dob is None and not ident:
        return LinkSearch(rows=[], searched=False)
    records = SourceRecord.filter(inspection_id=inspection_id, child_id__isnull=False).exclude(
        child_id=child_id
    )
    for word in words:
        records = records.filter(Q(given_name__icontains=word) | Q(family_name__icontains=word))
    if dob is not None:
        records = records.filter(dob=dob)
    if ident:
        spaced = " ".join((ident[:3], ident[3:6], ident[6:])) if ident.isdigit() else ident
        # A value longer than a column can be in no row of it: each column is asked only for
        # what it could hold (and nothing matches when none could).
        matches = [
            Q(**{lookup: value})
            for lookup, column, value in (
                ("nhs_number", "nhs_number", ident),
                ("nhs_number", "nhs_number", spaced),
                ("upn__iexact", "upn", ident),
                ("la_child_id", "la_child_id", ident),
                ("person_id__iexact", "person_id", ident),
            )
            if fits(SourceRecord, column, value)
        ]
        if not matches:
            return LinkSearch(rows=[], searched=True)
        records = records.filter(Q(*matches, join_type="OR"))
    found = await records.limit(500).values(*_RECORD_FIELDS)
    by_child: dict[int, list[dict[str, Any]]] = {}
    for r in found:
        by_child.setdefault(r["child_id"], []).append(r)
    children = await Child.filter(inspection_id=inspection_id, id__in=list(by_child)).values(
        "id", "la_child_id", "given_name", "family_name", "dob"
    )
    children.sort(key=lambda c: (c["family_name"].lower(), c["given_name"].lower(), c["id"]))
    for c in children:
        c["records"] = by_child[c["id"]]
        c["agencies"] = sorted({r["agency"] for r in by_child[c["id"]]})
    return LinkSearch(
        rows=children[:SEARCH_LIMIT], searched=True, more=len(children) > SEARCH_LIMIT
    )
