"""Checks that refuse a whole file before any reader opens it.

Each refusal is an ``EvidenceFileError`` with a plain-English message naming the problem:
oversized, empty, not a spreadsheet, encrypted, a zip decompression bomb, a sheet whose grid
would cost far more than it holds (``extent``).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import BinaryIO

from inspection.evidence.extent import check_extents
from inspection.evidence.staged import EvidenceFileError

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An xlsx sheet compresses 5 to 30 times; a ratio beyond this is a decompression bomb.
MAX_COMPRESSION_RATIO = 200
# However well a workbook compresses, more than this many bytes unpacked is refused.
UNPACKED_FACTOR = 8


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


def check_workbook_bytes(data: bytes, max_bytes: int, name: str) -> None:
    """The checks of an .xlsx workbook held in memory (an offline audit pack)."""
    if not data:
        raise EvidenceFileError(f"{name} is empty (0 bytes).")
    if len(data) > max_bytes:
        raise EvidenceFileError(
            f"{name} is {human_size(len(data))}, more than the {human_size(max_bytes)} allowed."
        )
    if not data.startswith(ZIP_MAGIC):
        raise EvidenceFileError(f"{name} is not an Excel workbook (.xlsx).")
    check_zip(io.BytesIO(data), max_bytes, name)


def check_zip(source: Path | BinaryIO, max_bytes: int, name: str | None = None) -> None:
    name = name or (source.name if isinstance(source, Path) else "The workbook")
    try:
        with zipfile.ZipFile(source) as archive:
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
    with zipfile.ZipFile(source) as archive:
        check_extents(archive, name)
