"""Load an authority's evidence files together: each file read and written by a loader process.

Reading a file and writing the one before it are both Python work, and one Python process runs
Python on one core at a time. So each file of a batch is loaded by a process of its own, and
while one writes its file, the next reads the following one. Each file is still exactly what
``import_file`` makes of it (its own upload and transaction, all or nothing, recognised by its
sha256, superseding an older file of its kind), and the files are written one at a time, in
the order given: a loader writes only when told to, once every file before its own has been
answered (committed, refused or found already loaded).

A loader talks to this process over a pipe: progress while it reads, then whether its file was
refused, found already loaded, or is ready to write; and after writing, the summary. Then it
ends. Its database is the batch's, reached with the same settings, so the database must be a
server or a file (not SQLite in memory).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import pickle
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from tortoise import Tortoise

from inspection.evidence.load import (
    EvidenceFile,
    ImportSummary,
    _check_and_read,
    _inspection,
    _store_and_write,
)
from inspection.evidence.reading import (
    cap_this_process,
    process_context,
    stopped_by_cap,
    stopped_message,
)
from inspection.evidence.staged import EvidenceFileError
from inspection.models import Inspection, User
from inspection.settings import Settings

# At most LOADERS files in hand at once: one being written while the others are read or, read,
# wait their turn (each holds its rows). At most BUSY of them reading or writing at once, one
# per core of a small machine: another would only slow the file being written.
LOADERS = 3
BUSY = 2
BatchProgress = Callable[[EvidenceFile, str, float], None]
Inbox = asyncio.Queue[tuple[int, tuple[Any, ...]]]


class LoaderGone(RuntimeError):
    """A loader process ended without answering (killed, out of memory)."""


class BatchStopped(Exception):
    """The batch stopped at ``file``, which failed (its write, if begun, rolled back). The
    failure itself is the cause (``__cause__``); ``answered`` holds what became of each file
    before it: loaded, already loaded or refused."""

    def __init__(self, file: EvidenceFile, answered: list[ImportSummary | EvidenceFileError]):
        super().__init__(
            f"Loading stopped at {file.name}; the {len(answered)} file(s) before it were "
            "answered and the rest were not loaded."
        )
        self.file = file
        self.answered = answered


async def import_files(
    inspection_id: int,
    files: Sequence[EvidenceFile],
    settings: Settings,
    uploaded_by: User | None = None,
    progress: BatchProgress | None = None,
) -> list[ImportSummary | EvidenceFileError]:
    """Load several files in order, each exactly as ``import_file`` would.

    A file that cannot be used is answered with its EvidenceFileError in its place in the list
    and the others still load; anything else (the database going away, a loader stopping)
    stops the batch there: BatchStopped is raised from it, with every file before it loaded and
    the one being written rolled back.
    """
    inspection = await _inspection(inspection_id)
    if not files:
        return []
    if ":memory:" in settings.database_url:
        raise ValueError(
            "A batch is loaded by separate processes, which cannot share an in-memory SQLite "
            "database; use a database file or PostgreSQL."
        )
    # Loaders are forked from a server process that has imported the loading code and run
    # nothing else: no connections or threads are inherited, and a loader starts at once.
    context = process_context()
    user_id = uploaded_by.id if uploaded_by else None
    inbox: Inbox = asyncio.Queue()
    loaders: list[_Loader] = []

    def start(index: int) -> None:
        job = _Job(settings, inspection.id, user_id, files[index])
        loaders.append(_Loader(context, index, job, progress, inbox))

    finished = False
    try:
        results = await _schedule(files, start, inbox)
        finished = True
        return results
    finally:
        await asyncio.gather(*(loader.stop(gently=finished) for loader in loaders))


async def _schedule(
    files: Sequence[EvidenceFile], start: Callable[[int], None], inbox: Inbox
) -> list[ImportSummary | EvidenceFileError]:
    """Start a loader for each file in order, tell each to write once every file before its
    own is answered, and take the answers in order (raising at the first failure)."""
    results: list[ImportSummary | EvidenceFileError] = []
    answers: dict[int, tuple[Any, ...]] = {}  # file index: its loader's last word
    ready: dict[int, _Loader] = {}  # read, waiting to be told to write
    started = 0
    busy = 0  # loaders reading or writing
    writing = False  # the file written is always the next to answer, number len(results)
    count = len(files)
    while True:
        while len(results) in answers:
            index = len(results)
            try:
                results.append(_outcome(answers.pop(index)))
            except Exception as failure:
                raise BatchStopped(files[index], results) from failure
        if len(results) == count:
            return results
        if not writing and len(results) in ready:
            ready.pop(len(results)).send("write")
            writing, busy = True, busy + 1
        in_hand = started - len(results) - len(answers)
        while started < count and in_hand < LOADERS and busy < BUSY:
            start(started)
            started, busy, in_hand = started + 1, busy + 1, in_hand + 1
        index, message = await inbox.get()
        if message[0] == "ready":
            ready[index] = message[1]
            busy -= 1
            continue
        if ready.pop(index, None) is None:  # unless it stopped while waiting its turn
            busy -= 1
        if writing and index == len(results):
            writing = False
        answers[index] = message


def _outcome(message: tuple[Any, ...]) -> ImportSummary | EvidenceFileError:
    kind = message[0]
    if kind == "answered":
        summary: ImportSummary = message[1]
        return summary
    if kind == "refused":
        return EvidenceFileError(message[1])
    if kind == "failed":
        raise message[1]
    raise LoaderGone(f"The process loading {message[2]} stopped unexpectedly ({message[1]}).")


class _Loader:
    """This process's end of the loader process of one file."""

    def __init__(
        self,
        context: Any,
        index: int,
        job: _Job,
        progress: BatchProgress | None,
        inbox: Inbox,
    ) -> None:
        self.index, self.file, self.progress, self.inbox = index, job.file, progress, inbox
        self.memory_bytes = job.settings.read_memory_bytes
        self.answered = False  # its last word (answered, refused, failed, gone) is in
        self.read = False  # it has read its file (said "ready")
        self.connection, remote = context.Pipe()
        self.process = context.Process(
            target=serve,
            args=(remote, job),
            name=f"inspection-loader-{index + 1}",
            daemon=True,
        )
        self.process.start()
        remote.close()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(self.connection.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            message = self.connection.recv()
        except (EOFError, OSError):
            self._close()
            if self.answered:  # it has ended, as it should
                return
            self.process.join(5)
            if not self.read and stopped_by_cap(self.process.exitcode):
                message = ("refused", stopped_message(self.file.name, self.memory_bytes))
            else:
                message = ("gone", f"exit code {self.process.exitcode}", self.file.name)
        self.answered = message[0] not in ("progress", "ready")
        if message[0] == "progress":
            if self.progress is not None:
                self.progress(self.file, message[1], message[2])
            return
        if message[0] == "ready":
            self.read = True
            message = ("ready", self)
        self.inbox.put_nowait((self.index, message))

    def send(self, message: Any) -> None:
        """Unless the loader has gone (its "gone" is then on its way to the inbox)."""
        if not self.connection.closed:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.connection.send(message)

    def _close(self) -> None:
        if not self.connection.closed:
            self.loop.remove_reader(self.connection.fileno())
            self.connection.close()

    async def stop(self, gently: bool) -> None:
        """Gently: the loader has answered and ends by itself. Otherwise (the batch failed or
        was cancelled) end it at once; a write it had begun is rolled back by the database."""
        if not gently and self.process.is_alive():
            self.process.terminate()
        await asyncio.to_thread(self.process.join, 10)
        if self.process.is_alive():
            self.process.kill()
            await asyncio.to_thread(self.process.join)
        self._close()


@dataclass(frozen=True)
class _Job:
    """What a loader is given: one file of a batch, and whose and where it goes."""

    settings: Settings
    inspection_id: int
    uploaded_by_id: int | None
    file: EvidenceFile


def serve(connection: Connection, job: _Job) -> None:
    """A loader process: load one file, then end.

    Its address space is capped (the read-memory setting), so that a file whose reading
    outgrows it ends this process, refused, and nothing else. At the end of a write the
    process leaves at once (``os._exit``) instead of freeing the file's rows one by one; the
    operating system takes its memory back whole."""
    cap_this_process(job.settings.read_memory_bytes)
    asyncio.run(_serve(connection, job))


async def _serve(connection: Connection, job: _Job) -> None:
    settings = job.settings
    sending = threading.Lock()  # progress is also sent from the reading thread

    def send(message: tuple[Any, ...]) -> None:
        with sending:
            connection.send(message)

    def progress(stage: str, fraction: float) -> None:
        send(("progress", stage, fraction))

    try:
        await Tortoise.init(config=settings.tortoise_config())
        inspection = await Inspection.get(id=job.inspection_id)
        try:
            outcome = await _check_and_read(inspection, job.file, settings, progress)
        except EvidenceFileError as exc:
            send(("refused", str(exc)))
            return
        if isinstance(outcome, ImportSummary):
            send(("answered", outcome))
            return
        send(("ready",))
        if await asyncio.to_thread(connection.recv) != "write":
            return
        uploaded_by = await User.get(id=job.uploaded_by_id) if job.uploaded_by_id else None
        summary = await _store_and_write(inspection.id, outcome, settings, uploaded_by, progress)
        send(("answered", summary))
        await Tortoise.close_connections()
        connection.close()
        os._exit(0)  # with the file's rows still held, see serve()
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the batch
        send(("failed", _portable(exc)))
    finally:
        await Tortoise.close_connections()


def _portable(exc: Exception) -> Exception:
    """The exception itself if it survives the pipe, otherwise a RuntimeError saying what it
    was; either way with the loader's traceback as a note."""
    detail = "".join(traceback.format_exception(exc))
    try:
        copy: Exception = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    except Exception:  # noqa: BLE001
        copy = RuntimeError(f"{type(exc).__name__}: {exc}")
    copy.add_note(f"In the loader process:\n{detail}")
    return copy
