"""Exports made by a job and kept for the person who asked for them:
``<data dir>/exports/<inspection id>/<random name>``.

The web page enqueues an export job (``inspection.jobs``) with its format and choices; a worker
builds the file with the builders of this package (as the person who started it may see the
inspection: ``inspection.audit.visibility``), writes it as ``<name>.part``, held with an
exclusive lock while it is written, and renames it whole. Nothing is written to the database
until the file is taken: ``take`` logs the builder's access-log entry then (the download, or
the command line writing it out), so an export whose worker ended can simply be made again.

Only the person who started the export may take it, and only while the visibility rule still
gives them what the file holds (``may_take``: still a member, in the same role). A file is
kept for ``export_keep_minutes`` (``sweep``, run by upkeep), and removed with the
inspection's other files when it is purged (``remove_for_inspection``). The directory is
under the data directory, which only the service reads (files are created ``0600``).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from inspection.audit.visibility import NotAMember, viewer_for
from inspection.evidence.incoming import remove_unless_held
from inspection.export.csv import build_csv, csv_zip
from inspection.export.log import ExportEntry
from inspection.export.offline import build_offline_pack
from inspection.export.tables import local
from inspection.export.workbook import build_workbook
from inspection.models import Job, JobKind, JobStatus, User

EXPORTS = "exports"
PART = ".part"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"


class ExportFormat(StrEnum):
    WORKBOOK = "workbook"
    TABLES = "tables"
    OFFLINE_PACK = "offline-pack"


# What each format is called in a sentence on the pages and the command line.
FORMAT_NAMES = {
    ExportFormat.WORKBOOK: "the QA workbook",
    ExportFormat.TABLES: "the CSV tables",
    ExportFormat.OFFLINE_PACK: "the offline audit pack",
}
# ... and at the start of one.
FORMAT_LABELS = {f: name[0].upper() + name[1:] for f, name in FORMAT_NAMES.items()}
MEDIA_TYPES = {
    ExportFormat.WORKBOOK: XLSX,
    ExportFormat.TABLES: ZIP,
    ExportFormat.OFFLINE_PACK: XLSX,
}


def exports_root(data_dir: Path) -> Path:
    return data_dir / EXPORTS


def export_work(
    data_dir: Path,
    inspection_id: int,
    export_format: ExportFormat,
    *,
    pseudonymise: bool = True,
    sample_id: int | None = None,
    role: str = "",
) -> tuple[dict[str, Any], Path]:
    """An export job's ``work`` and the path of its file while it is written (the job's raw
    file): the format, the choices, the maker's role in the inspection when they asked (the
    file holds what that role may see) and the file."""
    path = exports_root(data_dir) / str(inspection_id) / secrets.token_urlsafe(12)
    work = {
        "format": str(export_format),
        "pseudonymise": pseudonymise and export_format != ExportFormat.OFFLINE_PACK,
        "sample_id": sample_id,
        "role": role,
        "file": str(path),
    }
    return work, partial_path(path)


def partial_path(path: Path) -> Path:
    return path.with_name(path.name + PART)


@dataclass(frozen=True)
class Made:
    """A built export: its bytes, the name it is downloaded as, its access-log entry and what
    the command line reports of it."""

    data: bytes
    filename: str
    entry: ExportEntry
    summary: dict[str, Any]


async def make(inspection_id: int, work: dict[str, Any], user: User | None) -> Made:
    """Build the export ``work`` describes, as ``user`` may see it (not logged: ``take`` does).

    Raises ``NotAMember`` for a person no longer a member, ``PackError`` for a pack that cannot
    be made."""
    await viewer_for(user, inspection_id)  # NotAMember, whatever the format
    export_format = ExportFormat(work["format"])
    pseudonymise = bool(work.get("pseudonymise", True))
    if export_format == ExportFormat.WORKBOOK:
        book = await build_workbook(inspection_id, user, pseudonymise=pseudonymise, logged=False)
        summary = {"export_id": book.export_id, "pseudonymised": book.pseudonymised}
        return Made(book.data, book.filename, book.entry, {**summary, "rows": book.rows})
    if export_format == ExportFormat.TABLES:
        tables = await build_csv(inspection_id, user, pseudonymise=pseudonymise, logged=False)
        now = datetime.now(UTC)
        suffix = "-pseudonymised" if pseudonymise else ""
        return Made(
            csv_zip(tables, now),
            f"inspection-{inspection_id}-{now:%Y%m%d}{suffix}-csv.zip",
            tables.entry,
            {
                "export_id": tables.export_id,
                "pseudonymised": tables.pseudonymised,
                "rows": {name: text.count("\n") - 1 for name, text in tables.files.items()},
            },
        )
    pack = await build_offline_pack(inspection_id, int(work["sample_id"]), user, logged=False)
    return Made(
        pack.data, pack.filename, pack.entry, {"pack_id": pack.pack_id, "members": pack.members}
    )


def keep(path: Path, data: bytes) -> None:
    """Write ``data`` as ``path``: first as its partial file, held while it is written (so that
    nothing removes it meanwhile, and anything can tell it from one left by a process that
    ended), then renamed whole (blocking I/O)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    part = partial_path(path)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        os.close(fd)


def kept_until(job: Job) -> datetime | None:
    """When a finished export's file is removed, in UK local time."""
    until = job.outcome.get("kept_until")
    return local(datetime.fromtimestamp(float(until), UTC)) if until else None


def stored_file(job: Job, now: float | None = None) -> Path | None:
    """The finished export's file, or None once it is removed (expired, purged); a file kept
    past its time and not yet swept is removed here (blocking I/O)."""
    if not job.work.get("file"):
        return None
    path = Path(str(job.work["file"]))
    until = job.outcome.get("kept_until")
    if until and (time.time() if now is None else now) > float(until):
        path.unlink(missing_ok=True)
        return None
    return path if path.is_file() else None


async def may_take(job: Job, user: User | None) -> bool:
    """Whether ``user`` may have the export's file: they started it, and the visibility rule
    still gives them what it holds (they are a member, in the role they had when they asked)."""
    if user is None or job.started_by_id != user.id:  # type: ignore[attr-defined]
        return False
    try:
        viewer = await viewer_for(user, job.inspection_id)  # type: ignore[attr-defined]
    except NotAMember:
        return False
    return str(viewer.role) == str(job.work.get("role", ""))


@dataclass(frozen=True)
class Taken:
    data: bytes
    filename: str
    media_type: str


async def take(job: Job, user: User | None, ip: str = "") -> Taken | None:
    """The export's file for ``user`` (checked with ``may_take`` by the caller), written to the
    access log as its builder described it; None once the file is removed."""
    path = await asyncio.to_thread(stored_file, job)
    if path is None:
        return None
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except FileNotFoundError:  # removed between the look and the read
        return None
    await ExportEntry.from_dict(job.outcome["entry"]).log(
        job.inspection_id,  # type: ignore[attr-defined]
        user,
        ip,
    )
    media_type = MEDIA_TYPES[ExportFormat(job.work["format"])]
    return Taken(data, str(job.outcome["filename"]), media_type)


@dataclass(frozen=True)
class Recent:
    """One of a person's exports still kept or being made, as the Spreadsheets page lists it."""

    token: str
    label: str
    pseudonymised: bool
    is_pack: bool
    made_at: datetime | None
    state: str


async def recent(inspection_id: int, user: User, keep_minutes: int) -> list[Recent]:
    """The exports ``user`` asked for in the inspection within the last ``keep_minutes``,
    newest first, with their state in words."""
    since = datetime.now(UTC) - timedelta(minutes=keep_minutes)
    jobs = await Job.filter(
        inspection_id=inspection_id,
        kind=JobKind.EXPORT,
        started_by_id=user.id,
        created_at__gte=since,
    ).order_by("-id")
    out = []
    for job in jobs:
        export_format = ExportFormat(job.work["format"])
        if job.status == JobStatus.DONE:
            state = "Ready" if await asyncio.to_thread(stored_file, job) else "Removed"
        elif job.status == JobStatus.FAILED:
            state = "Not made"
        else:
            state = "Being made"
        out.append(
            Recent(
                job.token,
                FORMAT_LABELS[export_format],
                bool(job.work.get("pseudonymise")),
                export_format == ExportFormat.OFFLINE_PACK,
                local(job.created_at),
                state,
            )
        )
    return out


def remove(job: Job) -> None:
    """Remove the export's file (the command line has written it out; blocking I/O)."""
    if job.work.get("file"):
        Path(str(job.work["file"])).unlink(missing_ok=True)


def sweep(data_dir: Path, older_than_seconds: float, now: float | None = None) -> int:
    """Remove the exports written more than ``older_than_seconds`` ago (partial files only if
    nobody holds them: a worker that ended left them); the number removed (blocking I/O)."""
    cutoff = (time.time() if now is None else now) - older_than_seconds
    removed = 0
    root = exports_root(data_dir)
    if not root.is_dir():
        return 0
    for folder in root.iterdir():
        if not folder.is_dir() or folder.is_symlink():
            continue
        for path in folder.iterdir():
            try:
                written = path.stat().st_mtime
            except FileNotFoundError:
                continue
            if written >= cutoff:
                continue
            if path.name.endswith(PART):  # being written, unless its writer ended
                removed += remove_unless_held(path)
            else:
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def files_of(data_dir: Path, inspection_id: int) -> list[Path]:
    """The inspection's kept exports (blocking I/O)."""
    folder = exports_root(data_dir) / str(inspection_id)
    return [p for p in folder.iterdir() if p.is_file()] if folder.is_dir() else []


def remove_for_inspection(data_dir: Path, inspection_id: int) -> None:
    """Remove every kept export of the inspection (a purge; blocking I/O)."""
    shutil.rmtree(exports_root(data_dir) / str(inspection_id), ignore_errors=True)
