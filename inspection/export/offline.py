"""Offline audit packs: a workbook to audit a sample without a connection, and loading it back.

The pack has one sheet per rubric listing the sample's members (children selected or
replacement) with a grade drop-down and an evidence cell for each domain, the overall judgement
and feedback, pre-filled with what is already saved. It is made for one person and holds only
what they may see (``inspection.audit.visibility``): a child whose first marking is hidden from
them (another auditor's draft, or a blind marking) is left out of the pack altogether. A very
hidden sheet ``_pack`` records the pack id, the inspection, the sample, each sheet's rubric code
and version, and for every member the audit id, its version and a hash of its values when the
pack was made.

Loading a completed pack (``import_offline_pack``) checks every cell first (unknown grade,
"not applicable" where the domain always applies, missing evidence where the rubric requires it,
a member not in the sample, a duplicated member, a pack for another inspection or sample, a
sheet from another rubric version) and reports each problem by sheet and cell. Rows nobody
changed offline are left alone. A changed row whose audit was started or saved online after the
pack was made is a conflict: nothing is loaded unless the caller passes ``overwrite=True``.
Everything is saved in one transaction through ``inspection.audit.audits`` (so versions and
revisions are kept exactly as for a save in the browser), or nothing is.

Text in a pack is written by ``inspection.export.cells.write_text``: text cells with Excel's
quote-prefix style (never a formula), so evidence that starts with ``=`` or ``-`` goes out and
comes back unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from tortoise.transactions import in_transaction

from inspection.audit import scoring
from inspection.audit.audits import (
    LEAD_ROLES,
    AuditConflict,
    AuditError,
    audit_values,
    create_audit,
    normalise_values,
    save_audit,
)
from inspection.audit.conversations import conversations_seen
from inspection.audit.definition import RubricDefinition, definition_of
from inspection.audit.rubric import round_rubric
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import NotAMember, viewer_for, visible_audits
from inspection.evidence.files import check_workbook_bytes
from inspection.evidence.reading import DEFAULT_READ_MEMORY, sheets
from inspection.evidence.staged import EvidenceFileError
from inspection.export.cells import append_row, neutralise, write_text
from inspection.export.log import ExportEntry, log_export
from inspection.export.workbook import (
    HEADER_ALIGN,
    HEADER_FILL,
    HEADER_FONT,
    colour_grades,
    grade_list_validation,
    save_workbook,
)
from inspection.models import Audit, Child, Rubric, Sample, SampleMember, User
from inspection.models.core import Role
from inspection.sampling.status import AUDITED
from inspection.settings import DEFAULT_MAX_UPLOAD_BYTES
from inspection.uk_time import uk_datetime

META_SHEET = "_pack"
PACK_FORMAT = "1"
FIXED_HEADERS = ["Member", "Child", "Name", "Stratum", "Audit status"]
FEEDBACK = [
    ("overall_reason", "Reason for changing the overall judgement"),
    ("strengths", "Strengths"),
    ("improvements", "What would make it better"),
    ("themes", "Themes (separate with commas)"),
]
META_HEADERS = [
    "sheet",
    "rubric_code",
    "rubric_version",
    "member_id",
    "audit_id",
    "audit_version",
    "values_hash",
]


class PackError(ValueError):
    """The pack cannot be made (for example an unknown sample)."""


@dataclass(frozen=True)
class PackExport:
    data: bytes
    filename: str
    pack_id: str
    members: int
    entry: ExportEntry


@dataclass(frozen=True)
class Problem:
    sheet: str
    cell: str
    message: str

    def __str__(self) -> str:
        if self.sheet and self.cell:
            return f"Sheet '{self.sheet}' cell {self.cell}: {self.message}"
        if self.sheet:
            return f"Sheet '{self.sheet}': {self.message}"
        return self.message


@dataclass(frozen=True)
class Conflict:
    sheet: str
    cell: str
    member_id: int
    audit_id: int
    pack_version: int | None
    current_version: int

    def __str__(self) -> str:
        was = (
            f"was at version {self.pack_version}"
            if self.pack_version is not None
            else "did not exist"
        )
        return (
            f"Sheet '{self.sheet}' cell {self.cell}: audit {self.audit_id} of member "
            f"{self.member_id} {was} when the pack was made and has since been saved online "
            f"(now version {self.current_version})."
        )


# A pack as read: each sheet's rows of cell values, by sheet name, in workbook order.
PackBook = dict[str, list[list[Any]]]


@dataclass
class ImportResult:
    pack_id: str = ""
    sample_id: int | None = None
    problems: list[Problem] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    saved: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "pack_id": self.pack_id,
            "sample_id": self.sample_id,
            "saved": self.saved,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": [
                {"sheet": p.sheet, "cell": p.cell, "message": p.message, "text": str(p)}
                for p in self.problems
            ],
            "conflicts": [
                {
                    "sheet": c.sheet,
                    "cell": c.cell,
                    "member_id": c.member_id,
                    "audit_id": c.audit_id,
                    "pack_version": c.pack_version,
                    "current_version": c.current_version,
                    "text": str(c),
                }
                for c in self.conflicts
            ],
        }


def sheet_title(rubric: Rubric) -> str:
    title = re.sub(r"[\[\]:*?/\\']", "", f"{rubric.code} v{rubric.version}")
    return title[:31]


def pack_headers(definition: RubricDefinition) -> list[str]:
    headers = list(FIXED_HEADERS)
    for d in definition.domains:
        headers += [f"{d.title}: grade", f"{d.title}: evidence"]
    headers.append("Overall judgement")
    headers += [label for _, label in FEEDBACK]
    return headers


def values_hash(values: dict[str, Any]) -> str:
    """A hash of an audit's values without cited events and conversations (which a pack cannot
    change)."""
    kept = {k: v for k, v in values.items() if not k.startswith(scoring.CITED_PREFIXES)}
    text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _meta_row(meta: Worksheet, values: list[Any]) -> None:
    """A row of the ``_pack`` sheet: text kept exactly (it is read back), never a formula."""
    row = meta.max_row + 1 if meta.max_row > 1 or meta["A1"].value is not None else 1
    for col, value in enumerate(values, start=1):
        if isinstance(value, str):
            write_text(meta, row, col, value)
        else:
            meta.cell(row=row, column=col, value=value)


async def _pack_members(sample: Sample) -> list[SampleMember]:
    return list(
        await SampleMember.filter(sample_id=sample.id, status__in=AUDITED).order_by(
            "stratum", "order", "id"
        )
    )


async def build_offline_pack(
    inspection_id: int,
    sample_id: int,
    user: User | None,
    *,
    now: datetime | None = None,
    ip: str = "",
    pack_id: str | None = None,
    logged: bool = True,
) -> PackExport:
    """The offline audit pack of a sample (first markings) for ``user`` (``None``: the command
    line), pre-filled with what they may see; logged as ``export-offline-pack`` (unless
    ``logged=False``: a job's pack, logged when its file is taken)."""
    # Not the population snapshot (one id per child of the population): what the pack shows.
    sample = (
        await Sample.filter(id=sample_id, inspection_id=inspection_id)
        .only("id", "purpose", "method")
        .first()
    )
    if sample is None:
        raise PackError(f"There is no sample {sample_id} in inspection {inspection_id}.")
    try:
        viewer = await viewer_for(user, inspection_id)
    except NotAMember as exc:
        raise PackError(str(exc)) from exc
    now = now or datetime.now(UTC)
    pack_id = pack_id or uuid.uuid4().hex[:12]
    in_sample = await _pack_members(sample)
    seen = await visible_audits(inspection_id, viewer)
    audits = {
        int(a.member_id): a
        for a in await Audit.filter(
            inspection_id=inspection_id,
            member_id__in=[m.id for m in in_sample],
            marking=Marking.FIRST,
        ).prefetch_related("rubric")
        if a.member_id is not None
    }
    # A child whose first marking the maker may not see is left out: no row, no values.
    members = [m for m in in_sample if m.id not in audits or audits[m.id].id in seen]
    withheld = len(in_sample) - len(members)
    fallback: Rubric | None = None
    by_rubric: dict[int, tuple[Rubric, list[SampleMember]]] = {}
    for m in members:
        audit = audits.get(m.id)
        if audit is not None:
            rubric = audit.rubric
        else:
            fallback = fallback or await round_rubric(inspection_id)
            rubric = fallback
        by_rubric.setdefault(rubric.id, (rubric, []))[1].append(m)
    children = {
        c["id"]: c
        for c in await Child.filter(
            inspection_id=inspection_id, id__in=[m.child_id for m in members]
        ).values("id", "la_child_id", "given_name", "family_name")
    }

    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "Instructions"
    meta = wb.create_sheet(META_SHEET)
    meta.sheet_state = "veryHidden"
    for pair in (
        ("pack_format", PACK_FORMAT),
        ("pack_id", pack_id),
        ("inspection_id", inspection_id),
        ("sample_id", sample.id),
        ("made_at", now.isoformat()),
        ("made_by", user.email if user else ""),
    ):
        _meta_row(meta, list(pair))
    _meta_row(meta, list(META_HEADERS))
    for rubric, rubric_members in sorted(
        by_rubric.values(), key=lambda x: (x[0].code, x[0].version)
    ):
        await _rubric_sheet(wb, meta, rubric, rubric_members, audits, children)
    await _conversations_sheet(wb, inspection_id, viewer, children)
    lines = [
        f"Offline audit pack {pack_id} for sample {sample.id} ({sample.purpose or sample.method}) "
        f"of inspection {inspection_id}, made {uk_datetime(now)} (UK time)"
        + (f" by {user.name}." if user else "."),
        "One sheet per audit instrument (rubric). One row per child in the sample.",
        "Choose each grade from the drop-down and write the evidence beside it. Evidence is "
        "required where the rubric says so (for example for Requires improvement and "
        "Inadequate).",
        "The Conversations sheet lists what the children, their families and practitioners "
        "said, to read while auditing; cite them online, where the audit page lists them.",
        "Do not change the Member column, rename sheets or add columns. Rows you leave "
        "unchanged are not touched when the pack is loaded.",
        "Load the completed pack on the inspection's Spreadsheets page, or with: inspection "
        f"import offline-pack FILE --inspection {inspection_id} --user EMAIL",
        "Audits saved online after this pack was made are not overwritten unless you choose to.",
        "This workbook holds personal data about children: keep it on an encrypted device and "
        "delete it once loaded.",
    ]
    if withheld:
        lines.append(
            f"{withheld} {'child is' if withheld == 1 else 'children are'} not in this pack: "
            "their first marking is another auditor's draft or is blind to you until both "
            "markings are submitted."
        )
    for line in lines:
        append_row(about, [line])
    about["A1"].font = Font(bold=True)
    about.column_dimensions["A"].width = 140
    data = save_workbook(wb, now)
    entry = ExportEntry(
        "export-offline-pack",
        "sample",
        str(sample.id),
        f"pack {pack_id}; pseudonymised no; {len(members)} members",
    )
    if logged:
        await entry.log(inspection_id, user, ip)
    return PackExport(
        data,
        f"offline-pack-inspection-{inspection_id}-sample-{sample.id}.xlsx",
        pack_id,
        len(members),
        entry,
    )


async def _rubric_sheet(
    wb: Workbook,
    meta: Worksheet,
    rubric: Rubric,
    members: list[SampleMember],
    audits: dict[int, Audit],
    children: dict[int, dict[str, Any]],
) -> None:
    definition = definition_of(rubric)
    labels = definition.grade_labels
    scale = [str(g.label) for g in definition.scale]
    na = definition.not_applicable
    ws = wb.create_sheet(sheet_title(rubric))
    headers = pack_headers(definition)
    for i, header in enumerate(headers, start=1):
        write_text(ws, 1, i, header)  # read back and compared exactly when the pack is loaded
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
    ws.freeze_panes = "C2"
    last = len(members) + 1
    col = len(FIXED_HEADERS) + 1
    for d in definition.domains:
        letter = get_column_letter(col)
        choices = scale + ([str(na.label)] if na and d.allows_not_applicable else [])
        dv = grade_list_validation(choices, wb)
        dv.add(f"{letter}2:{letter}{max(last, 2)}")
        ws.add_data_validation(dv)
        colour_grades(ws, f"{letter}2:{letter}{max(last, 2)}", scale)
        ws.column_dimensions[letter].width = 18
        ws.column_dimensions[get_column_letter(col + 1)].width = 50
        col += 2
    overall_letter = get_column_letter(col)
    dv = grade_list_validation(scale, wb)
    dv.add(f"{overall_letter}2:{overall_letter}{max(last, 2)}")
    ws.add_data_validation(dv)
    colour_grades(ws, f"{overall_letter}2:{overall_letter}{max(last, 2)}", scale)
    ws.column_dimensions[overall_letter].width = 18
    for i in range(len(FEEDBACK)):
        ws.column_dimensions[get_column_letter(col + 1 + i)].width = 40
    for letter, width in zip("ABCDE", (9, 14, 24, 14, 12), strict=True):
        ws.column_dimensions[letter].width = width
    for r, member in enumerate(members, start=2):
        audit = audits.get(member.id)
        values = (
            await audit_values(audit, definition)
            if audit is not None
            else normalise_values(definition, {})
        )
        child = children.get(member.child_id or 0) or {}
        ws.cell(row=r, column=1, value=member.id)
        write_text(ws, r, 2, child.get("la_child_id") or "")
        write_text(
            ws, r, 3, f"{child.get('given_name', '')} {child.get('family_name', '')}".strip()
        )
        write_text(ws, r, 4, member.stratum)
        write_text(ws, r, 5, audit.status if audit else "not started")
        c = len(FIXED_HEADERS) + 1
        for d in definition.domains:
            grade = values[scoring.grade_key(d.key)]
            write_text(ws, r, c, labels.get(grade, grade))
            write_text(ws, r, c + 1, values[scoring.evidence_key(d.key)])
            c += 2
        write_text(ws, r, c, labels.get(values["overall"], values["overall"]))
        for i, (key, _) in enumerate(FEEDBACK, start=1):
            value = values[key]
            write_text(ws, r, c + i, ", ".join(value) if key == "themes" else value)
        _meta_row(
            meta,
            [
                ws.title,
                rubric.code,
                rubric.version,
                member.id,
                audit.id if audit else None,
                audit.version if audit else None,
                values_hash(values),
            ],
        )
    ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{max(last, 1)}"
    ws.print_title_rows = "1:1"
    ws.page_setup.orientation = "landscape"


CONVERSATION_HEADERS = (
    "Child",
    "Date",
    "Who",
    "How",
    "What they said",
    "What it tells us",
    "Recorded by",
)


async def _conversations_sheet(
    wb: Workbook, inspection_id: int, viewer: Any, children: dict[int, dict[str, Any]]
) -> None:
    """The conversations about the pack's children as its maker may see them
    (``inspection.audit.conversations``): read only, never loaded back."""
    ws = wb.create_sheet("Conversations")
    for i, header in enumerate(CONVERSATION_HEADERS, start=1):
        write_text(ws, 1, i, header)
        ws.cell(row=1, column=i).font = HEADER_FONT
        ws.cell(row=1, column=i).fill = HEADER_FILL
    shown = await conversations_seen(inspection_id, viewer, list(children))
    for r, c in enumerate(shown, start=2):
        write_text(ws, r, 1, (children.get(c.child_id) or {}).get("la_child_id") or "")
        ws.cell(row=r, column=2, value=c.held_on).number_format = "DD/MM/YYYY"
        for col, text in enumerate((c.who, c.how, c.said, c.reading, c.recorded_by), start=3):
            write_text(ws, r, col, text)
    for letter, width in zip("ABCDEFG", (14, 12, 30, 24, 60, 60, 24), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


# ---------------------------------------------------------------- loading a completed pack


@dataclass
class _MetaRow:
    sheet: str
    rubric_code: str
    rubric_version: str
    member_id: int
    audit_id: int | None
    audit_version: int | None
    values_hash: str


@dataclass
class _Change:
    sheet: str
    cell: str
    rubric: Rubric
    member: SampleMember
    meta: _MetaRow
    values: dict[str, Any]
    audit: Audit | None = None


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n").strip()


def _read_pack(data: bytes, filename: str, max_bytes: int, memory_bytes: int) -> PackBook:
    """Every sheet's cell values, after the checks every workbook of evidence gets."""
    check_workbook_bytes(data, max_bytes, filename)
    with sheets(data, filename, memory_bytes, engine="openpyxl") as workbook:
        return dict(workbook)


def _whole_number(value: Any) -> int | None:
    text = _cell_text(value)
    return int(text) if text.isdigit() and len(text) <= 18 else None


def _read_meta(book: PackBook) -> tuple[dict[str, str], list[_MetaRow]] | None:
    if META_SHEET not in book:
        return None
    head: dict[str, str] = {}
    rows: list[_MetaRow] = []
    in_rows = False
    for values in book[META_SHEET]:
        if not values or values[0] is None:
            continue
        if list(values[: len(META_HEADERS)]) == META_HEADERS:
            in_rows = True
            continue
        if not in_rows:
            head[str(values[0])] = _cell_text(values[1] if len(values) > 1 else "")
            continue
        sheet, code, version, member, audit_id, audit_version, digest = values[:7]
        rows.append(
            _MetaRow(
                str(sheet),
                str(code),
                str(version),
                int(member),
                int(audit_id) if audit_id is not None else None,
                int(audit_version) if audit_version is not None else None,
                str(digest),
            )
        )
    return head, rows


def _grade_lookup(definition: RubricDefinition) -> dict[str, str]:
    """Label or value, in any case → stored value."""
    out = {}
    for value, label in definition.grade_labels.items():
        out[value.lower()] = value
        out[label.lower()] = value
    return out


async def import_offline_pack(
    inspection_id: int,
    data: bytes,
    user: User,
    role: Role,
    *,
    overwrite: bool = False,
    sample_id: int | None = None,
    ip: str = "",
    filename: str = "The pack",
    max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    memory_bytes: int = DEFAULT_READ_MEMORY,
) -> ImportResult:
    """Check every cell of a completed pack, then load it all in one transaction or nothing.

    The pack is checked as any workbook of evidence is (size, decompression bomb, the extent
    of every sheet) and read in a reader process whose memory is capped (``evidence.reading``),
    never on the event loop.

    ``sample_id``: the sample the caller expects the pack to be for (the web page's sample).
    ``overwrite``: replace audits saved online since the pack was made (an explicit choice).
    """
    result = ImportResult()
    try:
        book = await asyncio.to_thread(_read_pack, data, filename, max_bytes, memory_bytes)
    except EvidenceFileError as exc:
        result.problems.append(
            Problem("", "", f"{exc} Load the offline audit pack as it was saved.")
        )
        return result
    try:
        found = _read_meta(book)
    except (TypeError, ValueError):
        found = None
    if found is None or found[0].get("pack_format") != PACK_FORMAT:
        result.problems.append(
            Problem(
                "",
                "",
                "This workbook is not an offline audit pack "
                "made by this service (its pack sheet is "
                "missing or damaged).",
            )
        )
        return result
    head, meta_rows = found
    result.pack_id = head.get("pack_id", "")
    pack_inspection = _whole_number(head.get("inspection_id"))
    pack_sample = _whole_number(head.get("sample_id"))
    if pack_inspection is None or pack_sample is None:
        result.problems.append(
            Problem(
                "",
                "",
                "This workbook is not an offline audit pack made by this service (its pack "
                "sheet is damaged: it does not say which inspection and sample it is for).",
            )
        )
        return result
    result.sample_id = pack_sample
    if pack_inspection != inspection_id:
        result.problems.append(
            Problem(
                "",
                "",
                f"This pack was made for inspection "
                f"{pack_inspection}, not inspection "
                f"{inspection_id}.",
            )
        )
        return result
    if sample_id is not None and pack_sample != sample_id:
        result.problems.append(
            Problem("", "", f"This pack is for sample {pack_sample}, not sample {sample_id}.")
        )
        return result
    sample = await Sample.filter(id=pack_sample, inspection_id=inspection_id).only("id").first()
    if sample is None:
        result.problems.append(
            Problem("", "", f"Sample {pack_sample} no longer exists in inspection {inspection_id}.")
        )
        return result
    changes = await _check_sheets(book, meta_rows, sample, result)
    if result.problems:
        return result
    await _check_online(inspection_id, changes, user, role, result)
    if result.problems or (result.conflicts and not overwrite):
        return result
    try:
        async with in_transaction():
            for change in changes:
                await _save(inspection_id, change, user, role, result)
    except (AuditError, AuditConflict) as exc:
        result.created = result.updated = 0
        message = (
            str(exc)
            if isinstance(exc, AuditError)
            else (
                f"audit {exc.audit_id} was saved by someone else while loading; load the pack again"
            )
        )
        result.problems.append(Problem("", "", f"Nothing was loaded: {message}"))
        return result
    result.saved = True
    await log_export(
        "import-offline-pack",
        inspection_id,
        user,
        "sample",
        str(sample.id),
        f"pack {result.pack_id}; created {result.created}; updated "
        f"{result.updated}; unchanged {result.unchanged}; overwrite "
        f"{'yes' if overwrite else 'no'}",
        ip,
    )
    return result


async def _check_sheets(
    book: PackBook, meta_rows: list[_MetaRow], sample: Sample, result: ImportResult
) -> list[_Change]:
    members = {m.id: m for m in await SampleMember.filter(sample_id=sample.id)}
    by_sheet: dict[str, dict[int, _MetaRow]] = {}
    for row in meta_rows:
        by_sheet.setdefault(row.sheet, {})[row.member_id] = row
    changes: list[_Change] = []
    for sheet, rows in by_sheet.items():
        first = next(iter(rows.values()))
        rubric = await Rubric.get_or_none(code=first.rubric_code, version=first.rubric_version)
        if rubric is None:
            result.problems.append(
                Problem(
                    sheet,
                    "",
                    f"rubric {first.rubric_code} version {first.rubric_version} is not known here.",
                )
            )
            continue
        if sheet not in book:
            result.problems.append(
                Problem(
                    sheet,
                    "",
                    "this sheet of the pack is missing; load the pack with all its sheets.",
                )
            )
            continue
        changes += _check_sheet(sheet, book[sheet], rubric, rows, members, sample, result)
    return changes


def _check_sheet(
    sheet: str,
    cell_rows: list[list[Any]],
    rubric: Rubric,
    rows: dict[int, _MetaRow],
    members: dict[int, SampleMember],
    sample: Sample,
    result: ImportResult,
) -> list[_Change]:
    definition = definition_of(rubric)
    expected = pack_headers(definition)
    found = [_cell_text(value) for value in (cell_rows[0] if cell_rows else [])]
    found += [""] * (len(expected) - len(found))
    for i, header in enumerate(expected):
        if found[i] != header:
            result.problems.append(
                Problem(
                    sheet,
                    f"{get_column_letter(i + 1)}1",
                    f"expected the heading '{header}', found '{found[i]}': this sheet does not "
                    f"match rubric {rubric.code} version {rubric.version}.",
                )
            )
    if result.problems:
        return []
    lookup = _grade_lookup(definition)
    scale_values = set(definition.ranks)
    na = definition.not_applicable_value
    labels = definition.grade_labels
    scale_labels = ", ".join(str(g.label) for g in definition.scale)
    needs_evidence = set(definition.evidence_required_for)
    seen: dict[int, int] = {}
    changes = []
    for r, row in enumerate(cell_rows[1:], start=2):
        cells = row[: len(expected)]
        texts = [_cell_text(v) for v in cells] + [""] * (len(expected) - len(cells))
        if not any(texts):
            continue
        if not texts[0]:
            result.problems.append(Problem(sheet, f"A{r}", "the member number is missing."))
            continue
        try:
            member_id = int(texts[0])
        except ValueError:
            result.problems.append(
                Problem(sheet, f"A{r}", f"'{neutralise(texts[0])}' is not a member number.")
            )
            continue
        member = members.get(member_id)
        if member is None or member.status not in AUDITED:
            result.problems.append(
                Problem(sheet, f"A{r}", f"member {member_id} is not in sample {sample.id}.")
            )
            continue
        if member_id not in rows:
            result.problems.append(
                Problem(
                    sheet,
                    f"A{r}",
                    f"member {member_id} was not on this sheet when the pack was made.",
                )
            )
            continue
        if member_id in seen:
            result.problems.append(
                Problem(
                    sheet,
                    f"A{r}",
                    f"member {member_id} appears twice (also in row {seen[member_id]}).",
                )
            )
            continue
        seen[member_id] = r
        raw: dict[str, Any] = {}
        col = len(FIXED_HEADERS)
        for d in definition.domains:
            grade_text, evidence = texts[col], texts[col + 1]
            grade_cell = f"{get_column_letter(col + 1)}{r}"
            grade = lookup.get(grade_text.lower(), "") if grade_text else ""
            if grade_text and not grade:
                result.problems.append(
                    Problem(
                        sheet,
                        grade_cell,
                        (
                            f"'{neutralise(grade_text)}' is not a grade for {d.title}; "
                            f"choose one of {scale_labels}"
                            + (f" or {labels[na]}" if na and d.allows_not_applicable else "")
                            + "."
                        ),
                    )
                )
            elif grade and grade == na and not d.allows_not_applicable:
                result.problems.append(
                    Problem(
                        sheet,
                        grade_cell,
                        (f"{d.title} always applies, so '{labels[na]}' cannot be chosen."),
                    )
                )
            elif grade in needs_evidence and not evidence:
                result.problems.append(
                    Problem(
                        sheet,
                        f"{get_column_letter(col + 2)}{r}",
                        (
                            f"write the evidence for {d.title}: the rubric requires it for "
                            f"{labels[grade]}."
                        ),
                    )
                )
            raw[scoring.grade_key(d.key)] = grade
            raw[scoring.evidence_key(d.key)] = evidence
            col += 2
        overall_text = texts[col]
        overall = lookup.get(overall_text.lower(), "") if overall_text else ""
        if overall_text and overall not in scale_values:
            result.problems.append(
                Problem(
                    sheet,
                    f"{get_column_letter(col + 1)}{r}",
                    (
                        f"'{neutralise(overall_text)}' is not an overall judgement; choose one of "
                        f"{scale_labels}."
                    ),
                )
            )
        raw["overall"] = overall
        for i, (key, _) in enumerate(FEEDBACK, start=1):
            raw[key] = texts[col + i]
        try:
            values = normalise_values(definition, raw)
        except AuditError as exc:
            result.problems.append(Problem(sheet, f"A{r}", str(exc)))
            continue
        meta = rows[member_id]
        if values_hash(values) == meta.values_hash:
            result.unchanged += 1
            continue
        changes.append(_Change(sheet, f"A{r}", rubric, member, meta, values))
    return changes


async def _check_online(
    inspection_id: int, changes: list[_Change], user: User, role: Role, result: ImportResult
) -> None:
    current = {
        a.member_id: a
        for a in await Audit.filter(
            inspection_id=inspection_id,
            marking=Marking.FIRST,
            member_id__in=[c.member.id for c in changes],
        ).prefetch_related("auditor")
    }
    for change in changes:
        audit = current.get(change.member.id)
        change.audit = audit
        if audit is None:
            continue
        if audit.rubric_id != change.rubric.id:
            rubric = await Rubric.get(id=audit.rubric_id)
            result.problems.append(
                Problem(
                    change.sheet,
                    change.cell,
                    (
                        f"this pack uses rubric {change.rubric.code} version "
                        f"{change.rubric.version}, but member {change.member.id}'s audit now "
                        f"uses {rubric.code} version "
                        f"{rubric.version}; make a new pack."
                    ),
                )
            )
            continue
        if audit.status != AuditStatus.DRAFT:
            result.problems.append(
                Problem(
                    change.sheet,
                    change.cell,
                    (
                        f"member {change.member.id}'s audit is {audit.status} and can no longer be "
                        "changed."
                    ),
                )
            )
            continue
        if audit.auditor_id != user.id and role not in LEAD_ROLES:
            who = audit.auditor.name if audit.auditor else "another auditor"
            result.problems.append(
                Problem(
                    change.sheet,
                    change.cell,
                    (f"member {change.member.id}'s audit belongs to {who}."),
                )
            )
            continue
        if change.meta.audit_id != audit.id or change.meta.audit_version != audit.version:
            result.conflicts.append(
                Conflict(
                    change.sheet,
                    change.cell,
                    change.member.id,
                    audit.id,
                    change.meta.audit_version if change.meta.audit_id == audit.id else None,
                    audit.version,
                )
            )


async def _save(
    inspection_id: int, change: _Change, user: User, role: Role, result: ImportResult
) -> None:
    audit = change.audit
    if audit is None:
        audit = await create_audit(
            inspection_id, change.member.id, user, Marking.FIRST, change.rubric
        )
        result.created += 1
    else:
        result.updated += 1
    definition = definition_of(change.rubric)
    merged = {**await audit_values(audit, definition), **change.values}
    stored = await audit_values(audit, definition)
    for d in definition.domains:  # cited events and conversations cannot be edited offline
        for key in (scoring.cites_key(d.key), scoring.voices_key(d.key)):
            merged[key] = stored[key]
    await save_audit(inspection_id, audit.id, user, role, audit.version, merged)
