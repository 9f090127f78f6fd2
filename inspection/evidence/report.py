"""The validation report of one upload: one function computes it; the page, its fragment and
the xlsx download are renderings of that one result."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from tortoise.functions import Sum

from inspection.export.cells import append_row
from inspection.models import Upload, ValidationIssue

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
ISSUE_HEADERS = (
    "Severity",
    "List",
    "Sheet",
    "Row",
    "Column",
    "Cell",
    "Where",
    "Value",
    "Rule",
    "Row rejected",
    "Message",
    "Places",
)
PAGE_LIMIT = 1000


@dataclass
class IssueReport:
    upload: Upload
    issues: list[dict[str, Any]]
    total: int  # issues matching the filters (``issues`` may be cut at ``limit``)
    filters: dict[str, str]
    options: dict[str, list[str]] = field(default_factory=dict)
    places: int = 0  # the places they stand for: a repeated problem is one issue, many places

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self.upload.summary or {})


def _where(issue: ValidationIssue) -> str:
    if issue.cell:
        return f"{issue.sheet}!{issue.cell}" if issue.sheet else issue.cell
    if issue.source_row is not None:
        return f"{issue.sheet} row {issue.source_row}".strip()
    return issue.sheet


def _doc(issue: ValidationIssue) -> dict[str, Any]:
    return {
        "severity": issue.severity,
        "list": issue.list_name,
        "sheet": issue.sheet,
        "row": issue.source_row,
        "column": issue.column,
        "cell": issue.cell,
        "where": _where(issue),
        "value": issue.value,
        "rule": issue.rule,
        "rejected": issue.row_rejected,
        "message": issue.message,
        "count": issue.count,
    }


async def issue_report(
    inspection_id: int,
    upload_id: int,
    list_name: str = "",
    severity: str = "",
    rule: str = "",
    limit: int | None = PAGE_LIMIT,
) -> IssueReport | None:
    """The upload's issues (filtered by list, severity and rule), or None if no such upload."""
    upload = await Upload.get_or_none(id=upload_id, inspection_id=inspection_id)
    if upload is None:
        return None
    base = ValidationIssue.filter(inspection_id=inspection_id, upload_id=upload_id)
    options = {
        "lists": sorted(
            set(await base.distinct().values_list("list_name", flat=True)), key=_list_order
        ),
        "severities": sorted(
            set(await base.distinct().values_list("severity", flat=True)),
            key=lambda s: SEVERITY_ORDER.get(str(s), 9),
        ),
        "rules": sorted(set(await base.distinct().values_list("rule", flat=True))),
    }
    offered = {k: [str(v) for v in vals] for k, vals in options.items()}
    filters = {"list": list_name, "severity": severity, "rule": rule}
    chosen = {"lists": list_name, "severities": severity, "rules": rule}
    if any(value and value not in offered[key] for key, value in chosen.items()):
        # A value no issue of this upload has (a stale link, or typed into the URL) matches
        # nothing; it is never sent to the database, whatever its length.
        return IssueReport(upload, [], 0, filters, offered)
    query = base
    if list_name:
        query = query.filter(list_name=list_name)
    if severity:
        query = query.filter(severity=severity)
    if rule:
        query = query.filter(rule=rule)
    total = await query.count()
    counted = await query.annotate(places=Sum("count")).values("places")
    query = query.order_by("id")
    if limit is not None:
        query = query.limit(limit)
    issues = [_doc(i) for i in await query]
    return IssueReport(
        upload,
        issues,
        total,
        filters,
        offered,
        int(counted[0]["places"] or 0) if counted else 0,
    )


def _list_order(name: object) -> tuple[int, str]:
    text = str(name)
    if text.startswith("List "):
        try:
            return int(text[5:]), ""
        except ValueError:
            pass
    return 99, text


def issues_workbook(report: IssueReport) -> bytes:
    """The report as an xlsx: a Summary sheet (per list counts) and an Issues sheet.

    Every row goes through ``inspection.export.cells.append_row``: file names, agency names and
    the offending values quoted from the upload are text, never formulas (write-only mode
    would otherwise turn text starting with ``=`` into one).
    """
    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    upload = report.upload
    append_row(summary, ["File", upload.filename])
    append_row(
        summary, ["Kind", upload.source_kind + (f" ({upload.agency})" if upload.agency else "")]
    )
    append_row(summary, ["sha256", upload.sha256])
    append_row(summary, ["Status", upload.status])
    append_row(summary, [])
    append_row(
        summary,
        [
            "List or table",
            "Sheet",
            "Header row",
            "Rows",
            "Accepted",
            "Rejected",
            "Errors",
            "Warnings",
            "Notes",
        ],
    )
    for table in report.summary.get("tables", []):
        counts = table.get("issues", {})
        append_row(
            summary,
            [
                table["name"],
                table.get("sheet", ""),
                table.get("header_row"),
                table["rows"],
                table["accepted"],
                table["rejected"],
                counts.get("error", 0),
                counts.get("warning", 0),
                counts.get("info", 0),
            ],
        )
    sheet = book.create_sheet("Issues")
    append_row(sheet, list(ISSUE_HEADERS))
    for issue in report.issues:
        append_row(
            sheet,
            [
                issue["severity"],
                issue["list"],
                issue["sheet"],
                issue["row"],
                issue["column"],
                issue["cell"],
                issue["where"],
                issue["value"],
                issue["rule"],
                "yes" if issue["rejected"] else "no",
                issue["message"],
                issue["count"],
            ],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
