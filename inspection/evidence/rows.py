"""A read file's staging rows, made before its transaction begins.

Everything about a row that does not depend on what the database already holds is made here,
right after the file is read (in a batch, while the file before it is still being written):
values cut to their column lengths, attributes encoded as JSON text, each record numbered and
each event given its record's number. The write copies these rows into the staging tables
below and lets the database find every id (``load._write``).

Each staging row is made from the reader's named facts by one function beside its table, so a
row's values are in its table's column order by construction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from inspection.evidence.bulk import Stage
from inspection.evidence.identifiers import Scheme, agency_scheme, verdict
from inspection.evidence.staged import (
    ChildFacts,
    EventFacts,
    IdentifierFacts,
    RecordFacts,
    Staged,
)

_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def encode_json(value: Any) -> str:
    """What ``json.dumps(value, separators=(",", ":"), default=str)`` means, four times faster:
    orjson, with dates and times handed to ``str`` as json's ``default=str`` would, and keys
    that are not text written as text. (Unlike json, non-ASCII text is written as UTF-8, not
    escaped, and NaN as null: the same value once parsed, and one PostgreSQL accepts.)"""
    return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()


# The children a file gives, keyed by la_child_id (Annex A, the CIN census, the social-care
# person list create children; other extracts only name them).
STAGE_CHILD = Stage(
    "stage_child",
    (
        ("la_child_id", "text"),
        ("given_name", "text"),
        ("family_name", "text"),
        ("dob", "date"),
        ("sex", "text"),
        ("ethnicity", "text"),
        ("disability", "text"),
        ("team", "text"),
        ("worker", "text"),
        ("attributes", "jsonb"),
        ("death_date", "date"),
    ),
)


def child_key(facts: ChildFacts) -> str:
    """The child's key as the database holds it (cut to the column's length)."""
    return (facts.la_child_id or "")[:64]


def child_row(facts: ChildFacts) -> tuple[Any, ...]:
    return (
        child_key(facts),
        (facts.given_name or "")[:100],
        (facts.family_name or "")[:100],
        facts.dob,
        (facts.sex or "")[:1],
        (facts.ethnicity or "")[:10],
        (facts.disability or "")[:1],
        (facts.team or "")[:100],
        (facts.worker or "")[:100],
        encode_json(facts.attributes),
        facts.death_date,
    )


# One person as the file records them; ``n`` is the record's place in the file.
STAGE_RECORD = Stage(
    "stage_record",
    (
        ("n", "int"),
        ("agency", "text"),
        ("person_id", "text"),
        ("la_child_id", "text"),
        ("nhs_number", "text"),
        ("upn", "text"),
        ("given_name", "text"),
        ("family_name", "text"),
        ("dob", "date"),
        ("sex", "text"),
        ("postcode", "text"),
        ("address", "text"),
    ),
    sqlite_indexes=(("n",), ("agency", "person_id")),
)


def record_key(record: RecordFacts) -> tuple[str, str]:
    """The record's key as the database holds it (cut to the columns' lengths)."""
    return (record.agency or "")[:60], (record.person_id or "")[:100]


def record_row(n: int, record: RecordFacts) -> tuple[Any, ...]:
    return (
        n,
        *record_key(record),
        (record.la_child_id or "")[:64],
        (record.nhs_number or "")[:20],
        (record.upn or "")[:20],
        (record.given_name or "")[:100],
        (record.family_name or "")[:100],
        record.dob,
        (record.sex or "")[:1],
        (record.postcode or "")[:10],
        (record.address or "")[:200],
    )


# One event; ``n`` is its place in the file, ``record_n`` its record's.
STAGE_EVENT = Stage(
    "stage_event",
    (
        ("n", "int"),
        ("record_n", "int"),
        ("agency", "text"),
        ("kind", "text"),
        ("start", "date"),
        ("end", "date"),
        ("source_sheet", "text"),
        ("source_row", "int"),
        ("attributes", "json"),
        ("team", "text"),
        ("worker", "text"),
    ),
)


def event_row(n: int, record_n: int, event: EventFacts, attributes: str) -> tuple[Any, ...]:
    return (
        n,
        record_n,
        (event.agency or "")[:60],
        (event.kind or "")[:60],
        event.start,
        event.end,
        (event.sheet or "")[:100],
        event.row,
        attributes,
        (event.team or "")[:100],
        (event.worker or "")[:100],
    )


# Every identifier the file gives for a person; ``record_n`` is its record's number.
STAGE_IDENTIFIER = Stage(
    "stage_identifier",
    (
        ("record_n", "int"),
        ("scheme", "text"),
        ("value", "text"),
        ("valid", "bool"),
        ("valid_from", "date"),
        ("valid_to", "date"),
    ),
    sqlite_indexes=(("record_n",),),
)


def identifiers_of(record: RecordFacts) -> list[IdentifierFacts]:
    """Every identifier a record gives, each once: the authority's child id, the NHS number,
    the UPN, the agency's own person id (unless it is the authority's child id again, as a
    social-care record's is), then the further ones the reader found (a former UPN)."""
    given = [
        IdentifierFacts(Scheme.LA_CHILD_ID, record.la_child_id),
        IdentifierFacts(Scheme.NHS_NUMBER, record.nhs_number),
        IdentifierFacts(Scheme.UPN, record.upn),
    ]
    if record.person_id != record.la_child_id:
        given.append(IdentifierFacts(agency_scheme(record.agency), record.person_id))
    seen: set[tuple[Scheme, str]] = set()
    kept = []
    for facts in (*given, *record.identifiers):
        key = (facts.scheme, (facts.value or "").strip())
        if key[1] and key not in seen:
            seen.add(key)
            kept.append(facts)
    return kept


def identifier_row(record_n: int, facts: IdentifierFacts) -> tuple[Any, ...]:
    value = (facts.value or "").strip()
    valid = verdict(facts.scheme, value)
    return (
        record_n,
        facts.scheme.value,
        value[:100],
        valid,
        facts.valid_from,
        facts.valid_to,
    )


@dataclass
class Rows:
    """One file's staging rows, each in its stage's column order."""

    children: list[tuple[Any, ...]]
    records: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    identifiers: list[tuple[Any, ...]]


def prepare(staged: Staged) -> Rows:
    """The staging rows of a read file. Keys are cut to their column lengths, so two keys
    that differ only beyond them (a hostile file's 200-character ids) would be one row in the
    database: the first is kept, and the events of a later one go to it."""
    children: dict[str, tuple[Any, ...]] = {}
    for facts in staged.children.values() if staged.creates_children else ():
        if child_key(facts) not in children:
            children[child_key(facts)] = child_row(facts)
    numbers: dict[tuple[str, str], int] = {}  # each record's number, by its key in ``staged``
    kept: dict[tuple[str, str], int] = {}  # the number of the record kept for each cut key
    records: list[tuple[Any, ...]] = []
    identifiers: list[tuple[Any, ...]] = []
    for key, record in staged.records.items():
        cut = record_key(record)
        if cut not in kept:
            kept[cut] = len(records)
            records.append(record_row(len(records), record))
            identifiers += (identifier_row(kept[cut], f) for f in identifiers_of(record))
        numbers[key] = kept[cut]
    return Rows(
        children=list(children.values()),
        records=records,
        events=_events(staged, numbers),
        identifiers=identifiers,
    )


def _events(staged: Staged, numbers: dict[tuple[str, str], int]) -> list[tuple[Any, ...]]:
    """Readers share one attributes dict between the events of one source row (a start and
    its end), next to each other: it is encoded once."""
    rows: list[tuple[Any, ...]] = []
    shared: dict[str, Any] | None = None
    text = ""
    for n, event in enumerate(staged.events):
        if event.attributes is not shared:
            shared, text = event.attributes, encode_json(event.attributes)
        rows.append(event_row(n, numbers[event.record], event, text))
    return rows
