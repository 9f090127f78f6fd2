"""Blind marking, drafts and concerns on every path: every export route x every role x every
state of a blind pair (first marking a draft; first submitted, second a draft; both submitted),
the command line, and the pages that show audit work.

Every file is opened and read cell by cell: which grades (by their labels), which texts the
markers wrote and which concern texts appear must be exactly what ``inspection.audit.visibility``
allows (docs/security.md, section 7).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx2
import pytest
import pytest_asyncio
from openpyxl import load_workbook

from inspection.audit.definition import definition_of
from inspection.audit.rubric import default_rubric
from inspection.export.csv import build_csv, csv_zip
from inspection.export.offline import build_offline_pack
from inspection.export.workbook import build_workbook
from inspection.inspections import add_member
from inspection.models import (
    Audit,
    Child,
    Concern,
    Inspection,
    LocalAuthority,
    ModerationPlan,
    Sample,
    SampleMember,
    Score,
)
from inspection.models.core import Role
from inspection.settings import Settings
from inspection.web.app import create_app
from tests.export.made import export_file
from tests.security.world import ROLES, World, build_world

A, L, I, LA, Q = (  # noqa: E741
    Role.ADMIN,
    Role.LEAD_INSPECTOR,
    Role.INSPECTOR,
    Role.LA_AUDITOR,
    Role.QA_VIEWER,
)
CLI = None  # the command line: no signed-in user
STATES = ("draft", "one submitted", "both submitted")
FIRST, SECOND = "first", "second"
BOTH = frozenset({FIRST, SECOND})
# The first marking is the inspector's, the second the LA auditor's (also the named contact).
VISIBLE: dict[str, dict[Role | None, frozenset[str]]] = {
    "draft": {A: frozenset({FIRST}), L: frozenset({FIRST}), I: frozenset({FIRST})},
    "one submitted": {A: BOTH, L: BOTH, I: frozenset({FIRST}), LA: frozenset({SECOND})},
    "both submitted": {A: BOTH, L: BOTH, I: BOTH, LA: BOTH, Q: BOTH, CLI: BOTH},
}
CONCERN_BY_INSPECTOR = "CONCERN-RAISED-BY-INSPECTOR"
CONCERN_BY_LEAD = "CONCERN-RAISED-BY-LEAD"
# Leads and the named contact see every concern, anyone else those they raised.
CONCERNS: dict[Role | None, frozenset[str]] = {
    A: frozenset({CONCERN_BY_INSPECTOR, CONCERN_BY_LEAD}),
    L: frozenset({CONCERN_BY_INSPECTOR, CONCERN_BY_LEAD}),
    I: frozenset({CONCERN_BY_INSPECTOR}),
    LA: frozenset({CONCERN_BY_INSPECTOR, CONCERN_BY_LEAD}),
}
EDITORS = (A, L, I, LA)
VIEWERS: tuple[Role | None, ...] = (*ROLES, CLI)
# What each marking writes: every field carries its marker, every grade one label.
TAG = {FIRST: "FIRSTMARK", SECOND: "SECONDMARK"}
GRADE = {FIRST: ("outstanding", "Outstanding"), SECOND: ("inadequate", "Inadequate")}
FIELDS = ("EVIDENCE", "STRENGTHS", "IMPROVEMENTS", "REASON", "THEME")
FEEDBACK_FIELDS = ("STRENGTHS", "IMPROVEMENTS")
MARKER = re.compile(r"(?:FIRSTMARK|SECONDMARK)-[A-Z]+|CONCERN-RAISED-BY-[A-Z]+", re.IGNORECASE)


def visible(role: Role | None, state: str) -> frozenset[str]:
    return VISIBLE[state].get(role, frozenset())


def markers(markings: frozenset[str], fields: tuple[str, ...] = FIELDS) -> set[str]:
    return {f"{TAG[m]}-{f}" for m in markings for f in fields}


@dataclass
class Blind:
    inspection_id: int
    sample_id: int
    domains: int
    ids: dict[str, int]  # marking -> audit id


async def _blind_inspection(world: World, state: str) -> Blind:
    """An inspection where every role is a member and one child is chosen for second marking,
    its pair in ``state``; two concerns about the child."""
    users = world.users
    lead = users[L]
    la = await LocalAuthority.create(code="E03", name="Blindshire")
    inspection = await Inspection.create(
        la=la, kind="jtai", title="Blind round", reference_date=date(2026, 11, 2), created_by=lead
    )
    for role, user in users.items():
        await add_member(inspection, user, role, is_la_contact=role == LA)
    child = await Child.create(
        inspection=inspection,
        la_child_id="E03-1",
        given_name="Ada",
        family_name="Quill",
        dob=date(2016, 5, 6),
        team="Team North",
        worker="Worker North",
    )
    sample = await Sample.create(
        inspection=inspection,
        purpose="Blind sample",
        method="srs",
        seed="b1",
        population_hash="ab" * 32,
        population_size=1,
        drawn_by=lead,
    )
    member = await SampleMember.create(
        inspection_id=inspection.id,
        sample=sample,
        child=child,
        population_key="E03-1",
        stratum="cin",
        inclusion_probability=1.0,
        weight=1.0,
        order=1,
        status="selected",
    )
    await ModerationPlan.create(
        inspection_id=inspection.id, sample=sample, share=1.0, include_inadequate=False
    )
    rubric = await default_rubric()
    domains = [d.key for d in definition_of(rubric).domains]
    statuses = {
        "draft": {FIRST: "draft"},
        "one submitted": {FIRST: "submitted", SECOND: "draft"},
        "both submitted": {FIRST: "submitted", SECOND: "submitted"},
    }[state]
    ids = {}
    for marking, status in statuses.items():
        tag, (grade, _) = TAG[marking], GRADE[marking]
        audit = await Audit.create(
            inspection=inspection,
            member=member,
            child=child,
            auditor=users[I] if marking == FIRST else users[LA],
            rubric=rubric,
            marking=marking,
            status=status,
            overall=grade,
            proposed_overall=grade,
            overall_reason=f"{tag}-REASON",
            strengths=f"{tag}-STRENGTHS",
            improvements=f"{tag}-IMPROVEMENTS",
            themes=[f"{tag.lower()}-theme"],
            submitted_at=datetime(2026, 11, 20, 10, tzinfo=UTC) if status == "submitted" else None,
        )
        for key in domains:
            await Score.create(
                inspection_id=inspection.id,
                audit=audit,
                domain=key,
                grade=grade,
                evidence=f"{tag}-EVIDENCE about {key}",
                cited_events=[],
            )
        ids[marking] = audit.id
    for text, who in ((CONCERN_BY_INSPECTOR, users[I]), (CONCERN_BY_LEAD, lead)):
        await Concern.create(
            inspection=inspection,
            child=child,
            audit_id=ids[FIRST],
            raised_by=who,
            text=text,
            status="open",
            actions=[{"by": who.name, "action": "raised", "text": text}],
        )
    return Blind(inspection.id, sample.id, len(domains), ids)


# ------------------------------------------------------------------ reading the files


def _workbook(data: bytes) -> dict[str, list[tuple[Any, ...]]]:
    wb = load_workbook(io.BytesIO(data))  # every sheet, the very hidden ones included
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def _csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def _zip(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: _csv(archive.read(n).decode("utf-8")) for n in archive.namelist()}


def _cells(sheets: dict[str, list[Any]]) -> list[Any]:
    return [v for rows in sheets.values() for row in rows for v in row]


def _found(sheets: dict[str, list[Any]]) -> set[str]:
    """Every marker text anywhere in the file."""
    out = set()
    for value in _cells(sheets):
        out |= {m.upper() for m in MARKER.findall(str(value or ""))}
    return out


def _grade_cells(sheets: dict[str, list[Any]], skip_header_of: tuple[str, ...] = ()) -> Counter:
    """How many cells hold each marker's grade label (a sheet's header row names grades only
    on the Summary sheet, whose columns are grade counts)."""
    labels = {GRADE[FIRST][1], GRADE[SECOND][1]}
    counts: Counter = Counter()
    for name, rows in sheets.items():
        for r, row in enumerate(rows):
            if r == 0 and name in skip_header_of:
                continue
            counts.update(v for v in row if v in labels)
    return counts


def _expected_grades(seen: frozenset[str], per_audit: int, paired: bool) -> Counter:
    counts: Counter = Counter()
    for m in seen:
        counts[GRADE[m][1]] += per_audit
    if paired:  # the Moderation sheet: both grades for every domain and the overall
        for m in BOTH:
            counts[GRADE[m][1]] += PAIR_ROWS
    return counts


PAIR_ROWS = 9  # child_help v2: eight domains and the overall judgement
PACK_GRADES = 9  # a pack row: eight domain grades and the overall judgement
PER_AUDIT = 18  # Audits: 8 domain grades; Audits (wide) / audits.csv: overall, proposed, 8 domains


def _rows(sheets: dict[str, list[Any]], sheet: str, header: str) -> list[dict[str, Any]]:
    rows = sheets[sheet]
    head = list(rows[0])
    return [dict(zip(head, r, strict=False)) for r in rows[1:] if r[head.index(header)] is not None]


def _check_workbook(data: bytes, blind: Blind, role: Role | None, state: str) -> None:
    seen = visible(role, state)
    sheets = _workbook(data)
    ids = {blind.ids[m] for m in seen}
    assert {r["Audit"] for r in _rows(sheets, "Audits", "Audit")} == ids, (role, state)
    assert {r["Audit"] for r in _rows(sheets, "Audits (wide)", "Audit")} == ids, (role, state)
    assert _found(sheets) == markers(seen) | CONCERNS.get(role, frozenset()), (role, state)
    paired = state == "both submitted"
    assert _grade_cells(sheets, ("Summary",)) == _expected_grades(seen, PER_AUDIT, paired), (
        role,
        state,
    )
    counted = FIRST in seen and state != "draft"
    summary = _rows(sheets, "Summary", "Domain")
    assert [(r["Domain"], r["Outstanding"]) for r in summary][-1:] == (
        [("Overall judgement", 1)] if counted else []
    ), (role, state)
    assert sum(r["Graded"] for r in summary) == (PAIR_ROWS if counted else 0)
    concerns = {r["Concern"] for r in _rows(sheets, "Concerns", "Concern")}
    assert concerns == CONCERNS.get(role, frozenset()), (role, state)


def _check_tables(data: bytes, blind: Blind, role: Role | None, state: str) -> None:
    seen = visible(role, state)
    files = _zip(data)
    ids = {str(blind.ids[m]) for m in seen}
    for name in ("audits.csv", "scores.csv"):
        assert {row[0] for row in files[name][1:]} == ids, (name, role, state)
    assert _found(files) == markers(seen), (role, state)
    assert _grade_cells(files) == _expected_grades(seen, PER_AUDIT, False), (role, state)


def _check_feedback(text: str, blind: Blind, role: Role, state: str) -> None:
    seen = visible(role, state)
    rows = _csv(text)
    assert rows[0][:3] == ["audit_id", "marking", "status"]
    assert {int(r[0]) for r in rows[1:]} == {blind.ids[m] for m in seen}, (role, state)
    assert _found({"feedback": rows}) == markers(seen, FEEDBACK_FIELDS), (role, state)
    assert _grade_cells({"feedback": rows}) == _expected_grades(seen, 1, False), (role, state)


def _check_pack(data: bytes, blind: Blind, role: Role | None, state: str) -> None:
    """The pack is for first markings: the child's row, pre-filled, only for whoever may see
    the first marking; otherwise the child is left out, and no second-marking text anywhere."""
    shown = FIRST in visible(role, state)
    sheets = _workbook(data)
    children = sheets.get("child_help v2", [("the sheet of a rubric nobody is audited on",)])[1:]
    assert [row[1] for row in children] == (["E03-1"] if shown else []), (role, state)
    assert _found(sheets) == (markers(frozenset({FIRST})) if shown else set()), (role, state)
    assert _grade_cells(sheets) == _expected_grades(
        frozenset({FIRST}) if shown else frozenset(), PACK_GRADES, False
    ), (role, state)
    withheld = "1 child is not in this pack"
    assert any(withheld in str(v) for v in _cells({"i": sheets["Instructions"]})) == (not shown)


# ------------------------------------------------------------------ the matrix


@pytest_asyncio.fixture
async def client(db: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest_asyncio.fixture
async def world(db: Settings) -> AsyncIterator[World]:
    w = await build_world()
    yield w


async def _get(client: httpx2.AsyncClient, world: World, role: Role, path: str) -> httpx2.Response:
    return await client.get(path, headers=world.headers(role))


async def _made(
    client: httpx2.AsyncClient, db: Settings, world: World, role: Role, path: str, choice: str
) -> httpx2.Response:
    """The file an export's button gives ``role``, made by a job as the page makes it."""
    headers = world.headers(role, **{"sec-fetch-site": "same-origin"})
    data = {"pseudonymise": choice} if choice else {}
    return await export_file(client, db, path, data, headers)


@pytest.mark.parametrize("state", STATES)
async def test_every_export_route_shows_each_role_exactly_what_it_may_see(client, db, world, state):
    blind = await _blind_inspection(world, state)
    base = f"/inspections/{blind.inspection_id}"
    for role in ROLES:
        for choice in ("", "yes", "no"):
            book = await _made(client, db, world, role, f"{base}/exports/workbook", choice)
            assert book.status_code == 200
            _check_workbook(book.content, blind, role, state)
            tables = await _made(client, db, world, role, f"{base}/exports/tables", choice)
            assert tables.status_code == 200
            _check_tables(tables.content, blind, role, state)
        feedback = await _get(client, world, role, f"{base}/audits/feedback.csv")
        pack_button = f"{base}/exports/samples/{blind.sample_id}/offline-pack/make"
        if role in EDITORS:
            pack = await _made(client, db, world, role, pack_button, "")
            assert (feedback.status_code, pack.status_code) == (200, 200)
            _check_feedback(feedback.text, blind, role, state)
            _check_pack(pack.content, blind, role, state)
        else:
            refused = await client.post(
                pack_button, headers=world.headers(role, **{"sec-fetch-site": "same-origin"})
            )
            assert (feedback.status_code, refused.status_code) == (404, 404)


@pytest.mark.parametrize("state", STATES)
async def test_the_command_line_without_a_user_sees_what_every_member_may_see(world, state):
    blind = await _blind_inspection(world, state)
    iid = blind.inspection_id
    for pseudonymise in (True, False):
        book = await build_workbook(iid, None, pseudonymise=pseudonymise)
        _check_workbook(book.data, blind, CLI, state)
        tables = await build_csv(iid, None, pseudonymise=pseudonymise)
        _check_tables(csv_zip(tables), blind, CLI, state)
    _check_pack((await build_offline_pack(iid, blind.sample_id, None)).data, blind, CLI, state)


@pytest.mark.parametrize("state", STATES)
async def test_every_page_showing_audit_work_follows_the_same_rule(client, world, state):
    blind = await _blind_inspection(world, state)
    base = f"/inspections/{blind.inspection_id}"
    ids = blind.ids
    for role in ROLES:
        seen = visible(role, state)
        # the overview counts only the concerns the user may open
        overview = await _get(client, world, role, base)
        count = len(CONCERNS.get(role, ()))
        assert (
            'id="open-concerns">Open concerns about children: '
            + (f'<a class="govuk-link" href="{base}/concerns">{count}</a>' if count else "0</p>")
        ) in overview.text, role
        # the audit page (auditors' workspace) of each marking
        for marking, audit_id in ids.items():
            page = await _get(client, world, role, f"{base}/audits/{audit_id}")
            allowed = role in EDITORS and marking in seen
            assert page.status_code == (200 if allowed else 404), (role, state, marking)
        # the audits board links (and shows the grade of) only what may be seen
        board = await _get(client, world, role, f"{base}/audits")
        if role in EDITORS:
            for marking, audit_id in ids.items():
                link = f'href="{base}/audits/{audit_id}"'
                assert (link in board.text) == (marking in seen), (role, state, marking)
            assert ("outstanding" in board.text) == (FIRST in seen), (role, state)
        else:
            assert board.status_code == 404
        # findings and the drill-down behind every figure
        counted = FIRST in seen and state != "draft"
        findings = await _get(client, world, role, f"{base}/findings")
        sentence = "1 submitted first marking " if counted else "0 submitted first markings "
        assert sentence + "that you may see." in findings.text, (role, state)
        drill = await _get(
            client, world, role, f"{base}/findings/audits?ids={ids[FIRST]},{ids.get(SECOND, 0)}"
        )
        assert drill.status_code == 200
        # the first marking is listed when counted; second markings never (agreement only)
        listed = ">1 audit<" if counted else ">0 audits<"
        assert listed in drill.text, (role, state)
        # moderation (leads): the pair only once both markings are submitted
        moderation = await _get(client, world, role, f"{base}/moderation")
        if role in (A, L):
            paired = f'id="pair-{ids[FIRST]}"' in moderation.text
            assert paired == (state == "both submitted"), (role, state)
        else:
            assert moderation.status_code == 404


async def test_the_trend_counts_only_what_the_viewer_may_see_in_each_round(client, world):
    """Round 1 has one submitted first marking, blind to the second marker; on round 2's
    findings page the trend must not count it for them (nor for a QA viewer)."""
    blind = await _blind_inspection(world, "one submitted")
    first = await Inspection.get(id=blind.inspection_id)
    later = await Inspection.create(
        la_id=first.la_id,
        kind="jtai",
        title="Later round",
        reference_date=date(2027, 5, 3),
        created_by=world.users[L],
    )
    for role, user in world.users.items():
        await add_member(later, user, role, is_la_contact=role == LA)
    # A count links to its audits, unless it is 0 (nothing to open); one audit is too few.
    row = re.compile(
        r"Blind round \(02/11/2026\) <br><strong[^>]*>Too few to say much</strong></th>\s*"
        r"<td[^>]*>(?:<a[^>]*>)?(\d+)(?:</a>)? of (?:<a[^>]*>)?(\d+)<"
    )
    for role, n in ((A, "1"), (L, "1"), (I, "1"), (LA, "0"), (Q, "0")):
        page = await _get(client, world, role, f"/inspections/{later.id}/findings")
        found = row.search(page.text)
        assert found is not None, role
        assert found.groups() == (n, n), role  # Outstanding is good or better
