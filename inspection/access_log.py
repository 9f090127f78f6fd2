"""Reading the access log. Nothing in the app can change or delete an entry.

``APPEND_ONLY_SQL`` makes the table refuse updates and deletes in the database itself; it is
applied by migration 0002.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.queryset import QuerySet

from inspection.export.cells import csv_text
from inspection.models import AccessLog
from inspection.models.columns import fits

APPEND_ONLY_SQL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log "
        "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log "
        "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    ],
    "postgres": [
        "CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'the access log is append-only'; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS access_log_append_only ON access_log",
        "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON access_log FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()",
    ],
}

PAGE_SIZE = 200
COLUMNS = ["at", "user", "action", "inspection", "object", "detail", "ip"]


@dataclass(frozen=True)
class LogFilter:
    user: str = ""
    action: str = ""
    inspection_id: int | None = None
    since: date | None = None
    until: date | None = None


def _query(f: LogFilter) -> QuerySet[AccessLog]:
    query = AccessLog.all()
    if f.user:
        query = query.filter(user_email__icontains=f.user.strip().lower())
    if f.action:
        # An action longer than the column is no entry's: nothing matches (and it is not sent).
        fitting = fits(AccessLog, "action", f.action)
        query = query.filter(action=f.action) if fitting else query.filter(id__in=[])
    if f.inspection_id is not None:
        query = query.filter(inspection_id=f.inspection_id)
    if f.since:
        query = query.filter(at__gte=datetime.combine(f.since, time.min, UTC))
    if f.until and f.until < date.max:  # until the last day of the calendar: no end at all
        query = query.filter(at__lt=datetime.combine(f.until + timedelta(days=1), time.min, UTC))
    return query.order_by("-at", "-id")


# What each action means, in words; an action not named here is shown with its words spaced.
ACTION_LABELS = {
    "sign-in": "Signed in",
    "sign-in-failed": "Sign-in failed",
    "sign-out": "Signed out",
    "view-journey": "Viewed a child's journey",
    "view-chronology": "Viewed a child's chronology",
    "export-chronology": "Downloaded a child's chronology",
    "view_sample": "Viewed a sample",
    "verify_sample": "Verified a sample",
    "view-audit": "Viewed an audit",
    "view-concern": "Viewed a concern",
    "view-concerns": "Listed the concerns",
    "view-audits-board": "Listed the audits",
    "raise-concern": "Raised a concern",
    "list-children": "Listed the children",
    "add-member": "Added a team member",
    "link-run": "Ran linkage",
    "link-accept": "Linked two records",
    "link-reject": "Kept two records apart",
    "link-split": "Split a record from a child",
    "link-merge": "Merged two children",
    "export-xlsx": "Downloaded the workbook",
    "export-csv": "Downloaded the tables",
    "export-offline-pack": "Downloaded an offline audit pack",
    "import-offline-pack": "Loaded an offline audit pack",
    "view-access-log": "Viewed the access log",
    "export-access-log": "Downloaded the access log",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("-", " ").replace("_", " ").capitalize())


def _row(entry: AccessLog) -> dict[str, str]:
    return {
        "at": entry.at.strftime("%d/%m/%Y %H:%M:%S"),
        "user": entry.user_email,
        "action": action_label(entry.action),
        "inspection": "" if entry.inspection_id is None else str(entry.inspection_id),
        "object": f"{entry.object_type} {entry.object_id}".strip(),
        "detail": entry.detail,
        "ip": entry.ip,
    }


async def read_log(f: LogFilter, limit: int = PAGE_SIZE) -> tuple[int, list[dict[str, str]]]:
    """The number of entries matching ``f`` and the newest ``limit`` of them."""
    query = _query(f)
    total = await query.count()
    return total, [_row(e) for e in await query.limit(limit)]


async def actions() -> list[str]:
    rows = await AccessLog.all().distinct().values_list("action", flat=True)
    return sorted({str(action) for action in rows})


async def log_as_csv(f: LogFilter) -> str:
    """The entries matching ``f`` as CSV, through the one neutralising writer (an e-mail tried
    at sign-in or a detail can hold anything)."""
    rows = [_row(entry) for entry in await _query(f)]
    return csv_text([COLUMNS, *([row[k] for k in COLUMNS] for row in rows)])
