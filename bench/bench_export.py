"""The QA workbook of a 30-child sample, from a small and a large authority, in one run.

    python bench/bench_export.py [--large 100000] [--small 860] [--sample 30]
                                 [--database URL] [--files DIR] [--identifiable]

For each size, the synthetic generator (``inspection.synthetic.generate``) writes an authority
and its Annex A is loaded through the importer (``inspection.evidence.load.import_file``) into
its own inspection of one database (a fresh SQLite file by default; ``--database`` a PostgreSQL
URL, whose database is dropped and created). A 30-child simple random sample is drawn
(``inspection.sampling.service.draw_sample``) and every sampled child gets a submitted audit on
the built-in rubric. Then, for each inspection, ``build_workbook`` (pseudonymised, the default;
``--identifiable`` for the other kind) is timed (best of 3) and its peak memory measured in a
separate run under ``tracemalloc`` (the Python heap allocated while exporting, above what was
held before).

The floor, measured in the same run from the same tables: openpyxl writing exactly the rows of
the workbook's sheets in write-only mode, timed and traced the same way. Prints the time and peak
memory of both exports, the ratio large/small (goal: at most 1.5 in time and in memory) and each
export's ratio to its floor. Asserts nothing.

``--files DIR`` keeps the generated authorities in DIR (``DIR/la<N>``) and reuses them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from openpyxl import Workbook
from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspection.audit.rubric import default_rubric  # noqa: E402
from inspection.audit.visibility import COMMAND_LINE  # noqa: E402
from inspection.evidence.load import import_file  # noqa: E402
from inspection.export.pseudonymise import Pseudonymiser  # noqa: E402
from inspection.export.tables import Table, all_tables, load_context  # noqa: E402
from inspection.export.workbook import build_workbook  # noqa: E402
from inspection.inspections import add_local_authority, create_inspection  # noqa: E402
from inspection.models import Audit, Child, Event, SampleMember, Score, User  # noqa: E402
from inspection.sampling.service import draw_sample  # noqa: E402
from inspection.settings import Settings, tortoise_config  # noqa: E402
from inspection.synthetic import generate  # noqa: E402

REFERENCE = date(2026, 11, 2)
MIB = 1024 * 1024


def authority(size: int, files: Path) -> Path:
    """The synthetic authority of ``size`` people (generated once per directory)."""
    out = files / f"la{size}"
    if not (out / "annex_a.xlsx").exists():
        started = time.perf_counter()
        generate(size, 1, out, reference_date=REFERENCE)
        print(f"  generated {size:,} people in {time.perf_counter() - started:.1f} s")
    return out


async def build(size: int, files: Path, settings: Settings, sample_size: int) -> int:
    """An inspection holding the authority's Annex A, a drawn sample and its audits."""
    la = await add_local_authority(f"B{size}", f"Benchshire {size}")
    inspection = await create_inspection(la.code, "ilacs-standard", f"Bench {size}", REFERENCE)
    started = time.perf_counter()
    await import_file(
        inspection.id, authority(size, files) / "annex_a.xlsx", "annex-a", None, settings
    )
    children = await Child.filter(inspection_id=inspection.id).count()
    events = await Event.filter(inspection_id=inspection.id).count()
    print(
        f"  {size:,} people: Annex A of {children:,} children and {events:,} events "
        f"loaded in {time.perf_counter() - started:.1f} s"
    )
    sample = await draw_sample(inspection.id, {}, size=sample_size, seed="be7c", purpose="QA")
    auditor = await User.get(email="bench@example.org")
    rubric = await default_rubric()
    grades = [g["value"] for g in rubric.definition["scale"]]
    rng = random.Random(size)
    members = await SampleMember.filter(sample_id=sample.id).order_by("id")
    for m in members:
        audit = await Audit.create(
            inspection_id=inspection.id,
            member=m,
            child_id=m.child_id,
            auditor=auditor,
            rubric=rubric,
            status="submitted",
            overall=rng.choice(grades),
            strengths="Seen alone at home; the plan was reviewed on time.",
            improvements="Record the child's own words in the assessment.",
            submitted_at=datetime(2026, 11, 10, tzinfo=UTC),
        )
        await Score.bulk_create(
            [
                Score(
                    inspection_id=inspection.id,
                    audit=audit,
                    domain=d["key"],
                    grade=rng.choice(grades),
                    evidence="The chronology shows the referral was acted on the same day.",
                )
                for d in rubric.definition["domains"]
            ]
        )
    return int(inspection.id)


def write_floor(tables: list[Table]) -> bytes:
    """The same rows, written plainly by openpyxl in write-only mode."""
    wb = Workbook(write_only=True)
    for table in tables:
        ws = wb.create_sheet(table.sheet[:31])
        ws.append([c.header for c in table.columns])
        for row in table.rows:
            ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def measure(run: Callable[[], Awaitable[Any]], repeats: int = 3) -> tuple[float, float]:
    """Best time of ``repeats`` runs, then the peak traced memory (MiB) of one more."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        await run()
        best = min(best, time.perf_counter() - started)
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    await run()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return best, peak / MIB


async def fresh_postgres(url: str) -> None:
    base, name = url.rsplit("/", 1)
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(args.files) if args.files else Path(tmp)
        url = args.database or f"sqlite://{tmp}/bench.sqlite3"
        if url.startswith("postgres"):
            await fresh_postgres(url)
        settings = Settings(data_dir=Path(tmp) / "data", database_url=url, secret_key="b" * 48)
        await Tortoise.init(config=tortoise_config(url))
        try:
            results = await run(args, files, settings)
        finally:
            await Tortoise.close_connections()
    report(results, args, url)


async def run(
    args: argparse.Namespace, files: Path, settings: Settings
) -> dict[str, tuple[float, float, float, float]]:
    """Build both inspections and measure their workbooks (and floors)."""
    await Tortoise.generate_schemas()
    await User.create(
        email="bench@example.org",
        name="Bench Auditor",
        password_hash="x",  # noqa: S106
        role="lead_inspector",
    )
    pseudonymise = not args.identifiable
    key = b"k" * 32
    results: dict[str, tuple[float, float, float, float]] = {}
    for label, size in (("small", args.small), ("large", args.large)):
        inspection_id = await build(size, files, settings, args.sample)

        async def export(inspection_id: int = inspection_id) -> Any:
            return await build_workbook(
                inspection_id, None, pseudonymise=pseudonymise, key=key, export_id="bench"
            )

        workbook = await export()
        ctx = await load_context(
            inspection_id, COMMAND_LINE, Pseudonymiser(key) if pseudonymise else None
        )
        tables = await all_tables(ctx)

        async def floor(tables: list[Table] = tables) -> bytes:
            return write_floor(tables)

        seconds, mib = await measure(export)
        floor_seconds, floor_mib = await measure(floor)
        rows = sum(len(t.rows) for t in tables)
        results[label] = (seconds, mib, floor_seconds, floor_mib)
        print(
            f"{label} ({size:,} people): workbook {seconds:.2f} s, {mib:.0f} MiB peak "
            f"({rows:,} rows, {len(workbook.data) / 1e6:.2f} MB); floor (openpyxl "
            f"write-only, same rows) {floor_seconds:.2f} s, {floor_mib:.0f} MiB; "
            f"ratio to floor {seconds / floor_seconds:.1f}x in time, "
            f"{mib / floor_mib:.1f}x in memory"
        )
    return results


def report(
    results: dict[str, tuple[float, float, float, float]], args: argparse.Namespace, url: str
) -> None:
    pseudonymise = not args.identifiable
    small, large = results["small"], results["large"]
    print(
        f"large/small: {large[0] / small[0]:.2f}x in time, {large[1] / small[1]:.2f}x in memory "
        f"(goal <= 1.5x); floors large/small {large[2] / small[2]:.2f}x, "
        f"{large[3] / small[3]:.2f}x ({'pseudonymised' if pseudonymise else 'identifiable'}, "
        f"{'PostgreSQL' if url.startswith('postgres') else 'SQLite'}, "
        f"load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000, help="people in the large one")
    parser.add_argument("--small", type=int, default=860, help="people in the small one")
    parser.add_argument("--sample", type=int, default=30, help="children in the sample")
    parser.add_argument("--database", help="a PostgreSQL URL (default: a fresh SQLite file)")
    parser.add_argument("--files", help="keep and reuse the generated authorities here")
    parser.add_argument("--identifiable", action="store_true", help="export without pseudonyms")
    asyncio.run(main(parser.parse_args()))
