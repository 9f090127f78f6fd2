"""Checks that refuse a whole file before any reader opens it.

Each refusal is an ``EvidenceFileError`` with a plain-English message naming the problem:
oversized, empty, not a spreadsheet, encrypted, a zip decompression bomb.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

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
_CHUNK = 1 << 20


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


def _check_sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """Refuse a worksheet whose cells span more than ``MAX_SHEET_CELLS`` (rows x columns)."""
    extent = [_NO_ROW, 0, _NO_ROW, 0]  # first row, last row, first column, last column
    tail = b""
    try:
        with archive.open(info) as stream:
            chunk = stream.read(_CHUNK)
            while chunk:
                following = stream.read(_CHUNK)
                data = tail + chunk
                # A reference cut at the end of this chunk is read whole in the next one.
                _widen(extent, data, len(data) - (_TAIL if following else 0))
                tail = data[-_TAIL:]
                chunk = following
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceFileError(
            f"{name} is damaged and cannot be opened as a workbook ({exc})."
        ) from None
    first_row, last_row, first_column, last_column = extent
    if last_row == 0:
        return
    height = last_row - first_row + 1
    width = last_column - first_column + 1
    if height * width > MAX_SHEET_CELLS:
        raise EvidenceFileError(
            f"{name} has a sheet spanning {height:,} rows and {width:,} columns "
            f"({height * width:,} cells, more than the {MAX_SHEET_CELLS:,} allowed), "
            "so it was not opened. Delete the stray cells far from the data and upload it again."
        )


_NO_ROW = 1 << 40
_TAIL = 24
_WIDTH = 3 + 7 + 1  # up to three letters, seven digits and the closing quote


def _widen(extent: list[int], data: bytes, limit: int) -> None:
    """Widen ``extent`` to every cell reference ``r="XFD1048576"`` (one to three letters, one
    to seven digits) starting before ``limit`` in ``data``.

    The same references the regular expression ``\\sr="([A-Z]{1,3})([0-9]{1,7})"`` finds,
    found with array operations: a large sheet holds millions of them, and a regular
    expression's list of matches cost a second per 100,000 rows. Each reference is read a
    character at a time across all of them at once."""
    raw = np.frombuffer(data, dtype=np.uint8)
    size = len(raw)
    if size < 6:
        return
    space = raw[: size - 5]
    letter = raw[4 : size - 1]
    found = (
        (raw[1 : size - 4] == 0x72)  # r
        & (raw[2 : size - 3] == 0x3D)  # =
        & (raw[3 : size - 2] == 0x22)  # "
        & ((space == 0x20) | (space == 0x09) | (space == 0x0A) | (space == 0x0D))
        & (letter >= 0x41)
        & (letter <= 0x5A)
    )
    starts = np.flatnonzero(found[: max(0, min(limit, size - 5))]) + 4
    if not len(starts):
        return
    padded = np.concatenate([raw, np.zeros(_WIDTH + 1, dtype=np.uint8)])
    # The column: one letter, then up to two more (a fourth makes it no reference).
    letters = np.ones(len(starts), dtype=np.int64)
    column = padded[starts].astype(np.int64) - 0x40
    run = np.ones(len(starts), dtype=bool)
    for offset in (1, 2, 3):
        byte = padded[starts + offset]
        run &= (byte >= 0x41) & (byte <= 0x5A)
        letters += run
        if offset < 3:
            column = np.where(run, column * 26 + (byte.astype(np.int64) - 0x40), column)
    # The row: one to seven digits (an eighth makes it no reference), then the quote.
    first_digit = starts + letters
    digits = np.zeros(len(starts), dtype=np.int64)
    row = np.zeros(len(starts), dtype=np.int64)
    run[:] = True
    for offset in range(8):
        byte = padded[first_digit + offset]
        run &= (byte >= 0x30) & (byte <= 0x39)
        digits += run
        if offset < 7:
            row = np.where(run, row * 10 + (byte.astype(np.int64) - 0x30), row)
    closing = padded[first_digit + digits]
    valid = (letters <= 3) & (digits >= 1) & (digits <= 7) & (closing == 0x22)
    if not valid.any():
        return
    row, column = row[valid], column[valid]
    extent[0] = min(extent[0], int(row.min()))
    extent[1] = max(extent[1], int(row.max()))
    extent[2] = min(extent[2], int(column.min()))
    extent[3] = max(extent[3], int(column.max()))
