"""Load one evidence file: one upload, one transaction, nothing half-loaded.

``import_file`` is the entry point for one file (the CLI's and the web page's);
``bundle.import_files`` loads several, each with the same functions. It refuses the
whole file (``EvidenceFileError``, nothing written, not even an Upload row) when the file is
unusable; recognises a file already loaded into the inspection by its sha256; otherwise reads
it (in a worker thread), then writes the upload, children, source records, every identifier
each record gives (``person_identifier``), events and validation issues in one transaction:
the file's rows are copied into staging tables and placed by set-based statements that find
every id in the database (``_write``; the driver is reached only through ``bulk``).

Superseding: a newer upload of the same kind (and agency) for the same inspection supersedes
the older one. The older Upload row, its raw file and its validation issues are kept (status
``superseded``, ``superseded_by`` set); its source records, their identifiers and its events
are deleted in the same transaction, so nothing from it is counted any more. Children are
kept: they are shared by every source and may already be sampled or audited.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.transactions import in_transaction

from inspection.evidence.bulk import Bulk, quoted
from inspection.evidence.codes import codes_version
from inspection.evidence.reading import DEFAULT_READ_MEMORY
from inspection.evidence.rows import (
    STAGE_CHILD,
    STAGE_EVENT,
    STAGE_IDENTIFIER,
    STAGE_RECORD,
    Rows,
    prepare,
)
from inspection.evidence.staged import EvidenceFileError, Issue, Staged
from inspection.evidence.upload_status import UploadStatus
from inspection.models import Inspection, Upload, User
from inspection.settings import Settings

SOURCE_KINDS = ("annex-a", "cin-census", "ssda903", "agency")
Progress = Callable[[str, float], None]
WRITE_MEMORY_MB = 64  # PostgreSQL's memory for the write's sorts and hashes (work_mem)

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
    if source_kind == "ssda903":
        from inspection.evidence.ssda903 import read_ssda903

        return read_ssda903(path, reference_date, max_bytes, filename)
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
    return staged, prepare(staged)


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


def _cut(text: str | None, length: int) -> str:
    return (text or "")[:length]


def _issue_row(inspection_id: int, upload_id: int, issue: Issue) -> tuple[Any, ...]:
    return (
        inspection_id,
        upload_id,
        _cut(issue.sheet, 100),
        _cut(issue.list_name, 40),
        issue.row,
        _cut(issue.column, 200),
        _cut(issue.cell, 16),
        issue.value,
        _cut(issue.rule, 60),
        issue.severity,
        issue.message,
        issue.rejected,
        issue.count,
    )


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
    """Write one file in one transaction: the upload, then the file's rows copied into
    staging tables, then set-based statements that place them, every id found by the
    database (children by la_child_id, records by their place in the file)."""
    async with in_transaction("default") as tx:
        bulk = Bulk(tx, settings.dialect)
        if bulk.postgres:
            # The joins sort a file's events by child: in memory, not in temporary files.
            await bulk.execute(f"SET LOCAL work_mem = '{WRITE_MEMORY_MB}MB'")
        upload = await Upload.create(
            inspection_id=inspection_id,
            source_kind=staged.source_kind,
            agency=staged.agency if staged.source_kind == "agency" else "",
            filename=name[:300],
            sha256=sha256,
            size_bytes=size,
            stored_path=str(stored)[:500],
            uploaded_by=uploaded_by,
            status=UploadStatus.LOADED,
            summary={},
            using_db=tx,
        )
        superseded = await _supersede(bulk, tx, inspection_id, upload)
        if rows.children:
            await bulk.stage(STAGE_CHILD, rows.children)
            await _write_children(bulk, inspection_id)
        await bulk.stage(STAGE_RECORD, rows.records)
        await bulk.execute(_RECORDS_SQL, [inspection_id, upload.id, inspection_id])
        if rows.identifiers:
            await bulk.stage(STAGE_IDENTIFIER, rows.identifiers)
            await bulk.execute(_IDENTIFIERS_SQL, [inspection_id, upload.id, upload.id])
        await bulk.stage(STAGE_EVENT, rows.events)
        events = await bulk.execute(_EVENTS_SQL, [inspection_id, upload.id, upload.id])
        await bulk.drop_stages()
        await bulk.copy(
            "validation_issue",
            ISSUE_COLUMNS,
            (_issue_row(inspection_id, upload.id, issue) for issue in staged.issues),
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


async def _supersede(bulk: Bulk, tx: Any, inspection_id: int, upload: Upload) -> list[int]:
    older = (
        await Upload.filter(
            inspection_id=inspection_id,
            source_kind=upload.source_kind,
            agency=upload.agency,
            status=UploadStatus.LOADED,
        )
        .exclude(id=upload.id)
        .using_db(tx)
    )
    ids = []
    for old in older:
        await bulk.execute('DELETE FROM "event" WHERE upload_id = {}', [old.id])
        await bulk.execute('DELETE FROM "person_identifier" WHERE upload_id = {}', [old.id])
        await bulk.execute('DELETE FROM "source_record" WHERE upload_id = {}', [old.id])
        await bulk.execute(
            'UPDATE "upload" SET status = {}, superseded_by_id = {} WHERE id = {}',
            [UploadStatus.SUPERSEDED.value, upload.id, old.id],
        )
        ids.append(old.id)
    return ids


# What each characteristic becomes when an upload gives it (u) for a child already known (c):
# the latest upload wins for each characteristic it actually gives.
def _child_update(postgres: bool) -> dict[str, str]:
    kept = {
        column: f"CASE WHEN u.{column} <> '' THEN u.{column} ELSE c.{column} END"
        for column in ("given_name", "family_name", "sex", "ethnicity", "disability")
    }
    return {
        **kept,
        "dob": "COALESCE(u.dob, c.dob)",
        "death_date": "COALESCE(u.death_date, c.death_date)",
        "team": "CASE WHEN u.team <> '' THEN u.team ELSE c.team END",
        "worker": "CASE WHEN u.worker <> '' THEN u.worker ELSE c.worker END",
        # Attribute by attribute, the upload's over the child's.
        "attributes": (
            "c.attributes || u.attributes" if postgres else "json_patch(c.attributes, u.attributes)"
        ),
    }


def _child_update_sql(postgres: bool) -> str:
    """One UPDATE for every known child a file gives; a child whose characteristics would not
    change is not rewritten (a census that repeats what Annex A said rewrites nothing)."""
    update = _child_update(postgres)
    changed = (
        "("
        + ", ".join(update.values())
        + ") IS DISTINCT FROM ("
        + ", ".join(f"c.{column}" for column in update)
        + ")"
    )
    if not postgres:
        # Characteristics are compared one by one (SQLite compares no JSON as a row value).
        changed = " OR ".join(f"({value}) IS NOT c.{column}" for column, value in update.items())
    return (
        'UPDATE "child" AS c SET '
        + ", ".join(f"{column} = {value}" for column, value in update.items())
        + ' FROM "stage_child" AS u WHERE c.inspection_id = {} AND c.la_child_id = u.la_child_id'
        + f" AND ({changed})"
    )


_CHILD_COLUMNS = (
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
    "death_date",
)
# New children, in la_child_id order (the unique index's).
_NEW_CHILDREN_SQL = (
    'INSERT INTO "child" (inspection_id, postcode, '
    + ", ".join(_CHILD_COLUMNS)
    + ") SELECT {}, '', "
    + ", ".join(f"u.{column}" for column in _CHILD_COLUMNS)
    + ' FROM "stage_child" AS u WHERE NOT EXISTS (SELECT 1 FROM "child" AS c '
    "WHERE c.inspection_id = {} AND c.la_child_id = u.la_child_id) ORDER BY u.la_child_id"
)


async def _write_children(bulk: Bulk, inspection_id: int) -> None:
    """Update the children the inspection already has, then add the new ones."""
    await bulk.execute(_child_update_sql(bulk.postgres), [inspection_id])
    await bulk.execute(_NEW_CHILDREN_SQL, [inspection_id, inspection_id])


_RECORD_COLUMNS = STAGE_RECORD.column_names[1:]
# Each record with its child found by la_child_id, in child order (each child's index entries
# then go to the same few index pages), in file order within a child.
_RECORDS_SQL = (
    'INSERT INTO "source_record" (inspection_id, upload_id, '
    + ", ".join(_RECORD_COLUMNS)
    + ", child_id, link_method, link_probability, link_evidence) SELECT {}, {}, "
    + ", ".join(f"s.{column}" for column in _RECORD_COLUMNS)
    + ", c.id, CASE WHEN c.id IS NULL THEN '' ELSE 'la_child_id' END, NULL, '{{}}' "
    'FROM "stage_record" AS s LEFT JOIN "child" AS c ON c.inspection_id = {} '
    "AND c.la_child_id = s.la_child_id AND s.la_child_id <> '' "
    "ORDER BY c.id NULLS FIRST, s.n"
)
_EVENT_COLUMNS = STAGE_EVENT.column_names[2:]
# Each event with its record (found by the record's place in the file) and the record's child,
# in child order, in file order within a child (so the events of one source row stay together).
_EVENTS_SQL = (
    'INSERT INTO "event" (inspection_id, upload_id, '
    + ", ".join(quoted(column) for column in _EVENT_COLUMNS)
    + ", record_id, child_id) SELECT {}, {}, "
    + ", ".join(f"e.{quoted(column)}" for column in _EVENT_COLUMNS)
    + ', r.id, r.child_id FROM "stage_event" AS e '
    'JOIN "stage_record" AS s ON s.n = e.record_n '
    'JOIN "source_record" AS r ON r.upload_id = {} AND r.agency = s.agency '
    "AND r.person_id = s.person_id "
    "ORDER BY r.child_id NULLS FIRST, e.n"
)


# Each identifier with its record, found as events find theirs, in the record's order.
_IDENTIFIERS_SQL = (
    'INSERT INTO "person_identifier" (inspection_id, upload_id, record_id, scheme, value, '
    "valid, valid_from, valid_to) SELECT {}, {}, r.id, i.scheme, i.value, i.valid, "
    'i.valid_from, i.valid_to FROM "stage_identifier" AS i '
    'JOIN "stage_record" AS s ON s.n = i.record_n '
    'JOIN "source_record" AS r ON r.upload_id = {} AND r.agency = s.agency '
    "AND r.person_id = s.person_id "
    "ORDER BY r.id"
)


async def table_counts() -> dict[str, int]:
    """Rows in every evidence-related table (tests use it to prove nothing was written)."""
    conn = Tortoise.get_connection("default")
    counts = {}
    tables = ("upload", "validation_issue", "child", "source_record", "event", "person_identifier")
    for table in tables:
        _, rows = await conn.execute_query(f'SELECT COUNT(*) AS n FROM "{table}"')  # noqa: S608
        counts[table] = int(dict(rows[0])["n"])
    return counts
