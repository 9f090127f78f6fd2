"""The validation report of one upload: one function computes it; the page, its fragment and
the xlsx download are renderings of that one result.

Problems are grouped by what is wrong: one group per rule, list (or table), sheet, column,
severity and whether the rows were loaded, with the number of places it stands for ("Date of
Referral is after the reference date in List 3: Referral: 37 rows"), and the first
``CELLS_SHOWN`` of its cells (sheet, row, column, value). The download has every cell.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from tortoise import connections
from tortoise.functions import Count, Sum

from inspection.evidence.labels import list_label, rule_label
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
CELLS_SHOWN = 20  # cells listed under each group on the page; the download has them all
GROUPS_SHOWN = 200  # groups with their cells on the page; the download has them all
GROUP_FIELDS = ("rule", "severity", "list_name", "sheet", "column", "row_rejected")
GROUP_HEADERS = (
    "Severity",
    "List or table",
    "Sheet",
    "Column",
    "What is wrong",
    "Rows not loaded",
    "Rows or places",
)


@dataclass
class IssueGroup:
    """The problems of one kind: one rule, in one column of one list, of one severity."""

    rule: str
    severity: str
    list_name: str
    sheet: str
    column: str
    rejected: bool
    places: int  # the places the problems stand for
    issues: int  # the stored issues (a problem repeated many times is stored once)
    in_rows: bool  # every place is a row (else some are a column or the file)
    cells: list[dict[str, Any]] = field(default_factory=list)  # the first CELLS_SHOWN

    @property
    def about(self) -> str:
        """What is wrong, in words: "Date of Referral is after the reference date"."""
        return rule_label(self.rule).describe(self.column)

    @property
    def title(self) -> str:
        where = list_label(self.list_name) if self.list_name else self.sheet
        return f"{self.about} in {where}" if where else self.about

    @property
    def counted(self) -> str:
        """ "37 rows", "1 row", "2 places"."""
        unit = "row" if self.in_rows else "place"
        return f"{self.places:,} {unit}{'' if self.places == 1 else 's'}"

    @property
    def more(self) -> int:
        """Stored issues not listed under the group on the page."""
        return self.issues - len(self.cells)


@dataclass
class IssueReport:
    upload: Upload
    issues: list[dict[str, Any]]
    total: int  # issues matching the filters (``issues`` may be cut at ``limit``)
    filters: dict[str, str]
    options: dict[str, list[str]] = field(default_factory=dict)
    places: int = 0  # the places they stand for: a repeated problem is one issue, many places
    groups: list[IssueGroup] = field(default_factory=list)  # by rule, column and list

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
    """The upload's issues (filtered by list, severity and rule), or None if no such upload.

    ``groups`` always holds every group with its counts; with a ``limit`` (the page passes 0)
    the first groups also hold their first ``CELLS_SHOWN`` cells. ``issues`` lists the issues
    one by one: the first ``limit`` of them, every one with ``None`` (the download), none
    with 0.
    """
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
    shown = CELLS_SHOWN if limit is not None else 0
    where = {"inspection_id": inspection_id, "upload_id": upload_id, **_chosen(filters)}
    groups = await _groups(query, where, cells=shown)
    ordered = query.order_by("id")
    if limit is not None:
        ordered = ordered.limit(limit)
    issues = [_doc(i) for i in await ordered] if limit != 0 else []
    return IssueReport(
        upload,
        issues,
        total,
        filters,
        offered,
        int(counted[0]["places"] or 0) if counted else 0,
        groups,
    )


def _chosen(filters: dict[str, str]) -> dict[str, str]:
    """The report's filters as the issue table's columns."""
    columns = {"list": "list_name", "severity": "severity", "rule": "rule"}
    return {columns[key]: value for key, value in filters.items() if value}


# Each group's first cells, numbered within the group in the order they were found.
_GROUP_COLUMNS = 'rule, severity, list_name, sheet, "column", row_rejected'
_FIRST_CELLS_SQL = (
    f"SELECT id, {_GROUP_COLUMNS} FROM (SELECT id, {_GROUP_COLUMNS}, ROW_NUMBER() OVER "
    f'(PARTITION BY {_GROUP_COLUMNS} ORDER BY id) AS place FROM "validation_issue" '
    "WHERE {where}) AS numbered WHERE place <= {cells}"
)


async def _first_cells(where: dict[str, Any], cells: int) -> list[dict[str, Any]]:
    """The first ``cells`` issues (id and group) of every group of the issues ``where``
    selects: one statement, whatever the number of groups."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    marks = [f"${n}" if postgres else "?" for n in range(1, len(where) + 1)]
    condition = " AND ".join(
        f'"{column}" = {mark}' for column, mark in zip(where, marks, strict=True)
    )
    sql = _FIRST_CELLS_SQL.format(where=condition, cells=int(cells))
    return list(await conn.execute_query_dict(sql, list(where.values())))


async def _groups(query: Any, where: dict[str, Any], cells: int) -> list[IssueGroup]:
    """The problems of ``query`` (the issues ``where`` selects) grouped by kind, worst first,
    each with its first ``cells`` cells for the first ``GROUPS_SHOWN`` groups: three queries
    whatever the number of groups."""
    rows = (
        await query.annotate(places=Sum("count"), issues=Count("id"), in_rows=Count("source_row"))
        .group_by(*GROUP_FIELDS)
        .values(*GROUP_FIELDS, "places", "issues", "in_rows")
    )
    groups = [
        IssueGroup(
            rule=str(r["rule"]),
            severity=str(r["severity"]),
            list_name=str(r["list_name"]),
            sheet=str(r["sheet"]),
            column=str(r["column"]),
            rejected=bool(r["row_rejected"]),
            places=int(r["places"] or 0),
            issues=int(r["issues"]),
            in_rows=int(r["in_rows"]) == int(r["issues"]),
        )
        for r in rows
    ]
    groups.sort(
        key=lambda g: (
            SEVERITY_ORDER.get(g.severity, 9),
            _list_order(g.list_name or g.sheet),
            -g.places,
            g.about,
        )
    )
    if not cells or not groups:
        return groups
    shown = {
        _key(g.rule, g.severity, g.list_name, g.sheet, g.column, g.rejected): g
        for g in groups[:GROUPS_SHOWN]
    }
    ids = [
        int(r["id"])
        for r in await _first_cells(where, cells)
        if _key(*(r[f] for f in GROUP_FIELDS)) in shown
    ]
    for issue in await ValidationIssue.filter(id__in=ids).order_by("id") if ids else []:
        group = shown.get(_key(*(getattr(issue, f) for f in GROUP_FIELDS)))
        if group is not None:
            group.cells.append(_doc(issue))
    return groups


def _key(*fields: Any) -> tuple[str, ...]:
    return tuple(str(f) for f in fields[:-1]) + (str(bool(fields[-1])),)


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
    by_rule = book.create_sheet("By rule")
    append_row(by_rule, list(GROUP_HEADERS))
    for group in report.groups:
        append_row(
            by_rule,
            [
                group.severity,
                list_label(group.list_name) if group.list_name else "",
                group.sheet,
                group.column,
                group.about,
                "yes" if group.rejected else "no",
                group.places,
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
