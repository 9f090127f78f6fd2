"""The records linked to a child, as the journey page shows them: which agency holds each, what
it says about the child, and how it came to be linked, in words. The identifiers each gave are
read through ``person_ids``, the one place they are kept."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise import connections

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


_LINKED_SQL = (
    f"SELECT r.id, {', '.join(f'r.{f}' for f in IDENTITY_FIELDS)}, r.link_method, "
    "r.link_probability, r.link_evidence, u.filename AS upload_filename, "
    "COUNT(e.id) AS event_count "
    "FROM source_record r LEFT JOIN upload u ON u.id = r.upload_id "
    "LEFT JOIN event e ON e.record_id = r.id "
    "WHERE r.inspection_id = {p1} AND r.child_id = {p2} "
    "GROUP BY r.id, u.filename ORDER BY r.agency, r.id"
)


def _evidence(value: Any) -> dict[str, Any] | None:
    """A record's link evidence as stored: a mapping, or JSON text."""
    loaded = json.loads(value) if isinstance(value, (str, bytes)) else value
    return loaded if isinstance(loaded, dict) else None


def _day(value: Any) -> date | None:
    """A stored date (a date, or ISO text on SQLite)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def linked_records(inspection_id: int, child_id: int) -> list[LinkedRecord]:
    """The source records linked to a child, agency by agency, with how each was linked and
    how many events came from it: one query (a statement of its own, as the journey's is: the
    journey page sends it on every view)."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    sql = _LINKED_SQL.format(p1="$1" if postgres else "?", p2="$2" if postgres else "?")
    rows = await conn.execute_query_dict(sql, [inspection_id, child_id])
    return [
        LinkedRecord(
            id=r["id"],
            agency=kinds.agency_label(r["agency"]),
            person_id=r["person_id"] or r["la_child_id"] or "",
            file=r["upload_filename"] or "",
            name=f"{r['given_name'] or ''} {r['family_name'] or ''}".strip(),
            dob=_day(r["dob"]),
            sex=sex_label(r["sex"]),
            postcode=r["postcode"] or "",
            linked_by=linked_by(
                r["link_method"] or "", r["link_probability"], _evidence(r["link_evidence"])
            ),
            events=int(r["event_count"]),
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
