"""Load one evidence file: one upload, one transaction, nothing half-loaded.

``import_file`` is the one entry point the CLI, the web page and the demo call. It refuses the
whole file (``EvidenceFileError``, nothing written, not even an Upload row) when the file is
unusable; recognises a file already loaded into the inspection by its sha256; otherwise reads
it (in a worker thread), then writes the upload, children, source records, events and
validation issues in one transaction (COPY on PostgreSQL, batched inserts on SQLite).

Superseding: a newer upload of the same kind (and agency) for the same inspection supersedes
the older one. The older Upload row, its raw file and its validation issues are kept (status
``superseded``, ``superseded_by`` set); its source records, identifiers and events are deleted
in the same transaction, so nothing from it is counted any more. Children are kept: they are
shared by every source and may already be sampled or audited.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import shutil
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from inspection.evidence.codes import codes_version
from inspection.evidence.staged import EvidenceFileError, Staged
from inspection.models import Inspection, Upload, User
from inspection.settings import Settings

SOURCE_KINDS = ("annex-a", "cin-census", "agency")
SQLITE_BATCH = 2000
Progress = Callable[[str, float], None]

CHILD_COLUMNS = (
    "inspection_id",
    "la_child_id",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "ethnicity",
    "disability",
    "postcode",
    "team",
    "worker",
    "attributes",
)
RECORD_COLUMNS = (
    "inspection_id",
    "upload_id",
    "agency",
    "person_id",
    "la_child_id",
    "nhs_number",
    "upn",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
    "address",
    "child_id",
    "link_method",
    "link_probability",
    "link_evidence",
)
EVENT_COLUMNS = (
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
)
ISSUE_COLUMNS = (
    "inspection_id",
    "upload_id",
    "sheet",
    "list_name",
    "source_row",
    "column",
    "cell",
    "value",
    "rule",
    "severity",
    "message",
    "row_rejected",
)


@dataclass
class ImportSummary:
    """What an import did; ``as_dict()`` is the CLI's ``--json`` document."""

    upload_id: int
    sha256: str
    filename: str
    source_kind: str
    agency: str
    status: str  # loaded | already_loaded
    tables: list[dict[str, Any]] = field(default_factory=list)
    issues: dict[str, int] = field(default_factory=dict)
    children: int = 0
    records: int = 0
    events: int = 0
    superseded: list[int] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_upload(cls, upload: Upload, status: str) -> ImportSummary:
        doc = dict(upload.summary or {})
        return cls(
            upload_id=upload.id,
            sha256=upload.sha256,
            filename=upload.filename,
            source_kind=upload.source_kind,
            agency=upload.agency,
            status=status,
            tables=doc.get("tables", []),
            issues=doc.get("issues", {}),
            children=doc.get("children", 0),
            records=doc.get("records", 0),
            events=doc.get("events", 0),
            superseded=doc.get("superseded", []),
            extra=doc.get("extra", {}),
        )


def normalise_agency(agency: str | None) -> str:
    return "_".join((agency or "").strip().lower().replace("-", " ").split())


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_gc_lock = threading.Lock()
_gc_readers = 0


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is read.

    Reading builds hundreds of thousands of small objects that all stay alive; each full
    collection would walk all of them again (a third of the time on a large CIN census).
    Reference counting still frees everything that is dropped. Shared by concurrent readers.
    """
    global _gc_readers
    with _gc_lock:
        _gc_readers += 1
        if _gc_readers == 1:
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_readers -= 1
            if _gc_readers == 0:
                gc.enable()


def read_file(
    path: Path,
    source_kind: str,
    agency: str,
    reference_date: date,
    max_bytes: int,
    progress: Progress | None = None,
    filename: str | None = None,
) -> Staged:
    """Read and validate a file without touching the database."""
    with _no_cycle_collection():
        return _read(path, source_kind, agency, reference_date, max_bytes, progress, filename)


def _read(
    path: Path,
    source_kind: str,
    agency: str,
    reference_date: date,
    max_bytes: int,
    progress: Progress | None,
    filename: str | None,
) -> Staged:
    if source_kind == "annex-a":
        from inspection.evidence.annex_a import read_annex_a

        return read_annex_a(path, reference_date, max_bytes, progress, filename)
    if source_kind == "cin-census":
        from inspection.evidence.cin_census import read_cin_census

        return read_cin_census(path, reference_date, max_bytes, filename)
    if source_kind == "agency":
        from inspection.evidence.agencies import read_agency

        return read_agency(path, agency, reference_date, max_bytes, filename)
    raise EvidenceFileError(
        f"'{source_kind}' is not a kind of evidence; use one of {', '.join(SOURCE_KINDS)}."
    )


@dataclass(frozen=True)
class EvidenceFile:
    """One file to import: where it is, what kind of evidence, and for an agency extract whose.

    ``filename`` is the name the user knows it by (a web upload is stored under another)."""

    path: Path
    source_kind: str
    agency: str | None = None
    filename: str | None = None

    @property
    def name(self) -> str:
        return self.filename or self.path.name


@dataclass
class _Read:
    """A file checked, hashed and read, ready to be written."""

    file: EvidenceFile
    size: int
    sha256: str
    staged: Staged


async def import_file(
    inspection_id: int,
    path: Path,
    source_kind: str,
    agency: str | None,
    settings: Settings,
    uploaded_by: User | None = None,
    progress: Progress | None = None,
    filename: str | None = None,
) -> ImportSummary:
    """Validate and load one file into an inspection, all or nothing.

    Raises EvidenceFileError (nothing written) when the file cannot be used at all.
    """
    inspection = await _inspection(inspection_id)
    outcome = await _check_and_read(
        inspection, EvidenceFile(path, source_kind, agency, filename), settings, progress
    )
    if isinstance(outcome, ImportSummary):
        return outcome
    return await _store_and_write(inspection.id, outcome, settings, uploaded_by, progress)


READ_AHEAD = 2  # files read and waiting to be written, at most (each holds its rows)


async def import_files(
    inspection_id: int,
    files: Sequence[EvidenceFile],
    settings: Settings,
    uploaded_by: User | None = None,
    progress: Callable[[EvidenceFile, str, float], None] | None = None,
) -> list[ImportSummary | EvidenceFileError]:
    """Load several files in order, each exactly as ``import_file`` would (its own upload and
    transaction, all or nothing), reading the next files while one is written.

    Reading is Python work and writing mostly the database's, so the two overlap: files are
    read one after another, in order, up to ``READ_AHEAD`` ahead of the one being written.
    A file that cannot be used is answered with its EvidenceFileError in its place in the list
    and the others still load; anything else (the database going away) stops the batch there,
    with every file before it loaded and the one being written rolled back.
    """
    inspection = await _inspection(inspection_id)

    def reporter(file: EvidenceFile) -> Progress | None:
        if progress is None:
            return None
        return lambda stage, fraction: progress(file, stage, fraction)

    ready: asyncio.Queue[ImportSummary | _Read | EvidenceFileError] = asyncio.Queue(READ_AHEAD)

    async def read_all() -> None:
        for file in files:
            try:
                outcome: ImportSummary | _Read | EvidenceFileError = await _check_and_read(
                    inspection, file, settings, reporter(file)
                )
            except EvidenceFileError as exc:
                outcome = exc
            await ready.put(outcome)

    results: list[ImportSummary | EvidenceFileError] = []
    # Between one file's write and the next one's read the collector would otherwise walk
    # everything both hold (a second and a half over an authority's seven files).
    with _no_cycle_collection():
        reader = asyncio.create_task(read_all())
        try:
            for file in files:
                getting = asyncio.ensure_future(ready.get())
                await asyncio.wait((getting, reader), return_when=asyncio.FIRST_COMPLETED)
                if not getting.done():  # the reader stopped without an outcome: its error
                    getting.cancel()
                    reader.result()
                outcome = getting.result()
                if isinstance(outcome, _Read):
                    outcome = await _store_and_write(
                        inspection.id, outcome, settings, uploaded_by, reporter(file)
                    )
                results.append(outcome)
        finally:
            reader.cancel()  # a read's thread finishes on its own; nothing is written
    return results


async def _inspection(inspection_id: int) -> Inspection:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise EvidenceFileError(f"There is no inspection {inspection_id}.")
    return inspection


async def _check_and_read(
    inspection: Inspection, file: EvidenceFile, settings: Settings, progress: Progress | None
) -> ImportSummary | _Read:
    """The already-loaded upload with the same content, or the file read and validated.

    Raises EvidenceFileError (nothing written) when the file cannot be used at all."""
    source_kind, path, name = file.source_kind, file.path, file.name
    if source_kind not in SOURCE_KINDS:
        raise EvidenceFileError(
            f"'{source_kind}' is not a kind of evidence; use one of {', '.join(SOURCE_KINDS)}."
        )
    agency = normalise_agency(file.agency) if source_kind == "agency" else ""
    if source_kind == "agency" and not agency:
        raise EvidenceFileError("Say which agency the extract comes from (for example police).")
    if not await asyncio.to_thread(path.is_file):
        raise EvidenceFileError(f"There is no file {path}.")
    size = (await asyncio.to_thread(path.stat)).st_size
    if size > settings.max_upload_bytes:
        from inspection.evidence.files import check_size

        check_size(path, settings.max_upload_bytes, name)
    sha256 = await asyncio.to_thread(sha256_of, path)
    existing = await _loaded(inspection.id, sha256)
    if existing is not None:
        return existing
    if progress:
        progress("Reading the file", 0.0)
    staged = await asyncio.to_thread(
        read_file,
        path,
        source_kind,
        agency,
        inspection.reference_date,
        settings.max_upload_bytes,
        progress,
        name,
    )
    return _Read(file, size, sha256, staged)


async def _loaded(inspection_id: int, sha256: str) -> ImportSummary | None:
    existing = await Upload.filter(inspection_id=inspection_id, sha256=sha256).first()
    return None if existing is None else ImportSummary.from_upload(existing, "already_loaded")


async def _store_and_write(
    inspection_id: int,
    read: _Read,
    settings: Settings,
    uploaded_by: User | None,
    progress: Progress | None,
) -> ImportSummary:
    """Keep the raw file and write what was read, in one transaction."""
    # Asked again: the same content may have been loaded since this file was read (an
    # identical file earlier in a batch, or another person's upload).
    existing = await _loaded(inspection_id, read.sha256)
    if existing is not None:
        return existing
    if progress:
        progress("Writing to the database", 0.9)
    name = read.file.name
    stored = _stored_path(settings, inspection_id, read.sha256, name)
    created_file = not await asyncio.to_thread(stored.exists)
    if created_file:
        stored.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(shutil.copyfile, read.file.path, stored)
    try:
        with _no_cycle_collection():  # the rows built for COPY, like the reader's, all live
            summary = await _write(
                inspection_id,
                read.staged,
                name,
                read.sha256,
                read.size,
                stored,
                uploaded_by,
                settings,
            )
    except BaseException:
        if created_file:
            stored.unlink(missing_ok=True)
        raise
    if progress:
        progress("Done", 1.0)
    return summary


def _stored_path(settings: Settings, inspection_id: int, sha256: str, name: str) -> Path:
    suffix = "".join(Path(name).suffixes[-1:]).lower()[:10]
    return settings.uploads_dir / str(inspection_id) / f"{sha256}{suffix}"


class _Writer:
    """Bulk writes inside one transaction: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection: Any, dialect: str) -> None:
        self.connection = connection
        self.dialect = dialect

    async def insert(
        self, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]
    ) -> int:
        """Insert ``rows`` (JSON columns already encoded as text, see ``_encode_json``)."""
        if self.dialect == "postgres":
            # One COPY per table, fed by a generator: PostgreSQL stores the first rows while
            # Python is still encoding the later ones.
            status = await self.connection._connection.copy_records_to_table(
                table, records=rows, columns=list(columns)
            )
            return int(status.rsplit(" ", 1)[-1])
        quoted = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})'  # noqa: S608
        count = 0
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(_for_sqlite(row))
            if len(batch) >= SQLITE_BATCH:
                await self.connection.execute_many(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            await self.connection.execute_many(sql, batch)
            count += len(batch)
        return count

    async def fetch(self, sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        if self.dialect == "postgres":
            numbered = sql
            for index in range(len(params)):
                numbered = numbered.replace("?", f"${index + 1}", 1)
            rows = await self.connection._connection.fetch(numbered, *params)
            return [dict(r) for r in rows]
        _, rows = await self.connection.execute_query(sql, list(params))
        return [dict(r) for r in rows]

    async def execute(self, sql: str, params: Sequence[Any]) -> None:
        await self.fetch(sql, params)

    async def reserve_ids(self, table: str, count: int) -> list[int]:
        """``count`` fresh ids from the table's own sequence (PostgreSQL), in one round trip,
        so rows can be COPYed with their ids and need not be read back."""
        if not count:
            return []
        ids = await self.connection._connection.fetchval(
            # MATERIALIZED: the sequence is looked up once, not once per id (8x faster).
            "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence($1, 'id')::regclass AS seq) "
            "SELECT array_agg(nextval(s.seq)) FROM s, generate_series(1, $2)",
            table,
            count,
        )
        return list(ids)

    async def execute_many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.dialect == "postgres":
            numbered = sql
            for index in range(len(rows[0])):
                numbered = numbered.replace("?", f"${index + 1}", 1)
            await self.connection._connection.executemany(numbered, rows)
        else:
            await self.connection.execute_many(sql, [_for_sqlite(r) for r in rows])


_JSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def _encode_json(value: Any) -> str:
    """What ``json.dumps(value, separators=(",", ":"), default=str)`` means, four times faster:
    orjson, with dates and times handed to ``str`` as json's ``default=str`` would, and keys
    that are not text written as text. (Unlike json, non-ASCII text is written as UTF-8, not
    escaped, and NaN as null: the same value once parsed, and one PostgreSQL accepts.)"""
    return orjson.dumps(value, default=str, option=_JSON_OPTIONS).decode()


def _for_sqlite(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(
        v.isoformat() if isinstance(v, date) else (int(v) if isinstance(v, bool) else v)
        for v in row
    )


def _cut(text: str | None, length: int) -> str:
    return (text or "")[:length]


async def _write(
    inspection_id: int,
    staged: Staged,
    name: str,
    sha256: str,
    size: int,
    stored: Path,
    uploaded_by: User | None,
    settings: Settings,
) -> ImportSummary:
    dialect = settings.dialect
    async with in_transaction("default") as tx:
        writer = _Writer(tx, dialect)
        upload = await Upload.create(
            inspection_id=inspection_id,
            source_kind=staged.source_kind,
            agency=staged.agency if staged.source_kind == "agency" else "",
            filename=name[:300],
            sha256=sha256,
            size_bytes=size,
            stored_path=str(stored)[:500],
            uploaded_by=uploaded_by,
            status="loaded",
            summary={},
            using_db=tx,
        )
        superseded = await _supersede(writer, tx, inspection_id, upload)
        child_ids = await _write_children(writer, inspection_id, staged)
        record_ids = await _write_records(writer, inspection_id, upload.id, staged, child_ids)
        events = await writer.insert(
            "event",
            EVENT_COLUMNS,
            _event_rows(inspection_id, upload.id, staged, record_ids),
        )
        await writer.insert(
            "validation_issue",
            ISSUE_COLUMNS,
            (
                (
                    inspection_id,
                    upload.id,
                    _cut(i.sheet, 100),
                    _cut(i.list_name, 40),
                    i.row,
                    _cut(i.column, 200),
                    _cut(i.cell, 16),
                    i.value,
                    _cut(i.rule, 60),
                    i.severity,
                    i.message,
                    i.rejected,
                )
                for i in staged.issues
            ),
        )
        summary = ImportSummary(
            upload_id=upload.id,
            sha256=sha256,
            filename=name,
            source_kind=staged.source_kind,
            agency=upload.agency,
            status="loaded",
            tables=[_table_doc(t, staged) for t in staged.tables.values()],
            issues=staged.issue_counts(),
            children=len(staged.children),
            records=len(staged.records),
            events=events,
            superseded=superseded,
            extra={**staged.extra, "codes_version": codes_version()},
        )
        doc = summary.as_dict()
        upload.summary = {
            k: doc[k]
            for k in ("tables", "issues", "children", "records", "events", "superseded", "extra")
        }
        await upload.save(using_db=tx, update_fields=["summary"])
    return summary


def _event_rows(
    inspection_id: int,
    upload_id: int,
    staged: Staged,
    record_ids: dict[tuple[str, str], tuple[int, int | None]],
) -> Iterator[tuple[Any, ...]]:
    """Event rows, ready to insert, with their attributes as JSON text, in child order.

    In child order, each child's index entries go to the same few index pages instead of
    pages all over the index (a third of the cost of writing events). The order is otherwise
    the readers' (a stable sort), so the events of one source row stay together: readers share
    one attributes dict between them (a start and its end), and it is encoded once.
    """
    events = staged.events
    located = [record_ids[event[0]] for event in events]  # (record id, child id)
    order = np.argsort(
        np.array([child or 0 for _, child in located], dtype=np.int64), kind="stable"
    )
    encode = _encode_json
    shared: dict[str, Any] | None = None
    text = ""
    for index in order.tolist():
        _, agency, kind, start, end, sheet, row, attributes, team, worker = events[index]
        record_id, child_id = located[index]
        if attributes is not shared:
            shared, text = attributes, encode(attributes)
        yield (
            inspection_id,
            child_id,
            record_id,
            upload_id,
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


def _table_doc(table: Any, staged: Staged) -> dict[str, Any]:
    doc = {
        "name": table.name,
        "sheet": table.sheet,
        "header_row": table.header_row,
        "rows": table.rows,
        "accepted": table.accepted,
        "rejected": table.rejected,
    }
    if table.layout:
        doc["layout"] = table.layout
    counts = {"error": 0, "warning": 0, "info": 0}
    for issue in staged.issues:
        if issue.list_name == table.name:
            counts[issue.severity] += 1
    doc["issues"] = counts
    return doc


async def _supersede(writer: _Writer, tx: Any, inspection_id: int, upload: Upload) -> list[int]:
    older = (
        await Upload.filter(
            inspection_id=inspection_id,
            source_kind=upload.source_kind,
            agency=upload.agency,
            status="loaded",
        )
        .exclude(id=upload.id)
        .using_db(tx)
    )
    ids = []
    for old in older:
        await writer.execute('DELETE FROM "event" WHERE upload_id = ?', [old.id])
        await writer.execute('DELETE FROM "identifier" WHERE source_upload_id = ?', [old.id])
        await writer.execute('DELETE FROM "source_record" WHERE upload_id = ?', [old.id])
        await writer.execute(
            'UPDATE "upload" SET status = ?, superseded_by_id = ? WHERE id = ?',
            ["superseded", upload.id, old.id],
        )
        ids.append(old.id)
    return ids


async def _write_children(writer: _Writer, inspection_id: int, staged: Staged) -> dict[str, int]:
    """la_child_id → child id, after creating/updating, for every child of the inspection
    (SQLite) or every child this file names (PostgreSQL)."""
    postgres = writer.dialect == "postgres"
    if postgres:
        # Only the children this file names are read, ids only: the old attributes are merged
        # in the UPDATE itself (jsonb ||) and new children get ids reserved from the sequence.
        named = {r.la_child_id for r in staged.records.values() if r.la_child_id}
        if staged.creates_children:
            named.update(_cut(f.la_child_id, 64) for f in staged.children.values())
        found = (
            await writer.connection._connection.fetch(
                'SELECT id, la_child_id FROM "child" WHERE inspection_id = $1 '
                "AND la_child_id = ANY($2::varchar[])",
                inspection_id,
                list(named),
            )
            if named
            else []
        )
        existing: dict[str, Any] = {r[1]: {"id": r[0]} for r in found}
    else:
        rows = await writer.fetch(
            'SELECT id, la_child_id, attributes FROM "child" WHERE inspection_id = ? '
            "AND la_child_id IS NOT NULL",
            [inspection_id],
        )
        existing = {r["la_child_id"]: r for r in rows}
    ids = {la_id: row["id"] for la_id, row in existing.items()}
    if staged.creates_children and staged.children:
        new = []
        updates = []
        for facts in staged.children.values():
            la_id = _cut(facts.la_child_id, 64)
            values = (
                _cut(facts.given_name, 100),
                _cut(facts.family_name, 100),
                facts.dob,
                _cut(facts.sex, 1),
                _cut(facts.ethnicity, 10),
                _cut(facts.disability, 1),
                _cut(facts.team, 100),
                _cut(facts.worker, 100),
            )
            if la_id in existing:
                if postgres:
                    merged = _encode_json(facts.attributes)
                else:
                    old = existing[la_id]["attributes"]
                    old = json.loads(old) if isinstance(old, str) else (old or {})
                    merged = json.dumps({**old, **facts.attributes}, default=str)
                updates.append((*values, merged, existing[la_id]["id"]))
            else:
                new.append(
                    (
                        inspection_id,
                        la_id,
                        values[0],
                        values[1],
                        values[2],
                        values[3],
                        values[4],
                        values[5],
                        "",
                        values[6],
                        values[7],
                        _encode_json(facts.attributes),
                    )
                )
        new.sort(key=lambda row: row[1])  # la_child_id order: the unique index's order
        if postgres:
            reserved = await writer.reserve_ids("child", len(new))
            await writer.insert(
                "child",
                ("id", *CHILD_COLUMNS),
                ((child_id, *row) for child_id, row in zip(reserved, new, strict=True)),
            )
            ids.update((row[1], child_id) for child_id, row in zip(reserved, new, strict=True))
        else:
            await writer.insert("child", CHILD_COLUMNS, new)
        # The latest upload wins for each characteristic it actually gives.
        await _update_children(writer, updates)
        if new and not postgres:
            rows = await writer.fetch(
                'SELECT id, la_child_id FROM "child" WHERE inspection_id = ? '
                "AND la_child_id IS NOT NULL",
                [inspection_id],
            )
            ids = {r["la_child_id"]: r["id"] for r in rows}
    return ids


# What each characteristic becomes when an upload gives it (u) for a child already known (c).
_CHILD_UPDATE = {
    "given_name": "CASE WHEN u.given_name <> '' THEN u.given_name ELSE c.given_name END",
    "family_name": "CASE WHEN u.family_name <> '' THEN u.family_name ELSE c.family_name END",
    "dob": "COALESCE(u.dob, c.dob)",
    "sex": "CASE WHEN u.sex <> '' THEN u.sex ELSE c.sex END",
    "ethnicity": "CASE WHEN u.ethnicity <> '' THEN u.ethnicity ELSE c.ethnicity END",
    "disability": "CASE WHEN u.disability <> '' THEN u.disability ELSE c.disability END",
    "team": "CASE WHEN u.team <> '' THEN u.team ELSE c.team END",
    "worker": "CASE WHEN u.worker <> '' THEN u.worker ELSE c.worker END",
    "attributes": "c.attributes || u.attributes",
}
# One UPDATE for every child of an upload; a child whose characteristics would not change is
# not rewritten (a census that repeats what Annex A said rewrites nothing).
_CHILD_UPDATE_SQL = (
    'UPDATE "child" AS c SET '
    + ", ".join(f"{column} = {value}" for column, value in _CHILD_UPDATE.items())
    + " FROM child_update AS u WHERE c.id = u.id AND ("
    + ", ".join(_CHILD_UPDATE.values())
    + ") IS DISTINCT FROM ("
    + ", ".join(f"c.{column}" for column in _CHILD_UPDATE)
    + ")"
)
_UPDATE_COLUMNS = (
    "given_name",
    "family_name",
    "dob",
    "sex",
    "ethnicity",
    "disability",
    "team",
    "worker",
    "attributes",
    "id",
)


async def _update_children(writer: _Writer, updates: list[tuple[Any, ...]]) -> None:
    """Apply characteristic updates: on PostgreSQL COPY into a temporary table and one UPDATE."""
    if not updates:
        return
    if writer.dialect == "postgres":
        conn = writer.connection._connection
        await conn.execute(
            "CREATE TEMPORARY TABLE child_update (given_name text, family_name text, dob date, "
            "sex text, ethnicity text, disability text, team text, worker text, "
            "attributes jsonb, id int) ON COMMIT DROP"
        )
        await conn.copy_records_to_table(
            "child_update", records=updates, columns=list(_UPDATE_COLUMNS)
        )
        await conn.execute(_CHILD_UPDATE_SQL)
        return
    await writer.execute_many(
        'UPDATE "child" SET '
        "given_name = CASE WHEN ? <> '' THEN ? ELSE given_name END, "
        "family_name = CASE WHEN ? <> '' THEN ? ELSE family_name END, "
        "dob = COALESCE(?, dob), "
        "sex = CASE WHEN ? <> '' THEN ? ELSE sex END, "
        "ethnicity = CASE WHEN ? <> '' THEN ? ELSE ethnicity END, "
        "disability = CASE WHEN ? <> '' THEN ? ELSE disability END, "
        "team = CASE WHEN ? <> '' THEN ? ELSE team END, "
        "worker = CASE WHEN ? <> '' THEN ? ELSE worker END, "
        "attributes = ? WHERE id = ?",
        [_update_params(u) for u in updates],
    )


def _update_params(update: tuple[Any, ...]) -> tuple[Any, ...]:
    given, family, dob, sex, ethnicity, disability, team, worker, attributes, child_id = update
    params = (
        given,
        given,
        family,
        family,
        dob,
        sex,
        sex,
        ethnicity,
        ethnicity,
        disability,
        disability,
        team,
        team,
        worker,
        worker,
        attributes,
        child_id,
    )
    return params


async def _write_records(
    writer: _Writer, inspection_id: int, upload_id: int, staged: Staged, child_ids: dict[str, int]
) -> dict[tuple[str, str], tuple[int, int | None]]:
    """(agency, person_id) → (record id, child id or None).

    Records are written in child order (index entries in order, as for events); on PostgreSQL
    with ids reserved from the table's sequence, so nothing is read back."""
    keys = list(staged.records)
    records = list(staged.records.values())
    child_of = [child_ids.get(r.la_child_id) if r.la_child_id else None for r in records]
    order = np.argsort(np.array([c or 0 for c in child_of], dtype=np.int64), kind="stable")
    order_list = order.tolist()
    postgres = writer.dialect == "postgres"
    reserved = await writer.reserve_ids("source_record", len(records)) if postgres else []
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for position, index in enumerate(order_list):
        record = records[index]
        child_id = child_of[index]
        # The cuts are _cut() inlined (this runs once per person); on PostgreSQL the row
        # starts with its reserved id.
        values = (
            inspection_id,
            upload_id,
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
            child_id,
            "la_child_id" if child_id else "",
            None,
            "{}",  # link_evidence, as JSON text
        )
        append((reserved[position], *values) if postgres else values)
    if postgres:
        await writer.insert("source_record", ("id", *RECORD_COLUMNS), rows)
        return {
            keys[index]: (reserved[position], child_of[index])
            for position, index in enumerate(order_list)
        }
    await writer.insert("source_record", RECORD_COLUMNS, rows)
    fetched = await writer.fetch(
        'SELECT id, agency, person_id, child_id FROM "source_record" WHERE upload_id = ?',
        [upload_id],
    )
    ids = {(r["agency"], r["person_id"]): (r["id"], r["child_id"]) for r in fetched}
    # Keys were cut to the column length on the way in; look them up the same way.
    return {key: ids[(_cut(key[0], 60), _cut(key[1], 100))] for key in keys}


async def table_counts() -> dict[str, int]:
    """Rows in every evidence-related table (tests use it to prove nothing was written)."""
    conn = Tortoise.get_connection("default")
    counts = {}
    for table in ("upload", "validation_issue", "child", "source_record", "event", "identifier"):
        _, rows = await conn.execute_query(f'SELECT COUNT(*) AS n FROM "{table}"')  # noqa: S608
        counts[table] = int(dict(rows[0])["n"])
    return counts
