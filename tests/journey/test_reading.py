"""The journey a person reads: every event's details, on the page, in the chronology (page and
CSV) and in ``inspection journey show``, say codes by their labels, dates as dd/mm/yyyy and
flags as words, for the demo authority and the messy one.

What counts as a raw code, precisely: a text shown for an event (a detail line's words, or one
item of a list of them, split at ", ") that is a code of the code table of a field the event's
sources recorded (``details.KINDS``) and is not that code's own label (``In`` was once both).
An ISO date is ``dddd-dd-dd``; a flag printed as ``True``/``False``/``None`` (any case), or
JSON (``{``, ``[``, ``":``) is raw too.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import httpx2
import pytest
import pytest_asyncio

from inspection.accounts import create_user
from inspection.cli.journey import journey_document, journey_text
from inspection.evidence import codes
from inspection.evidence.load import import_file
from inspection.inspections import add_member
from inspection.journey import details
from inspection.journey.build import Journey, JourneyEvent, Recording, journeys_for_inspection
from inspection.journey.chronology import chronology_csv, chronology_rows
from inspection.journey.indicators import for_journey
from inspection.journey.linkage import link_inspection
from inspection.models import Inspection
from inspection.web.app import create_app
from tests.journey import factory as f
from tests.web.crawl import offences

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    ("annex_a.xlsx", "annex-a", None),
    ("cin_census.xml", "cin-census", None),
    ("police.csv", "agency", "police"),
    ("health.csv", "agency", "health"),
    ("education.csv", "agency", "education"),
    ("early_help.csv", "agency", "early_help"),
    ("social_care.csv", "agency", "social_care"),
)
PASSWORD = "correct horse battery"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
RAW_WORDS = re.compile(r"\b(?:true|false|none)\b", re.IGNORECASE)
JSON = re.compile(r"""\{\}|\[\]|\{["']|\[[{"']|":""")


def raw_codes(event: JourneyEvent, texts: list[str]) -> list[str]:
    """The texts shown for ``event`` that are codes, not labels, of its fields' code tables."""
    tables: dict[str, str] = {}  # code -> its label, for every code table of the event's fields
    for recording in event.recordings:
        for key in recording.details:
            known = details.KINDS.get(key)
            if known is not None and known.code_list:
                for code in codes.code_lists()[known.code_list].values():
                    tables.setdefault(code.code, code.label)
    found = []
    for text in texts:
        for item in dict.fromkeys([text, *text.split(", ")]):
            if item in tables and tables[item] != item:
                found.append(item)
    return found


def _coded(key: str) -> bool:
    known = details.KINDS.get(key)
    return known is not None and bool(known.code_list)


def _raw(text: str) -> list[str]:
    return [m.group(0) for pattern in (ISO_DATE, RAW_WORDS, JSON) for m in pattern.finditer(text)]


async def _load(name: str, settings) -> int:
    insp = await f.inspection(code=name[:3].upper())
    for filename, kind, agency in FILES:
        await import_file(insp.id, ROOT / "fixtures" / name / filename, kind, agency, settings)
    await link_inspection(insp.id)
    return insp.id


def _check_journey(journey: Journey) -> list[str]:
    problems: list[str] = []
    who = journey.child.la_child_id or journey.child.name
    for event in journey.events:
        lines = event.detail_lines
        texts = [text for _label, text in lines]
        for code in raw_codes(event, texts):
            problems.append(f"{who} {event.kind}: raw code {code!r}")
        for label, text in lines:
            problems += [f"{who} {event.kind}: {label}: {raw!r}" for raw in _raw(text)]
    for row in chronology_rows(journey):
        for column in ("what_happened", "details", "agency"):
            problems += [f"{who} chronology {column}: {raw!r}" for raw in _raw(row[column])]
    for row in list(csv.reader(io.StringIO(chronology_csv(journey))))[1:]:
        problems += [f"{who} chronology CSV: {raw!r}" for raw in _raw(" | ".join(row))]
    printed = journey_text(journey_document(journey, for_journey(journey)))
    problems += [f"{who} journey show: {raw!r}" for raw in _raw(printed)]
    return problems


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest.mark.parametrize("authority", ["demo", "messy"])
async def test_every_event_of_every_journey_reads_in_words(db, client, authority):
    inspection_id = await _load(authority, db)
    journeys = await journeys_for_inspection(inspection_id)
    events = [e for j in journeys.values() for e in j.events]
    coded = [e for e in events if any(_coded(k) for r in e.recordings for k in r.details)]
    assert len(events) > 250 and len(coded) > 50  # the walk below reads real, coded details
    problems = [p for j in journeys.values() for p in _check_journey(j)]
    assert problems == []

    user = await create_user("lead@example.org", "Lea Der", "lead_inspector", PASSWORD)
    await add_member(await Inspection.get(id=inspection_id), user, "lead_inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    for child_id, journey in journeys.items():
        if not journey.events:
            continue
        for path in ("", "/chronology"):
            url = f"/inspections/{inspection_id}/children/{child_id}{path}"
            page = await client.get(url)
            assert page.status_code == 200, url
            found = offences(url, page.text, set())
            assert found == []


def test_a_cell_of_several_codes_reads_as_their_labels():
    assert details.value_text("factors", "2A,3B") == (
        "Drug misuse: concerns about the child, Domestic abuse: concerns about a parent or carer"
    )
    assert details.value_text("factors", "2A; 99Z") == "2A; 99Z"  # not all codes: as recorded
    assert details.value_text("placement_la", "WAL") == "Child placed in Wales"
    assert details.value_text("placement_la", "Leeds") == "Leeds"
    assert details.value_text("placement_location", "Out") == "Outside the authority's area"
    assert details.value_text("anything_else", "false") == "No"


def test_the_raw_code_check_finds_a_code_shown_as_recorded():
    event = JourneyEvent(
        1, date(2026, 1, 2), None, "social_care", "cp_plan_start", "Plan", "a", "", 1, {}
    )
    event.recordings = [Recording("Annex A List 7", "a", "", 1, {"initial_category": "NEG"})]
    assert raw_codes(event, ["NEG", "Neglect", "Physical abuse, PHY"]) == ["NEG", "PHY"]
    assert _raw('On 2026-01-02: True {"a": 1}') == ["2026-01-02", "True", '{"', '":']
