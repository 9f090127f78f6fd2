"""Annex A (2019 layout): the child-level lists 1-11, built from the journeys and written with
openpyxl in write-only mode; dates are real Excel dates shown DD/MM/YYYY."""

from __future__ import annotations

import random
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from inspection.synthetic import codes
from inspection.synthetic.journeys import (
    CPPlan,
    Journey,
    Staff,
    Window,
    age_on,
)
from inspection.synthetic.truth import Event, in_list_8

YES, NO = "a) Yes", "b) No"
DATE_FORMAT = "DD/MM/YYYY"


@dataclass(slots=True)
class Sheet:
    """One list as it will be written: name, optional title, optional blank row, headers, rows."""

    number: int
    name: str
    title: str | None
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    blank_above_headers: bool = False


def _yn(flag: bool) -> str:
    return YES if flag else NO


class AnnexLists:
    """Accumulates Annex A rows while the children are generated."""

    def __init__(self, rng: random.Random, window: Window, staff: Staff) -> None:
        self.rng = rng
        self.w = window
        self.staff = staff
        self.lists: dict[int, list[list[Any]]] = {n: [] for n in range(1, 12)}
        self.adopter_family = 0

    def add(self, j: Journey, evs: list[Event]) -> None:
        p = j.person
        if p.la_child_id is None:
            return
        w = self.w
        ref = w.reference
        rng = self.rng
        lists = self.lists
        head = [
            p.la_child_id,
            codes.GENDER[0 if p.sex == "M" else 1],
            codes.ETHNICITY[p.ethnicity],
            p.dob,
            age_on(p.dob, ref),
        ]
        disability = YES if p.disabled else NO
        for day, source in j.contacts:
            lists[1].append(head + [day, codes.SOURCE[source]])
        for eh in j.early_help:
            if eh.start <= ref and (eh.end is None or eh.end >= w.start):
                lists[2].append(head + [eh.start, eh.end, eh.organisation])
        referrals = [ep.referral for ep in j.episodes]
        s47_days = [s.start for ep in j.episodes for s in ep.s47s]
        icpc_days = [s.icpc for ep in j.episodes for s in ep.s47s if s.icpc]
        for ep in j.episodes:
            if w.holds(ep.referral):
                earlier = sum(
                    1 for r in referrals if ep.referral - timedelta(days=365) <= r < ep.referral
                )
                lists[3].append(
                    head
                    + [
                        ep.referral,
                        codes.SOURCE[ep.source],
                        _yn(ep.nfa),
                        earlier,
                        ep.team,
                        ep.worker,
                    ]
                )
            for a in ep.assessments:
                if w.holds(a.start) or (a.authorised is None and a.start <= ref):
                    support = "" if a.authorised is None else _yn(a.support)
                    lists[4].append(
                        head
                        + [disability, a.start, a.seen, a.authorised, support, ep.team, ep.worker]
                    )
            for s in ep.s47s:
                if w.holds(s.start):
                    year = s.start - timedelta(days=365)
                    lists[5].append(
                        head
                        + [
                            disability,
                            s.start,
                            _yn(s.not_required),
                            s.icpc,
                            "" if s.icpc is None else _yn(s.plan),
                            sum(1 for d in s47_days if year < d <= s.start),
                            sum(1 for d in icpc_days if year < d <= s.start),
                            ep.plan_team,
                            ep.plan_worker,
                        ]
                    )
        self._children_in_need(j, head, disability)
        self._protection(j, evs, head, disability)
        if in_list_8(j, w):
            self._in_care(j, evs, head, disability)
        if j.care_leaver is not None:
            cl = j.care_leaver
            lists[9].append(
                head
                + [
                    disability,
                    cl.team,
                    cl.worker,
                    cl.eligibility,
                    cl.in_touch,
                    cl.accommodation,
                    cl.suitability,
                    cl.activity,
                ]
            )
        care = j.episodes[-1].care if j.episodes else None
        if care is not None and care.adoption is not None:
            ad = care.adoption
            if ad.match is not None and not ad.family_id:
                self.adopter_family += 1
                ad.family_id = f"AF{self.adopter_family:04d}"
                self._adopters(ad.family_id, ad.match, ad.placed, ad.order)
            lists[10].append(
                [p.la_child_id, ad.family_id or None]
                + head[1:]
                + [
                    disability,
                    care.start,
                    ad.decision,
                    ad.placement_order,
                    ad.match,
                    ad.placed,
                    ad.order,
                    None,
                    None,
                    ad.ffa,
                ]
            )
        del rng

    def _children_in_need(self, j: Journey, head: list[Any], disability: str) -> None:
        if not j.episodes:
            return
        ep = j.episodes[-1]
        w = self.w
        if ep.closure is not None and ep.closure < w.start:
            return
        day = ep.closure or w.reference
        care = ep.care
        if care is not None and (care.end is None or care.end >= w.start):
            status, team = codes.CASE_STATUS[0], self.staff.in_care[0]
            worker = (
                ep.plan_worker if ep.plan_team == team else self.rng.choice(self.staff.in_care[1])
            )
        elif ep.closure is not None:
            status, team, worker = codes.CASE_STATUS[4], ep.team, ep.worker
        elif any(c.start <= day and c.end is None for c in ep.cp_plans):
            status, team, worker = codes.CASE_STATUS[1], ep.plan_team, ep.plan_worker
        elif any(c.start <= day and c.end is None for c in ep.cin_plans):
            status, team, worker = codes.CASE_STATUS[2], ep.plan_team, ep.plan_worker
        else:
            status, team, worker = codes.CASE_STATUS[3], ep.team, ep.worker
        reason = codes.CLOSURE_REASON[ep.reason] if ep.reason is not None else None
        self.lists[6].append(
            head
            + [
                disability,
                ep.referral,
                codes.PRIMARY_NEED[ep.need],
                j.last_seen,
                ep.closure,
                reason,
                status,
                team,
                worker,
            ]
        )

    def _protection(self, j: Journey, evs: list[Event], head: list[Any], disability: str) -> None:
        latest: CPPlan | None = None
        team = worker = ""
        for ep in j.episodes:
            for cp in ep.cp_plans:
                latest, team, worker = cp, ep.plan_team, ep.plan_worker
        w = self.w
        if latest is None or (latest.end is not None and latest.end < w.start):
            return
        reviews = [r for r in latest.reviews if r <= w.reference]
        protected = any(e[3] == "police_protection" and w.holds(e[0]) for e in evs)
        self.lists[7].append(
            head
            + [
                disability,
                latest.start,
                latest.initial,
                latest.latest,
                latest.last_visit,
                latest.seen_alone,
                reviews[-1] if reviews else None,
                latest.end,
                _yn(protected),
                latest.previous,
                team,
                worker,
            ]
        )

    def _in_care(self, j: Journey, evs: list[Event], head: list[Any], disability: str) -> None:
        ep = j.episodes[-1]
        care = ep.care
        assert care is not None
        rng = self.rng
        w = self.w
        last = care.end or w.reference
        span = max(0, (last - care.start).days)

        def recent(limit: int) -> date:
            return last - timedelta(days=rng.randint(0, min(span, limit)))

        missing = [e for e in evs if e[3] == "missing_episode" and w.year_start < e[0] <= last]
        urn = f"SC{rng.randrange(100000, 999999)}" if "K2" in care.placement_type else None
        offered = (YES if rng.random() < 0.8 else NO) if missing else None
        accepted = (YES if rng.random() < 0.5 else NO) if offered == YES else None
        name, workers = self.staff.in_care
        worker = ep.plan_worker if ep.plan_team == name else rng.choice(workers)
        self.lists[8].append(
            head[:5]
            + [
                _yn(care.uasc),
                disability,
                care.start,
                care.category,
                _yn(care.second_period),
                care.legal_start,
                care.legal_status,
                recent(180),
                recent(42),
                care.permanence,
                recent(120),
                recent(360),
                recent(360),
                care.placements_12m,
                care.end,
                care.ceased_reason or None,
                care.placement_start,
                care.placement_type,
                care.provider,
                care.placement_postcode,
                urn,
                care.location,
                None,
                len(missing),
                rng.choice((0, 0, 0, 1)),
                offered,
                accepted,
                name,
                worker,
            ]
        )

    def _adopters(
        self, family_id: str, match: date, placed: date | None, order: date | None
    ) -> None:
        rng = self.rng
        couple = rng.random() < 0.7
        enquiry = match - timedelta(days=rng.randint(300, 600))
        stage1 = enquiry + timedelta(days=rng.randint(10, 40))
        stage1_end = stage1 + timedelta(days=rng.randint(50, 70))
        stage2 = stage1_end + timedelta(days=rng.randint(5, 30))
        stage2_end = stage2 + timedelta(days=rng.randint(100, 130))
        approved = stage2_end + timedelta(days=rng.randint(10, 40))
        for k in range(2 if couple else 1):
            self.lists[11].append(
                [
                    f"{family_id}-{k + 1}",
                    family_id,
                    codes.GENDER[rng.choice((0, 1, 1))],
                    codes.ETHNICITY[rng.choice((0, 0, 0, 0, 3, 9, 14, 8))],
                    NO,
                    NO,
                    enquiry,
                    stage1,
                    stage1_end,
                    stage2,
                    stage2_end,
                    stage2 + timedelta(days=14),
                    approved,
                    match,
                    placed,
                    1 if placed else None,
                    order,
                    None,
                    None,
                ]
            )

    def prospective_adopters(self, families: int) -> None:
        """Adopters still in the process, not yet matched."""
        rng = self.rng
        ref = self.w.reference
        for _ in range(families):
            self.adopter_family += 1
            family_id = f"AF{self.adopter_family:04d}"
            enquiry = ref - timedelta(days=rng.randint(30, 330))
            stage1 = enquiry + timedelta(days=rng.randint(10, 40))
            left = rng.random() < 0.15
            for k in range(2 if rng.random() < 0.7 else 1):
                self.lists[11].append(
                    [
                        f"{family_id}-{k + 1}",
                        family_id,
                        codes.GENDER[rng.choice((0, 1, 1))],
                        codes.ETHNICITY[rng.choice((0, 0, 0, 0, 3, 9, 14))],
                        NO,
                        NO,
                        enquiry,
                        stage1 if stage1 <= ref else None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        None,
                        (stage1 + timedelta(days=20)) if left and stage1 < ref else None,
                        codes.LEAVING_ADOPTION_REASON[0] if left and stage1 < ref else None,
                    ]
                )

    def sheets(self) -> list[Sheet]:
        out = []
        for n in range(1, 12):
            rows = self.lists[n]
            if n <= 5:  # events in date order, as a case management system lists them
                rows.sort(key=_by_event_date)
            out.append(Sheet(n, f"List_{n}", codes.TITLES[n], list(codes.HEADERS[n]), rows))
        return out


def _by_event_date(row: list[Any]) -> tuple[date, str]:
    return row[5], row[0]


def write_workbook(path: Path, sheets: list[Sheet], reference: date, la_name: str) -> None:
    fixed = datetime(reference.year, reference.month, reference.day)
    wb = Workbook(write_only=True)
    wb.properties.creator = "inspection.synthetic"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    front = wb.create_sheet("Front_Sheet")
    front.append(["Annex A: child-level data (synthetic)"])
    front.append(["Local authority", la_name])
    date_cell = WriteOnlyCell(front, value=reference)
    date_cell.number_format = DATE_FORMAT
    front.append(["Reference date", date_cell])
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        if sheet.title is not None:
            ws.append([sheet.title])
        if sheet.blank_above_headers:
            ws.append([])
        ws.append(sheet.headers)
        cells: dict[int, WriteOnlyCell] = {}
        for row in sheet.rows:
            out = list(row)
            for i, value in enumerate(out):
                if type(value) is date:
                    cell = cells.get(i)
                    if cell is None:
                        cell = cells[i] = WriteOnlyCell(ws)
                        cell.number_format = DATE_FORMAT
                    cell.value = value
                    out[i] = cell
            ws.append(out)
    wb.save(path)
    _fix_zip(path, fixed)


def _fix_zip(path: Path, fixed: datetime) -> None:
    """Rewrite the archive with fixed timestamps so the same seed gives the same bytes."""
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as zin:
        items = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            info = zipfile.ZipInfo(name, date_time=fixed.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zout.writestr(info, data)
