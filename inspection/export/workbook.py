"""The QA workbook: one sheet per table, formatted for a director's meeting.

Every sheet is rendered from ``tables`` (the same functions the CSV files and pages use). The
output is deterministic: the same data, export time and pseudonymisation key give the same bytes
(document properties and zip entry times are set to the export time).
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from inspection.audit.definition import definition_of
from inspection.audit.rubric import default_definition
from inspection.audit.visibility import viewer_for
from inspection.export.cells import append_row, cell_value
from inspection.export.learning_tables import learning_tables
from inspection.export.log import ExportEntry
from inspection.export.pseudonymise import Pseudonymiser
from inspection.export.tables import (
    ExportContext,
    Table,
    about_rows,
    all_tables,
    load_context,
)
from inspection.models import User

DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
HEADER_ALIGN = Alignment(wrap_text=True, vertical="top")
# Conditional colours by grade: (fill, font) in the GOV.UK palette's tints.
GRADE_COLOURS = {
    "Outstanding": ("B8DDC8", "005A30"),
    "Good": ("CCE2D8", "005A30"),
    "Requires improvement to be good": ("FCD6C3", "6E3619"),
    "Inadequate": ("F6D7D2", "942514"),
}
CHART_COLOURS = ["00703C", "85994B", "F47738", "D4351C", "505A5F", "1D70B8", "4C2C92"]
MAX_WIDTH = 60


@dataclass(frozen=True)
class WorkbookExport:
    data: bytes
    filename: str
    export_id: str
    pseudonymised: bool
    rows: dict[str, int]
    entry: ExportEntry


def _grades(ctx: ExportContext) -> list[str]:
    grades: list[str] = []
    for rubric in ctx.rubrics.values():
        grades.extend(g for g in definition_of(rubric).grade_labels.values() if g not in grades)
    return grades or list(default_definition().grade_labels.values())


def _fit_widths(ws: Worksheet, widths: list[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(MAX_WIDTH, max(8, width + 2))


def _print_setup(ws: Worksheet, title_rows: str | None = "1:1") -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


LISTS_SHEET = "_lists"


def grade_list_validation(grades: list[str], wb: Workbook) -> DataValidation:
    """A drop-down of ``grades``: an inline list when it fits Excel's 255 characters (and no
    grade holds a comma), else a range on a very hidden ``_lists`` sheet."""
    inline = '"' + ",".join(g.replace('"', "") for g in grades) + '"'
    if len(inline) <= 257 and not any("," in g for g in grades):
        formula = inline
    else:
        if LISTS_SHEET in wb.sheetnames:
            lists = wb[LISTS_SHEET]
            column = lists.max_column + 1
        else:
            lists = wb.create_sheet(LISTS_SHEET)
            lists.sheet_state = "veryHidden"
            column = 1
        for row, grade in enumerate(grades, start=1):
            lists.cell(row=row, column=column, value=cell_value(grade))
        letter = get_column_letter(column)
        formula = f"'{LISTS_SHEET}'!${letter}$1:${letter}${len(grades)}"
    dv = DataValidation(type="list", formula1=formula, allow_blank=True)
    dv.error = "Choose a grade from the list."
    dv.errorTitle = "Unknown grade"
    dv.prompt = "Choose a grade"
    dv.showErrorMessage = True
    return dv


def colour_grades(ws: Worksheet, ref: str, grades: list[str]) -> None:
    for grade in grades:
        colours = GRADE_COLOURS.get(grade)
        if colours is None:
            continue
        fill, font = colours
        ws.conditional_formatting.add(
            ref,
            CellIsRule(
                operator="equal",
                formula=['"' + grade.replace('"', "") + '"'],
                fill=PatternFill("solid", fgColor=fill, bgColor=fill),
                font=Font(color=font),
            ),
        )


def write_header(ws: Worksheet, headers: list[str]) -> None:
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
    ws.freeze_panes = "A2"


def table_sheet(wb: Workbook, table: Table, grades: list[str]) -> Worksheet:
    """A table as a sheet: header, filters, fitted widths, dates, grade drop-downs and colours."""
    ws = wb.create_sheet(table.sheet)
    write_header(ws, [c.header for c in table.columns])
    widths = [len(c.header) if len(c.header) < 20 else 20 for c in table.columns]
    for row in table.rows:
        values = append_row(ws, row)
        for i, v in enumerate(values):
            n = 10 if hasattr(v, "year") else len(str(v)) if v is not None else 0
            if n > widths[i]:
                widths[i] = n
    last = len(table.rows) + 1
    for i, column in enumerate(table.columns, start=1):
        letter = get_column_letter(i)
        if column.kind in ("date", "datetime"):
            fmt = DATE_FORMAT if column.kind == "date" else DATETIME_FORMAT
            if column.kind == "datetime":
                widths[i - 1] = max(widths[i - 1], 16)
            for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=i, max_col=i):
                if cell.value is not None and not isinstance(cell.value, str):
                    cell.number_format = fmt
        elif column.kind == "percent":
            for (cell,) in ws.iter_rows(min_row=2, max_row=last, min_col=i, max_col=i):
                cell.number_format = "0.0%"
        elif column.kind == "grade" and table.rows:
            ref = f"{letter}2:{letter}{last}"
            dv = grade_list_validation(grades, wb)
            dv.add(ref)
            ws.add_data_validation(dv)
            colour_grades(ws, ref, grades)
    _fit_widths(ws, widths)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(table.columns))}{last}"
    _print_setup(ws)
    return ws


def append_table(ws: Worksheet, table: Table) -> None:
    """A second, smaller table below the first on the same sheet (a blank row between)."""
    ws.append([])
    append_row(ws, [table.description])
    ws.cell(row=ws.max_row, column=1).font = Font(bold=True, size=12)
    append_row(ws, [c.header for c in table.columns])
    for cell in ws[ws.max_row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = HEADER_ALIGN
    for row in table.rows:
        append_row(ws, row)
        for i, column in enumerate(table.columns, start=1):
            if column.kind == "percent":
                ws.cell(row=ws.max_row, column=i).number_format = "0.0%"


def about_sheet(wb: Workbook, rows: list[tuple[str, Any]]) -> Worksheet:
    ws = wb.active
    assert ws is not None
    ws.title = "About"
    append_row(ws, ["About this workbook", None])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in rows:
        append_row(ws, [label, value])
        cell = ws.cell(row=ws.max_row, column=2)
        if hasattr(value, "year"):
            cell.number_format = DATETIME_FORMAT if hasattr(value, "hour") else DATE_FORMAT
            cell.alignment = Alignment(horizontal="left")
        if label and not value:
            ws.cell(row=ws.max_row, column=1).font = HEADER_FONT
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 120
    _print_setup(ws, None)
    return ws


def summary_sheet(wb: Workbook, table: Table, grades: list[str]) -> Worksheet:
    """Grade distributions with a native stacked bar chart per rubric."""
    ws = table_sheet(wb, table, grades)
    by_rubric: dict[str, list[int]] = {}
    for r, row in enumerate(table.rows, start=2):
        by_rubric.setdefault(str(row[0]), []).append(r)
    anchor_row = len(table.rows) + 3
    n_grades = sum(1 for c in table.columns if c.key.startswith("n:"))
    for rubric, rows in by_rubric.items():
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = f"Grades by domain: {rubric}"
        chart.y_axis.title = "Audits"
        chart.height = max(7.5, 1.0 * len(rows) + 3)
        chart.width = 24
        data = Reference(ws, min_col=3, max_col=2 + n_grades, min_row=1)
        chart.add_data(data, titles_from_data=True)
        # Series data must be the rubric's rows only: rebuild each series' references.
        for s_index, series in enumerate(chart.series):
            col = get_column_letter(3 + s_index)
            series.val.numRef.f = f"'{ws.title}'!${col}${rows[0]}:${col}${rows[-1]}"
            series.graphicalProperties.solidFill = CHART_COLOURS[s_index % len(CHART_COLOURS)]
            series.graphicalProperties.line.solidFill = CHART_COLOURS[s_index % len(CHART_COLOURS)]
        cats = Reference(ws, min_col=2, min_row=rows[0], max_row=rows[-1])
        chart.set_categories(cats)
        ws.add_chart(chart, f"A{anchor_row}")
        anchor_row += int(chart.height * 2) + 2
    return ws


def judgement_sheet(wb: Workbook, table: Table, grades: list[str]) -> Worksheet:
    """The inspectors' judgement: its text wrapped in a wide first column."""
    ws = table_sheet(wb, table, grades)
    ws.column_dimensions["A"].width = 100
    for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return ws


def _deterministic_zip(data: bytes, when: datetime) -> bytes:
    """Re-pack with every entry dated ``when`` so equal content gives equal bytes."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps "modified" with the wall clock at save time.
                content = _MODIFIED.sub(
                    rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>", content
                )
            dst.writestr(entry, content)
    return out.getvalue()


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def save_workbook(wb: Workbook, when: datetime) -> bytes:
    naive = when.astimezone(UTC).replace(tzinfo=None, microsecond=0)
    wb.properties.creator = "inspection"
    wb.properties.lastModifiedBy = "inspection"
    wb.properties.created = naive
    wb.properties.modified = naive
    buffer = io.BytesIO()
    wb.save(buffer)
    return _deterministic_zip(buffer.getvalue(), naive)


async def build_workbook(
    inspection_id: int,
    user: User | None,
    *,
    pseudonymise: bool = True,
    key: bytes | None = None,
    now: datetime | None = None,
    ip: str = "",
    export_id: str | None = None,
    logged: bool = True,
) -> WorkbookExport:
    """The QA workbook of an inspection as ``user`` may see it (``None``: the command line),
    pseudonymised unless ``pseudonymise=False`` is chosen, logged as ``export-xlsx`` (unless
    ``logged=False``: a job's export, logged when its file is taken).

    ``key`` fixes the pseudonymisation key (tests); by default each export draws its own.
    Raises ``inspection.audit.visibility.NotAMember`` for a user who is not a member.
    """
    now = now or datetime.now(UTC)
    export_id = export_id or uuid.uuid4().hex[:12]
    pseudonymiser = Pseudonymiser(key) if pseudonymise else None
    viewer = await viewer_for(user, inspection_id)
    ctx = await load_context(inspection_id, viewer, pseudonymiser)
    tables = [*await all_tables(ctx), *await learning_tables(ctx)]
    about = await about_rows(ctx, viewer.described, now, tables)
    about.insert(0, ("Export id", export_id))
    grades = _grades(ctx)
    wb = Workbook()
    about_sheet(wb, about)
    for table in tables:
        if table.name == "summary":
            summary_sheet(wb, table, grades)
        elif table.name == "judgement":
            judgement_sheet(wb, table, grades)
        elif table.sheet in wb.sheetnames:
            append_table(wb[table.sheet], table)
        else:
            table_sheet(wb, table, grades)
    data = save_workbook(wb, now)
    rows = {t.name: len(t.rows) for t in tables}
    entry = ExportEntry(
        "export-xlsx",
        "inspection",
        str(inspection_id),
        f"export {export_id}; pseudonymised {'yes' if pseudonymise else 'no'}; xlsx; "
        + ", ".join(f"{k} {v}" for k, v in rows.items()),
    )
    if logged:
        await entry.log(inspection_id, user, ip)
    suffix = "-pseudonymised" if pseudonymise else ""
    filename = f"inspection-{inspection_id}-{now:%Y%m%d}{suffix}.xlsx"
    return WorkbookExport(data, filename, export_id, pseudonymise, rows, entry)
