"""A read file's table rows, made before its transaction begins.

Everything about a row that does not depend on what the database already holds is made here,
right after the file is read (in a batch, while the file before it is still being written):
values cut to their column lengths, attributes encoded as JSON text, each event's source
record found. The write then adds only what the database decides (the upload's id, children's
and records' ids) by joining a short tail to each row, and orders the rows by child.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from inspection.evidence.staged import Staged
from inspection.models.children import IDENTITY_FIELDS

# Column order of the prepared rows; the write appends each table's TAIL columns.
CHILD_HEAD = (
    "inspection_id",
    "la_child_id",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "ethnicity",
    "disability",
    "team",
    "worker",
    "attributes",
    "postcode",
)
CHILD_TAIL = ("id",)
RECORD_HEAD = (
    "inspection_id",
    *IDENTITY_FIELDS,
    "address",
    "link_probability",
    "link_evidence",
)
RECORD_TAIL = ("upload_id", "child_id", "link_method")
EVENT_HEAD = (
    "inspection_id",
    "agency",
    "kind",
    "start",
    "end",
    "source_sheet",
    "source_row",
    "attributes",
    "team",
    "worker",
)
EVENT_TAIL = ("upload_id", "record_id", "child_id")

_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def encode_json(value: Any) -> str:
    """What ``json.dumps(value, separators=(",", ":"), default=str)`` means, four times faster:
    orjson, with dates and times handed to ``str`` as json's ``default=str`` would, and keys
    that are not text written as text. (Unlike json, non-ASCII text is written as UTF-8, not
    escaped, and NaN as null: the same value once parsed, and one PostgreSQL accepts.)"""
    return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()


@dataclass
class Rows:
    """One file's rows, each in its table's HEAD column order."""

    children: list[tuple[Any, ...]]  # in la_child_id order (the unique index's)
    named: list[str]  # every la_child_id the file names, as its records and children give it
    records: list[tuple[Any, ...]]  # in the reader's order
    record_children: list[str]  # each record's la_child_id ('' when it gives none)
    events: list[tuple[Any, ...]]  # in the reader's order
    event_records: np.ndarray  # each event's record, as its position in ``records``


def prepare(staged: Staged, inspection_id: int) -> Rows:
    children = sorted(
        (
            (
                inspection_id,
                (facts.la_child_id or "")[:64],
                (facts.given_name or "")[:100],
                (facts.family_name or "")[:100],
                facts.dob,
                (facts.sex or "")[:1],
                (facts.ethnicity or "")[:10],
                (facts.disability or "")[:1],
                (facts.team or "")[:100],
                (facts.worker or "")[:100],
                encode_json(facts.attributes),
                "",
            )
            for facts in (staged.children.values() if staged.creates_children else ())
        ),
        key=lambda row: row[1],
    )
    records: list[tuple[Any, ...]] = []
    record_children: list[str] = []
    for record in staged.records.values():
        # The cuts are inlined: this runs once per person.
        records.append(
            (
                inspection_id,
                (record.agency or "")[:60],
                (record.person_id or "")[:100],
                (record.la_child_id or "")[:64],
                (record.nhs_number or "")[:20],
                (record.upn or "")[:20],
                (record.given_name or "")[:100],
                (record.family_name or "")[:100],
                record.dob,
                (record.sex or "")[:1],
                (record.postcode or "")[:10],
                (record.address or "")[:200],
                None,
                "{}",  # link_evidence, as JSON text
            )
        )
        record_children.append(record.la_child_id or "")
    named = {la_id for la_id in record_children if la_id}
    named.update(row[1] for row in children)
    return Rows(
        children=children,
        named=sorted(named),
        records=records,
        record_children=record_children,
        events=_events(staged, inspection_id),
        event_records=_event_records(staged),
    )


def _events(staged: Staged, inspection_id: int) -> list[tuple[Any, ...]]:
    """Readers share one attributes dict between the events of one source row (a start and
    its end), next to each other: it is encoded once."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    shared: dict[str, Any] | None = None
    text = ""
    for _, agency, kind, start, end, sheet, row, attributes, team, worker in staged.events:
        if attributes is not shared:
            shared, text = attributes, encode_json(attributes)
        append(
            (
                inspection_id,
                (agency or "")[:60],
                (kind or "")[:60],
                start,
                end,
                (sheet or "")[:100],
                row,
                text,
                (team or "")[:100],
                (worker or "")[:100],
            )
        )
    return rows


def _event_records(staged: Staged) -> np.ndarray:
    position = {key: index for index, key in enumerate(staged.records)}
    return np.fromiter(
        (position[event[0]] for event in staged.events), dtype=np.int64, count=len(staged.events)
    )
