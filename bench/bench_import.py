"""Import a synthetic authority (Annex A, CIN census, five agency extracts) into PostgreSQL.

Prints rows per second, peak memory and the ratio to a floor measured in the same run: reading
the same files with the fastest plain readers (python-calamine for the workbook, ``csv.reader``
for the CSVs, ``xml.etree`` for the XML) plus asyncpg ``copy_records_to_table`` of the very rows
the import wrote (children, source records, events, validation issues) into the real tables,
with their keys and indexes (rolled back). Targets: ratio <= 1.5, peak memory <= 1 GiB. The
machine's other work slows either side: compare ratios of one run, not times across runs.

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


# The tables an import writes, parents first, and the keys each row holds to another of them.
FLOOR_TABLES = (
    ("child", ()),
    ("source_record", (("child_id", "child"),)),
    ("event", (("child_id", "child"), ("record_id", "source_record"))),
    ("validation_issue", ()),
)


async def copy_floor(database: str) -> tuple[float, int]:
    """COPY of the very rows the import wrote (children, source records, events, issues) into
    the real tables, for a second inspection and upload, rolled back: every primary key,
    unique index, index and foreign key checked and maintained, as for the import's own rows.
    The rows are read back and given their new ids before the clock starts; only the COPYs
    are timed. Integrity is part of the job, so the floor pays for it too."""
    conn = await asyncpg.connect(_url(database))
    try:
        transaction = conn.transaction()
        await transaction.start()
        inspection_id = await conn.fetchval(
            "INSERT INTO inspection (la_id, kind, title, reference_date, status, created_at) "
            "SELECT la_id, kind, 'floor', reference_date, status, created_at FROM inspection "
            "LIMIT 1 RETURNING id"
        )
        upload_id = await conn.fetchval(
            "INSERT INTO upload (inspection_id, source_kind, agency, filename, sha256, "
            "size_bytes, stored_path, uploaded_at, status, summary) SELECT $1, source_kind, "
            "agency, filename, 'floor', size_bytes, '', uploaded_at, status, '{}' FROM upload "
            "LIMIT 1 RETURNING id",
            inspection_id,
        )
        offsets = {
            table: await conn.fetchval(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            for table, _ in FLOOR_TABLES
        }
        batches = []
        for table, keys in FLOOR_TABLES:
            found = await conn.fetch(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608
            if not found:
                continue
            columns = list(found[0].keys())
            shifted = {"id": table, **dict(keys)}
            at = {column: columns.index(column) for column in shifted}
            inspection_at = columns.index("inspection_id")
            upload_at = columns.index("upload_id") if "upload_id" in columns else None
            records = []
            for row in found:
                values = list(row)
                for column, parent in shifted.items():
                    if values[at[column]] is not None:
                        values[at[column]] += offsets[parent]
                values[inspection_at] = inspection_id
                if upload_at is not None:
                    values[upload_at] = upload_id
                records.append(tuple(values))
            batches.append((table, columns, records))
        del found
        start = time.perf_counter()
        for table, columns, records in batches:
            await conn.copy_records_to_table(table, records=records, columns=columns)
        seconds = time.perf_counter() - start
        await transaction.rollback()
        return seconds, sum(len(records) for _, _, records in batches)
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
            copy_seconds, copied = asyncio.run(copy_floor(database))
        finally:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    floor = read_seconds + copy_seconds
    print(
        f"import: {rows_read:,} rows read, {written:,} rows written in {seconds:.2f} s "
        f"({rows_read / seconds:,.0f} rows read/s, {written / seconds:,.0f} rows written/s)"
    )
    print(
        f"peak memory (resident, the importing process and its loaders together): "
        f"{peak:,.0f} MiB (target <= 1,024 MiB)"
    )
    print(
        f"floor: plain reads {read_seconds:.2f} s + COPY of the same {copied:,} rows into the "
        f"real tables (keys checked, indexes kept) {copy_seconds:.2f} s = {floor:.2f} s"
    )
    print(f"ratio import / floor: {seconds / floor:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
