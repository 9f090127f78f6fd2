"""Import a synthetic authority (Annex A, CIN census, five agency extracts) into PostgreSQL.

Prints rows per second, peak memory and the ratio to a floor measured in the same run: reading
the same files with the fastest plain readers (python-calamine for the workbook, ``csv.reader``
for the CSVs, ``xml.etree`` for the XML) plus asyncpg ``copy_records_to_table`` of as many rows
as the import wrote into the real event table, its keys checked (rolled back). Targets: ratio
<= 2.0, peak memory <= 2 GiB.

    python bench/bench_import.py [CHILDREN] [POSTGRES_URL]

The files are generated in a child process (``inspection synth``) so its memory is not counted;
the import's loader processes are counted (resident memory of the whole process tree, sampled
every 100 ms). A throwaway database is created and dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ElementTree  # noqa: S405 - our own generated file
from datetime import date
from pathlib import Path

import asyncpg
from python_calamine import CalamineWorkbook
from tortoise import Tortoise

from inspection.db import upgrade
from inspection.evidence.bundle import import_files
from inspection.evidence.load import EvidenceFile
from inspection.models import Inspection, LocalAuthority
from inspection.settings import Settings, tortoise_config

CHILDREN = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
SERVER = sys.argv[2] if len(sys.argv) > 2 else "postgresql://postgres@127.0.0.1:5432/postgres"
FILES = (
    ("annex_a.xlsx", "annex-a", None),
    ("cin_census.xml", "cin-census", None),
    ("social_care.csv", "agency", "social_care"),
    ("police.csv", "agency", "police"),
    ("health.csv", "agency", "health"),
    ("education.csv", "agency", "education"),
    ("early_help.csv", "agency", "early_help"),
)


def _url(name: str) -> str:
    return SERVER.rsplit("/", 1)[0] + f"/{name}"


class MemoryWatch(threading.Thread):
    """The import's memory: every 100 ms, the resident memory of this process and of every
    process it started (the loaders and the server they are forked from), added up. The
    largest total is the peak; shared pages are counted once per process, so it errs high."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stopped.wait(0.1):
            total = 0
            for pid in _self_and_descendants():
                with contextlib.suppress(OSError, IndexError, ValueError):  # it has just ended
                    total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
            self.peak = max(self.peak, total)

    def stop(self) -> float:
        self.stopped.set()
        self.join()
        return max(self.peak / 1024**2, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def _self_and_descendants() -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found = [os.getpid()]
    for pid in found:
        found.extend(children.get(pid, []))
    return found


async def run_import(directory: Path, database: str, data_dir: Path) -> tuple[float, int, int]:
    url = _url(database).replace("postgresql://", "postgres://", 1)
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench" * 10,
        max_upload_bytes=2 * 1024**3,
    )
    await upgrade(settings)  # the schema a user's database has: the migrations'
    await Tortoise.init(config=tortoise_config(url))
    la = await LocalAuthority.create(code="990", name="Synthshire")
    inspection = await Inspection.create(
        la=la, kind="ilacs-standard", title="bench", reference_date=date(2026, 11, 2)
    )
    files = [EvidenceFile(directory / name, kind, agency) for name, kind, agency in FILES]
    marks: dict[tuple[str, str], float] = {}

    def progress(file: EvidenceFile, stage: str, fraction: float) -> None:
        marks.setdefault((file.name, stage), time.perf_counter())

    start = time.perf_counter()
    results = await import_files(inspection.id, files, settings, progress=progress)
    seconds = time.perf_counter() - start
    await Tortoise.close_connections()
    written = rows_read = 0
    for file, summary in zip(files, results, strict=True):
        if isinstance(summary, Exception):
            raise summary
        rows = sum(t["rows"] for t in summary.tables)
        issues = sum(summary.issues.values())
        wrote = summary.children + summary.records + summary.events + issues
        rows_read += rows
        written += wrote
        reading = (
            marks[(file.name, "Writing to the database")] - marks[(file.name, "Reading the file")]
        )
        writing = marks[(file.name, "Done")] - marks[(file.name, "Writing to the database")]
        print(
            f"  {file.name:16} {rows:>8,} rows read, {wrote:>8,} rows written "
            f"({summary.events:,} events, {issues:,} issues): read, then waited for the files "
            f"before it, {reading:.2f} s; written in {writing:.2f} s"
        )
    return seconds, rows_read, written


def read_floor(directory: Path) -> float:
    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(directory / "annex_a.xlsx"))
    for sheet in book.sheet_names:
        book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    for name, _, _ in FILES:
        if name.endswith(".csv"):
            with (directory / name).open(newline="", encoding="utf-8") as handle:
                for _row in csv.reader(handle):
                    pass
    ElementTree.parse(directory / "cin_census.xml")  # noqa: S314
    return time.perf_counter() - start


async def copy_floor(database: str, rows: int) -> float:
    """COPY of as many rows as the import wrote into the real ``event`` table, rolled back:
    its primary key, its index and its four foreign keys checked, as the import's own rows
    are. Integrity is part of the job, so the floor pays for it too."""
    conn = await asyncpg.connect(_url(database))
    try:
        parents = await conn.fetch(
            "SELECT inspection_id, child_id, id AS record_id, upload_id FROM source_record "
            "WHERE child_id IS NOT NULL"
        )
        records = [
            (
                *parents[n % len(parents)],
                "social_care",
                "contact",
                date(2026, 10, 1),
                None,
                "List_1",
                3,
                '{"source":"6","original":{"source":"q) 6: Police"}}',
                "Assessment Team North",
                "Sam Smith",
            )
            for n in range(rows)
        ]
        columns = [
            "inspection_id",
            "child_id",
            "record_id",
            "upload_id",
            "agency",
            "kind",
            "start",
            "end",
            "source_sheet",
            "source_row",
            "attributes",
            "team",
            "worker",
        ]
        transaction = conn.transaction()
        await transaction.start()
        start = time.perf_counter()
        await conn.copy_records_to_table("event", records=records, columns=columns)
        seconds = time.perf_counter() - start
        await transaction.rollback()
        return seconds
    finally:
        await conn.close()


async def admin(sql: str) -> None:
    conn = await asyncpg.connect(SERVER)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def main() -> None:
    database = f"bench_import_{os.getpid()}"
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "la"
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "inspection",
                "synth",
                "--children",
                str(CHILDREN),
                "--seed",
                "1",
                "--out",
                str(directory),
            ],
            check=True,
            capture_output=True,
        )
        print(
            f"generated {CHILDREN:,} children in {time.perf_counter() - t0:.1f} s "
            f"(a child process; not measured)"
        )
        asyncio.run(admin(f'CREATE DATABASE "{database}"'))
        try:
            watch = MemoryWatch()
            watch.start()
            seconds, rows_read, written = asyncio.run(
                run_import(directory, database, Path(tmp) / "data")
            )
            peak = watch.stop()
            read_seconds = read_floor(directory)
            copy_seconds = asyncio.run(copy_floor(database, written))
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    floor = read_seconds + copy_seconds
    print(
        f"import: {rows_read:,} rows read, {written:,} rows written in {seconds:.2f} s "
        f"({rows_read / seconds:,.0f} rows read/s, {written / seconds:,.0f} rows written/s)"
    )
    print(
        f"peak memory (resident, the importing process and its loaders together): "
        f"{peak:,.0f} MiB (target <= 2,048 MiB)"
    )
    print(
        f"floor: plain reads {read_seconds:.2f} s + COPY of {written:,} rows into the event "
        f"table (keys checked, index kept) {copy_seconds:.2f} s = {floor:.2f} s"
    )
    print(f"ratio import / floor: {seconds / floor:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()
