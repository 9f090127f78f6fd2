"""Read a DfE children looked after return (SSDA903): its CSV tables, in a zip or one at a time.

The return is a set of CSV files, one per table (``TABLES``: the header, episodes, reviews,
missing and away-from-placement periods, care leavers (OC3), outcomes (OC2), adoption (AD1),
should be placed for adoption, previous permanence, unaccompanied asylum-seeking children and,
from 2023 to 2024, social workers). Each file is recognised by its columns, whatever it is
called. Every row is checked where it is (file, row, column); a row without a child's
identifier, or with no date to place it by, is rejected with the reason, and the others load.

Every child the return names is a child of the inspection (``CHILD`` is the authority's own
child identifier). Its events are the "Care" lane of the journey (``AGENCY``): each episode is
the start of care (reason for new episode S), a placement move (P, T, B or U), a change of
legal status (L) or, with another reason, an episode of care; an episode whose reason for
ending is not X1 ends the period of care. Codes are Annex A's lists where Annex A has the
same codes (legal status, placement type and provider, reason ceased, category of need, care
leavers' contact, accommodation and activity) and ``ssda903_codes_v2024.json``'s otherwise.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from inspection.evidence import codes, identifiers, values
from inspection.evidence.dated import BIRTH, DateField, end, event, start
from inspection.evidence.decoding import decode_text
from inspection.evidence.files import (
    MAX_COMPRESSION_RATIO,
    UNPACKED_FACTOR,
    ZIP_MAGIC,
    check_size,
    human_size,
)
from inspection.evidence.identifiers import Scheme
from inspection.evidence.staged import (
    ERROR,
    WARNING,
    ChildFacts,
    EventFacts,
    EvidenceFileError,
    Issue,
    RecordFacts,
    Staged,
)

SOURCE_KIND = "ssda903"
AGENCY = "care"  # the journey's "Care" lane
SEX = {"1": "M", "2": "F"}
# Reasons for a new episode that move the child's placement (the placement-moves indicator).
PLACEMENT_MOVES = frozenset({"P", "T", "B", "U"})
EPISODE_KINDS = {"S": "looked_after_start", "L": "legal_status_start"} | {
    reason: "placement_change" for reason in PLACEMENT_MOVES
}
OTHER_EPISODE = "care_episode"  # a reason for a new episode the return's codes do not know
CONTINUES = "X1"  # the reason an episode ended when the child is still looked after
MISSING_KINDS = {"M": "missing_episode", "A": "away_from_placement"}
# Every coded column the reader reads, and the code lists (in order) that say what it holds:
# tests/evidence/test_ssda903_codes.py walks each code of each and checks it has its label.
CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "RNE": ("reason_new_episode",),
    "REC": ("episode_ceased", "reason_ceased"),
    "LS": ("legal_status",),
    "PLACE": ("placement_type",),
    "PLACE_PROVIDER": ("placement_provider",),
    "CIN": ("need",),
    "REASON_PLACE_CHANGE": ("reason_place_change",),
    "REVIEW_CODE": ("review_participation",),
    "MISSING": ("missing_type",),
    "ACCOM": ("accommodation",),
    "IN_TOUCH": ("in_touch",),
    "ACTIV": ("activity",),
    "SEX_ADOPTR": ("adopters_sex",),
    "REASON_PLACED_CEASED": ("adoption_stopped_reason",),
    "PREV_PERM": ("previous_permanence",),
}
# OC3's ACCOM ends in the accommodation's suitability (the DfE's code set): as Annex A says it.
SUITABILITY = {"1": "Suitable", "2": "Unsuitable"}
# The return allows "zz" for an unknown day or month of a previous permanence order.
_PARTIAL = re.compile(r"^(zz|\d{1,2})/(zz|\d{1,2})/(\d{4})$", re.IGNORECASE)
_UPN_UNKNOWN = re.compile(r"^UN([1-9]|10)$", re.IGNORECASE)


@dataclass(frozen=True)
class Table:
    """One table of the return: its name as the DfE's guide names it, its columns, the column
    that only it has (how a file is recognised), and the optional columns some exports add."""

    name: str
    label: str
    columns: tuple[str, ...]
    marks: str
    optional: tuple[str, ...] = ()

    @property
    def template(self) -> str:
        """The name of its empty template in docs/templates."""
        return f"ssda903_{self.name.lower()}.csv"


TABLES: tuple[Table, ...] = (
    Table("Header", "Header", ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"), "UPN"),
    Table(
        "Episodes",
        "Episodes",
        (
            "CHILD",
            "DECOM",
            "RNE",
            "LS",
            "CIN",
            "PLACE",
            "PLACE_PROVIDER",
            "DEC",
            "REC",
            "REASON_PLACE_CHANGE",
            "HOME_POST",
            "PL_POST",
            "URN",
        ),
        "DECOM",
    ),
    Table("Reviews", "Reviews", ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"), "REVIEW"),
    Table(
        "Missing",
        "Missing or away from placement",
        ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
        "MIS_START",
    ),
    Table(
        "OC3",
        "Care leavers (OC3)",
        ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
        "IN_TOUCH",
        ("DATE",),
    ),
    Table(
        "OC2",
        "Outcomes (OC2)",
        (
            "CHILD",
            "DOB",
            "SDQ_SCORE",
            "SDQ_REASON",
            "CONVICTED",
            "HEALTH_CHECK",
            "IMMUNISATIONS",
            "TEETH_CHECK",
            "HEALTH_ASSESSMENT",
            "SUBSTANCE_MISUSE",
            "INTERVENTION_RECEIVED",
            "INTERVENTION_OFFERED",
        ),
        "SDQ_SCORE",
    ),
    Table(
        "AD1",
        "Adoption (AD1)",
        (
            "CHILD",
            "DOB",
            "DATE_INT",
            "DATE_MATCH",
            "FOSTER_CARE",
            "NB_ADOPTR",
            "SEX_ADOPTR",
            "LS_ADOPTR",
        ),
        "DATE_MATCH",
    ),
    Table(
        "PlacedAdoption",
        "Should be placed for adoption",
        ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
        "DATE_PLACED",
    ),
    Table(
        "PrevPerm",
        "Previous permanence",
        ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
        "PREV_PERM",
    ),
    Table("UASC", "Unaccompanied asylum-seeking children", ("CHILD", "SEX", "DOB", "DUC"), "DUC"),
    Table(
        "SocialWorkers",
        "Social workers",
        ("CHILD", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
        "SW_DECOM",
    ),
)
TABLE_NAMES = tuple(t.name for t in TABLES)


def _field(table: str, column: str, *fates: Any) -> DateField:
    label = next(t.label for t in TABLES if t.name == table)
    where = label if label.startswith(table) else f"{label} ({table})"
    return DateField(f"SSDA903 {where}", column, f"{table}/{column}", fates)


# Every date column of the return and what becomes of it (docs/formats.md is written from this;
# tests/evidence/test_dated_fields.py loads a return that fills each one).
DATE_COLUMNS: tuple[DateField, ...] = (
    *(_field(t.name, "DOB", BIRTH) for t in TABLES if "DOB" in t.columns),
    _field("Header", "MC_DOB", event("own_child_born")),
    _field(
        "Episodes",
        "DECOM",
        start("looked_after_start", "when the reason for the new episode is S"),
        start("placement_change", "when the reason is P, T, B or U"),
        start("legal_status_start", "when the reason is L"),
        start(OTHER_EPISODE, "with any other reason"),
    ),
    _field(
        "Episodes",
        "DEC",
        end("placement_change"),
        end("legal_status_start"),
        end(OTHER_EPISODE),
        end(
            "looked_after_start",
            "of the period's first episode, when this episode's reason for ending is not X1 "
            "(with X1 the child is still looked after, and the next episode starts that day)",
        ),
        event("looked_after_end", "when the reason the episode ended is not X1"),
    ),
    _field("Reviews", "REVIEW", event("looked_after_review")),
    _field(
        "Missing",
        "MIS_START",
        start("missing_episode", "when MISSING is M"),
        start("away_from_placement", "when MISSING is A"),
    ),
    _field("Missing", "MIS_END", end("missing_episode"), end("away_from_placement")),
    _field(
        "OC3",
        "DATE",
        event(
            "care_leaver_status", "where the file has it; else the young person's latest birthday"
        ),
    ),
    _field("AD1", "DATE_INT", event("adoption_decision")),
    _field("AD1", "DATE_MATCH", event("adoption_match")),
    _field("PlacedAdoption", "DATE_PLACED", event("adoption_decision")),
    _field("PlacedAdoption", "DATE_PLACED_CEASED", event("adoption_decision_reversed")),
    _field(
        "PrevPerm",
        "DATE_PERM",
        event("previous_permanence", "an unknown day or month (zz) is the first of it"),
    ),
    _field("UASC", "DUC", event("uasc_ceased")),
    _field("SocialWorkers", "SW_DECOM", start("social_worker_allocated")),
    _field("SocialWorkers", "SW_DEC", end("social_worker_allocated")),
)


@dataclass
class _File:
    """One CSV of the return: its name, its table, its header and rows."""

    name: str
    table: Table
    header: list[str]
    rows: list[list[str]]


def _csv_rows(data: bytes, name: str) -> list[list[str]]:
    text = decode_text(data, name).text
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise EvidenceFileError(f"{name} cannot be read as a CSV file ({exc}).") from None


def _recognise(name: str, rows: list[list[str]]) -> _File:
    header = [h.strip().upper() for h in rows[0]] if rows else []
    for table in TABLES:
        if table.marks in header:
            missing = [c for c in table.columns if c not in header]
            if missing:
                raise EvidenceFileError(
                    f"{name} looks like the return's {table.label} table but has no "
                    f"{', '.join(missing)} column{'s' if len(missing) > 1 else ''}."
                )
            return _File(name, table, header, rows[1:])
    raise EvidenceFileError(
        f"{name} is not a table of the SSDA903 return: its first row names none of the columns "
        "that mark one (UPN for the header, DECOM for episodes, REVIEW, MIS_START, IN_TOUCH, "
        "SDQ_SCORE, DATE_MATCH, DATE_PLACED, PREV_PERM, DUC or SW_DECOM)."
    )


def _files(path: Path, name: str, max_bytes: int) -> list[_File]:
    """The return's CSV files: the members of a zip, or the one CSV uploaded."""
    check_size(path, max_bytes, name)
    with path.open("rb") as handle:
        head = handle.read(4)
    if not head.startswith(ZIP_MAGIC):
        return [_recognise(name, _csv_rows(path.read_bytes(), name))]
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise EvidenceFileError(
            f"{name} is damaged and cannot be opened as a zip ({exc})."
        ) from None
    with archive:
        members = [
            i
            for i in archive.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and Path(i.filename).name[:1] != "."
        ]
        total = sum(i.file_size for i in members)
        worst = max((i.file_size / max(i.compress_size, 1) for i in members), default=0)
        if total > UNPACKED_FACTOR * max_bytes or worst > MAX_COMPRESSION_RATIO:
            raise EvidenceFileError(
                f"{name} looks like a decompression bomb: it would unpack to "
                f"{human_size(total)}, so it was not opened."
            )
        others = [i.filename for i in members if not i.filename.lower().endswith(".csv")]
        if others:
            raise EvidenceFileError(
                f"{name} holds {others[0]}, which is not a CSV file: the zip should hold only "
                "the return's CSV tables."
            )
        if not members:
            raise EvidenceFileError(f"{name} holds no CSV files: it is not an SSDA903 return.")
        found = [_recognise(i.filename, _csv_rows(archive.read(i), i.filename)) for i in members]
    seen: dict[str, str] = {}
    for file in found:
        if file.table.name in seen:
            raise EvidenceFileError(
                f"{name} holds two {file.table.label} tables ({seen[file.table.name]} and "
                f"{file.name}); keep one and upload it again."
            )
        seen[file.table.name] = file.name
    return found


def read_ssda903(
    path: Path, reference_date: date, max_bytes: int, filename: str | None = None
) -> Staged:
    name = filename or path.name
    files = _files(path, name, max_bytes)
    staged = Staged(source_kind=SOURCE_KIND, agency=AGENCY)
    reader = _Reader(staged, reference_date)
    # The header first (each child's characteristics), then the other tables in the guide's order.
    order = {t.name: i for i, t in enumerate(TABLES)}
    for file in sorted(files, key=lambda f: order[f.table.name]):
        reader.file(file)
    reader.finish()
    staged.extra["tables"] = [f.table.name for f in files]
    return staged


@dataclass
class _Episode:
    row: int
    sheet: str
    la_id: str
    start: date
    end: date | None
    reason: str
    ended: str
    attributes: dict[str, Any] = field(default_factory=dict)


def _uk(value: date) -> str:
    return value.strftime("%d/%m/%Y")


class _Reader:
    def __init__(self, staged: Staged, reference_date: date) -> None:
        self.staged = staged
        self.reference_date = reference_date
        self.dates = values.DateMemo()
        self.episodes: list[_Episode] = []
        self.file_: _File | None = None

    # -- where a problem is -------------------------------------------------------------------
    def _issue(
        self,
        severity: str,
        rule: str,
        message: str,
        row: int | None,
        column: str,
        value: str = "",
        rejected: bool = False,
    ) -> None:
        assert self.file_ is not None
        self.staged.issues.append(
            Issue(
                severity,
                rule,
                message,
                self.file_.name,
                self.file_.table.name,
                row,
                column,
                "",
                value,
                rejected,
            )
        )

    def _reject(self, row: int, column: str, why: str) -> None:
        self._issue(
            ERROR, "missing_value", f"{why}; the row was not loaded.", row, column, "", True
        )

    # -- values -------------------------------------------------------------------------------
    def _date(self, cells: dict[str, str], column: str, row: int) -> date | None:
        raw = cells.get(column, "")
        if not raw:
            return None
        value, readable = self.dates[raw]
        if not readable or value is None:
            self._issue(
                WARNING,
                "unreadable_date",
                f"{column} '{raw}' is not a date (dd/mm/yyyy); it was left out.",
                row,
                column,
                raw,
            )
            return None
        if value > self.reference_date:
            self._issue(
                WARNING,
                "after_reference_date",
                f"{column} {_uk(value)} is after the inspection's reference date "
                f"{_uk(self.reference_date)}.",
                row,
                column,
                raw,
            )
        return value

    def _code(self, cells: dict[str, str], column: str, row: int) -> str:
        """The canonical code of the cell in the first of the column's lists (``CODE_COLUMNS``)
        that knows it; a warning, and the value as given, when none does."""
        raw = cells.get(column, "")
        if not raw:
            return ""
        for list_name in CODE_COLUMNS[column]:
            code = codes.canonical(list_name, raw)
            if code is not None:
                return code
        self._issue(
            WARNING,
            "unknown_code",
            f"{column} '{raw}' is not one of the return's codes; it was kept as given.",
            row,
            column,
            raw,
        )
        return raw

    # -- children -----------------------------------------------------------------------------
    def _child(self, la_id: str, row: int, cells: dict[str, str]) -> ChildFacts:
        dob = self._date(cells, "DOB", row) if "DOB" in cells else None
        facts = self.staged.children.get(la_id)
        if facts is None:
            facts = self.staged.children[la_id] = ChildFacts(la_id, dob=dob)
            self.staged.records[(AGENCY, la_id)] = RecordFacts(
                AGENCY, la_id, la_child_id=la_id, dob=dob
            )
        elif dob is not None and facts.dob is not None and dob != facts.dob:
            self._issue(
                WARNING,
                "conflicting_value",
                f"Child {la_id}'s DOB here, {_uk(dob)}, is not the {_uk(facts.dob)} the return "
                "gave before; the first was kept.",
                row,
                "DOB",
                cells.get("DOB", ""),
            )
        elif dob is not None and facts.dob is None:
            facts.dob = dob
            self.staged.records[(AGENCY, la_id)].dob = dob
        return facts

    def _add(
        self,
        la_id: str,
        kind: str,
        when: date | None,
        row: int,
        attributes: dict[str, Any],
        until: date | None = None,
        worker: str = "",
    ) -> None:
        if when is None:
            return
        assert self.file_ is not None
        self.staged.events.append(
            EventFacts(
                (AGENCY, la_id),
                AGENCY,
                kind,
                when,
                until,
                self.file_.name,
                row,
                attributes,
                worker=worker,
            )
        )

    def file(self, file: _File) -> None:
        self.file_ = file
        table = self.staged.table(file.table.name, file.name)
        table.header_row = 1
        index = {column: i for i, column in enumerate(file.header)}
        wanted = (*file.table.columns, *file.table.optional)
        read = getattr(self, f"_{file.table.name.lower()}")
        for number, raw in enumerate(file.rows, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            table.rows += 1
            cells = {
                column: (values.text(raw[index[column]]) or "")
                if column in index and index[column] < len(raw)
                else ""
                for column in wanted
            }
            la_id = cells["CHILD"]
            if not la_id:
                self._issue(
                    ERROR,
                    "missing_identifier",
                    "The row has no CHILD (the child's identifier), so it cannot be placed in "
                    "any journey; it was not loaded.",
                    number,
                    "CHILD",
                    "",
                    True,
                )
                table.rejected += 1
                continue
            if read(la_id, number, cells):
                table.accepted += 1
            else:
                table.rejected += 1

    # -- the tables ---------------------------------------------------------------------------
    def _header(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        known = la_id in self.staged.children
        facts = self._child(la_id, row, cells)
        if known:
            self._issue(
                WARNING,
                "duplicate_row",
                f"Child {la_id} is in the header more than once; the first row's details "
                "were kept.",
                row,
                "CHILD",
                la_id,
            )
            return True
        sex = cells["SEX"]
        if sex:
            facts.sex = SEX.get(sex, "")
            if not facts.sex:
                self._issue(
                    WARNING,
                    "unknown_code",
                    f"SEX '{sex}' is not 1 (male) or 2 (female).",
                    row,
                    "SEX",
                    sex,
                )
        ethnic = cells["ETHNIC"]
        if ethnic:
            facts.ethnicity = codes.canonical("ethnicity", ethnic) or ""
            if not facts.ethnicity:
                self._issue(
                    WARNING,
                    "unknown_code",
                    f"ETHNIC '{ethnic}' is not one of the return's ethnicity codes.",
                    row,
                    "ETHNIC",
                    ethnic,
                )
        record = self.staged.records[(AGENCY, la_id)]
        record.sex = facts.sex
        upn = cells["UPN"]
        if upn and not _UPN_UNKNOWN.match(upn):
            record.upn = upn
            why = identifiers.upn_problem(upn)
            if why:
                self._issue(
                    WARNING,
                    "invalid_identifier",
                    identifiers.message(Scheme.UPN, upn, why),
                    row,
                    "UPN",
                    upn,
                )
        own_child = self._date(cells, "MC_DOB", row)
        self._add(la_id, "own_child_born", own_child, row, {})
        return True

    def _episodes(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        began = self._date(cells, "DECOM", row)
        ended_on = self._date(cells, "DEC", row)
        reason = self._code(cells, "RNE", row)
        ended = self._code(cells, "REC", row)
        attributes = {
            k: v
            for k, v in (
                ("reason_new_episode", reason),
                ("legal_status", self._code(cells, "LS", row)),
                ("placement_type", self._code(cells, "PLACE", row)),
                (
                    "placement_provider",
                    self._code(cells, "PLACE_PROVIDER", row),
                ),
                ("category_of_need", self._code(cells, "CIN", row)),
                (
                    "reason_place_change",
                    self._code(cells, "REASON_PLACE_CHANGE", row),
                ),
                ("placement_postcode", cells["PL_POST"]),
                ("home_postcode", cells["HOME_POST"]),
                ("placement_urn", cells["URN"]),
            )
            if v
        }
        if began is None:
            if ended_on is None or not ended or ended == CONTINUES:
                self._reject(row, "DECOM", "The episode has no date it started (DECOM)")
                return False
            self._issue(
                WARNING,
                "missing_value",
                "The episode has no date it started (DECOM); the end of care on its DEC was "
                "still loaded.",
                row,
                "DECOM",
            )
            self._add(la_id, "looked_after_end", ended_on, row, {"reason_ceased": ended})
            return True
        if ended_on is not None and ended_on < began:
            self._issue(
                WARNING,
                "end_before_start",
                f"DEC {_uk(ended_on)} is before DECOM {_uk(began)}.",
                row,
                "DEC",
                cells["DEC"],
            )
        self.episodes.append(
            _Episode(
                row,
                self.file_.name if self.file_ else "",
                la_id,
                began,
                ended_on,
                reason,
                ended,
                attributes,
            )
        )
        return True

    def _reviews(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        when = self._date(cells, "REVIEW", row)
        if when is None:
            self._reject(row, "REVIEW", "The review has no date (REVIEW)")
            return False
        participation = self._code(cells, "REVIEW_CODE", row)
        self._add(
            la_id,
            "looked_after_review",
            when,
            row,
            {"review_participation": participation} if participation else {},
        )
        return True

    def _missing(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        began = self._date(cells, "MIS_START", row)
        ended = self._date(cells, "MIS_END", row)
        if began is None:
            self._reject(
                row, "MIS_START", "The period missing or away has no start date (MIS_START)"
            )
            return False
        which = self._code(cells, "MISSING", row)
        if ended is not None and ended < began:
            self._issue(
                WARNING,
                "end_before_start",
                f"MIS_END {_uk(ended)} is before MIS_START {_uk(began)}.",
                row,
                "MIS_END",
                cells["MIS_END"],
            )
        kind = MISSING_KINDS.get(which, "missing_episode")
        self._add(la_id, kind, began, row, {}, ended)
        return True

    def _accommodation(self, cells: dict[str, str], row: int) -> dict[str, str]:
        """OC3's ``ACCOM``: the type of accommodation's letter and, after it, 1 when it is
        suitable, 2 when it is not (``B1``); the letter alone is read too."""
        raw = cells.get("ACCOM", "")
        letter, suitable = raw[:-1], raw[-1:]
        if suitable in SUITABILITY and codes.canonical("accommodation", letter) is not None:
            return {
                "accommodation": codes.canonical("accommodation", letter) or letter,
                "suitability": SUITABILITY[suitable],
            }
        accommodation = self._code(cells, "ACCOM", row)
        return {"accommodation": accommodation} if accommodation else {}

    def _oc3(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        facts = self._child(la_id, row, cells)
        attributes = {
            k: v
            for k, v in (
                ("in_touch", self._code(cells, "IN_TOUCH", row)),
                ("activity", self._code(cells, "ACTIV", row)),
            )
            if v
        }
        attributes.update(self._accommodation(cells, row))
        when = self._date(cells, "DATE", row)
        if when is None and facts.dob is not None:
            when = _latest_birthday(facts.dob, self.reference_date)
            attributes["start_basis"] = "birthday"
        if when is None:
            self._reject(row, "DOB", "The care leaver's row has no DOB (nor DATE) to place it by")
            return False
        self._add(la_id, "care_leaver_status", when, row, attributes)
        return True

    def _oc2(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        return True

    def _ad1(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        decided = self._date(cells, "DATE_INT", row)
        matched = self._date(cells, "DATE_MATCH", row)
        if decided is None and matched is None:
            self._reject(row, "DATE_INT", "The adoption row has neither DATE_INT nor DATE_MATCH")
            return False
        foster = {"1": True, "0": False}.get(cells["FOSTER_CARE"])
        attributes: dict[str, Any] = {
            k: v
            for k, v in (
                ("adopted_by_foster_carer", foster),
                ("adopters", cells["NB_ADOPTR"]),
                ("adopters_sex", self._code(cells, "SEX_ADOPTR", row)),
            )
            if v not in (None, "")
        }
        self._add(la_id, "adoption_decision", decided, row, attributes)
        self._add(la_id, "adoption_match", matched, row, attributes)
        return True

    def _placedadoption(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        decided = self._date(cells, "DATE_PLACED", row)
        reversed_on = self._date(cells, "DATE_PLACED_CEASED", row)
        if decided is None and reversed_on is None:
            self._reject(
                row, "DATE_PLACED", "The row has neither DATE_PLACED nor DATE_PLACED_CEASED"
            )
            return False
        reason = self._code(cells, "REASON_PLACED_CEASED", row)
        self._add(la_id, "adoption_decision", decided, row, {})
        self._add(
            la_id,
            "adoption_decision_reversed",
            reversed_on,
            row,
            {"no_longer_reason": reason} if reason else {},
        )
        return True

    def _prevperm(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        raw = cells["DATE_PERM"]
        partial = _PARTIAL.match(raw) if raw else None
        when: date | None
        attributes: dict[str, Any] = {}
        order = self._code(cells, "PREV_PERM", row)
        if order:
            attributes["previous_permanence"] = order
        if raw.lower() == "zz/zz/zzzz":  # the guidance's way of saying the date is not known
            when = None
        elif partial and "z" in raw.lower():
            day, month, year = partial.groups()
            try:
                when = date(int(year), 1 if month.lower() == "zz" else int(month), 1)
            except ValueError:
                when = None
            attributes["date_known"] = "year only" if month.lower() == "zz" else "month and year"
            if when is None:
                self._issue(
                    WARNING,
                    "unreadable_date",
                    f"DATE_PERM '{raw}' is not a date; it was left out.",
                    row,
                    "DATE_PERM",
                    raw,
                )
        else:
            when = self._date(cells, "DATE_PERM", row)
        if when is None:
            return True  # a previous permanence of unknown date: nothing to place
        self._add(la_id, "previous_permanence", when, row, attributes)
        return True

    def _uasc(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        self._add(la_id, "uasc_ceased", self._date(cells, "DUC", row), row, {})
        return True

    def _socialworkers(self, la_id: str, row: int, cells: dict[str, str]) -> bool:
        self._child(la_id, row, cells)
        began = self._date(cells, "SW_DECOM", row)
        ended = self._date(cells, "SW_DEC", row)
        if began is None:
            self._reject(
                row, "SW_DECOM", "The social worker's episode has no start date (SW_DECOM)"
            )
            return False
        self._add(la_id, "social_worker_allocated", began, row, {}, ended, worker=cells["SW_ID"])
        return True

    # -- periods of care ----------------------------------------------------------------------
    def finish(self) -> None:
        """Each child's episodes in date order: the start of care runs to the end of the
        episode that ends the period (a reason it ended other than X1), or is still open."""
        by_child: dict[str, list[_Episode]] = {}
        for episode in self.episodes:
            by_child.setdefault(episode.la_id, []).append(episode)
        for la_id, episodes in by_child.items():
            episodes.sort(key=lambda e: (e.start, e.row))
            for i, ep in enumerate(episodes):
                kind = EPISODE_KINDS.get(ep.reason, OTHER_EPISODE)
                until = ep.end
                if kind == "looked_after_start":
                    until = next(
                        (
                            later.end
                            for later in episodes[i:]
                            if later.ended and later.ended != CONTINUES and later.end is not None
                        ),
                        None,
                    )
                self._place(la_id, kind, ep, until)
                if ep.ended and ep.ended != CONTINUES and ep.end is not None:
                    self._place(la_id, "looked_after_end", ep, None, {"reason_ceased": ep.ended})

    def _place(
        self,
        la_id: str,
        kind: str,
        ep: _Episode,
        until: date | None,
        attributes: dict[str, Any] | None = None,
    ) -> None:
        when = ep.end if kind == "looked_after_end" else ep.start
        assert when is not None
        self.staged.events.append(
            EventFacts(
                (AGENCY, la_id),
                AGENCY,
                kind,
                when,
                until,
                ep.sheet,
                ep.row,
                ep.attributes if attributes is None else attributes,
            )
        )


def _latest_birthday(born: date, on: date) -> date:
    """The child's last birthday on or before ``on`` (29 February is 28 February elsewhere)."""
    year = on.year
    while True:
        try:
            birthday = born.replace(year=year)
        except ValueError:
            birthday = date(year, 2, 28)
        if birthday <= on or year <= born.year:
            return max(birthday, born)
        year -= 1


def templates() -> Iterator[tuple[str, str]]:
    """Each table's empty template: (file name, its header line)."""
    for table in TABLES:
        yield table.template, ",".join(table.columns) + "\n"
