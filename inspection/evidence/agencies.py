"""Read a partner-agency extract (CSV or XLSX; format in docs/formats.md).

One source record per distinct person id, with identifiers exactly as given (the first
non-empty value of each field), and one event per row. Linkage to children is the journey's
job, except that a record giving an ``la_child_id`` already known is linked at once, and the
authority's own ``social_care`` person list creates the children it names.
"""

from __future__ import annotations

import csv
import io
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from inspection.evidence import codes, identifiers, values
from inspection.evidence.dated import BIRTH, DateField, end, event, start
from inspection.evidence.decoding import WINDOWS_1252, DecodedText, Repair, decode_text, hex_bytes
from inspection.evidence.files import OLE_MAGIC, ZIP_MAGIC, check_size, check_spreadsheet
from inspection.evidence.identifiers import Scheme
from inspection.evidence.reading import DEFAULT_READ_MEMORY, sheets
from inspection.evidence.staged import (
    ERROR,
    INFO,
    WARNING,
    ChildFacts,
    EventFacts,
    EvidenceFileError,
    Issue,
    RecordFacts,
    Staged,
    column_letter,
)

COLUMNS = (
    "record_id",
    "person_id",
    "nhs_number",
    "upn",
    "la_child_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "postcode",
    "address",
    "event_date",
    "event_end_date",
    "event_type",
    "details",
    "lead_professional",
)
ALIASES = {
    "dob": "date_of_birth",
    "birthdate": "date_of_birth",
    "forename": "given_name",
    "firstname": "given_name",
    "surname": "family_name",
    "lastname": "family_name",
    "gender": "sex",
    "nhsno": "nhs_number",
    "lachildid": "la_child_id",
    "childuniqueid": "la_child_id",
    "eventenddate": "event_end_date",
}
# event_type → event kind, per agency (docs/formats.md). Other agencies: snake_case of the type.
KINDS: dict[str, dict[str, str]] = {
    "police": {
        "domestic_abuse_notification": "police_domestic_abuse",
        "missing_episode": "missing_episode",
        "exploitation_concern": "police_exploitation_concern",
        "police_protection": "police_protection",
        "child_concern_notification": "police_concern",
    },
    "health": {
        "ed_attendance": "ed_attendance",
        "health_visitor_concern": "health_concern",
        "school_nurse_concern": "health_concern",
        "gp_concern": "health_concern",
        "maternity_concern": "health_concern",
    },
    "education": {
        "safeguarding_concern": "school_concern",
        "attendance_concern": "attendance_concern",
        "exclusion": "exclusion",
        "elective_home_education": "elective_home_education",
        "child_missing_education": "child_missing_education",
    },
    "early_help": {"early_help_episode": "early_help_start", "early_help_contact": "contact"},
}
IDENTITY_ONLY = "social_care"
# Every date column of an extract and what becomes of it (docs/formats.md is written from
# this; tests/evidence/test_dated_fields.py loads an extract that fills each one).
DATE_COLUMNS: tuple[DateField, ...] = (
    DateField("Agency extract", "date_of_birth", "date_of_birth", (BIRTH,)),
    DateField(
        "Agency extract",
        "event_date",
        "event_date",
        (start(""),),
    ),
    DateField(
        "Agency extract",
        "event_end_date",
        "event_end_date",
        (
            end(""),
            event("early_help_end", "for an early_help_episode"),
        ),
    ),
)
_SNAKE = re.compile(r"[^a-z0-9]+")


def snake(text: str) -> str:
    return _SNAKE.sub("_", text.strip().lower()).strip("_")


def _column_key(header: str) -> str:
    key = re.sub(r"[\s_\-]+", "", header.strip().lower())
    for column in COLUMNS:
        if key == column.replace("_", ""):
            return column
    return ALIASES.get(key, "")


def _rows(
    path: Path, name: str, max_bytes: int, memory_bytes: int
) -> tuple[str, Iterator[list[Any]], bool, _CsvText | None]:
    """(sheet name as Excel would show it, rows, whether every cell is text, and for a CSV
    its text as decoded) for a CSV or a workbook's first sheet. A CSV's rows are parsed as
    they are taken."""
    check_size(path, max_bytes, name)
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(ZIP_MAGIC) or head == OLE_MAGIC:
        check_spreadsheet(path, max_bytes, name)
        with sheets(path, name, memory_bytes, first_only=True) as workbook:
            for sheet, rows in workbook:
                return sheet, iter(rows), False, None
        raise EvidenceFileError(f"{name} is a workbook without any sheet.")
    csv_text = _CsvText(decode_text(path.read_bytes(), name), name)
    return Path(name).stem, csv_text.rows(), True, csv_text


def _delimiter(text: str) -> str:
    """The delimiter of a CSV's cells, from its first line that has one: a tab (Excel's
    "Unicode text" and "Text (Tab delimited)"), a semicolon (Excel where the decimal mark is
    a comma) when the line has no comma, else a comma."""
    for line in itertools.islice(io.StringIO(text), 20):
        if "\t" in line:
            return "\t"
        if "," in line:
            return ","
        if ";" in line:
            return ";"
    return ","


class _CsvText:
    """A CSV file's text and its rows; the rows that held bytes read as Windows-1252 in a
    UTF-8 file (``repaired``: row number, cells, repairs) are noted as they are parsed."""

    def __init__(self, decoded: DecodedText, name: str) -> None:
        self.decoded = decoded
        self.name = name
        self.delimiter = _delimiter(decoded.text)
        self.repaired: list[tuple[int, list[str], list[Repair]]] = []

    def rows(self) -> Iterator[list[str]]:
        """The rows, each parsed when it is taken: a row is staged while it is still in the
        processor's cache, and the file's rows are never all held at once."""
        reader = csv.reader(io.StringIO(self.decoded.text), delimiter=self.delimiter)
        repairs = self.decoded.repairs
        try:
            if not repairs:
                yield from reader
                return
            waiting = 0  # the first repair not yet placed in its row
            for number, cells in enumerate(reader, 1):
                if waiting < len(repairs) and repairs[waiting].line <= reader.line_num:
                    first = waiting
                    while waiting < len(repairs) and repairs[waiting].line <= reader.line_num:
                        waiting += 1
                    self.repaired.append((number, cells, repairs[first:waiting]))
                yield cells
        except csv.Error as exc:  # a cell over the csv module's 128 KB limit, for one
            raise EvidenceFileError(f"{self.name} cannot be read as a CSV file ({exc}).") from None

    def issues(
        self, sheet: str, agency: str, header: list[str], rejected: set[int]
    ) -> Iterator[Issue]:
        """One warning per row whose stray bytes were read as Windows-1252 (not for a
        rejected row, which carries only the reason it was rejected)."""
        for row, cells, repairs in self.repaired:
            if row in rejected:
                continue
            found: list[tuple[int, Repair]] = []
            for repair in repairs:
                index = next((i for i, c in enumerate(cells) if repair.word in c), -1)
                found.append((index, repair))
            what = "; ".join(
                f"{hex_bytes(r.original)} read as '{r.text}'"
                + (f" in {_named(header, i)} '{cells[i]}'" if i >= 0 else "")
                for i, r in found
            )
            index = next((i for i, _ in found if i >= 0), -1)
            yield Issue(
                WARNING,
                "repaired_encoding",
                f"Row {row} is not UTF-8 like the rest of the file: {what} "
                f"({WINDOWS_1252}). Check that the text is right.",
                sheet,
                agency,
                row,
                header[index] if 0 <= index < len(header) else "",
                f"{column_letter(index)}{row}" if index >= 0 else "",
                cells[index] if index >= 0 else "",
            )


def _named(header: list[str], index: int) -> str:
    """A column as a message names it: its header, else its letter."""
    if index < len(header) and header[index].strip():
        return f"'{header[index]}'"
    return f"column {column_letter(index)}"


def _read_to_end(rows: Iterator[list[Any]]) -> None:
    """Take the rest of the rows, so that a CSV that cannot be parsed further down is
    reported as such rather than by a check on its first rows."""
    for _ in rows:
        pass


def read_agency(
    path: Path,
    agency: str,
    reference_date: date,
    max_bytes: int,
    filename: str | None = None,
    memory_bytes: int = DEFAULT_READ_MEMORY,
) -> Staged:
    name = filename or path.name
    sheet, rows, all_text, csv_text = _rows(path, name, max_bytes, memory_bytes)
    top = list(itertools.islice(rows, 20))
    header_index = next(
        (i for i, r in enumerate(top) if sum(1 for c in r if _column_key(str(c))) >= 2), None
    )
    if header_index is None:  # only now can the file be empty: that takes all its rows
        every = top + list(rows)
        if not every or all(not any(str(c).strip() for c in r) for r in every):
            raise EvidenceFileError(f"{name} is empty.")
        raise EvidenceFileError(
            f"{name} has no header row with the agency extract columns (person_id, event_date, "
            "event_type …; see docs/formats.md)."
        )
    header = [str(c) for c in top[header_index]]
    columns: dict[str, int] = {}
    staged = Staged(source_kind="agency", agency=agency, creates_children=agency == IDENTITY_ONLY)
    table = staged.table(agency, sheet)
    table.header_row = header_index + 1
    for index, head in enumerate(header):
        key = _column_key(head)
        if key and key not in columns:
            columns[key] = index
        elif head.strip():
            staged.issues.append(
                Issue(
                    INFO,
                    "unrecognised_column",
                    f"The column '{head}' is not part of the agency "
                    "extract format; it was not loaded.",
                    sheet,
                    agency,
                    header_index + 1,
                    head,
                    f"{column_letter(index)}{header_index + 1}",
                    head,
                )
            )
    required = (
        ["person_id"] if agency == IDENTITY_ONLY else ["person_id", "event_date", "event_type"]
    )
    missing = [c for c in required if c not in columns]
    if missing:
        _read_to_end(rows)
        raise EvidenceFileError(
            f"{name} has no {', '.join(missing)} column: every row of an agency extract needs "
            "it (see docs/formats.md)."
        )
    if "record_id" not in columns:
        staged.issues.append(
            Issue(
                ERROR,
                "missing_column",
                "The file has no record_id column, so rows cannot be "
                "traced back to the agency's system.",
                sheet,
                agency,
                header_index + 1,
                "record_id",
            )
        )
    reader = _AgencyRows(staged, agency, sheet, header, columns, reference_date, all_text)
    body = itertools.chain(top[header_index + 1 :], rows)
    if all_text:
        read, accepted = reader.text_rows(body, header_index + 2)
    else:
        read, accepted = reader.cell_rows(body, header_index + 2)
    table.rows, table.accepted, table.rejected = read, accepted, read - accepted
    if not table.rows:
        raise EvidenceFileError(f"{name} has a header row but no rows: there is nothing to load.")
    if csv_text is not None:
        staged.issues.extend(csv_text.issues(sheet, agency, header, reader.rejected))
        staged.extra["encoding"] = csv_text.decoded.described
    return staged


# A person's identity as a later row of the same person gives it, where the first row was blank.
_FILLED_FROM_LATER_ROWS = (
    "dob",
    "la_child_id",
    "nhs_number",
    "upn",
    "given_name",
    "family_name",
    "sex",
    "postcode",
    "address",
)


class _TextMemo(dict[str, str]):
    """Text cell → cleaned text ("" for blank), each distinct value cleaned once."""

    def __missing__(self, cell: str) -> str:
        # values.text's fast path inlined (same result): most cells are unique plain ASCII.
        if cell.isascii() and cell.isprintable() and "  " not in cell:
            cleaned = cell.strip()
            if len(cleaned) <= _LONGEST_MARKER and cleaned.casefold() in values.BLANK_MARKERS:
                cleaned = ""
        else:
            cleaned = values.text(cell) or ""
        self[cell] = cleaned
        return cleaned


_LONGEST_MARKER = max(len(m) for m in values.BLANK_MARKERS)
_MARKERS = values.BLANK_MARKERS - {""}  # "" cleans to "" anyway
# A whole cell that is a blank marker, in a row's cells joined and bounded by "|" and lowered.
# Only the ASCII markers: _already_clean turns non-ASCII rows away first.
# The lookahead on the markers' first characters only makes the search quicker.
_ASCII_MARKERS = sorted(m for m in _MARKERS if m.isascii())
_MARKER_CELL = re.compile(
    rf"\|(?=[{re.escape(''.join(sorted({m[0] for m in _ASCII_MARKERS})))}])"
    rf"(?:{'|'.join(map(re.escape, _ASCII_MARKERS))})\|"
)


def _already_clean(cells: tuple[str, ...]) -> bool:
    """Whether values.text would give back every cell as it is ("" for ""), checked on the
    row at once: printable ASCII (so the only space is " "), no double space, no space at
    either end of a cell, no blank marker. False sends the row down the slower way (the
    general path, the per-cell memo).

    The cells are joined between "|"s, so every cell is bounded by "|" on both sides: a cell
    that starts or ends with a space shows as "| " or " |", and a cell that is a marker as
    "|marker|". A "|" inside a cell can only make a clean row look unclean (the slow path
    then gives the same result), never the other way round. For ASCII, casefold() is lower().
    """
    bounded = f"|{'|'.join(cells)}|"
    return (
        bounded.isascii()
        and bounded.isprintable()
        and "  " not in bounded
        and "| " not in bounded
        and " |" not in bounded
        and _MARKER_CELL.search(bounded.lower()) is None
    )


# A plain row's cells: its text, checked clean all at once; its codes, few distinct values
# each cleaned once by their memo; and its dates, read as they are by the date memo (values.
# to_date cleans them). Each in COLUMNS order.
_CODE_FIELDS = ("sex", "event_type")
_DATE_FIELDS = ("date_of_birth", "event_date", "event_end_date")
_TEXT_FIELDS = tuple(c for c in COLUMNS if c not in _CODE_FIELDS and c not in _DATE_FIELDS)
_PERSON_ID = _TEXT_FIELDS.index("person_id")


def _picker(
    columns: dict[str, int], fields: tuple[str, ...], width: int
) -> Callable[[list[str]], tuple[str, ...]]:
    """For a row of exactly ``width`` cells: the cells of ``fields``, "" for a column the file
    does not have."""
    pick = operator.itemgetter(*(columns.get(field, width) for field in fields))
    if all(field in columns for field in fields):
        return pick
    return lambda raw: pick([*raw, ""])  # a column the file lacks reads the cell after the row


class _SexMemo(dict[str, tuple[str, bool]]):
    """Sex cell, cleaned or not → (sex as stored: M, F, U, or "" when blank; whether it is a
    known code), each distinct value looked up once. An unknown code is stored as U, with a
    warning."""

    def __missing__(self, cell: str) -> tuple[str, bool]:
        given = values.text(cell)
        if not given:
            known = ("", True)
        else:
            code = codes.canonical("gender", given)
            known = ({"M": "M", "F": "F"}.get(code or "", "U"), code is not None)
        self[cell] = known
        return known


class _PlainKindMemo(dict[str, tuple[str, str | None]]):
    """event_type cell → (the type as given, cleaned; the event kind it loads as, or None when
    the row needs a warning: a blank type, or one that is not in the agency's list). Such rows
    take the general path, which reports them."""

    def __init__(self, kinds: dict[str, str] | None) -> None:
        super().__init__()
        self.kinds = kinds

    def __missing__(self, cell: str) -> tuple[str, str | None]:
        event_type = values.text(cell) or ""
        kind: str | None = snake(event_type) or None
        if kind is not None and self.kinds is not None:
            kind = self.kinds.get(kind)
        found = self[cell] = (event_type, kind)
        return found


class _IdentifierMemo(dict[tuple[Scheme, str], str | None]):
    """Why an identifier fails its check (None when it passes), each value checked once."""

    def __missing__(self, key: tuple[Scheme, str]) -> str | None:
        why = self[key] = identifiers.problem(*key)
        return why


class _AgencyRows:
    def __init__(
        self,
        staged: Staged,
        agency: str,
        sheet: str,
        header: list[str],
        columns: dict[str, int],
        reference_date: date,
        all_text: bool = False,
    ) -> None:
        self.staged = staged
        self.agency = agency
        self.sheet = sheet
        self.header = header
        self.columns = columns
        self.reference_date = reference_date
        self.kinds = KINDS.get(agency)
        # Per-file memos (a value seen once is cleaned once): text cells, date cells (value →
        # (date, readable)), sex codes and event types. Keys are str cells only, so 1, 1.0 and
        # TRUE from a workbook never share an entry.
        self.items = list(columns.items())
        self.blank = dict.fromkeys(COLUMNS, "")
        self.text_memo = _TextMemo()
        self.date_memo = values.DateMemo()
        # A CSV gives only text: a whole row is cleaned through the memo in one C-level map.
        self.keys = [key for key, _ in self.items]
        self.pick = (
            operator.itemgetter(*columns.values()) if all_text and len(columns) > 1 else None
        )
        self.sex_memo = _SexMemo()
        self.kind_memo: dict[str, str] = {}
        self.plain_kinds = _PlainKindMemo(self.kinds)
        self.width = max(columns.values()) + 1
        self.dob_index = columns.get("date_of_birth")
        self.end_index = columns.get("event_end_date")
        self.rejected: set[int] = set()  # the rows rejected, by number
        self.bad_identifier = _IdentifierMemo()

    def cell_rows(self, rows: Iterable[list[Any]], first_row: int) -> tuple[int, int]:
        """Read a workbook's rows, the first of them row ``first_row`` of the sheet, blank rows
        skipped: (rows read, rows accepted)."""
        read = accepted = 0
        for row, raw in enumerate(rows, first_row):
            if not any(str(c).strip() for c in raw if c is not None):
                continue
            read += 1
            accepted += self.row(raw, row)
        return read, accepted

    def text_rows(self, rows: Iterable[list[str]], first_row: int) -> tuple[int, int]:
        """Read a CSV's rows, the first of them line ``first_row`` of the file, blank rows
        skipped: (rows read, rows accepted).

        Most rows are plain: as many cells as the header, a person_id, every text cell already
        clean, and nothing to report. Those are read here, straight from their cells; any
        other row goes through ``row``, which would give the same result for a plain row, only
        slower. A row is found plain before anything of it is staged, so the fallback starts
        afresh.
        """
        agency, reference = self.agency, self.reference_date
        identity_only = agency == IDENTITY_ONLY
        cells_per_row = len(self.header)
        text_cells = _picker(self.columns, _TEXT_FIELDS, cells_per_row)
        other_cells = _picker(self.columns, _CODE_FIELDS + _DATE_FIELDS, cells_per_row)
        dates, sexes, kinds = self.date_memo, self.sex_memo, self.plain_kinds
        strip = str.strip
        read = accepted = 0
        for row, raw in enumerate(rows, first_row):
            texts = text_cells(raw) if len(raw) == cells_per_row else None
            # A row with a clean person_id is not blank; any other may be, and is then skipped.
            if texts is None or not texts[_PERSON_ID] or not _already_clean(texts):
                if any(map(strip, raw)):
                    read += 1
                    accepted += self.row(raw, row)
                continue
            read += 1
            (
                record_id,
                person_id,
                nhs_number,
                upn,
                la_child_id,
                given_name,
                family_name,
                postcode,
                address,
                details,
                lead_professional,
            ) = texts
            sex_cell, type_cell, dob_cell, start_cell, end_cell = other_cells(raw)
            # Anything to report (see row and _checks) sends the row to the general path.
            dob, dob_ok = dates[dob_cell]
            sex, sex_known = sexes[sex_cell]
            if not (dob_ok and sex_known):
                accepted += self.row(raw, row)
                continue
            if not identity_only:
                start, _ = dates[start_cell]
                end, end_ok = dates[end_cell]
                event_type, kind = kinds[type_cell]
                if (
                    start is None
                    or kind is None
                    or not end_ok
                    or start > reference
                    or (dob is not None and dob > start)
                    or (end is not None and (end < start or end > reference))
                ):
                    accepted += self.row(raw, row)
                    continue
            if (nhs_number and self.bad_identifier[Scheme.NHS_NUMBER, nhs_number]) or (
                upn and self.bad_identifier[Scheme.UPN, upn]
            ):
                accepted += self.row(raw, row)
                continue
            # The row is plain: stage it.
            key = self._add_record(
                RecordFacts(
                    agency,
                    person_id,
                    la_child_id,
                    nhs_number,
                    upn,
                    given_name,
                    family_name,
                    dob,
                    sex,
                    postcode,
                    address,
                ),
                row,
                raw,
            )
            accepted += 1
            if not identity_only:
                assert start is not None and kind is not None  # a plain event row has both
                self._add_events(
                    key, kind, start, end, row, event_type, record_id, details, lead_professional
                )
        return read, accepted

    def _cell(self, raw: list[Any], key: str, row: int) -> tuple[str, str, str]:
        index = self.columns.get(key)
        if index is None:
            return key, "", ""
        value = raw[index] if index < len(raw) else ""
        return self.header[index], f"{column_letter(index)}{row}", values.original(value)

    def _issue(
        self,
        severity: str,
        rule: str,
        message: str,
        row: int,
        cell: tuple[str, str, str],
        rejected: bool = False,
    ) -> None:
        head, ref, shown = cell
        self.staged.issues.append(
            Issue(severity, rule, message, self.sheet, self.agency, row, head, ref, shown, rejected)
        )

    def _value(self, raw: list[Any], key: str) -> Any:
        index = self.columns.get(key)
        if index is None or index >= len(raw):
            return None
        return raw[index]

    def _date(self, raw: list[Any], key: str, row: int) -> tuple[date | None, bool]:
        index = self.columns.get(key)
        if index is None or index >= len(raw):
            return None, True
        value = raw[index]
        if type(value) is str:
            return self.date_memo[value]
        return values.read_date(value)

    def row(self, raw: list[Any], row: int) -> bool:
        """Stage one row, reporting whatever is wrong with it: whether it was accepted."""
        text = self.blank.copy()
        # Every cell of a CSV row is text: dates come straight from the memo (as in _date).
        pick = self.pick
        fast = pick is not None and len(raw) >= self.width
        if pick is not None and fast:
            cells = pick(raw)
            if _already_clean(cells):
                text.update(zip(self.keys, cells, strict=True))
            else:
                text.update(zip(self.keys, map(self.text_memo.__getitem__, cells), strict=True))
        else:
            width = len(raw)
            for key, index in self.items:
                if index < width:
                    cell = raw[index]
                    if cell != "" and cell is not None:
                        text[key] = values.text(cell) or ""
        person_id = text["person_id"]
        if not person_id:
            self._issue(
                ERROR,
                "missing_identifier",
                "The row has no person_id, so it cannot "
                "be placed in any child's journey; it was not loaded.",
                row,
                self._cell(raw, "person_id", row),
                True,
            )
            self.rejected.add(row)
            return False
        if fast:
            at = self.dob_index
            dob, dob_ok = (None, True) if at is None else self.date_memo[raw[at]]
        else:
            dob, dob_ok = self._date(raw, "date_of_birth", row)
        if not dob_ok:
            self._issue(
                WARNING,
                "unreadable_date",
                "The date of birth is not a date; write it "
                "as DD/MM/YYYY. The row was loaded without it.",
                row,
                self._cell(raw, "date_of_birth", row),
            )
        start = end = None
        if self.agency != IDENTITY_ONLY:
            if fast:
                start, ok = self.date_memo[raw[self.columns["event_date"]]]
            else:
                start, ok = self._date(raw, "event_date", row)
            if start is None:
                rule = "missing_date" if ok else "unreadable_date"
                what = "blank" if ok else "not a date"
                self._issue(
                    ERROR,
                    rule,
                    f"event_date is {what}, so the row cannot be placed in "
                    "the child's journey; it was not loaded.",
                    row,
                    self._cell(raw, "event_date", row),
                    True,
                )
                self.rejected.add(row)
                return False
            if fast:
                at = self.end_index
                end, end_ok = (None, True) if at is None else self.date_memo[raw[at]]
            else:
                end, end_ok = self._date(raw, "event_end_date", row)
            if not end_ok:
                self._issue(
                    WARNING,
                    "unreadable_date",
                    "event_end_date is not a date; the row was loaded without it.",
                    row,
                    self._cell(raw, "event_end_date", row),
                )
        sex, sex_known = self.sex_memo[text["sex"]]
        if not sex_known:
            self._issue(
                WARNING,
                "unknown_code",
                f"'{text['sex']}' is not a sex (M, F or U); it was stored as U.",
                row,
                self._cell(raw, "sex", row),
            )
        for scheme in (Scheme.NHS_NUMBER, Scheme.UPN):  # the template's checked columns
            given = text[scheme.value]
            why = given and self.bad_identifier[scheme, given]
            if why:
                self._issue(
                    WARNING,
                    "invalid_identifier",
                    identifiers.message(scheme, given, why),
                    row,
                    self._cell(raw, scheme.value, row),
                )
        self._record(text, dob, sex, row, raw)
        if self.agency == IDENTITY_ONLY:
            return True
        assert start is not None
        self._checks(raw, row, start, end, dob)
        self._events(text, start, end, row, raw)
        return True

    def _record(
        self, text: dict[str, str], dob: date | None, sex: str, row: int, raw: list[Any]
    ) -> None:
        later = RecordFacts(
            self.agency,
            text["person_id"],
            text["la_child_id"],
            text["nhs_number"],
            text["upn"],
            text["given_name"],
            text["family_name"],
            dob,
            sex,
            text["postcode"],
            text["address"],
        )
        self._add_record(later, row, raw)

    def _add_record(self, later: RecordFacts, row: int, raw: list[Any]) -> tuple[str, str]:
        """Stage a row's person: the first row of a person is its record, a later one is
        merged into that. The record's key."""
        key = (self.agency, later.person_id)
        record = self.staged.records.setdefault(key, later)
        if record is not later:
            self._merge(record, later, row, raw)
        elif self.staged.creates_children and later.la_child_id:
            self._child(later)
        return key

    def _merge(self, record: RecordFacts, later: RecordFacts, row: int, raw: list[Any]) -> None:
        """Fold a later row's identifiers for the same person into ``record``: the first
        non-empty value of each field is kept, and a differing date of birth or name noted."""
        if later.dob is not None and record.dob is not None and later.dob != record.dob:
            self._issue(
                INFO,
                "conflicting_identity",
                f"Person {record.person_id} has date "
                f"of birth {later.dob:%d/%m/%Y} here but {record.dob:%d/%m/%Y} on an "
                "earlier row; the first was kept.",
                row,
                self._cell(raw, "date_of_birth", row),
            )
        if later.given_name and record.given_name and later.given_name != record.given_name:
            self._conflicting_name(record, "given_name", later.given_name, row, raw)
        if later.family_name and record.family_name and later.family_name != record.family_name:
            self._conflicting_name(record, "family_name", later.family_name, row, raw)
        for name in _FILLED_FROM_LATER_ROWS:  # what the first row left blank
            if not getattr(record, name):
                setattr(record, name, getattr(later, name))
        if self.staged.creates_children and record.la_child_id:
            self._child(record)

    def _conflicting_name(
        self, record: RecordFacts, name: str, given: str, row: int, raw: list[Any]
    ) -> None:
        """Note that a later row gives the person another given or family name."""
        self._issue(
            INFO,
            "conflicting_identity",
            f"Person {record.person_id} has {name} '{given}' here but "
            f"'{getattr(record, name)}' on an earlier row; the first was kept.",
            row,
            self._cell(raw, name, row),
        )

    def _child(self, record: RecordFacts) -> None:
        children = self.staged.children
        if record.la_child_id not in children:
            children[record.la_child_id] = ChildFacts(
                record.la_child_id,
                sex=record.sex,
                dob=record.dob,
                given_name=record.given_name,
                family_name=record.family_name,
            )

    def _checks(
        self, raw: list[Any], row: int, start: date, end: date | None, dob: date | None
    ) -> None:
        if dob is not None and dob > start:
            self._issue(
                WARNING,
                "birth_after_event",
                f"The date of birth {dob:%d/%m/%Y} is after the event date {start:%d/%m/%Y}.",
                row,
                self._cell(raw, "date_of_birth", row),
            )
        if end is not None and end < start:
            self._issue(
                WARNING,
                "end_before_start",
                f"event_end_date {end:%d/%m/%Y} is before event_date {start:%d/%m/%Y}.",
                row,
                self._cell(raw, "event_end_date", row),
            )
        for key, value in (("event_date", start), ("event_end_date", end)):
            if value is not None and value > self.reference_date:
                self._issue(
                    WARNING,
                    "after_reference_date",
                    f"{key} {value:%d/%m/%Y} is after "
                    "the inspection's reference date "
                    f"{self.reference_date:%d/%m/%Y}.",
                    row,
                    self._cell(raw, key, row),
                )

    def _events(
        self, text: dict[str, str], start: date, end: date | None, row: int, raw: list[Any]
    ) -> None:
        event_type = self.kind_memo.get(text["event_type"])
        if event_type is None:
            event_type = self.kind_memo[text["event_type"]] = snake(text["event_type"])
        if not event_type:
            self._issue(
                WARNING,
                "missing_value",
                "event_type is blank; the event was loaded as 'unknown_event'.",
                row,
                self._cell(raw, "event_type", row),
            )
            kind = "unknown_event"
        elif self.kinds is None:
            kind = event_type
        elif event_type in self.kinds:
            kind = self.kinds[event_type]
        else:
            known = ", ".join(self.kinds)
            self._issue(
                WARNING,
                "unknown_code",
                f"'{text['event_type']}' is not an event type "
                f"of the {self.agency} extract ({known}); it was loaded as given.",
                row,
                self._cell(raw, "event_type", row),
            )
            kind = event_type
        self._add_events(
            (self.agency, text["person_id"]),
            kind,
            start,
            end,
            row,
            text["event_type"],
            text["record_id"],
            text["details"],
            text["lead_professional"],
        )

    def _add_events(
        self,
        key: tuple[str, str],
        kind: str,
        start: date,
        end: date | None,
        row: int,
        event_type: str,
        record_id: str,
        details: str,
        worker: str,
    ) -> None:
        """Stage a row's event, with its end when it has one; an early-help episode's end is
        also an event of its own. Both
        share the row's attributes (the loader encodes them once): its event type as given,
        and the other fields it has."""
        attributes: dict[str, Any] = {"event_type": event_type}
        if record_id:
            attributes["record_id"] = record_id
        if details:
            attributes["details"] = details
        if worker:
            attributes["lead_professional"] = worker
        events = self.staged.events
        events.append(
            EventFacts(key, self.agency, kind, start, end, self.sheet, row, attributes, "", worker)
        )
        if kind == "early_help_start" and end is not None:
            events.append(
                EventFacts(
                    key,
                    self.agency,
                    "early_help_end",
                    end,
                    None,
                    self.sheet,
                    row,
                    attributes,
                    "",
                    worker,
                )
            )
