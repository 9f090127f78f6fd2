"""How long the full QA workbook takes for 200 audited children with their chronologies.

Builds an inspection directly in a fresh SQLite database (or INSPECTION_BENCH_DATABASE): 200
sampled children, ~40 events each, one submitted audit per child on the built-in rubric, then
times ``build_workbook`` and, as the floor, openpyxl writing the same number of cells plainly in
write-only mode. Target: at most 5 s for the workbook.

    /tmp/v/bin/python bench/bench_export.py
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from openpyxl import Workbook
from tortoise import Tortoise

from inspection.audit.rubric import default_rubric
from inspection.audit.visibility import COMMAND_LINE
from inspection.export.tables import all_tables, load_context
from inspection.export.workbook import build_workbook
from inspection.models import (
    Audit,
    Child,
    Event,
    Inspection,
    LocalAuthority,
    Sample,
    SampleMember,
    Score,
    Upload,
    User,
)
from inspection.settings import tortoise_config

CHILDREN = 200
EVENTS_PER_CHILD = 40
KINDS = [
    "contact",
    "referral",
    "assessment_start",
    "police_domestic_abuse",
    "ed_attendance",
    "school_concern",
    "cin_plan_start",
    "strategy_discussion",
    "missing_episode",
]
AGENCIES = ["social_care", "police", "health", "education"]


async def build() -> int:
    rng = random.Random(42)
    la = await LocalAuthority.create(code="B1", name="Benchshire")
    user = await User.create(
        email="b@example.org",
        name="Bench",
        password_hash="x",  # noqa: S106
        role="lead_inspector",
    )
    insp = await Inspection.create(
        la=la, kind="self-audit", title="Bench", reference_date=date(2026, 11, 1)
    )
    upload = await Upload.create(
        inspection=insp, source_kind="annex-a", filename="a.xlsx", sha256="0" * 64
    )
    await Child.bulk_create(
        [
            Child(
                inspection=insp,
                la_child_id=f"C{i:05d}",
                given_name=f"Name{i}",
                family_name=f"Family{i}",
                dob=date(2010, 1, 1) + timedelta(days=i * 13),
                postcode="LS6 2AB",
            )
            for i in range(CHILDREN)
        ]
    )
    children = await Child.filter(inspection=insp).order_by("id")
    events = []
    for child in children:
        for _ in range(EVENTS_PER_CHILD):
            start = date(2024, 1, 1) + timedelta(days=rng.randrange(900))
            events.append(
                Event(
                    inspection=insp,
                    child=child,
                    upload=upload,
                    agency=rng.choice(AGENCIES),
                    kind=rng.choice(KINDS),
                    start=start,
                    source_sheet="List_1",
                    source_row=rng.randrange(2, 5000),
                    team="Team A",
                    worker="A. Worker",
                )
            )
    await Event.bulk_create(events, batch_size=2000)
    sample = await Sample.create(
        inspection=insp, method="srs", seed="42", population_hash="0", population_size=CHILDREN
    )
    await SampleMember.bulk_create(
        [
            SampleMember(
                inspection_id=insp.id,
                sample=sample,
                child=c,
                population_key=c.la_child_id,
                stratum="all",
                inclusion_probability=1.0,
                weight=1.0,
                order=i,
                status="selected",
            )
            for i, c in enumerate(children)
        ]
    )
    members = await SampleMember.filter(sample=sample).order_by("id")
    rubric = await default_rubric()
    grades = [g["value"] for g in rubric.definition["scale"]]
    await Audit.bulk_create(
        [
            Audit(
                inspection=insp,
                member=m,
                child_id=m.child_id,
                auditor=user,
                rubric=rubric,
                status="submitted",
                overall=rng.choice(grades),
                strengths="Seen alone",
                improvements="Plan sooner",
                submitted_at=datetime(2026, 11, 10, tzinfo=UTC),
            )
            for m in members
        ]
    )
    scores = []
    for audit in await Audit.filter(inspection=insp):
        for d in rubric.definition["domains"]:
            scores.append(
                Score(
                    inspection_id=insp.id,
                    audit=audit,
                    domain=d["key"],
                    grade=rng.choice(grades),
                    evidence="Evidence " * 8,
                )
            )
    await Score.bulk_create(scores, batch_size=2000)
    return insp.id


def floor(cells_per_sheet: list[tuple[int, int]]) -> float:
    start = time.perf_counter()
    wb = Workbook(write_only=True)
    for rows, cols in cells_per_sheet:
        ws = wb.create_sheet()
        row = ["text value", 12345, date(2026, 1, 1)] * (cols // 3 + 1)
        for _ in range(rows):
            ws.append(row[:cols])
    wb.save(io.BytesIO())
    return time.perf_counter() - start


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("INSPECTION_BENCH_DATABASE") or f"sqlite://{tmp}/bench.sqlite3"
        await Tortoise.init(config=tortoise_config(url))
        await Tortoise.generate_schemas()
        inspection_id = await build()
        tables = await all_tables(await load_context(inspection_id, COMMAND_LINE))
        shape = [(len(t.rows) + 1, len(t.columns)) for t in tables]
        cells = sum(r * c for r, c in shape)
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            export = await build_workbook(
                inspection_id, None, pseudonymise=False, export_id="bench"
            )
            timings.append(time.perf_counter() - start)
        best = min(timings)
        floor_s = min(floor(shape) for _ in range(3))
        await Tortoise.close_connections()
    print(
        f"children {CHILDREN}, events {CHILDREN * EVENTS_PER_CHILD}, cells {cells}, "
        f"workbook {len(export.data) / 1e6:.2f} MB"
    )
    print(f"full workbook: {best:.2f} s (best of 3; target <= 5 s)")
    print(f"floor (openpyxl write-only, same cells): {floor_s:.2f} s")
    print(f"ratio to floor: {best / floor_s:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
