"""Load one evidence file: one upload, one transaction, nothing half-loaded.

``import_file`` is the entry point for one file (the CLI's and the web page's);
``bundle.import_files`` loads several, each with the same functions. It refuses the
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
from inspection.evidence.reading import DEFAULT_READ_MEMORY
from inspection.evidence.rows import (
    CHILD_HEAD,
    CHILD_TAIL,
    EVENT_HEAD,
    EVENT_TAIL,
    RECORD_HEAD,
    RECORD_TAIL,
    Rows,
    encode_json,
    prepare,
)
from inspection.evidence.staged import EvidenceFileError, Staged
from inspection.models import Inspection, Upload, User
from inspection.settings import Settings

SOURCE_KINDS = ("annex-a", "cin-census", "agency")
SQLITE_BATCH = 2000
Progress = Callable[[str, float], None]

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
    "count",
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
_gc_was_enabled = True


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file is read.

    Reading builds hundreds of thousands of small objects that all stay alive; each full
    collection would walk all of them again (a third of the time on a large CIN census).
    Reference counting still frees everything that is dropped. Shared by concurrent readers;
    a collector already paused (a loader process pauses it for its whole life) stays paused.
    """
    global _gc_readers, _gc_was_enabled
    with _gc_lock:
        _gc_readers += 1
        if _gc_readers == 1:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _gc_lock:
            _gc_readers -= 1
            if _gc_readers == 0 and _gc_was_enabled:
                gc.enable()


def read_file(
    path: Path,
    source_kind: str,
    agency: str,
    reference_date: date,
    max_bytes: int,
    progress: Progress | None = None,
    filename: str | None = None,
    memory_bytes: int = DEFAULT_READ_MEMORY,
) -> Staged:
    """Read and validate a file without touching the database."""
    with _no_cycle_collection():
        return _read(
            path, source_kind, agency, reference_date, max_bytes, progress, filename, memory_bytes
        )


def _read(
    path: Path,
    source_kind: str,
    agency: str,
    reference_date: date,
    max_bytes: int,
    progress: Progress | None,
    filename: str | None,
    memory_bytes: int,
) -> Staged:
    if source_kind == "annex-a":
        from inspection.evidence.annex_a import read_annex_a

        return read_annex_a(path, reference_date, max_bytes, progress, filename, memory_bytes)
    if source_kind == "cin-census":
        from inspection.evidence.cin_census import read_cin_census

        return read_cin_census(path, reference_date, max_bytes, filename)
    if source_kind == "agency":
        from inspection.evidence.agencies import read_agency

        return read_agency(path, agency, reference_date, max_bytes, filename, memory_bytes)
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
    rows: Rows


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


async def _inspection(inspection_id: int) -> Inspection:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise EvidenceFileError(f"There is no inspection {inspection_id}.")
    if inspection.purged_at is not None:
        raise EvidenceFileError(
            f"The child data of inspection {inspection_id} was purged on "
            f"{inspection.purged_at:%d/%m/%Y}: no evidence can be loaded into it."
        )
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
    staged, rows = await asyncio.to_thread(
        _read_and_prepare,
        path,
        source_kind,
        agency,
        inspection,
        settings,
        progress,
        name,
    )
    return _Read(file, size, sha256, staged, rows)


def _read_and_prepare(
    path: Path,
    source_kind: str,
    agency: str,
    inspection: Inspection,
    settings: Settings,
    progress: Progress | None,
    filename: str,
) -> tuple[Staged, Rows]:
    """The file read and validated, and its rows made, before any transaction begins."""
    with _no_cycle_collection():
        staged = _read(
            path,
            source_kind,
            agency,
            inspection.reference_date,
            settings.max_upload_bytes,
            progress,
            filename,
            settings.read_memory_bytes,
        )
        return staged, prepare(staged, inspection.id)


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
                read.rows,
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
        """Insert ``rows`` (JSON columns already encoded as text, see ``rows.encode_json``)."""
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
    rows: Rows,
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
        child_ids = await _write_children(writer, inspection_id, rows)
        record_ids, record_child_ids = await _write_records(writer, upload.id, rows, child_ids)
        events = await writer.insert(
            "event",
            EVENT_HEAD + EVENT_TAIL,
            _event_rows(upload.id, rows, record_ids, record_child_ids),
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
                    i.count,
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
    upload_id: int, rows: Rows, record_ids: np.ndarray, child_ids: np.ndarray
) -> Iterator[tuple[Any, ...]]:
    """Event rows in child order, each its prepared head and a tail of ids.

    In child order, each child's index entries go to the same few index pages instead of
    pages all over the index (a third of the cost of writing events). The order is otherwise
    the readers' (a stable sort), so the events of one source row stay together.
    """
    event_children = child_ids[rows.event_records]
    order = np.argsort(event_children, kind="stable")
    heads = rows.events
    for index, record_id, child_id in zip(
        order.tolist(),
        record_ids[rows.event_records[order]].tolist(),
        event_children[order].tolist(),
        strict=True,
    ):
        yield heads[index] + (upload_id, record_id, child_id or None)


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
            counts[issue.severity] += issue.count
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


async def _write_children(writer: _Writer, inspection_id: int, rows: Rows) -> dict[str, int]:
    """la_child_id → child id, after creating/updating, for every child of the inspection
    (SQLite) or every child this file names (PostgreSQL)."""
    postgres = writer.dialect == "postgres"
    if postgres:
        # Only the children this file names are read, ids only: the old attributes are merged
        # in the UPDATE itself (jsonb ||) and new children get ids reserved from the sequence.
        found = (
            await writer.connection._connection.fetch(
                'SELECT id, la_child_id FROM "child" WHERE inspection_id = $1 '
                "AND la_child_id = ANY($2::varchar[])",
                inspection_id,
                rows.named,
            )
            if rows.named
            else []
        )
        ids: dict[str, int] = {r[1]: r[0] for r in found}
        attributes: dict[str, Any] = {}
    else:
        known = await writer.fetch(
            'SELECT id, la_child_id, attributes FROM "child" WHERE inspection_id = ? '
            "AND la_child_id IS NOT NULL",
            [inspection_id],
        )
        ids = {r["la_child_id"]: r["id"] for r in known}
        attributes = {r["la_child_id"]: r["attributes"] for r in known}
    if not rows.children:
        return ids
    new = []
    updates = []
    for row in rows.children:  # CHILD_HEAD order
        child_id = ids.get(row[1])
        if child_id is None:
            new.append(row)
        elif postgres:
            updates.append((*row[2:11], child_id))
        else:
            old = attributes[row[1]]
            old = json.loads(old) if isinstance(old, str) else (old or {})
            merged = encode_json({**old, **orjson.loads(row[10])})
            updates.append((*row[2:10], merged, child_id))
    if postgres:
        reserved = await writer.reserve_ids("child", len(new))
        await writer.insert(
            "child",
            CHILD_HEAD + CHILD_TAIL,
            (row + (child_id,) for row, child_id in zip(new, reserved, strict=True)),
        )
        ids.update((row[1], child_id) for row, child_id in zip(new, reserved, strict=True))
    else:
        await writer.insert("child", CHILD_HEAD, new)
    # The latest upload wins for each characteristic it actually gives.
    await _update_children(writer, updates)
    if new and not postgres:
        known = await writer.fetch(
            'SELECT id, la_child_id FROM "child" WHERE inspection_id = ? '
            "AND la_child_id IS NOT NULL",
            [inspection_id],
        )
        ids = {r["la_child_id"]: r["id"] for r in known}
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
# The temporary table's columns: what a prepared child row gives (CHILD_HEAD's given_name to
# attributes, row[2:11]) and the child's id.
_UPDATE_COLUMNS = (*CHILD_HEAD[2:11], "id")


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
    writer: _Writer, upload_id: int, rows: Rows, child_ids: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Each record's id and child id (0 for none), by its position in ``rows.records``.

    Records are written in child order (index entries in order, as for events); on PostgreSQL
    with ids reserved from the table's sequence, so nothing is read back."""
    find = child_ids.get
    child_of = np.fromiter(
        (find(la_id, 0) if la_id else 0 for la_id in rows.record_children),
        dtype=np.int64,
        count=len(rows.records),
    )
    order = np.argsort(child_of, kind="stable")
    order_list, children = order.tolist(), child_of[order].tolist()
    heads = rows.records
    record_ids = np.zeros(len(heads), dtype=np.int64)
    if writer.dialect == "postgres":
        reserved = await writer.reserve_ids("source_record", len(heads))
        await writer.insert(
            "source_record",
            RECORD_HEAD + RECORD_TAIL + ("id",),
            (
                heads[index] + (upload_id, child or None, "la_child_id" if child else "", ident)
                for index, child, ident in zip(order_list, children, reserved, strict=True)
            ),
        )
        record_ids[order] = reserved
        return record_ids, child_of
    await writer.insert(
        "source_record",
        RECORD_HEAD + RECORD_TAIL,
        (
            heads[index] + (upload_id, child or None, "la_child_id" if child else "")
            for index, child in zip(order_list, children, strict=True)
        ),
    )
    fetched = await writer.fetch(
        'SELECT id, agency, person_id FROM "source_record" WHERE upload_id = ?', [upload_id]
    )
    ids = {(r["agency"], r["person_id"]): r["id"] for r in fetched}
    # Rows are written with their keys cut to the column lengths (head[1], head[2]).
    record_ids[:] = [ids[(head[1], head[2])] for head in heads]
    return record_ids, child_of


async def table_counts() -> dict[str, int]:
    """Rows in every evidence-related table (tests use it to prove nothing was written)."""
    conn = Tortoise.get_connection("default")
    counts = {}
    for table in ("upload", "validation_issue", "child", "source_record", "event", "identifier"):
        _, rows = await conn.execute_query(f'SELECT COUNT(*) AS n FROM "{table}"')  # noqa: S608
        counts[table] = int(dict(rows[0])["n"])
    return counts
