"""Workbooks are read in a process whose memory is capped, so no workbook can take the service down.

The checks in ``files`` and ``extent`` refuse every way we know of making a small workbook ask
a reader for a huge grid. Whatever the next way is, the reader (python-calamine, or openpyxl
for an offline audit pack) runs in a process of its own with its address space capped
(``resource.RLIMIT_AS``, the ``INSPECTION_READ_MEMORY_MB`` setting): an allocation beyond the
cap ends that process, never the web server, and the file is refused with a plain message.

The reader process sends each sheet's cell values as soon as it has parsed it, and parses the
next while the caller reads the one before, as a reading thread would. A process that is
itself capped already (an import's loader process, see ``bundle``) reads in place.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import signal
from collections.abc import Generator, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Literal

from inspection.evidence.files import human_size
from inspection.evidence.staged import EvidenceFileError
from inspection.settings import DEFAULT_READ_MEMORY_MB

DEFAULT_READ_MEMORY = DEFAULT_READ_MEMORY_MB << 20
Engine = Literal["calamine", "openpyxl"]
Source = Path | bytes
Message = tuple[Any, ...]
# Modules a process started for reading or loading has imported before it is asked to.
PRELOAD = (
    "inspection.evidence.reading",
    "inspection.evidence.annex_a",
    "inspection.evidence.cin_census",
    "inspection.evidence.ssda903",
    "inspection.evidence.agencies",
    "inspection.evidence.bundle",
)
# How reader and loader processes start: from a server process that has imported the reading
# code and run nothing else (Python's forkserver, the default on Linux from Python 3.14), so
# none inherits a connection or a thread. ``bench/bench_reader_start.py`` compares the methods.
START_METHOD = "forkserver"
_capped: int | None = None  # the cap of this process, when it was started capped


def process_context() -> Any:
    """The multiprocessing context readers and loaders start from (``START_METHOD``; a fork
    server imports ``PRELOAD`` first, so a process it starts has the reading code at once)."""
    context = multiprocessing.get_context(START_METHOD)
    if START_METHOD == "forkserver":
        context.set_forkserver_preload(list(PRELOAD))
    return context


def cap_this_process(memory_bytes: int) -> None:
    """Cap this process's address space; it then reads workbooks in place."""
    global _capped
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _capped = memory_bytes


def stopped_by_cap(exitcode: int | None) -> bool:
    """Whether a reading process ended as an allocation beyond its cap ends it: an abort (the
    parser's allocator gives up) or a MemoryError the process could not report."""
    return exitcode in (-signal.SIGABRT, 1)


def stopped_message(name: str, memory_bytes: int) -> str:
    return (
        f"{name} could not be read: reading it needed more than the {human_size(memory_bytes)} "
        "of memory allowed for one file, so it was stopped. If it is a genuine workbook, delete "
        "any stray cells far from the data, or save each list as its own file, and upload it "
        "again."
    )


class Sheets:
    """A workbook being read: its sheet names, then (name, rows of cell values) for each sheet
    in workbook order as the reader gives them. Use it in a ``with`` block, which ends the
    reader process however the caller leaves."""

    def __init__(self, messages: Iterator[Message], name: str, memory_bytes: int) -> None:
        self._messages = messages
        self._answers: Generator[Any, None, None] = _answers(messages, name, memory_bytes)
        self.names: list[str] = next(self._answers)

    def __iter__(self) -> Iterator[tuple[str, list[list[Any]]]]:
        return self._answers

    def __enter__(self) -> Sheets:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._answers.close()
        if isinstance(self._messages, Generator):
            self._messages.close()


def sheets(
    source: Source,
    name: str,
    memory_bytes: int = DEFAULT_READ_MEMORY,
    *,
    engine: Engine = "calamine",
    first_only: bool = False,
) -> Sheets:
    """The workbook ``source`` read sheet by sheet (only the first with ``first_only``).

    Raises EvidenceFileError, now or while the sheets are taken, for an encrypted or damaged
    workbook, or one whose reading outgrew the memory allowed."""
    if _capped is not None:
        return Sheets(_read(source, engine, first_only), name, _capped)
    messages = _from_process(source, engine, first_only, memory_bytes)
    try:
        return Sheets(messages, name, memory_bytes)
    except BaseException:
        messages.close()
        raise


def _answers(
    messages: Iterator[Message], name: str, memory_bytes: int
) -> Generator[Any, None, None]:
    """The sheet names, then (name, rows) for each sheet; raises for what the reader reports."""
    try:
        yield from _checked(messages, name, memory_bytes)
    except MemoryError:  # read in place, in a capped process
        raise EvidenceFileError(stopped_message(name, memory_bytes)) from None


def _checked(messages: Iterator[Message], name: str, memory_bytes: int) -> Iterator[Any]:
    for message in messages:
        kind = message[0]
        if kind == "names":
            yield message[1]
        elif kind == "sheet":
            yield message[1], message[2]
        elif kind == "password":
            raise EvidenceFileError(
                f"{name} is password-protected (encrypted). Save it without a password and "
                "upload it again."
            )
        elif kind == "damaged" and message[1]:
            raise EvidenceFileError(
                f"{name} is damaged: sheet '{message[1]}' cannot be read ({message[2]})."
            )
        elif kind == "damaged":
            raise EvidenceFileError(
                f"{name} is damaged and cannot be read as a workbook ({message[2]})."
            )
        elif kind == "stopped":
            raise EvidenceFileError(
                f"{name} could not be read: the process reading it stopped unexpectedly "
                f"(exit code {message[1]}). Try again; if it happens again, tell the service's "
                "administrators."
            )
        elif kind == "memory":
            raise EvidenceFileError(stopped_message(name, memory_bytes))


def _from_process(
    source: Source, engine: Engine, first_only: bool, memory_bytes: int
) -> Generator[Message, None, None]:
    context = process_context()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_serve,
        args=(sending, source, engine, first_only, memory_bytes),
        name="inspection-reader",
        daemon=True,
    )
    process.start()
    sending.close()
    try:
        while True:
            try:
                message = receiving.recv()
            except EOFError:
                # It ended without a word: the cap stopped it, or something killed it.
                process.join()
                if stopped_by_cap(process.exitcode):
                    yield ("memory",)
                else:
                    yield ("stopped", process.exitcode)
                return
            if message[0] == "done":
                return
            yield message
    finally:
        receiving.close()
        if process.is_alive():
            process.kill()
        process.join()


def _serve(
    connection: Connection, source: Source, engine: Engine, first_only: bool, memory_bytes: int
) -> None:
    """The reader process: cap the address space, then send every sheet."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        try:
            for message in _read(source, engine, first_only):
                connection.send(message)
        except MemoryError:
            connection.send(("memory",))
        connection.send(("done",))
    connection.close()


def _read(source: Source, engine: Engine, first_only: bool) -> Iterator[Message]:
    if engine == "openpyxl":
        yield from _read_openpyxl(source, first_only)
    else:
        yield from _read_calamine(source, first_only)


def _read_calamine(source: Source, first_only: bool) -> Iterator[Message]:
    from python_calamine import CalamineWorkbook, PasswordError

    try:
        if isinstance(source, bytes):
            workbook = CalamineWorkbook.from_filelike(_bytes_file(source))
        else:
            workbook = CalamineWorkbook.from_path(str(source))
    except PasswordError:
        yield ("password",)
        return
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - calamine raises several types for damaged files
        yield ("damaged", "", str(exc))
        return
    names = list(workbook.sheet_names)
    yield ("names", names[:1] if first_only else names)
    for sheet in names[:1] if first_only else names:
        try:
            rows = workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001
            yield ("damaged", sheet, str(exc))
            return
        yield ("sheet", sheet, rows)


def _read_openpyxl(source: Source, first_only: bool) -> Iterator[Message]:
    import zipfile

    from openpyxl import load_workbook

    try:
        workbook = load_workbook(_bytes_file(source) if isinstance(source, bytes) else source)
    except MemoryError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        yield ("damaged", "", str(exc))
        return
    chosen = workbook.worksheets[:1] if first_only else workbook.worksheets
    yield ("names", [sheet.title for sheet in chosen])
    for sheet in chosen:
        yield ("sheet", sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])


def _bytes_file(data: bytes) -> Any:
    import io

    return io.BytesIO(data)
