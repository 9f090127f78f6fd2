"""How large a grid a workbook's reader would lay out, found before any reader opens it.

A reader lays each sheet out as a grid from its first row and column to the last cell that
holds a value: two values far apart (A1 and XFD1048576) ask for hundreds of gigabytes, and a
1.6 KB file aborts the process. So every sheet the workbook's relationships name (wherever it
is stored, whatever its XML looks like) is measured here, as the reader would place its cells,
and a sheet whose grid would cost far more than the values it holds is refused.

Two ways of measuring give the same answer:

- **Exactly**, with a streaming XML parser that places each cell as the reader does: by its
  ``r`` reference (in any quoting, with character references), or, without one, after the
  cell before it in a row placed by its own ``r`` or after the row before. Only cells holding
  a value count; a cell that is only formatted takes no room in the grid.
- **Quickly**, for the ordinary case of a large sheet in which every cell carries a plain
  ``r="A1"`` reference: the references are found with array operations (a regular
  expression over millions of cells costs seconds). The result is an upper bound (formatted
  cells count too), so a sheet the quick measure refuses is measured exactly before it is.
  Anything unusual (a cell without a plain reference, namespace prefixes, comments, CDATA, a
  character set other than UTF-8) is measured exactly.

OpenDocument spreadsheets are always measured exactly, counting repeated rows and cells.
"""

from __future__ import annotations

import posixpath
import xml.parsers.expat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from inspection.evidence.staged import EvidenceFileError

# However many values a sheet holds, a grid larger than this is refused (about 600 MB laid
# out). The largest real Annex A list (200,000 rows x 34 columns) is under 7 million cells.
MAX_SHEET_CELLS = 20_000_000
# A grid this size is allowed whatever it holds (a few stray cells cost little)...
FREE_CELLS = 4_000_000
# ...beyond it, the grid may be at most this many times the cells that hold values: the cost
# of reading a sheet grows with what it holds, not with how far apart two of its cells are.
CELLS_PER_VALUE = 16
_CHUNK = 1 << 20
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ODS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_ODS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_MAX_ROW = 1_048_576
_MAX_COLUMN = 16_384


@dataclass(frozen=True)
class Extent:
    """A sheet as a reader would lay it out: from the first row and column to its last value."""

    sheet: str
    last_row: int  # 1-based; 0 when the sheet holds no value
    last_column: int
    values: int  # cells that hold a value

    @property
    def cells(self) -> int:
        return self.last_row * self.last_column

    @property
    def allowed(self) -> int:
        return min(MAX_SHEET_CELLS, max(FREE_CELLS, CELLS_PER_VALUE * self.values))


def check_extents(archive: zipfile.ZipFile, name: str) -> None:
    """Refuse the workbook if any of its sheets would be laid out larger than it may be."""
    for extent in workbook_extents(archive, name):
        if extent.cells <= extent.allowed:
            continue
        where = (
            f"{name} has a sheet ('{extent.sheet}') spanning {extent.last_row:,} rows and "
            f"{extent.last_column:,} columns ({extent.cells:,} cells"
        )
        if extent.cells > MAX_SHEET_CELLS:
            why = f", more than the {MAX_SHEET_CELLS:,} allowed)"
        else:
            why = (
                f"), but only {extent.values:,} of its cells hold anything: reading it would "
                "cost far more than what it holds"
            )
        raise EvidenceFileError(
            f"{where}{why}, so it was not opened. Delete the stray cells far from the data "
            "and upload it again."
        )


def workbook_extents(archive: zipfile.ZipFile, name: str) -> Iterator[Extent]:
    """The extent of every sheet of an xlsx/xlsm workbook or an OpenDocument spreadsheet."""
    names = set(archive.namelist())
    if "content.xml" in names and "xl/workbook.xml" not in names:
        yield from _ods_extents(archive, name)
        return
    for sheet, part in _sheet_parts(archive, names, name):
        info = archive.getinfo(part)
        if not part.lower().endswith(".xml"):
            raise EvidenceFileError(
                f"{name} keeps its sheet '{sheet}' in a binary form ({posixpath.basename(part)}), "
                "as an .xlsb workbook does. Save it as an Excel workbook (.xlsx) and upload it "
                "again."
            )
        yield _sheet_extent(archive, info, sheet, name)


def _sheet_parts(archive: zipfile.ZipFile, names: set[str], name: str) -> list[tuple[str, str]]:
    """(sheet name, part) for every worksheet the workbook's relationships name, and every
    part stored under ``xl/worksheets/`` besides (a reader may look there too)."""
    parts: dict[str, str] = {}
    workbook_part = _main_part(archive, names, name)
    rels_part = posixpath.join(
        posixpath.dirname(workbook_part), "_rels", posixpath.basename(workbook_part) + ".rels"
    )
    targets: dict[str, str] = {}
    if rels_part in names:
        for attributes in _elements(
            archive, rels_part, name, f"{_PACKAGE_RELATIONSHIPS} Relationship"
        ):
            target = attributes.get("Target", "")
            if target and attributes.get("TargetMode") != "External":
                targets[attributes.get("Id", "")] = _resolve(workbook_part, target)
    if workbook_part in names:
        for attributes in _elements(archive, workbook_part, name, f"{_MAIN} sheet"):
            part = targets.get(attributes.get(f"{_RELATIONSHIPS} id", ""), "")
            if part in names:
                parts.setdefault(part, attributes.get("name", posixpath.basename(part)))
    for part in sorted(names):
        if part.startswith("xl/worksheets/") and part.count("/") == 2 and part.endswith(".xml"):
            parts.setdefault(part, posixpath.basename(part))
    return [(sheet, part) for part, sheet in parts.items()]


def _main_part(archive: zipfile.ZipFile, names: set[str], name: str) -> str:
    """The workbook part the package's own relationships name (``xl/workbook.xml`` as a rule)."""
    if "_rels/.rels" in names:
        for attributes in _elements(
            archive, "_rels/.rels", name, f"{_PACKAGE_RELATIONSHIPS} Relationship"
        ):
            if attributes.get("Type", "").endswith("/officeDocument"):
                part = _resolve("", attributes.get("Target", ""))
                if part in names:
                    return part
    return "xl/workbook.xml"


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _parser(name: str, part: str) -> xml.parsers.expat.XMLParserType:
    """An expat parser that refuses a DTD: no entity in a workbook is ever expanded."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def refuse(*_: object) -> None:
        raise EvidenceFileError(
            f"{name} declares a DTD or entities in {part}, which a workbook never needs, so "
            "it was not opened."
        )

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    return parser


def _feed(
    archive: zipfile.ZipFile, part: str, name: str, parser: xml.parsers.expat.XMLParserType
) -> None:
    try:
        with archive.open(part) as stream:
            for chunk in iter(lambda: stream.read(_CHUNK), b""):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except xml.parsers.expat.ExpatError as exc:
        raise EvidenceFileError(
            f"{name} is damaged: {part} is not well-formed XML ({exc})."
        ) from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceFileError(
            f"{name} is damaged and cannot be opened as a workbook ({exc})."
        ) from None


def _elements(archive: zipfile.ZipFile, part: str, name: str, tag: str) -> list[dict[str, str]]:
    """The attributes of every ``tag`` element (``namespace localname``) in a small part."""
    found: list[dict[str, str]] = []
    parser = _parser(name, part)

    def start(element: str, attributes: dict[str, str]) -> None:
        if element == tag:
            found.append(attributes)

    parser.StartElementHandler = start
    _feed(archive, part, name, parser)
    return found


def _sheet_extent(archive: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, name: str) -> Extent:
    quick = _quick_extent(archive, info, sheet, name)
    if quick is not None and quick.cells <= quick.allowed:
        return quick
    return _exact_extent(archive, info.filename, sheet, name)


def _column(letters: str) -> int:
    column = 0
    for letter in letters:
        column = column * 26 + ord(letter) - 64
    return column


def _reference(text: str, sheet: str, name: str) -> tuple[int, int]:
    """(row, column), 1-based, of a cell reference such as ``AB12``."""
    cut = 0
    while cut < len(text) and "A" <= text[cut] <= "Z":
        cut += 1
    letters, digits = text[:cut], text[cut:]
    if not 1 <= cut <= 3 or not digits.isdigit() or len(digits) > 7:
        raise EvidenceFileError(
            f"{name} is damaged: sheet '{sheet}' has a cell whose reference '{text[:20]}' is not "
            "a cell reference such as B2."
        )
    row, column = int(digits), _column(letters)
    if not (1 <= row <= _MAX_ROW and 1 <= column <= _MAX_COLUMN):
        raise EvidenceFileError(
            f"{name} is damaged: sheet '{sheet}' has a cell ({text[:20]}) beyond the last row "
            "or column a workbook can have."
        )
    return row, column


def _exact_extent(archive: zipfile.ZipFile, part: str, sheet: str, name: str) -> Extent:
    """Every cell placed as the reader places it; only cells with a value count."""
    state = {"row": 0, "column": 0, "cell_row": 0, "cell_column": 0, "holds": 0}
    extent = [0, 0, 0]  # last row, last column, values
    parser = _parser(name, part)
    row_tag, cell_tag = f"{_MAIN} row", f"{_MAIN} c"
    value_tags = {f"{_MAIN} v", f"{_MAIN} is"}

    def start(element: str, attributes: dict[str, str]) -> None:
        if element == row_tag:
            given = attributes.get("r")
            state["row"] = int(given) if given and given.isdigit() else state["row"] + 1
            if state["row"] > _MAX_ROW:
                raise EvidenceFileError(
                    f"{name} is damaged: sheet '{sheet}' has a row beyond the last row a "
                    "workbook can have."
                )
            state["column"] = 0
        elif element == cell_tag:
            given = attributes.get("r")
            if given:
                row, column = _reference(given, sheet, name)
            else:
                row, column = max(state["row"], 1), state["column"] + 1
            state["cell_row"], state["cell_column"], state["column"] = row, column, column
            state["holds"] = 0
        elif element in value_tags:
            state["holds"] = 1

    def end(element: str) -> None:
        if element == cell_tag and state["holds"]:
            extent[0] = max(extent[0], state["cell_row"])
            extent[1] = max(extent[1], state["cell_column"])
            extent[2] += 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(archive, part, name, parser)
    return Extent(sheet, extent[0], extent[1], extent[2])


def _quick_extent(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, name: str
) -> Extent | None:
    """An upper bound of the extent, from every plain ``r="A1"`` reference, when every cell's
    tag is plain (see ``_widen``); None when the sheet must be measured exactly."""
    found = [0, 0, 0]  # last row, last column, values
    tail = b""
    try:
        with archive.open(info) as stream:
            chunk = stream.read(_CHUNK)
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in chunk[:200]:
                return None  # not UTF-8
            while chunk:
                following = stream.read(_CHUNK)
                data = tail + chunk
                # A tag cut at the end of this chunk is read whole in the next one.
                limit = len(data) - (_TAIL if following else 0)
                if not _widen(found, data, limit):
                    return None
                tail = data[limit:]
                chunk = following
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise EvidenceFileError(
            f"{name} is damaged and cannot be opened as a workbook ({exc})."
        ) from None
    return Extent(sheet, found[0], found[1], found[2])


_TAIL = 512
_WIDTH = 3 + 7 + 1  # up to three letters, seven digits and the closing quote
_SPACE = (0x20, 0x09, 0x0A, 0x0D)
_PREFIXED = (b"c", b"row", b"v", b"is")


def _starts(raw: np.ndarray, pattern: bytes) -> np.ndarray:
    """Where ``pattern`` starts in ``raw``."""
    size = len(raw) - len(pattern) + 1
    if size <= 0:
        return np.zeros(0, dtype=np.int64)
    hit = raw[:size] == pattern[0]
    for offset, byte in enumerate(pattern[1:], start=1):
        hit &= raw[offset : offset + size] == byte
    return np.flatnonzero(hit)


def _is_any(values: np.ndarray, choices: tuple[int, ...]) -> np.ndarray:
    hit = np.zeros(len(values), dtype=bool)
    for choice in choices:
        hit |= values == choice
    return hit


def _inside(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> bool:
    """Whether any of ``positions`` (sorted) lies in one of the spans [start, end)."""
    return bool(np.any(np.searchsorted(positions, ends) > np.searchsorted(positions, starts)))


def _widen(found: list[int], data: bytes, limit: int) -> bool:
    """Widen ``found`` to every plain ``r="A1"`` reference before ``limit`` in ``data``, and
    count the values; False when the quick measure cannot be trusted here.

    It is trusted when nothing in the XML could place a cell where no plain reference says:
    no comment, CDATA or declaration (``<!``), no element with a namespace prefix named like a
    cell or row, and every cell's tag holds a plain reference, no apostrophe, no character
    reference, and no ``=`` but one directly between a name and a double quote. The largest
    plain reference anywhere then bounds where a value can be. References are read a
    character at a time across all of them at once: a large sheet holds millions, and a
    regular expression's list of matches cost a second per 100,000 rows."""
    raw = np.frombuffer(data, dtype=np.uint8)
    padded = np.concatenate([raw, np.zeros(_WIDTH + 2, dtype=np.uint8)])
    if len(_starts(raw, b"<!")):
        return False
    colons = np.flatnonzero(raw == 0x3A)
    for tag in _PREFIXED:
        hit = np.ones(len(colons), dtype=bool)
        for offset, byte in enumerate(tag, start=1):
            hit &= padded[colons + offset] == byte
        if np.any(hit & _is_any(padded[colons + len(tag) + 1], (*_SPACE, 0x3E, 0x2F))):
            return False
    # Cell tags: "<c" then a space, "/" or ">" ("<col", "<cfRule" are other elements).
    opens = _starts(raw, b"<c")
    opens = opens[opens < limit]
    opens = opens[_is_any(padded[opens + 2], (*_SPACE, 0x3E, 0x2F))]
    found[2] += sum(data.count(tag, 0, limit) for tag in (b"<v>", b"<v ", b"<is>", b"<is "))
    # Every plain reference: whitespace, then r="A.
    refs = _starts(raw, b'r="')
    refs = refs[refs >= 1]
    refs = refs[_is_any(padded[refs - 1], _SPACE)] + 3
    if len(opens):
        closes = np.flatnonzero(raw == 0x3E)
        after = np.searchsorted(closes, opens)
        if np.any(after >= len(closes)):
            return False
        ends = closes[after]
        first_ref = np.searchsorted(refs, opens)
        if np.any(first_ref >= len(refs)) or np.any(
            refs[np.minimum(first_ref, len(refs) - 1)] >= ends
        ):
            return False  # a cell whose tag has no plain reference
        if _inside(np.flatnonzero(raw == 0x27), opens, ends) or _inside(
            np.flatnonzero(raw == 0x26), opens, ends
        ):
            return False  # an apostrophe or a character reference in a cell's tag
        equals = np.flatnonzero(raw == 0x3D)
        equals = equals[(equals >= 1) & (np.searchsorted(ends, equals) < len(ends))]
        in_tag = equals[
            np.searchsorted(ends, equals) == np.searchsorted(opens, equals, "right") - 1
        ]
        if np.any(padded[in_tag + 1] != 0x22) or np.any(_is_any(padded[in_tag - 1], _SPACE)):
            return False
    if not len(refs):
        return True
    return _widen_to(found, padded, refs)


def _widen_to(found: list[int], padded: np.ndarray, starts: np.ndarray) -> bool:
    letters = np.zeros(len(starts), dtype=np.int64)
    column = np.zeros(len(starts), dtype=np.int64)
    run = np.ones(len(starts), dtype=bool)
    for offset in range(4):
        byte = padded[starts + offset]
        run &= (byte >= 0x41) & (byte <= 0x5A)
        letters += run
        if offset < 3:
            column = np.where(run, column * 26 + (byte.astype(np.int64) - 0x40), column)
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
    plain = (letters >= 1) & (letters <= 3) & (digits >= 1) & (digits <= 7) & (closing == 0x22)
    if np.any(plain):
        found[0] = max(found[0], int(row[plain].max()))
        found[1] = max(found[1], int(column[plain].max()))
    return True


def _ods_extents(archive: zipfile.ZipFile, name: str) -> Iterator[Extent]:
    """Every table of an OpenDocument spreadsheet, counting repeated rows and cells."""
    tables: list[Extent] = []
    state = {"row": 0, "row_repeat": 1, "column": 0, "cell_column": 0, "cell_repeat": 1, "holds": 0}
    current = {"last_row": 0, "last_column": 0, "values": 0}
    table_name = [""]
    parser = _parser(name, "content.xml")
    table, row_tag = f"{_ODS_TABLE} table", f"{_ODS_TABLE} table-row"
    cells = {f"{_ODS_TABLE} table-cell", f"{_ODS_TABLE} covered-table-cell"}
    value_type, paragraph = f"{_ODS_OFFICE} value-type", f"{_ODS_TEXT} p"

    def repeat(attributes: dict[str, str], key: str) -> int:
        text = attributes.get(f"{_ODS_TABLE} {key}", "1")
        return int(text) if text.isdigit() else 1

    def start(element: str, attributes: dict[str, str]) -> None:
        if element == table:
            current.update(last_row=0, last_column=0, values=0)
            table_name[0] = attributes.get(f"{_ODS_TABLE} name", "")
            state["row"] = 0
        elif element == row_tag:
            state["row_repeat"] = repeat(attributes, "number-rows-repeated")
            state["column"] = 0
        elif element in cells:
            state["cell_repeat"] = repeat(attributes, "number-columns-repeated")
            state["cell_column"] = state["column"] + 1
            state["column"] += state["cell_repeat"]
            state["holds"] = int(value_type in attributes)
        elif element == paragraph:
            state["holds"] = 1

    def end(element: str) -> None:
        if element in cells and state["holds"]:
            rows = state["row_repeat"]
            current["last_row"] = max(current["last_row"], state["row"] + rows)
            current["last_column"] = max(
                current["last_column"], state["cell_column"] + state["cell_repeat"] - 1
            )
            current["values"] += rows * state["cell_repeat"]
            state["holds"] = 0
        elif element == row_tag:
            state["row"] += state["row_repeat"]
        elif element == table:
            tables.append(
                Extent(
                    table_name[0], current["last_row"], current["last_column"], current["values"]
                )
            )

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(archive, "content.xml", name, parser)
    yield from tables
