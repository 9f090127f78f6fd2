"""The synthetic authority's children looked after return (SSDA903): a zip of its CSV tables.

Each period of care the story gives a child becomes the return's episodes (the start of care,
a change of legal status, a placement move, and the reason the care ended), with a review
every six months, the child's missing episodes from their placement, adoption milestones and
a care leaver's contact, accommodation and activity. Tables and columns are the reader's
(``evidence.ssda903.TABLES``), and every code is the one the code tables give for the story's
wording (``evidence.codes``), so the generator writes the vocabulary the reader reads.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

from inspection.evidence import codes as code_tables
from inspection.evidence.ssda903 import CONTINUES, SEX, TABLES, Table
from inspection.synthetic import codes
from inspection.synthetic.journeys import CarePeriod, Journey, age_on

FILENAME = "ssda903.zip"
REVIEW_EVERY = timedelta(days=182)
FIRST_REVIEW = timedelta(days=20)
MISSING_FROM_PLACEMENT = "Missing from placement"
_SEX_CODE = {sex: code for code, sex in SEX.items()}
# A period of care that begins under section 20 before its current legal status.
ACCOMMODATED = "V2"
# Where a child who later moved was placed first: an ordinary foster placement.
FIRST_PLACEMENT = "U6"
# Fixed, so that the same seed writes the same bytes.
_ZIP_TIME = (2026, 1, 1, 0, 0, 0)


# The return's own spelling of Annex A's "LA in touch" codes (the DfE's code set).
IN_TOUCH = {"Y": "YES", "N": "NO", "Died": "DIED", "Refu": "REFU", "NREQ": "NREQ", "Rhom": "RHOM"}


def _code(list_name: str, wording: str) -> str:
    code = code_tables.canonical(list_name, wording)
    assert code is not None, (list_name, wording)
    return code


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day is not None else ""


class Ssda903Writer:
    """Gathers each child's rows, then writes the zip (``write``)."""

    def __init__(self, reference: date) -> None:
        self.reference = reference
        self.rows: dict[str, list[dict[str, str]]] = {t.name: [] for t in TABLES}
        self.children = 0

    def child(self, journey: Journey) -> None:
        p = journey.person
        periods = [ep.care for ep in journey.episodes if ep.care is not None]
        if p.la_child_id is None or not (periods or journey.care_leaver):
            return
        self.children += 1
        child = p.la_child_id
        dob = _d(p.dob)
        ethnic = _code("ethnicity", codes.ETHNICITY[p.ethnicity])
        self.rows["Header"].append(
            {
                "CHILD": child,
                "SEX": _SEX_CODE.get(p.sex, ""),
                "DOB": dob,
                "ETHNIC": ethnic,
                "UPN": p.upn or "UN1",
                "MOTHER": "",
                "MC_DOB": "",
            }
        )
        for care in periods:
            self._period(child, dob, p.dob, care)
        missing = [
            e
            for e in journey.partner
            if e.event_type == "missing_episode" and e.details == MISSING_FROM_PLACEMENT
        ]
        for e in missing:
            self.rows["Missing"].append(
                {
                    "CHILD": child,
                    "DOB": dob,
                    "MISSING": "M",
                    "MIS_START": _d(e.day),
                    "MIS_END": _d(e.end),
                }
            )
        leaver = journey.care_leaver
        if leaver is not None:
            self.rows["OC3"].append(
                {
                    "CHILD": child,
                    "DOB": dob,
                    "IN_TOUCH": IN_TOUCH[_code("in_touch", leaver.in_touch)],
                    "ACTIV": _code("activity", leaver.activity),
                    # the type of accommodation, then 1 (suitable) or 2 (unsuitable)
                    "ACCOM": _code("accommodation", leaver.accommodation)
                    + ("2" if _code("suitability", leaver.suitability) == "Unsuitable" else "1"),
                }
            )

    def _period(self, child: str, dob: str, born: date, care: CarePeriod) -> None:
        legal = _code("legal_status", care.legal_status)
        place = _code("placement_type", care.placement_type)
        provider = _code("placement_provider", care.provider)
        need = _code("need", care.category)
        # The days something changed: the start, the current legal status, the latest move.
        changed: dict[date, set[str]] = {care.start: {"S"}}
        until = care.end or self.reference
        if care.start < care.legal_start < until:
            changed.setdefault(care.legal_start, set()).add("L")
        if care.start < care.placement_start < until:
            changed.setdefault(care.placement_start, set()).add("P")
        days = sorted(changed)
        status = ACCOMMODATED if "L" in changed.get(care.legal_start, ()) else legal
        placed = FIRST_PLACEMENT if "P" in changed.get(care.placement_start, ()) else place
        for i, when in enumerate(days):
            what = changed[when]
            if "L" in what:
                status = legal
            if "P" in what:
                placed = place
            reason = "S" if "S" in what else "T" if what == {"L", "P"} else min(what)
            following = days[i + 1] if i + 1 < len(days) else None
            ceased = CONTINUES if following else ""
            if following is None and care.end is not None:
                ceased = _code("reason_ceased", care.ceased_reason)
            self.rows["Episodes"].append(
                {
                    "CHILD": child,
                    "DECOM": _d(when),
                    "RNE": reason,
                    "LS": status,
                    "CIN": need,
                    "PLACE": placed,
                    "PLACE_PROVIDER": provider,
                    "DEC": _d(following or care.end),
                    "REC": ceased,
                    "REASON_PLACE_CHANGE": "CARPL" if "P" in what else "",
                    "HOME_POST": "",
                    "PL_POST": care.placement_postcode,
                    "URN": "",
                }
            )
        review = care.start + FIRST_REVIEW
        last = min(care.end or self.reference, self.reference)
        while review <= last:
            self.rows["Reviews"].append(
                {
                    "CHILD": child,
                    "DOB": dob,
                    "REVIEW": _d(review),
                    "REVIEW_CODE": "PN0" if age_on(born, review) < 4 else "PN1",
                }
            )
            review += REVIEW_EVERY
        adoption = care.adoption
        if adoption is not None:
            self.rows["PlacedAdoption"].append(
                {
                    "CHILD": child,
                    "DOB": dob,
                    "DATE_PLACED": _d(adoption.decision),
                    "DATE_PLACED_CEASED": "",
                    "REASON_PLACED_CEASED": "",
                }
            )
            if adoption.order is not None and adoption.match is not None:
                self.rows["AD1"].append(
                    {
                        "CHILD": child,
                        "DOB": dob,
                        "DATE_INT": _d(adoption.decision),
                        "DATE_MATCH": _d(adoption.match),
                        "FOSTER_CARE": "0",
                        "NB_ADOPTR": "2",
                        "SEX_ADOPTR": "MF",
                        "LS_ADOPTR": "L11",
                    }
                )

    def write(self, out_dir: Path) -> dict[str, int]:
        """The zip of the tables that have rows (the header always); rows per table."""
        written: dict[str, int] = {}
        with zipfile.ZipFile(out_dir / FILENAME, "w", zipfile.ZIP_DEFLATED) as archive:
            for table in TABLES:
                rows = self.rows[table.name]
                if not rows and table.name != "Header":
                    continue
                info = zipfile.ZipInfo(f"{table.name.lower()}.csv", _ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, _csv(table, rows))
                written[table.name] = len(rows)
        return written


def _csv(table: Table, rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, table.columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
