"""The export of a sample costs the same number of queries however many children the
inspection holds, and however many children the sample holds (never one query per child);
the journeys it builds are the sampled children's."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from inspection.audit.rubric import default_rubric
from inspection.export.csv import build_csv
from inspection.export.workbook import build_workbook
from inspection.models import Audit, Child, Event, Inspection, SourceRecord, Upload
from tests.audit.helpers import make_inspection, make_sample
from tests.query_count import count_queries


async def _inspection(code: str, sampled: int, others: int) -> Inspection:
    """``sampled`` children in a sample, each audited, and ``others`` children outside it
    with events and a source record each."""
    inspection = await make_inspection(code)
    _, members = await make_sample(inspection, sampled)
    rubric = await default_rubric()
    for m in members:
        await Audit.create(
            inspection=inspection,
            member=m,
            child_id=m.child_id,
            rubric=rubric,
            status="submitted",
            overall="good",
            strengths="Seen alone",
            submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
        )
    upload = await Upload.create(
        inspection=inspection, source_kind="agency", filename="police.csv", sha256="1" * 64
    )
    await Child.bulk_create(
        [
            Child(inspection=inspection, la_child_id=f"X{i:04d}", given_name=f"Other{i}")
            for i in range(others)
        ]
    )
    outside = await Child.filter(inspection=inspection, la_child_id__startswith="X")
    await SourceRecord.bulk_create(
        [
            SourceRecord(
                inspection=inspection,
                upload=upload,
                agency="police",
                person_id=f"P{c.id:05d}",
                given_name=c.given_name,
                child=c,
            )
            for c in outside
        ]
    )
    await Event.bulk_create(
        [
            Event(
                inspection=inspection,
                child=c,
                upload=upload,
                agency="police",
                kind="police_concern",
                start=date(2026, 3, d),
            )
            for c in outside
            for d in (1, 2)
        ]
    )
    return inspection


def _events_read_by_child(statements: list[str]) -> bool:
    """Every statement that reads events asks for some children's only."""
    reads = [q for q in statements if re.search(r'FROM "?event"?\b', q)]
    return bool(reads) and all(re.search(r'"?child_id"? IN \(|ANY\(', q) for q in reads)


async def _workbook_queries(inspection: Inspection) -> tuple[int, int]:
    with count_queries() as queries:
        export = await build_workbook(inspection.id, None, key=b"k" * 32)
    assert _events_read_by_child(queries.statements)
    journeys = load_workbook(io.BytesIO(export.data))["Journeys"]
    return queries.count, journeys.max_row - 1


async def _csv_queries(inspection: Inspection) -> int:
    with count_queries() as queries:
        await build_csv(inspection.id, None, key=b"k" * 32)
    assert _events_read_by_child(queries.statements)
    return queries.count


async def test_export_queries_do_not_depend_on_the_children_the_inspection_holds(db):
    alone = await _inspection("E01", 30, 0)
    crowded = await _inspection("E02", 30, 120)
    small = await _inspection("E03", 10, 120)
    q_alone, journeys_alone = await _workbook_queries(alone)
    q_crowded, journeys_crowded = await _workbook_queries(crowded)
    q_small, journeys_small = await _workbook_queries(small)
    assert q_alone == q_crowded == q_small
    # One row per event of each sampled child (make_sample: 1 event, 3 for every third
    # child), none of the others'.
    assert journeys_alone == journeys_crowded == 30 + 2 * 10
    assert journeys_small == 10 + 2 * 4
    assert await _csv_queries(alone) == await _csv_queries(crowded) == await _csv_queries(small)
