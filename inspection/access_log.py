"""Reading the access log. Nothing in the app can change or delete an entry.

``APPEND_ONLY_SQL`` makes the table refuse updates and deletes in the database itself; it is
applied by migration 0002.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from inspection.export.cells import csv_text
from inspection.journey.kinds import agency_label
from inspection.models import (
    AccessLog,
    Audit,
    AuditProgramme,
    Child,
    Concern,
    Inspection,
    Sample,
    SourceRecord,
    Upload,
    User,
)
from inspection.models.columns import fits
from inspection.sampling.service import sample_name
from inspection.uk_time import uk_datetime

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
CSV_CHUNK = 2000
COLUMNS = ["at", "user", "action", "inspection", "object", "detail", "ip"]
# A child filter matching more children than this is too broad to be a search for one child.
CHILD_MATCH_LIMIT = 500


@dataclass(frozen=True)
class LogFilter:
    user: str = ""
    action: str = ""
    inspection_id: int | None = None
    since: date | None = None
    until: date | None = None
    # a child's name (any part of it) or the authority's id for them
    child: str = ""


def _words(text: str) -> list[str]:
    return [w for w in text.split() if w]


async def matching_children(text: str, inspection_id: int | None = None) -> list[int]:
    """The children ``text`` names: an authority's id for the child exactly, or every word a
    part of the given or family name (at most ``CHILD_MATCH_LIMIT`` of them)."""
    words = _words(text)
    if not words:
        return []
    query = Child.all()
    if inspection_id is not None:
        query = query.filter(inspection_id=inspection_id)
    by_name = Q()
    for word in words:
        by_name &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
    condition = by_name
    if fits(Child, "la_child_id", text.strip()):
        condition = Q(la_child_id__iexact=text.strip()) | by_name
    rows = await query.filter(condition).limit(CHILD_MATCH_LIMIT).values("id")
    return [int(r["id"]) for r in rows]


async def _query(f: LogFilter) -> QuerySet[AccessLog]:
    query = AccessLog.all()
    if f.child:
        children = await matching_children(f.child, f.inspection_id)
        query = query.filter(object_type="child", object_id__in=[str(c) for c in children])
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
    "view-multi-agency-audit": "Viewed a multi-agency audit",
    "view-concern": "Viewed a concern",
    "view-concerns": "Listed the concerns",
    "view-audits-board": "Listed the audits",
    "view-tracked-cases": "Listed the tracked cases",
    "view-tracked-case": "Viewed a tracked case",
    "track-case": "Tracked a child (chosen on purpose)",
    "untrack-case": "Stopped tracking a child",
    "raise-concern": "Raised a concern",
    "view-conversations": "Viewed the conversations about a child",
    "record-conversation": "Recorded a conversation about a child",
    "import-conversations": "Loaded conversations from a file",
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
    "add-authority": "Added a local authority",
    "invite-user": "Invited a user",
    "new-password-link": "Made a new set-password link",
    "set-password": "Set their password from a link",
    "deactivate-user": "Deactivated a user",
    "reactivate-user": "Reactivated a user",
    "create-inspection": "Created an inspection",
    "remove-member": "Removed a team member",
    "view-validation-report": "Viewed a validation report",
    "export-validation-report": "Downloaded a validation report",
    "view-linkage": "Viewed the linkage review",
    "link-review-blind": "Hid the model's probability from reviewers",
    "link-review-open": "Showed the model's probability to reviewers",
    "search-children-to-link": "Searched for a record to join",
    "view-link-confirm": "Viewed a record to join",
    "export-audit-feedback": "Downloaded the feedback to practitioners",
    "purge": "Purged the inspection's child data",
    "view-actions": "Listed the actions",
    "view-action": "Viewed an action",
    "add-action": "Recorded an action",
    "complete-action": "Recorded an action as done",
    "drop-action": "Dropped an action",
    "set-follow-up-days": "Changed when follow-ups are due",
    "view-reaudits": "Listed the children audited again",
    "record-reaudit": "Recorded why a child is audited again",
    "choose-instrument": "Chose the round's audit instrument",
    "create-programme": "Created an audit programme",
    "view-programme": "Viewed an audit programme",
    "export-programme-trend": "Downloaded an audit programme's trend",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("-", " ").replace("_", " ").capitalize())


@dataclass(frozen=True)
class _Names:
    """What the entries on one page are about, in words, looked up once for the page."""

    inspections: dict[int, str]
    objects: dict[tuple[str, str], str]
    # an entry's detail that names an audit or a concern by its id, in words
    details: dict[tuple[str, str], str]

    def detail(self, entry: AccessLog) -> str:
        reference = _reference(entry.detail)
        if reference is None:
            return _run_counts(entry.detail) if entry.action == "link-run" else entry.detail
        return self.details.get(reference, _REFERENCE_WORDS[reference[0]][1])

    def of(self, entry: AccessLog) -> tuple[str, str]:
        inspection = (
            ""
            if entry.inspection_id is None
            else self.inspections.get(entry.inspection_id, "An inspection since removed")
        )
        if not entry.object_type or entry.object_type == "inspection":
            return inspection, ""
        about = self.objects.get((entry.object_type, entry.object_id))
        if about is None:
            kind = entry.object_type.replace("_", " ")
            about = f"A {kind} since removed" if entry.object_id else ""
        return inspection, about


# Details that name an audit or a concern by its id (``"audit 3"``), as some entries were
# written: what the log shows for each, and for one since removed.
_REFERENCE = re.compile(r"(audit|concern) (\d{1,18})")
_REFERENCE_WORDS = {
    "audit": ("Audit of", "An audit since removed"),
    "concern": ("Concern about", "A concern since removed"),
}
# The counts a linkage run's entry keeps (``records=10&children=8&...``), in words.
_RUN_COUNT_WORDS = {
    "records": "records",
    "children": "children",
    "deterministic_links": "joined by a shared identifier",
    "auto_linked": "joined automatically by match probability",
    "for_review": "pairs waiting for a decision",
}


def _reference(detail: str) -> tuple[str, str] | None:
    found = _REFERENCE.fullmatch(detail)
    return (found.group(1), found.group(2)) if found else None


def _run_counts(detail: str) -> str:
    pairs = [part.partition("=") for part in detail.split("&")]
    if not pairs or any(k not in _RUN_COUNT_WORDS or not v.isdigit() for k, _, v in pairs):
        return detail
    return ", ".join(f"{int(v):,} {_RUN_COUNT_WORDS[k]}" for k, _, v in pairs)


def _detail_ids(entries: list[AccessLog], kind: str) -> list[int]:
    return sorted(
        {int(ref[1]) for e in entries if (ref := _reference(e.detail)) and ref[0] == kind}
    )


def _ids(entries: list[AccessLog], kind: str) -> list[int]:
    return sorted(
        {int(e.object_id) for e in entries if e.object_type == kind and e.object_id.isdigit()}
    )


def child_name(given: str, family: str, la_child_id: str | None) -> str:
    """A child as the log names them: their name and the authority's id for them."""
    name = f"{given} {family}".strip()
    if name and la_child_id:
        return f"{name} ({la_child_id})"
    return name or (f"Child {la_child_id}" if la_child_id else "A child without a name or id")


async def _names(entries: list[AccessLog]) -> _Names:
    """What the page's entries are about, in words: one query per kind of thing named."""
    inspection_ids = sorted({e.inspection_id for e in entries if e.inspection_id is not None})
    inspection_ids += _ids(entries, "inspection")
    inspections = {
        int(r["id"]): str(r["title"])
        for r in await Inspection.filter(id__in=inspection_ids).values("id", "title")
    }
    objects: dict[tuple[str, str], str] = {
        ("inspection", str(i)): title for i, title in inspections.items()
    }
    # audits and concerns are named by their child, looked up with the entries' own children
    child_of: dict[tuple[str, str], int | None] = {}
    audits = set(_detail_ids(entries, "audit"))
    for r in await Audit.filter(id__in=sorted(audits)).values("id", "child_id", "member__child_id"):
        child_of["audit", str(r["id"])] = r["child_id"] or r["member__child_id"]
    concerns = set(_detail_ids(entries, "concern")) | set(_ids(entries, "concern"))
    for r in await Concern.filter(id__in=sorted(concerns)).values("id", "child_id"):
        child_of["concern", str(r["id"])] = r["child_id"]
    child_ids = set(_ids(entries, "child")) | {c for c in child_of.values() if c}
    children: dict[int, str] = {}
    for r in await Child.filter(id__in=sorted(child_ids)).values(
        "id", "given_name", "family_name", "la_child_id"
    ):
        children[r["id"]] = child_name(r["given_name"], r["family_name"], r["la_child_id"])
        objects["child", str(r["id"])] = children[r["id"]]
    details: dict[tuple[str, str], str] = {}
    for (kind, key), child_id in child_of.items():
        about = children.get(child_id or 0, "a child no longer in the records")
        details[kind, key] = f"{_REFERENCE_WORDS[kind][0]} {about}"
        if kind == "concern":
            objects[kind, key] = details[kind, key]
    for r in await User.filter(id__in=_ids(entries, "user")).values("id", "name", "email"):
        objects["user", str(r["id"])] = f"{r['name']} ({r['email']})"
    for r in await Upload.filter(id__in=_ids(entries, "upload")).values("id", "filename"):
        objects["upload", str(r["id"])] = f"The file {r['filename']}"
    for r in await SourceRecord.filter(id__in=_ids(entries, "source_record")).values(
        "id", "agency", "person_id"
    ):
        objects["source_record", str(r["id"])] = (
            f"A record from {agency_label(r['agency'])} ({r['person_id']})"
        )
    for r in await Sample.filter(id__in=_ids(entries, "sample")).values(
        "id", "purpose", "drawn_at"
    ):
        objects["sample", str(r["id"])] = sample_name(r["purpose"] or "", r["drawn_at"])
    for r in await AuditProgramme.filter(id__in=_ids(entries, "programme")).values("id", "title"):
        objects["programme", str(r["id"])] = f"The audit programme {r['title']}"
    return _Names(inspections, objects, details)


def _row(entry: AccessLog, names: _Names) -> dict[str, str]:
    inspection, about = names.of(entry)
    return {
        "at": uk_datetime(entry.at, "%d/%m/%Y %H:%M:%S"),
        "user": entry.user_email,
        "action": action_label(entry.action),
        "inspection": inspection,
        "object": about,
        "detail": names.detail(entry),
        "ip": entry.ip,
    }


async def read_log(f: LogFilter, limit: int = PAGE_SIZE) -> tuple[int, list[dict[str, str]]]:
    """The number of entries matching ``f`` and the newest ``limit`` of them, each saying in
    words what it is about (the inspection's title, the child's name)."""
    query = await _query(f)
    total = await query.count()
    entries = list(await query.limit(limit))
    names = await _names(entries)
    return total, [_row(e, names) for e in entries]


async def actions() -> list[str]:
    rows = await AccessLog.all().distinct().values_list("action", flat=True)
    return sorted({str(action) for action in rows})


async def log_as_csv(f: LogFilter) -> str:
    """The entries matching ``f`` as CSV, through the one neutralising writer (an e-mail tried
    at sign-in or a detail can hold anything)."""
    query = await _query(f)
    # Entries are never changed or removed: bounded by the newest now, pages stay put while
    # new entries arrive.
    newest = await AccessLog.all().order_by("-id").first().values_list("id", flat=True)
    query = query.filter(id__lte=newest or 0)
    rows: list[list[str]] = [COLUMNS]
    offset = 0
    while True:  # a page of entries at a time, each page's names looked up together
        entries = list(await query.offset(offset).limit(CSV_CHUNK))
        names = await _names(entries)
        rows.extend([row[k] for k in COLUMNS] for row in (_row(e, names) for e in entries))
        if len(entries) < CSV_CHUNK:
            return csv_text(rows)
        offset += CSV_CHUNK
