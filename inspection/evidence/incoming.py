"""Raw files waiting to be imported: ``<data dir>/incoming/<inspection id>/<token><suffix>``.

A browser upload is written here before it is read, and removed as soon as its import ends,
loaded or refused (a loaded file is kept as a copy under ``uploads/``, see
``evidence.load``). From the moment it is created until it is removed, the file is held with
an exclusive lock (``flock``) by the process running its import, so that any process can tell
a file in use from one left behind by a process that died (the lock ends with the process):
``sweep`` removes only files that nobody holds and that are older than a given age, and
``remove_for_inspection`` (a purge) every file of one inspection. Locks are ``flock``
locks: the data directory must be on a local file system (not NFS).

A browser upload is imported by a job (``inspection.jobs``), perhaps in another process: the
web process writes the file and ``hand_over``s it (lets go without removing it), and the worker
that claims the job ``hold``s it while importing. Between the two, the queued job names the
file, and ``sweep`` is told to keep it.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

INCOMING = "incoming"


def incoming_root(data_dir: Path) -> Path:
    return data_dir / INCOMING


@dataclass
class IncomingFile:
    """A file being imported, held (locked) until ``release``."""

    path: Path
    _fd: int

    def release(self) -> None:
        """Remove the file and let go of it."""
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)

    def hand_over(self) -> Path:
        """Let go of the file without removing it (a job will import it); its path."""
        os.close(self._fd)
        return self.path


def hold(path: Path) -> IncomingFile | None:
    """Take hold of a file handed over, waiting while another process holds it; None when it
    is no longer there (blocking I/O)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX)
    return IncomingFile(path, fd)


def receive(data_dir: Path, inspection_id: int, source: BinaryIO, suffix: str) -> IncomingFile:
    """Write ``source`` to a new file of the inspection, held until released (blocking I/O).

    If writing fails, nothing is left behind.
    """
    folder = incoming_root(data_dir) / str(inspection_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_urlsafe(12)}{suffix.lower()[:10]}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with os.fdopen(os.dup(fd), "wb") as handle:
            shutil.copyfileobj(source, handle)
    except BaseException:
        path.unlink(missing_ok=True)
        os.close(fd)
        raise
    return IncomingFile(path, fd)


def remove_unless_held(path: Path) -> bool:
    """Remove ``path`` if no process holds it; whether it was removed."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return False
    try:
        path.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found: list[Path] = []
    for entry in folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            found.extend(child for child in entry.iterdir() if child.is_file())
        elif entry.is_file():  # the layout before files were kept per inspection
            found.append(entry)
    return found


def sweep(
    data_dir: Path,
    older_than_seconds: float,
    now: float | None = None,
    keep: frozenset[Path] = frozenset(),
) -> int:
    """Remove the files nobody holds that were last written more than ``older_than_seconds``
    ago (left by an import whose process died), except those in ``keep`` (waiting for their
    job); the number removed (blocking I/O)."""
    cutoff = (time.time() if now is None else now) - older_than_seconds
    removed = 0
    for path in _files(incoming_root(data_dir)):
        try:
            stale = path.stat().st_mtime < cutoff
        except FileNotFoundError:
            continue
        if stale and path not in keep and remove_unless_held(path):
            removed += 1
    return removed


def held(data_dir: Path, inspection_id: int) -> int:
    """How many of the inspection's files an import is holding right now (blocking I/O)."""
    count = 0
    for path in files_of(data_dir, inspection_id):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            count += 1
        finally:
            os.close(fd)
    return count


def files_of(data_dir: Path, inspection_id: int) -> list[Path]:
    """The inspection's incoming files (blocking I/O)."""
    return _files(incoming_root(data_dir) / str(inspection_id))


def remove_for_inspection(data_dir: Path, inspection_id: int) -> None:
    """Remove every incoming file of the inspection, held or not (blocking I/O)."""
    shutil.rmtree(incoming_root(data_dir) / str(inspection_id), ignore_errors=True)
