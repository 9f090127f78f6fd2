"""The records linked to a child, as the journey page shows them: which agency holds each, what
it says about the child, and how it came to be linked, in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise.functions import Count

from inspection.evidence.codes import sex_label
from inspection.journey import kinds
from inspection.journey.comparison_words import FIELD_LABELS
from inspection.models import LinkDecision, SourceRecord
from inspection.models.children import IDENTITY_FIELDS


def _in_sentence(label: str) -> str:
    """A field's label inside a sentence: "Date of birth" → "date of birth", "NHS number" kept."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


FIELD_NAMES = {field: _in_sentence(label) for field, label in FIELD_LABELS.items()}
_BY_IDENTIFIER = {
    "la_child_id": "By the authority's child id",
    "nhs_number": "By NHS number",
    "upn": "By unique pupil number (UPN)",
    "agency_id": "By the agency's own person id",
}


@dataclass(frozen=True)
class LinkedRecord:
    id: int
    agency: str  # "Police"
    person_id: str  # the agency's own id for the person
    file: str
    name: str
    dob: date | None
    sex: str  # "Male"
    postcode: str
    nhs_number: str
    upn: str
    linked_by: str  # how it was linked, in words
    events: int  # how many of the child's events came from it

    @property
    def described(self) -> str:
        """The record in one line: "Police record PP1 (Olly Brown, born 06/05/2014)"."""
        about = [self.name or "no name recorded"]
        about.append(f"born {self.dob:%d/%m/%Y}" if self.dob else "no date of birth")
        return f"{self.agency} record {self.person_id} ({', '.join(about)})"


def _percent(probability: float) -> str:
    if probability >= 0.999:
        return "more than 99.9%"
    if probability >= 0.99:
        return f"{probability:.1%}"
    return f"{probability:.0%}"


def linked_by(method: str, probability: float | None, evidence: dict[str, Any] | None) -> str:
    """How a record was linked to its child, in words."""
    evidence = evidence or {}
    if method in _BY_IDENTIFIER:
        return _BY_IDENTIFIER[method]
    if method == "probabilistic":
        fields = evidence.get("fields") or {}
        agreed = [
            f"{FIELD_NAMES.get(f, f.replace('_', ' '))} {level}"
            for f, level in fields.items()
            if level not in ("missing", "")
        ]
        likely = f"{_percent(probability)} likely the same child" if probability else ""
        parts = [p for p in (likely, "; ".join(agreed)) if p]
        return "By matching what the records say" + (f": {', '.join(parts)}" if parts else "")
    if method == "manual":
        if evidence.get("kind") == "split":
            return "Separated by hand from another child's records"
        return "Joined by hand"
    if method == "none":
        return "No other record of this child was found"
    return "Not linked yet"


async def linked_records(inspection_id: int, child_id: int) -> list[LinkedRecord]:
    """The source records linked to a child, agency by agency, with how each was linked."""
    rows = (
        await SourceRecord.filter(inspection_id=inspection_id, child_id=child_id)
        .annotate(event_count=Count("events"))
        .group_by("id", "upload__filename")
        .order_by("agency", "id")
        .values(
            "id",
            *IDENTITY_FIELDS,
            "link_method",
            "link_probability",
            "link_evidence",
            "upload__filename",
            "event_count",
        )
    )
    return [
        LinkedRecord(
            id=r["id"],
            agency=kinds.agency_label(r["agency"]),
            person_id=r["person_id"] or r["la_child_id"] or "",
            file=r["upload__filename"] or "",
            name=f"{r['given_name'] or ''} {r['family_name'] or ''}".strip(),
            dob=r["dob"],
            sex=sex_label(r["sex"]),
            postcode=r["postcode"] or "",
            nhs_number=r["nhs_number"] or "",
            upn=r["upn"] or "",
            linked_by=linked_by(r["link_method"] or "", r["link_probability"], r["link_evidence"]),
            events=r["event_count"],
        )
        for r in rows
    ]


async def linked_record(inspection_id: int, child_id: int, record_id: int) -> LinkedRecord | None:
    """One of a child's records, or None if it is not one of them."""
    for record in await linked_records(inspection_id, child_id):
        if record.id == record_id:
            return record
    return None


async def separated_from(inspection_id: int, child_id: int, record_id: int) -> str:
    """What the journey page says after a record was separated from the child by hand ("" if
    that record was never separated from this child)."""
    separated = await LinkDecision.exists(
        inspection_id=inspection_id, child_id=child_id, left_record_id=record_id, decision="split"
    )
    record = await SourceRecord.get_or_none(id=record_id, inspection_id=inspection_id)
    if not separated or record is None:
        return ""
    return (
        f"The {kinds.agency_label(record.agency).lower()} record "
        f"{record.person_id or record.la_child_id} is no "
        "longer part of this child's journey."
    )
