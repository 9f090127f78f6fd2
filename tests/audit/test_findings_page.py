"""The findings page as an inspector reads it: the judgement first, then every domain's grades
in one chart with its table, then the detail; the workbook shows the same figures."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import httpx2
from openpyxl import load_workbook

from inspection.audit.findings import findings
from inspection.audit.rubric import default_rubric
from inspection.audit.visibility import COMMAND_LINE
from inspection.export.workbook import build_workbook
from inspection.models import Audit, Inspection, SampleMember, Score, User
from inspection.web.app import create_app
from tests.audit.helpers import PASSWORD, make_inspection, make_sample, make_user

# The grades of "Quality of assessment and analysis", audit by audit; every other domain Good.
ASSESSMENT = ["outstanding", "good", "good", "inadequate", "not_applicable"]
ASSESSMENT_TITLE = "Quality of assessment and analysis"
JUDGEMENT = (
    "Children are seen and heard, and most get help that fits their needs.\n\n"
    "Management oversight is not yet consistent: plans drift when workers change."
)


class Tables(HTMLParser):
    """Each table's rows (cell texts) by caption, and whether each cell holds a link."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[tuple[str, bool]]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[tuple[str, bool]]] | None = None
        self._cell: list[str] | None = None
        self._linked = False
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and self._rows is not None and not self._in_head:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows and not self._in_head:
            self._cell, self._linked = [], False
        elif tag == "a" and self._cell is not None:
            self._linked = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self._name = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag == "thead":
            self._in_head = False
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            self._rows[-1].append((" ".join("".join(self._cell).split()), self._linked))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables.setdefault(getattr(self, "_name", ""), self._rows)
            self._rows, self._name = None, ""

    def handle_data(self, data: str) -> None:
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[tuple[str, bool]]]]:
    parser = Tables()
    parser.feed(html)
    return parser.tables


async def _client(db, email: str) -> httpx2.AsyncClient:
    app = create_app(db, manage_database=False)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    )
    r = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303
    return client


async def _audited(
    inspection: Inspection, members: list[SampleMember], auditor: User
) -> list[Audit]:
    """A submitted first marking of each member: "assessment" graded as ``ASSESSMENT``."""
    rubric = await default_rubric()
    audits = []
    for i, member in enumerate(members):
        audit = await Audit.create(
            inspection=inspection,
            member=member,
            child_id=member.child_id,
            auditor=auditor,
            rubric=rubric,
            status="submitted",
            overall="good",
            submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
        )
        for d in rubric.definition["domains"]:
            grade = ASSESSMENT[i % len(ASSESSMENT)] if d["key"] == "assessment" else "good"
            await Score.create(
                inspection_id=inspection.id, audit=audit, domain=d["key"], grade=grade
            )
        audits.append(audit)
    return audits


async def _world():
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=10)
    auditor = await make_user(inspection, "a@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    await make_user(inspection, "qa@x.test", "qa_viewer")
    audits = await _audited(inspection, members[:5], auditor)
    return inspection, members, auditor, lead, audits


async def test_the_page_opens_with_the_judgement_a_lead_wrote(db):
    inspection, _, _, lead, _ = await _world()
    base = f"/inspections/{inspection.id}"
    lead_client = await _client(db, "lead@x.test")
    before = await lead_client.get(f"{base}/findings")
    assert "The lead inspector has not written the judgement yet." in before.text
    assert f'href="{base}/findings/judgement">Write the judgement</a>' in before.text

    refused = await lead_client.post(f"{base}/findings/judgement", data={"judgement": "  \n "})
    assert refused.status_code == 400
    assert '<a href="#judgement">Enter the inspectors’ judgement</a>' in refused.text
    assert (await Inspection.get(id=inspection.id)).judgement == ""
    too_long = "x" * 20_001
    refused = await lead_client.post(f"{base}/findings/judgement", data={"judgement": too_long})
    assert refused.status_code == 400
    assert "The judgement must be 20,000 characters or fewer" in refused.text
    assert f">{too_long}</textarea>" in refused.text  # what was typed is kept

    saved = await lead_client.post(f"{base}/findings/judgement", data={"judgement": JUDGEMENT})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{base}/findings?saved=judgement"
    page = (await lead_client.get(saved.headers["location"])).text
    assert "The inspectors’ judgement has been saved" in page
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    first = '<p class="govuk-body-l">Children are seen and heard, and most get help'
    second = '<p class="govuk-body-l">Management oversight is not yet consistent'
    assert f"Written by lead on {today}." in page
    # The judgement comes before the figures: the sample choice, the chart and every table.
    assert (
        page.index(first)
        < page.index(second)
        < page.index('<label class="govuk-label" for="sample">')
    )
    assert page.index(second) < page.index('class="app-grade-chart"')
    assert page.index(second) < page.index("<table")
    form = (await lead_client.get(f"{base}/findings/judgement")).text
    assert f">{JUDGEMENT}</textarea>" in form

    # Every member reads it; only a lead may change it.
    qa = await _client(db, "qa@x.test")
    qa_page = (await qa.get(f"{base}/findings")).text
    assert first in qa_page and "Change the judgement" not in qa_page
    assert (await qa.get(f"{base}/findings/judgement")).status_code == 404
    assert (await qa.post(f"{base}/findings/judgement", data={"judgement": "x"})).status_code == 404
    assert (await Inspection.get(id=inspection.id)).judgement == JUDGEMENT

    # The findings (what the page, the export and `inspection findings --json` show) carry it.
    doc = await findings(inspection.id, COMMAND_LINE)
    assert (doc["judgement"]["text"], doc["judgement"]["written_by"]) == (JUDGEMENT, "lead")
    assert datetime.fromisoformat(doc["judgement"]["written_at"]).strftime("%d/%m/%Y") == today
    assert json.loads(json.dumps(doc))["judgement"] == doc["judgement"]

    # The workbook holds the same judgement, on the sheet after About.
    export = await build_workbook(inspection.id, lead, pseudonymise=False)
    wb = load_workbook(io.BytesIO(export.data))
    assert wb.sheetnames[:3] == ["About", "Judgement", "Summary"]
    sheet = [tuple(r) for r in wb["Judgement"].iter_rows(values_only=True)]
    assert sheet[0] == ("Judgement", "Written by", "Written at")
    assert sheet[1][:2] == (JUDGEMENT, "lead")


async def test_the_headline_chart_and_its_table_hold_every_domains_grades(db):
    inspection, _, _, lead, audits = await _world()
    rubric = await default_rubric()
    domains = [d["title"] for d in rubric.definition["domains"]]
    client = await _client(db, "lead@x.test")
    page = (await client.get(f"/inspections/{inspection.id}/findings")).text
    numbers = tables(page)["Grades in every domain: the numbers"]
    by_domain = {row[0][0]: row[1:] for row in numbers}
    assert list(by_domain) == domains  # one row per domain, no overall grade among them
    # Outstanding, Good, Requires improvement, Inadequate, Not applicable, Good or better
    assert [text for text, _ in by_domain[ASSESSMENT_TITLE]] == [
        "1",
        "2",
        "0",
        "1",
        "1",
        "3 of 4 (75.0%)",
    ]
    assert [text for text, _ in by_domain["Management oversight"]] == [
        "0",
        "5",
        "0",
        "0",
        "0",
        "5 of 5 (100.0%)",
    ]
    # A count of 0 is plain text; any other count links to its audits.
    assert [linked for _, linked in by_domain[ASSESSMENT_TITLE][:5]] == [
        True,
        True,
        False,
        True,
        True,
    ]
    ids = [a.id for a in audits]
    trace = f"/inspections/{inspection.id}/findings/audits?ids="
    assert f'<a class="govuk-link" href="{trace}{ids[1]},{ids[2]}">2</a>' in page
    assert ">0</a>" not in page
    # The chart: a bar per domain, segments in the grade colours, and a visible key.
    assert page.count('<svg class="app-grade-chart__bar"') == len(domains)
    key = re.findall(r'fill="(#\w+)"></rect></svg>([^<]+)</li>', page)
    assert key == [
        ("#00703C", "Outstanding"),
        ("#85994B", "Good"),
        ("#F47738", "Requires improvement to be good"),
        ("#D4351C", "Inadequate"),
    ]
    assert '<rect x="0.0%" y="0" width="25.0%" height="28" fill="#00703C"' in page
    assert '<rect x="25.0%" y="0" width="50.0%" height="28" fill="#85994B"' in page
    assert '<rect x="75.0%" y="0" width="25.0%" height="28" fill="#D4351C"' in page

    # The single overall grade is secondary: folded away in a closed details component.
    overall = page.index("The single overall grade, and its breakdowns")
    assert page.rindex("<details", 0, overall) > page.index("Grades in every domain: the numbers")
    assert page[page.rindex("<details", 0, overall) :].startswith('<details class="govuk-details">')

    # The workbook's Summary sheet shows the same numbers, from the same computation.
    export = await build_workbook(inspection.id, lead, pseudonymise=False)
    summary = [
        tuple(r)
        for r in load_workbook(io.BytesIO(export.data))["Summary"].iter_rows(values_only=True)
    ]
    row = next(r for r in summary if r[1] == ASSESSMENT_TITLE)
    assert row[2:9] == (1, 2, 0, 1, 1, 4, 3)
    assert summary[0][-1] == "Fewer than 10 graded audits"
    assert row[-1] == "Too few to say much"


async def test_a_sample_too_small_to_say_much_is_warned_of(db):
    inspection, members, auditor, _, _ = await _world()
    client = await _client(db, "lead@x.test")
    url = f"/inspections/{inspection.id}/findings"
    warning = (
        "Only 5 audited children: with fewer than 10, these figures describe these children’s "
        "experience and say little about the authority’s practice as a whole."
    )
    page = (await client.get(url)).text
    assert warning in page
    shares = tables(page)["Share of graded audits judged good or better"]
    assert shares[0][0][0] == "The child seen, heard and understood Too few to say much"
    assert "A figure from fewer than 10 graded audits is marked “Too few to say much”" in page
    summary = '<span class="govuk-details__summary-text">{}</span></summary>'
    assert summary.format("What the 95% interval means") in page
    assert summary.format("What the weighting does") in page

    await _audited(inspection, members[5:], auditor)  # ten audited children
    page = (await client.get(url)).text
    assert "audited children: with fewer than" not in page
    shares = tables(page)["Share of graded audits judged good or better"]
    assert shares[0][0][0] == "The child seen, heard and understood"
    # "assessment": 2 of 10 not applicable leaves 8 graded, still too few for that domain
    assessment = next(r for r in shares if r[0][0].startswith(ASSESSMENT_TITLE))
    assert assessment[0][0] == f"{ASSESSMENT_TITLE} Too few to say much"
    assert assessment[1][0] == "6 of 8"
