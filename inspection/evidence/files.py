"""Checks that refuse a whole file before any reader opens it.

Each refusal is an ``EvidenceFileError`` with a plain-English message naming the problem:
oversized, empty, not a spreadsheet, encrypted, a zip decompression bomb.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from inspection.evidence.staged import EvidenceFileError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An xlsx sheet compresses 5 to 30 times; a ratio beyond this is a decompression bomb.
MAX_COMPRESSION_RATIO = 200
# However well a workbook compresses, more than this many bytes unpacked is refused.
UNPACKED_FACTOR = 8
# A reader lays a sheet out as a full grid from its first to its last cell: a few cells far
# apart (A1 and XFD1048576) would ask for hundreds of gigabytes and abort the process.
# The largest real Annex A list (200,000 rows x 34 columns) is under 7 million cells.
MAX_SHEET_CELLS = 20_000_000
_CELL_COLUMN = re.compile(rb'\sr="([A-Z]{1,3})[0-9]')
_CELL_ROW = re.compile(rb'\sr="[A-Z]{1,3}([0-9]{1,7})"')
_CHUNK = 1 << 20
# The same two patterns for the usual case, every r=" preceded by a plain space: a literal
# start lets the regex engine skip ahead (about six times faster on a large sheet).
_SPACE_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})[0-9]')
_SPACE_CELL_ROW = re.compile(rb' r="[A-Z]{1,3}([0-9]{1,7})"')


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return f"{size} bytes"


def check_size(path: Path, max_bytes: int, name: str | None = None) -> int:
    name = name or path.name
    size = path.stat().st_size
    if size == 0:
        raise EvidenceFileError(f"{name} is empty (0 bytes).")
    if size > max_bytes:
        raise EvidenceFileError(
            f"{name} is {human_size(size)}, more than the {human_size(max_bytes)} allowed."
        )
    return size


def check_spreadsheet(path: Path, max_bytes: int, name: str | None = None) -> str:
    """``zip`` (xlsx, xlsm, ods) or ``ole`` (xls), after refusing anything unsafe or unreadable."""
    name = name or path.name
    check_size(path, max_bytes, name)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC):
        check_zip(path, max_bytes, name)
        return "zip"
    if head == OLE_MAGIC:
        data = path.read_bytes()
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptionInfo" in data:
            raise EvidenceFileError(
                f"{name} is password-protected (encrypted). Save it without a password "
                "and upload it again."
            )
        return "ole"
    raise EvidenceFileError(
        f"{name} is not a spreadsheet (expected an Excel .xlsx, .xlsm or .xls file, "
        "or an OpenDocument .ods file)."
    )


def check_zip(path: Path, max_bytes: int, name: str | None = None) -> None:
    name = name or path.name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise EvidenceFileError(
            f"{name} is damaged and cannot be opened as a workbook ({exc})."
        ) from None
    if not infos:
        raise EvidenceFileError(f"{name} is an empty archive, not a workbook.")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    worst = max(info.file_size / max(info.compress_size, 1) for info in infos)
    if (
        total > UNPACKED_FACTOR * max_bytes
        or worst > MAX_COMPRESSION_RATIO
        or (packed and total / packed > MAX_COMPRESSION_RATIO)
    ):
        raise EvidenceFileError(
            f"{name} looks like a decompression bomb: it would unpack to "
            f"{human_size(total)} (up to {worst:.0f} times its packed size), so it was not opened."
        )
    with zipfile.ZipFile(path) as archive:
        for info in infos:
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                _check_sheet_extent(archive, info, name)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _check_sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Refuse a worksheet whose cells span more than ``MAX_SHEET_CELLS`` (rows x columns)."""
    rows: set[bytes] = set()
    columns: set[bytes] = set()
    tail = b""
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(_CHUNK):
                data = tail + chunk
                if data.count(b'r="') == data.count(b' r="'):
                    columns.update(_SPACE_CELL_COLUMN.findall(data))
                    rows.update(_SPACE_CELL_ROW.findall(data))
                else:
                    columns.update(_CELL_COLUMN.findall(data))
                    rows.update(_CELL_ROW.findall(data))
                tail = data[-24:]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceFileError(
            f"{name} is damaged and cannot be opened as a workbook ({exc})."
        ) from None
    if not rows:
        return
    numbers = [int(r) for r in rows]
    letters = [_column_number(c) for c in columns]
    height = max(numbers) - min(numbers) + 1
    width = max(letters) - min(letters) + 1
    if height * width > MAX_SHEET_CELLS:
        raise EvidenceFileError(
            f"{name} has a sheet spanning {height:,} rows and {width:,} columns "
            f"({height * width:,} cells, more than the {MAX_SHEET_CELLS:,} allowed), "
            "so it was not opened. Delete the stray cells far from the data and upload it again."
        )
