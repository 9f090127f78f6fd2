"""The child's journey: every event from every source, in order, from first need to help.

One builder serves the journey page, the chronology, the CLI, the indicators and the exports.
The bulk form reads an inspection's events in one query, so 100,000 journeys build together.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tortoise import connections

from inspection.evidence.headers import list_of_sheet
from inspection.evidence.upload_status import UploadStatus
from inspection.journey import details, kinds
from inspection.models import Child, SourceRecord
from inspection.models.children import IDENTITY_FIELDS
from inspection.sampling.status import MemberStatus


@dataclass
class ChildSummary:
    id: int
    la_child_id: str | None
    given_name: str
    family_name: str
    dob: date | None
    sex: str
    ethnicity: str
    disability: str
    team: str
    worker: str
    death_date: date | None = None

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


@dataclass
class Recording:
    """One source's record of an event: which source, where in which file, what it said."""

    source: str  # "Annex A List 6", "CIN census", "Police extract"
    file: str
    sheet: str
    row: int | None
    details: dict[str, Any]

    @property
    def place(self) -> str:
        """Where it is: "annex_a.xlsx, List_6, row 4" (an agency extract's rows have no sheet
        worth naming: the loader records the agency there)."""
        where = self.file
        if self.sheet and not self.source.endswith(" extract"):
            where += f", {self.sheet}"
        if self.row is not None:
            where += f", row {self.row}"
        return where


SSDA903 = "SSDA903 return"


def source_name(
    source_kind: str, agency: str, sheet: str, filename: str, census_date: str | None = None
) -> str:
    """A source as people name it: "Annex A List 6", "CIN census 2024" (the year of the
    return's own reference date, where it gives one), "Police extract"."""
    if source_kind == "annex-a":
        number = list_of_sheet(sheet) if sheet else None
        return f"Annex A List {number}" if number else "Annex A"
    if source_kind == "cin-census":
        return f"CIN census {census_date[:4]}" if census_date else "CIN census"
    if source_kind == "ssda903":
        return SSDA903
    if source_kind == "agency":
        return f"{kinds.agency_label(agency)} extract"
    return filename


@dataclass
class JourneyEvent:
    id: int
    start: date
    end: date | None
    agency: str
    kind: str
    label: str
    source_file: str
    source_sheet: str
    source_row: int | None
    details: dict[str, Any]
    team: str = ""
    worker: str = ""
    also_reported_by: list[str] = field(default_factory=list)
    # Every source that recorded this event, the first (``source_file``'s) first.
    recordings: list[Recording] = field(default_factory=list)

    @property
    def agency_label(self) -> str:
        return kinds.agency_label(self.agency)

    @property
    def detail_lines(self) -> list[tuple[str, str]]:
        """What the sources recorded, as labelled sentences (``journey.details``), then the
        team and worker: the page, the chronology and the exports show these."""
        lines = details.merged(
            details.lines_of(self.kind, self.start, r.details) for r in self.recordings
        )
        if self.team:
            lines.append(("Team", self.team))
        if self.worker and ("Lead professional", self.worker) not in lines:
            lines.append(("Worker", self.worker))
        return lines

    @property
    def sources(self) -> list[str]:
        """Each source that recorded it, once, the first first."""
        names: list[str] = []
        for r in self.recordings:
            if r.source not in names:
                names.append(r.source)
        return names

    @property
    def recorded_by(self) -> str:
        """The sources that recorded it: "Annex A List 7, CIN census 2024"."""
        return ", ".join(self.sources)

    @property
    def recorded_twice(self) -> bool:
        """Whether two sources (two lists, or two files) recorded it: shown once, with both."""
        return len(self.sources) > 1


@dataclass
class Episode:
    """From a first sign of need, through help, to the end of that help."""

    number: int
    need_start: date | None
    help_start: date | None = None
    help_end: date | None = None
    help_kinds: list[str] = field(default_factory=list)
    signals: int = 0
    agencies: list[str] = field(default_factory=list)
    open_help: int = 0


@dataclass
class Journey:
    child: ChildSummary
    reference_date: date | None
    events: list[JourneyEvent]
    episodes: list[Episode]
    first_need: date | None
    first_help: date | None
    # Where the child stands in the round, as the journey page's header says it: a tracked case
    # (chosen on purpose), recorded to be audited again. Read by ``journey_for_child`` only;
    # None where a journey was built without asking (in bulk, for exports and findings).
    tracked: bool | None = None
    reaudit_recorded: bool | None = None

    @property
    def expected_birth(self) -> date | None:
        """An unborn child's expected date of birth, as a source recorded it."""
        if self.child.dob is not None:
            return None
        return next((e.start for e in self.events if e.kind == "expected_birth"), None)

    @property
    def agencies(self) -> list[str]:
        present = {e.agency for e in self.events}
        known = [a for a in kinds.AGENCY_ORDER if a in present]
        return known + sorted(present - set(known))


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if not value:
        return {}
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else {"value": loaded}


_EVENT_SQL = (
    'SELECT id, child_id, agency, kind, start, "end", source_sheet, source_row, attributes, '
    "upload_id, team, worker FROM event WHERE inspection_id = {p} AND child_id IS NOT NULL{extra}"
)


async def _event_rows(inspection_id: int, child_id: int | None) -> list[dict[str, Any]]:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    p1, p2 = ("$1", "$2") if postgres else ("?", "?")
    extra = f" AND child_id = {p2}" if child_id is not None else ""
    params = [inspection_id] + ([child_id] if child_id is not None else [])
    return list(await conn.execute_query_dict(_EVENT_SQL.format(p=p1, extra=extra), params))


def _child_summary(row: dict[str, Any]) -> ChildSummary:
    return ChildSummary(
        id=row["id"],
        la_child_id=row["la_child_id"],
        given_name=row["given_name"],
        family_name=row["family_name"],
        dob=_as_date(row["dob"]),
        sex=row["sex"],
        ethnicity=row["ethnicity"],
        disability=row["disability"],
        team=row["team"],
        worker=row["worker"],
        death_date=_as_date(row["death_date"]),
    )


CHILD_FIELDS = (
    "id",
    "la_child_id",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "ethnicity",
    "disability",
    "team",
    "worker",
    "death_date",
)


# An upload as the journey names its rows' source: file name, status, kind of source and, for a
# CIN census, the return's own reference date (ISO).
UploadInfo = tuple[str, str, str, str | None]


def _events(rows: list[dict[str, Any]], uploads: dict[int, UploadInfo]) -> list[JourneyEvent]:
    """Events of one child, ordered, each event once (``is_same_event``): the event keeps
    every source's details and says who recorded it."""
    out: list[JourneyEvent] = []
    kept: dict[tuple[str, date], list[tuple[JourneyEvent, int]]] = {}
    decorated = []
    for r in rows:
        upload = uploads.get(r["upload_id"])
        if upload is None or upload[1] == UploadStatus.SUPERSEDED:
            continue
        start = _as_date(r["start"])
        assert start is not None
        decorated.append(
            (start, kinds.ORDER.get(r["kind"], 99), r["agency"], r["id"], start, r, upload)
        )
    decorated.sort(key=lambda d: d[:4])
    for _s, _o, _a, _i, start, r, (filename, _status, source_kind, census) in decorated:
        key = (r["kind"], start)
        end = _as_date(r["end"])
        recording = Recording(
            source=source_name(source_kind, r["agency"], r["source_sheet"] or "", filename, census),
            file=filename,
            sheet=r["source_sheet"] or "",
            row=r["source_row"],
            details=_as_dict(r["attributes"]),
        )
        same = _same_event(kept.get(key, []), r["upload_id"], end, recording)
        if same is not None:
            if same.end is None and end is not None:
                same.end = end
            if filename not in same.also_reported_by and filename != same.source_file:
                same.also_reported_by.append(filename)
            same.recordings.append(recording)
            continue
        event = JourneyEvent(
            id=r["id"],
            start=start,
            end=end,
            agency=r["agency"],
            kind=r["kind"],
            label=kinds.label(r["kind"]),
            source_file=filename,
            source_sheet=r["source_sheet"],
            source_row=r["source_row"],
            details=recording.details,
            team=r["team"] or "",
            worker=r["worker"] or "",
            recordings=[recording],
        )
        kept.setdefault(key, []).append((event, r["upload_id"]))
        out.append(event)
    return out


def compatible_ends(a: date | None, b: date | None) -> bool:
    """Two records' ends fit one event: the same day, or one of them records none (yet)."""
    return a is None or b is None or a == b


def is_same_event(
    event: JourneyEvent, event_upload: int, upload_id: int, end: date | None, lines: Any
) -> bool:
    """Whether a record (its file ``upload_id``, its ``end`` and its detail ``lines``) is
    another record of ``event`` (first recorded in ``event_upload``), the child and the start
    day being the same; one definition for the journey, its indicators and its notices.

    The same event is: the same child, the same kind, the same start date, and compatible ends
    (``compatible_ends``); and either the records come from different files (a plan in Annex A
    List 7 and in the CIN census, a referral in List 3 and in a partner's extract) or they are
    rows of one file whose details do not contradict each other (a referral in List 3 and in
    List 6). Rows of one file that differ (two contacts on a day from two sources) and records
    whose ends differ are two events; the second the journey flags (``consistency``, PL08)."""
    if not compatible_ends(event.end, end):
        return False
    if event_upload != upload_id:
        return True
    recorded = details.merged(
        details.lines_of(event.kind, event.start, r.details) for r in event.recordings
    )
    return details.agree(recorded, lines)


def _same_event(
    candidates: list[tuple[JourneyEvent, int]],
    upload_id: int,
    end: date | None,
    recording: Recording,
) -> JourneyEvent | None:
    """The event already kept that this recording is another record of, if any."""
    if not candidates:
        return None
    event = candidates[0][0]
    lines = details.lines_of(event.kind, event.start, recording.details)
    for event, first_upload in candidates:
        if is_same_event(event, first_upload, upload_id, end, lines):
            return event
    return None


def episodes_of(events: list[JourneyEvent]) -> list[Episode]:
    """Episodes: signals gather until help starts; once every help has ended, the next signal
    opens a new episode (the child came back)."""
    episodes: list[Episode] = []
    current: Episode | None = None
    ends: list[date | None] = []
    for ev in events:
        closed = (
            current is not None and current.help_end is not None and ev.start > current.help_end
        )
        if kinds.is_signal(ev.kind):
            if current is None or closed:
                current = Episode(number=len(episodes) + 1, need_start=ev.start)
                episodes.append(current)
                ends = []
            current.signals += 1
            if ev.agency not in current.agencies:
                current.agencies.append(ev.agency)
        elif ev.kind in kinds.HELP_KINDS:
            # help that follows closed help with no new sign of need between (a step down to
            # early help, say) continues the same episode
            if current is None:
                current = Episode(number=len(episodes) + 1, need_start=None)
                episodes.append(current)
                ends = []
            if current.help_start is None:
                current.help_start = ev.start
            current.help_kinds.append(ev.kind)
            ends.append(ev.end)
            current.help_end = (
                None if any(e is None for e in ends) else max(e for e in ends if e is not None)
            )
        elif ev.kind in kinds.END_KINDS and current is not None and current.help_start:
            start_kind = ev.kind.replace("_end", "_start")
            if start_kind in current.help_kinds and any(e is None for e in ends):
                i = next(i for i, e in enumerate(ends) if e is None)
                ends[i] = ev.start
                if all(e is not None for e in ends):
                    current.help_end = max(e for e in ends if e is not None)
    return episodes


def _assemble(
    child: ChildSummary,
    rows: list[dict[str, Any]],
    uploads: dict[int, UploadInfo],
    reference: date | None,
) -> Journey:
    events = _events(rows, uploads)
    first_need = min((e.start for e in events if kinds.is_need(e.kind)), default=None)
    first_help = min((e.start for e in events if e.kind in kinds.HELP_KINDS), default=None)
    return Journey(
        child=child,
        reference_date=reference,
        events=events,
        episodes=episodes_of(events),
        first_need=first_need,
        first_help=first_help,
    )


def _census_date_sql(postgres: bool) -> str:
    """The expression for a census upload's own reference date, kept in its summary."""
    if postgres:
        return "u.summary::json->'extra'->>'census_reference_date'"
    return "json_extract(u.summary, '$.extra.census_reference_date')"


def _upload_info(row: dict[str, Any]) -> UploadInfo:
    census = row["upload_census_date"]
    return (
        row["upload_filename"],
        row["upload_status"],
        row["upload_kind"],
        str(census) if census else None,
    )


async def _uploads(inspection_id: int) -> dict[int, UploadInfo]:
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    sql = (
        "SELECT u.id, u.filename AS upload_filename, u.status AS upload_status, "
        f"u.source_kind AS upload_kind, {_census_date_sql(postgres)} AS upload_census_date "
        f"FROM upload u WHERE u.inspection_id = {'$1' if postgres else '?'}"
    )
    rows = await conn.execute_query_dict(sql, [inspection_id])
    return {r["id"]: _upload_info(r) for r in rows}


class JourneyNotFound(Exception):
    pass


# The child, the inspection's reference date and each of the child's events with the file it
# came from: one row per event, or one row with no event (``e.id`` null) for a child without.
_CHILD_EVENT_SQL = (
    "SELECT "
    + "".join(f"c.{f} AS c_{f}, " for f in CHILD_FIELDS)
    + "i.reference_date AS c_reference_date, "
    # where the child stands in the round (the page's header): a tracked case, a re-audit
    + "(SELECT COUNT(*) FROM sample_member sm WHERE sm.inspection_id = c.inspection_id "
    + f"AND sm.child_id = c.id AND sm.status = '{MemberStatus.TRACKED.value}') AS c_tracked, "
    + "(SELECT COUNT(*) FROM reaudit ra WHERE ra.inspection_id = c.inspection_id "
    + "AND ra.child_id = c.id) AS c_reaudits, "
    'e.id, e.child_id, e.agency, e.kind, e.start, e."end", e.source_sheet, '
    "e.source_row, e.attributes, e.upload_id, e.team, e.worker, u.filename AS upload_filename, "
    "u.status AS upload_status, u.source_kind AS upload_kind, {census} AS upload_census_date "
    "FROM child c JOIN inspection i ON i.id = c.inspection_id "
    "LEFT JOIN event e ON e.inspection_id = c.inspection_id AND e.child_id = c.id "
    "LEFT JOIN upload u ON u.id = e.upload_id AND u.inspection_id = e.inspection_id "
    "WHERE c.inspection_id = {p1} AND c.id = {p2}"
)


async def journey_for_child(inspection_id: int, child_id: int) -> Journey:
    """One child's journey (raises ``JourneyNotFound`` if the child is not in the inspection).

    One query: the child with the inspection's reference date, whether they are a tracked case
    and recorded to be audited again, and the child's events, each with the file it came
    from."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    sql = _CHILD_EVENT_SQL.format(
        p1="$1" if postgres else "?",
        p2="$2" if postgres else "?",
        census=_census_date_sql(postgres),
    )
    rows = list(await conn.execute_query_dict(sql, [inspection_id, child_id]))
    if not rows:
        raise JourneyNotFound(f"There is no child {child_id} in inspection {inspection_id}.")
    first = rows[0]
    child = _child_summary({f: first[f"c_{f}"] for f in CHILD_FIELDS})
    events = [r for r in rows if r["id"] is not None]
    uploads = {r["upload_id"]: _upload_info(r) for r in events if r["upload_filename"] is not None}
    journey = _assemble(child, events, uploads, _as_date(first["c_reference_date"]))
    journey.tracked = int(first["c_tracked"]) > 0
    journey.reaudit_recorded = int(first["c_reaudits"]) > 0
    return journey


_EVENTS_OF_SQL = (
    'SELECT e.id, e.child_id, e.agency, e.kind, e.start, e."end", e.source_sheet, '
    "e.source_row, e.attributes, e.upload_id, e.team, e.worker, u.filename AS upload_filename, "
    "u.status AS upload_status, u.source_kind AS upload_kind, {census} AS upload_census_date "
    "FROM event e LEFT JOIN upload u ON u.id = e.upload_id "
    "AND u.inspection_id = e.inspection_id WHERE e.inspection_id = {p} AND e.child_id {among}"
)


# SQLite (3.32 and later) takes up to 32,766 parameters in a statement.
SQLITE_CHUNK = 30_000


async def event_rows(inspection_id: int, child_ids: Collection[int]) -> list[dict[str, Any]]:
    """The events of some children, each with the file it came from and that file's status
    (``upload_filename``, ``upload_status``, ``upload_kind``): one query (on SQLite, one per
    30,000 children).
    Read as plain rows (dates and details decoded by ``_assemble``), not as model objects."""
    wanted = sorted({int(c) for c in child_ids})
    if not wanted:
        return []
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        sql = _EVENTS_OF_SQL.format(p="$1", among="= ANY($2::int[])", census=_census_date_sql(True))
        return list(await conn.execute_query_dict(sql, [inspection_id, wanted]))
    rows: list[dict[str, Any]] = []
    for at in range(0, len(wanted), SQLITE_CHUNK):
        chunk = wanted[at : at + SQLITE_CHUNK]
        sql = _EVENTS_OF_SQL.format(
            p="?", among=f"IN ({', '.join('?' for _ in chunk)})", census=_census_date_sql(False)
        )
        rows += await conn.execute_query_dict(sql, [inspection_id, *chunk])
    return rows


def journeys_from_rows(
    children: list[dict[str, Any]], events: list[dict[str, Any]], reference: date | None
) -> dict[int, Journey]:
    """Journeys from rows already read: ``children`` with ``CHILD_FIELDS``, ``events`` as
    ``event_rows`` gives them (a row of a child not in ``children`` is ignored)."""
    uploads = {r["upload_id"]: _upload_info(r) for r in events if r["upload_filename"] is not None}
    by_child: dict[int, list[dict[str, Any]]] = {c["id"]: [] for c in children}
    for row in events:
        bucket = by_child.get(row["child_id"])
        if bucket is not None:
            bucket.append(row)
    return {
        c["id"]: _assemble(_child_summary(c), by_child[c["id"]], uploads, reference)
        for c in children
    }


async def journeys_for_inspection(
    inspection_id: int, child_ids: Collection[int] | None = None
) -> dict[int, Journey]:
    """Every child's journey (or only ``child_ids``'), keyed by ``Child.id``: three queries
    whatever the size (two for ``child_ids``: the children, and ``event_rows``)."""
    query = Child.filter(inspection_id=inspection_id)
    wanted = None if child_ids is None else sorted({int(c) for c in child_ids})
    if wanted is not None:
        if not wanted:
            return {}
        query = query.filter(id__in=wanted)
    children = await query.values(*CHILD_FIELDS, reference_date="inspection__reference_date")
    if not children:
        return {}
    ref = _as_date(children[0]["reference_date"])
    if wanted is None:
        uploads = await _uploads(inspection_id)
        events = await _event_rows(inspection_id, None)
        for row in events:
            upload = uploads.get(row["upload_id"])
            (
                row["upload_filename"],
                row["upload_status"],
                row["upload_kind"],
                row["upload_census_date"],
            ) = upload or (None, None, None, None)
    else:
        events = await event_rows(inspection_id, wanted)
    return journeys_from_rows(children, events, ref)


async def sources_of(inspection_id: int, child_id: int) -> list[dict[str, Any]]:
    """The source records linked to a child, with how each was linked (for the journey page)."""
    rows = (
        await SourceRecord.filter(inspection_id=inspection_id, child_id=child_id)
        .order_by("agency", "id")
        .values(
            "id",
            *IDENTITY_FIELDS,
            "link_method",
            "link_probability",
            "link_evidence",
            "upload__filename",
        )
    )
    return rows
