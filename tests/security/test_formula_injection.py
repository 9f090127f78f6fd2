"""No file the app produces carries a live formula: every export route, with a hostile value
starting with =, +, -, @, a tab or a carriage return in every field that reaches it.

Each file is opened: no worksheet holds a formula (neither openpyxl's formula cells nor a
``<f>`` element in the sheet's XML), every text cell starting with a formula trigger is quoted
(a leading ``'``) or kept as text by the quote-prefix style, no CSV field starts with a trigger,
and each hostile value is checked to have reached the file (docs/security.md, section 8).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
import pytest_asyncio
from openpyxl import load_workbook

from inspection.models import (
    Audit,
    Child,
    Concern,
    Event,
    Inspection,
    LocalAuthority,
    Moderation,
    Sample,
    SampleMember,
    Score,
    Upload,
    ValidationIssue,
)
from inspection.models.core import Role
from inspection.settings import Settings
from inspection.web.app import create_app
from tests.export.made import BUTTONS, export_button
from tests.security.world import World, build_world

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
FIELDS = (
    "user name",
    "inspection title",
    "authority name",
    "upload file name",
    "upload agency",
    "summary table",
    "summary sheet",
    "issue sheet",
    "issue list",
    "issue column",
    "issue cell",
    "issue value",
    "issue rule",
    "issue message",
    "child id",
    "given name",
    "family name",
    "postcode",
    "child team",
    "child worker",
    "event agency",
    "event sheet",
    "event attribute",
    "event team",
    "event worker",
    "sample purpose",
    "stratum",
    "replacement reason",
    "evidence",
    "strengths",
    "improvements",
    "overall reason",
    "theme",
    "moderation reason",
    "concern text",
    "concern response",
    "e-mail tried at sign-in",
)


def _mark(field: str) -> str:
    """The field's own cell reference (short enough for a postcode column)."""
    return f"ZZ{FIELDS.index(field):02d}"


def hostile(field: str) -> str:
    """A value that a spreadsheet would evaluate, ending with the field's own mark."""
    return f"{TRIGGERS[FIELDS.index(field) % len(TRIGGERS)]}1+1*{_mark(field)}"


# Which hostile fields reach each file (pseudonymised files drop or scrub some of them).
WORKBOOK = set(FIELDS) - {"upload agency", "summary table", "summary sheet"}
WORKBOOK -= {"e-mail tried at sign-in", "child team", "child worker"}
TABLES = WORKBOOK - {"inspection title", "authority name", "moderation reason"}
TABLES -= {"concern text", "concern response"}
FEEDBACK = {"child team", "child worker", "strengths", "improvements"}
PACK = {"child id", "given name", "family name", "stratum", "evidence", "strengths"}
PACK |= {"improvements", "overall reason", "theme", "sample purpose", "user name"}
ISSUES = {"upload file name", "upload agency", "summary table", "summary sheet"}
ISSUES |= {f for f in FIELDS if f.startswith("issue ")}
CHRONOLOGY = {"event agency", "upload file name", "event sheet", "event attribute"}
CHRONOLOGY |= {"event team", "event worker"}
ACCESS_LOG = {"e-mail tried at sign-in"}


async def _make_hostile(world: World) -> None:
    """Every field of the world's own inspection that an export shows, made hostile."""
    case = world.own
    h = hostile
    inspection = await Inspection.get(id=case.inspection_id)
    await Inspection.filter(id=inspection.id).update(title=h("inspection title"))
    await LocalAuthority.filter(id=inspection.la_id).update(name=h("authority name"))
    await Upload.filter(inspection_id=inspection.id).update(
        filename=h("upload file name"),
        agency=h("upload agency"),
        summary={
            "tables": [
                {
                    "name": h("summary table"),
                    "sheet": h("summary sheet"),
                    "header_row": 2,
                    "rows": 3,
                    "accepted": 3,
                    "rejected": 0,
                    "issues": {"warning": 1},
                }
            ]
        },
    )
    await ValidationIssue.filter(inspection_id=inspection.id).update(
        sheet=h("issue sheet"),
        list_name=h("issue list"),
        column=h("issue column"),
        cell=h("issue cell"),
        value=h("issue value"),
        rule=h("issue rule"),
        message=h("issue message"),
    )
    await Child.filter(id=case.child_id).update(
        la_child_id=h("child id"),
        given_name=h("given name"),
        family_name=h("family name"),
        postcode=h("postcode"),
        team=h("child team"),
        worker=h("child worker"),
    )
    await Event.filter(inspection_id=inspection.id, child_id=case.child_id).update(
        agency=h("event agency"),
        source_sheet=h("event sheet"),
        team=h("event team"),
        worker=h("event worker"),
        attributes={"source": h("event attribute")},
    )
    await Sample.filter(id=case.sample_id).update(purpose=h("sample purpose"))
    await SampleMember.filter(sample_id=case.sample_id).update(stratum=h("stratum"))
    await SampleMember.filter(sample_id=case.sample_id, status="replaced").update(
        reason=h("replacement reason")
    )
    await Audit.filter(inspection_id=inspection.id).update(
        strengths=h("strengths"),
        improvements=h("improvements"),
        overall_reason=h("overall reason"),
        themes=[h("theme")],
    )
    await Score.filter(inspection_id=inspection.id).update(evidence=h("evidence"))
    await Moderation.filter(inspection_id=inspection.id).update(reason=h("moderation reason"))
    await Concern.filter(inspection_id=inspection.id).update(
        text=h("concern text"),
        response=h("concern response"),
        actions=[{"by": "x", "action": "raised", "text": h("concern text")}],
    )


def _xlsx_problems(data: bytes) -> tuple[list[str], str]:
    """Formulas and unquoted formula-like text in a workbook, and all of its text."""
    problems = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            sheet = name.startswith("xl/worksheets/") and name.endswith(".xml")
            if sheet and re.search(rb"<f[ >]", archive.read(name)):
                problems.append(f"{name}: a formula element")
    texts = []
    for ws in load_workbook(io.BytesIO(data)):
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{ws.title}!{cell.coordinate}: formula {cell.value!r}")
                value = cell.value
                if isinstance(value, str):
                    texts.append(value)
                    if value.startswith(TRIGGERS) and not cell.quotePrefix:
                        problems.append(f"{ws.title}!{cell.coordinate}: {value!r}")
    return problems, "\n".join(texts)


def _csv_problems(text: str) -> tuple[list[str], str]:
    problems = []
    fields = []
    for r, row in enumerate(csv.reader(io.StringIO(text.lstrip("\ufeff")))):
        for c, value in enumerate(row):
            fields.append(value)
            if value.startswith(TRIGGERS) and not re.fullmatch(r"-?\d+(\.\d+)?", value):
                problems.append(f"row {r + 1} field {c + 1}: {value!r}")
    return problems, "\n".join(fields)


def _reached(text: str, fields: set[str]) -> set[str]:
    """The hostile fields whose value is in the file (case aside: agency labels are
    capitalised)."""
    lower = text.lower()
    return {f for f in fields if _mark(f).lower() in lower}


@pytest_asyncio.fixture
async def client(db: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest_asyncio.fixture
async def world(db: Settings) -> AsyncIterator[World]:
    w = await build_world(user_name=hostile("user name"))
    await _make_hostile(w)
    yield w


async def _download(client: httpx2.AsyncClient, world: World, role: Role, path: str) -> Any:
    response = await client.get(path, headers=world.headers(role))
    assert response.status_code == 200, (path, response.status_code)
    return response


L, ADMIN = Role.LEAD_INSPECTOR, Role.ADMIN
_I = "/inspections/{inspection_id}"
# route -> (who downloads it, what the file is, the hostile fields that must reach it)
# (an export's button is named as in tests/export/made.py: its file is made by a job)
ROUTES: dict[str, tuple[Role, str, set[str]]] = {
    "workbook-identifiable": (L, "xlsx", WORKBOOK),
    "workbook": (L, "xlsx", set()),
    "tables-identifiable": (L, "zip", TABLES),
    "tables": (L, "zip", set()),
    "pack": (L, "xlsx", PACK),
    f"{_I}/evidence/uploads/{{upload_id}}/issues.xlsx": (L, "xlsx", ISSUES),
    f"{_I}/audits/feedback.csv": (L, "csv", FEEDBACK),
    f"{_I}/children/{{child_id}}/chronology.csv": (L, "csv", CHRONOLOGY),
    "/admin/access-log.csv": (ADMIN, "csv", ACCESS_LOG),
}


@pytest.mark.parametrize("route", list(ROUTES))
async def test_no_file_the_app_produces_carries_a_formula(client, db, world, route):
    role, kind, fields = ROUTES[route]
    tried = await client.post(
        "/login", data={"email": hostile("e-mail tried at sign-in"), "password": "wrong one"}
    )
    assert tried.status_code == 401
    if route in BUTTONS:
        headers = world.headers(role, **{"sec-fetch-site": "same-origin"})
        response = await export_button(client, db, route, world.own.params(), headers)
    else:
        response = await client.get(route.format(**world.own.params()), headers=world.headers(role))
    assert response.status_code == 200, response.status_code
    if kind == "xlsx":
        problems, text = _xlsx_problems(response.content)
    elif kind == "csv":
        problems, text = _csv_problems(response.content.decode("utf-8"))
    else:
        problems, texts = [], []
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            for name in archive.namelist():
                found, one = _csv_problems(archive.read(name).decode("utf-8"))
                problems += [f"{name} {p}" for p in found]
                texts.append(one)
        text = "\n".join(texts)
    assert problems == []
    assert _reached(text, fields) == fields


def test_every_hostile_field_reaches_some_file():
    reached = WORKBOOK | TABLES | FEEDBACK | PACK | ISSUES | CHRONOLOGY | ACCESS_LOG
    assert reached == set(FIELDS)


def test_only_the_one_writer_writes_csv_and_every_workbook_maker_uses_it():
    """A new CSV or workbook that bypasses ``inspection/export/cells.py`` fails here (the
    synthetic authority generator writes input files, formulas on purpose, and is left out)."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "inspection"
    writers, workbooks = [], []
    for path in sorted(package.rglob("*.py")):
        name = path.relative_to(package).as_posix()
        if name.startswith("synthetic/") or name == "export/cells.py":
            continue
        text = path.read_text(encoding="utf-8")
        if "csv.writer(" in text or "csv.DictWriter(" in text:
            writers.append(name)
        if "Workbook(" in text and "from inspection.export.cells import" not in text:
            workbooks.append(name)
    assert (writers, workbooks) == ([], [])
