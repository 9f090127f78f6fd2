"""A whole inspection in a real browser, from a new deployment's first administrator to the
spreadsheets, without the command line.

The command line only creates the first administrator, as a new deployment does. In the browser
the administrator adds the local authority, invites the lead inspector and two inspectors (each
sets their own password from the link), creates the inspection and its team; the lead uploads
the evidence, reads the validation report, runs linkage and settles a pair, opens a child's
journey, previews a population and draws a seeded sample; the inspectors audit children; the
lead sets blind second marking, the second inspector marks one child, the lead moderates.
Then the inspection as practised beyond the random sample: the lead tracks a child chosen on
purpose (with the reason and the line of enquiry) and records a conversation with them, which
the tracked case's audit cites as evidence; the lead records the two inspectors as the police's
and health's auditors and sets up a multi-agency audit of a child, each completes their agency's
part (blind to the other's until both are in) and the joint discussion is recorded; the lead
records an action from the Inadequate audit, its owner records it done with the evidence, the
lead records why the child is audited again and the child is re-audited, and the journey and the
findings show the grades before and after. The findings page is read (the tracked case beside
the sampled children's figures) and the QA workbook and the CSV files are opened to check they
hold the figures the page showed, the tracked case, the conversation, the action and the
multi-agency audit. Each user-visible action (a page visited, a form submitted, a button
clicked) is a step; the test prints how many the whole inspection took. Every page it visits is
checked with axe-core.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from inspection.evidence.labels import source_kind_label
from inspection.uk_time import in_uk
from tests.conftest import ROOT
from tests.e2e.conftest import (
    ADMIN,
    PASSWORD,
    LiveServer,
    assert_accessible,
    serve_app,
    sign_in,
)

DEMO = ROOT / "fixtures" / "demo"
MESSY = ROOT / "fixtures" / "messy"
SEED = "e2e5eed0"
DOMAINS = (
    "child_seen",
    "need_and_risk",
    "assessment",
    "help_matched",
    "agencies_together",
    "planning_review",
    "management_oversight",
    "impact",
)


def create_inspection(page: Any, title: str) -> int:
    page.goto("/inspections")
    page.get_by_role("link", name="Create an inspection").click()
    page.wait_for_url("**/inspections/new")
    assert_accessible(page)
    page.get_by_label("Local authority").select_option("E2E")
    page.get_by_label("Kind").select_option("ilacs-standard")
    page.get_by_label("Title").fill(title)
    reference = page.get_by_role("group", name="Reference date")
    reference.get_by_label("Day").fill("2")
    reference.get_by_label("Month").fill("11")
    reference.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Create inspection").click()
    page.wait_for_url(re.compile(r".*/inspections/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == title
    return int(page.url.rsplit("/", 1)[1])


def upload(page: Any, inspection_id: int, path: Path, kind: str, agency: str = "") -> None:
    """Upload one file through the form and wait for the progress fragment to finish."""
    if not page.url.endswith(f"/inspections/{inspection_id}/evidence"):
        page.goto(f"/inspections/{inspection_id}/evidence")
    page.get_by_role("radio", name=source_kind_label(kind)).check()
    agency_field = page.get_by_label("Agency the extract comes from")
    # The agency's name is asked for with an agency extract only.
    assert agency_field.is_visible() == (kind == "agency")
    if agency:
        agency_field.fill(agency)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    # The fragment polls itself while loading; its heading says how the file ended.
    outcome = page.locator("#upload-progress h2", has_text=path.name)
    outcome.wait_for(timeout=60000)
    assert outcome.inner_text() == f"{path.name} loaded", page.inner_text("#upload-progress")


def save_and_wait(page: Any, inspection_id: int, audit_id: int) -> None:
    """Wait until the autosave has stored everything typed (the browser's draft is cleared)."""
    page.wait_for_function(
        "key => window.localStorage.getItem(key) === null"
        " && document.getElementById('autosave-status').textContent.includes('Saved at')",
        arg=f"audit-draft-{inspection_id}-{audit_id}",
        timeout=20000,
    )


def fill_audit(page: Any, grades: dict[str, str], evidence: dict[str, str]) -> None:
    for domain in DOMAINS:
        page.locator(f"#{domain}-{grades[domain]}").check()
        page.locator(f"#{domain}-evidence").fill(evidence[domain])


def test_messy_annex_a_validation_report(page):
    sign_in(page)
    inspection_id = create_inspection(page, "E2E messy files")
    page.goto(f"/inspections/{inspection_id}/evidence")
    assert_accessible(page)
    upload(page, inspection_id, MESSY / "annex_a.xlsx", "annex-a")
    assert page.locator("#upload-progress .govuk-panel__body").inner_text() == (
        "0 errors, 8 warnings, 0 notes"
    )
    page.get_by_role("link", name="Read the validation report").click()
    page.wait_for_url(re.compile(r".*/evidence/uploads/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == ("Validation report: annex_a.xlsx")
    issues = page.locator("#issues")
    assert issues.locator("p").first.inner_text().startswith("8 issues.")
    assert issues.locator("tbody tr").count() == 8
    # Problems are grouped by what is wrong, with their counts; each group opens to its cells.
    groups = issues.locator("summary")
    counts: dict[str, int] = {}
    for title in groups.all_inner_texts():
        about, counted = title.rsplit(" — ", 1)
        kind = "duplicate" if about.startswith("The same record appears twice") else about
        counts[kind] = counts.get(kind, 0) + int(counted.split()[0])
    assert counts.pop("duplicate") == 6
    assert sum(n for about, n in counts.items() if " is blank in List " in about) == 2
    for group in groups.all():
        group.click()
    text = issues.inner_text()
    assert "'Ethnicity' is blank; every row of List 3 should have it." in text
    assert "this looks like the same record twice. Both rows were loaded." in text
    # The sheet renamed "Contacts" was still read as List 1.
    rows_read = page.locator("table", has_text="Rows read")
    assert rows_read.locator("tr", has_text="Contacts").first.inner_text().split("\t")[:2] == [
        "List 1: Contacts",
        "Contacts",
    ]
    assert_accessible(page)
    # Filtering by rule narrows the table in place (htmx) and keeps the URL shareable.
    page.get_by_label("Rule").select_option("missing_value")
    page.wait_for_url("**rule=missing_value**")
    issues.locator("p", has_text="2 issues.").wait_for()
    assert issues.locator("tbody tr").count() == 2
    assert_accessible(page)


def test_the_agency_is_asked_for_only_with_an_agency_extract(page, browser, live_server):
    sign_in(page)
    inspection_id = create_inspection(page, "E2E upload form")
    page.goto(f"/inspections/{inspection_id}/evidence")
    agency = page.get_by_label("Agency the extract comes from")
    assert page.get_by_role("radio", name="Annex A workbook").is_checked()
    assert not agency.is_visible()
    page.get_by_role("radio", name="Partner-agency extract").check()
    assert agency.is_visible()
    assert_accessible(page)
    page.get_by_role("radio", name="CIN census").check()
    assert not agency.is_visible()
    # Without scripts the question is always there, for whoever chooses an agency extract.
    plain = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        no_script = plain.new_page()
        sign_in(no_script)
        no_script.goto(f"/inspections/{inspection_id}/evidence")
        assert no_script.get_by_label("Agency the extract comes from").is_visible()
    finally:
        plain.close()


class Walk:
    """Counts the user-visible actions of the walk: pages visited, forms submitted, buttons
    clicked. Typing into a field or ticking a box is part of the form it belongs to."""

    def __init__(self) -> None:
        self.steps: list[str] = []

    def step(self, who: str, what: str) -> None:
        self.steps.append(f"{who}: {what}")

    def goto(self, page: Any, who: str, url: str) -> None:
        page.goto(url)
        self.step(who, f"visits {url}")

    def click(self, page: Any, who: str, target: Any, what: str) -> None:
        """Click a link or a button that opens another page, and wait for it."""
        with page.expect_navigation():
            target.click()
        self.step(who, what)

    def section(self, page: Any, who: str, name: str) -> None:
        """Follow the inspection's service navigation to one of its sections."""
        nav = page.get_by_role("navigation", name="Inspection")
        self.click(page, who, nav.get_by_role("link", name=name, exact=True), f"opens {name}")

    def admin_section(self, page: Any, name: str) -> None:
        nav = page.get_by_role("navigation", name="Administration")
        self.click(page, "admin", nav.get_by_role("link", name=name, exact=True), f"opens {name}")


ADMIN_EMAIL = "admin@e2e.example"
PEOPLE = {
    "lead": ("Lee Lead", "lee.lead@walk.example", "Lead inspector", "lead's password 1"),
    "first": ("Ines First", "ines.first@walk.example", "Inspector", "first's password 2"),
    "second": ("Sami Second", "sami.second@walk.example", "Inspector", "second's password 3"),
}
TITLE = "Walkshire ILACS"


@pytest.fixture(scope="module")
def new_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A migrated, empty service whose only account is the first administrator."""
    with serve_app(tmp_path_factory.mktemp("walk"), [ADMIN]) as server:
        yield server


def heading(page: Any) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def banner(page: Any) -> str:
    return page.get_by_role("alert").inner_text()


def browser_for(browser: Any, server: LiveServer) -> Any:
    context = browser.new_context(
        base_url=server.url, accept_downloads=True, viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def sign_in_as(walk: Walk, page: Any, who: str, email: str, password: str) -> None:
    walk.goto(page, who, "/login")
    assert heading(page) == "Sign in"
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    walk.click(page, who, page.get_by_role("button", name="Sign in"), "signs in")
    page.wait_for_url("**/inspections")
    assert heading(page) == "Inspections and audits"


def invite(walk: Walk, page: Any, key: str) -> str:
    """The admin invites one person; the set-password link shown."""
    name, email, role, _ = PEOPLE[key]
    walk.admin_section(page, "Users")
    walk.click(page, "admin", page.get_by_role("link", name="Invite a user"), "opens Invite")
    assert heading(page) == "Invite a user"
    page.get_by_label("Full name").fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(role, exact=True).check()
    walk.click(
        page, "admin", page.get_by_role("button", name="Invite and get the link"), f"invites {name}"
    )
    assert heading(page) == f"{name} is invited"
    assert page.locator(".govuk-panel__body").inner_text() == f"As {role.lower()}"
    return page.locator("#password-link").inner_text()


def set_password(walk: Walk, page: Any, key: str, link: str) -> None:
    """The invited person follows their link, sets a password and signs in."""
    name, email, _, password = PEOPLE[key]
    walk.goto(page, key, link)
    assert heading(page) == "Set your password"
    page.get_by_label("Create a password").fill(password)
    page.get_by_label("Type the password again").fill(password)
    walk.click(page, key, page.get_by_role("button", name="Set my password"), "sets a password")
    assert banner(page).endswith(
        "Your password is set. Sign in with your e-mail address and your new password."
    )
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    walk.click(page, key, page.get_by_role("button", name="Sign in"), "signs in")
    assert heading(page) == "Inspections and audits"
    assert page.locator("header").inner_text().count(name) == 1


def add_to_team(walk: Walk, page: Any, key: str, role_value: str) -> None:
    name, _, role, _ = PEOPLE[key]
    account = page.get_by_role("navigation", name="Account")
    walk.click(page, "admin", account.get_by_role("link", name="Administration"), "opens Users")
    assert heading(page) == "Users"
    walk.click(page, "admin", page.get_by_role("link", name=name, exact=True), f"opens {name}")
    assert heading(page) == name
    page.get_by_label("Inspection", exact=True).select_option(label=f"{TITLE} (Walkshire Council)")
    page.get_by_label("Role in the inspection").select_option(role_value)
    walk.click(
        page, "admin", page.get_by_role("button", name="Add to the inspection"), f"adds {name}"
    )
    assert banner(page).endswith(f"{name} was added to {TITLE}.")
    row = page.locator("#inspections ~ table tbody tr").first.inner_text().split("\t")[:3]
    assert row == [TITLE, "Walkshire Council", role]


def upload_file(walk: Walk, page: Any, path: Path, kind: str, agency: str = "") -> None:
    """Upload one file through the form and wait for the result to show in the page."""
    page.get_by_role("radio", name=source_kind_label(kind)).check()
    if agency:
        page.get_by_label("Agency the extract comes from").fill(agency)
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()
    walk.step("lead", f"uploads {path.name}")
    progress = page.locator("#upload-progress")
    progress.get_by_text(f"{path.name} loaded", exact=True).wait_for(timeout=120000)


def audit_id_from(page: Any) -> int:
    return int(page.url.split("/audits/")[1].split("?")[0].split("#")[0])


# An audit's heading: what marking it is, of which child (a tracked case is tagged).
AUDIT_HEADING = re.compile(
    r"^(?P<title>First marking|Second marking|Re-audit|\w+ part of the multi-agency audit)"
    r" of (?P<child>.+?)(?: Tracked case)?$"
)


def fill_and_submit(
    walk: Walk,
    page: Any,
    who: str,
    inspection_id: int,
    grades: dict[str, str],
    note: str,
    conversation: str = "",
) -> tuple[int, str]:
    """Fill the rubric, cite the first event of the journey as evidence for the first domain
    (and the conversation labelled ``conversation``, if given), submit; the audit's id and the
    child's name from the confirmation."""
    audit = audit_id_from(page)
    found = AUDIT_HEADING.match(heading(page))
    assert found, heading(page)
    title, child = found["title"], found["child"]
    for domain in DOMAINS:
        page.locator(f"#{domain}-{grades[domain]}").check()
        page.locator(f"#{domain}-evidence").fill(f"{note}: {domain.replace('_', ' ')}")
    cite = page.locator(f"#domain-{DOMAINS[0]}")
    cite.get_by_text("Cite events from the journey").click()
    walk.step(who, "opens the events to cite")
    cite.locator(".govuk-checkboxes__input").first.check()
    if conversation:
        cite.get_by_text("Cite conversations").click()
        walk.step(who, "opens the conversations to cite")
        cite.get_by_label(conversation, exact=True).check()
    page.get_by_label("Strengths").fill(f"{note}: the child's wishes are recorded.")
    page.get_by_label("What would make it better for this child").fill("A plan that is reviewed.")
    save_and_wait(page, inspection_id, audit)
    walk.click(page, who, page.get_by_role("button", name="Check and submit"), "submits")
    page.wait_for_url(f"**/audits/{audit}?submitted=yes")
    assert page.locator(".govuk-panel__title").inner_text() == "Audit submitted"
    assert page.locator(".govuk-panel__body").inner_text() == f"{title} of {child}"
    assert page.get_by_role("heading", name="Next child in your list").is_visible()
    assert_accessible(page)
    return audit, child


def share_rows(page: Any, caption: str) -> dict[str, tuple[str, str]]:
    """A share table of the findings page, found by its caption: row → ("k of n", share
    text)."""
    table = page.locator("table", has_text=caption).first
    rows = {}
    for text in table.locator("tbody tr").all_inner_texts():
        cells = text.split("\t")
        domain, *tag = cells[0].split("\n")  # a figure from under 10 audits is tagged
        assert [t.strip() for t in tag] in ([], ["Too few to say much"]), cells[0]
        rows[domain.strip()] = (cells[1], cells[2])
    return rows


def column_cells(page: Any, caption: str, *columns: str) -> dict[str, list[str]]:
    """Chosen columns of a findings table, found by its caption: row → the cells, in order."""
    table = page.locator("table", has_text=caption).first
    header = table.locator("thead th").all_inner_texts()
    wanted = [header.index(c) for c in columns]
    out = {}
    for row in table.locator("tbody tr").all():
        cells = [c.inner_text() for c in row.locator("th, td").all()]
        out[cells[0].split("\n")[0].strip()] = [cells[i] for i in wanted]
    return out


def as_displayed(value: float) -> str:
    """A fraction in a cell formatted ``0.0%`` as a spreadsheet shows it (half away from
    zero, from the decimal the cell holds)."""
    return f"{(Decimal(str(value)) * 100).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


def shown(share: float | None, low: float | None, high: float | None) -> str:
    """A share and its interval from the workbook, in the findings page's words."""
    if share is None or low is None or high is None:
        return "–"
    return f"{as_displayed(share)} ({as_displayed(low)} to {as_displayed(high)})"


GRADE_LABELS = {
    "outstanding": "Outstanding",
    "good": "Good",
    "requires_improvement": "Requires improvement to be good",
    "inadequate": "Inadequate",
}
DOMAIN_TITLES = {
    "child_seen": "The child seen, heard and understood",
    "need_and_risk": "Need and risk recognised early across agencies",
    "assessment": "Quality of assessment and analysis",
    "help_matched": "Help matched to need and received",
    "agencies_together": "Agencies working together",
    "planning_review": "Planning and review",
    "management_oversight": "Management oversight",
    "impact": "Impact: what difference the help made and whether it lasted",
}
TRACK_REASON = "Four contacts in a year in the management information, each closed."
TRACK_LINE = "The response to repeat contacts at the front door"
HEARD_ON = date(2026, 11, 20)
SAID = "Nobody asked me what I wanted. I just want my mum to stop being sad."
TELLS_US = "The child was not asked for their wishes before the contacts were closed."
ACTION = "Review the plan of this child with the team manager within the month."
DONE = "Plan reviewed with the team manager; the review is on the child's record."
DISAGREED = "Police saw the agencies working together as weaker than health did."
REAUDIT_REASON = "The action from the Inadequate audit is done: check whether the help changed."


def uk_today() -> date:
    """Today as the pages date things: in UK time (a run near midnight may see two days)."""
    return in_uk(datetime.now(UTC)).date()


def enter_date(page: Any, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def words(locator: Any) -> str:
    """A part of the page as one line of words (a screen reader's reading of it)."""
    return " ".join(locator.inner_text().split())


def summary_of(list_locator: Any) -> dict[str, str]:
    """A GOV.UK summary list as key → value, as the page shows them."""
    return {
        row.locator("dt").inner_text(): row.locator("dd").inner_text()
        for row in list_locator.locator(".govuk-summary-list__row").all()
    }


def table_rows(table: Any) -> list[list[str]]:
    return [
        [c.inner_text() for c in row.locator("th, td").all()]
        for row in table.locator("tbody tr").all()
    ]


def before_after_rows(before: dict[str, str], after: dict[str, str]) -> list[list[str]]:
    """The before and after table of a child audited again, computed from the grades given:
    each domain, then the overall (the proposed overall of each audit, given here)."""
    rank = list(GRADE_LABELS)
    rows = []
    for key in [*DOMAINS, "overall"]:
        b, a = before[key], after[key]
        change = "Better" if rank.index(a) < rank.index(b) else "The same"
        if rank.index(a) > rank.index(b):
            change = "Worse"
        title = DOMAIN_TITLES.get(key, "Overall judgement")
        rows.append([title, GRADE_LABELS[b], GRADE_LABELS[a], change])
    return rows


def test_a_whole_inspection_in_the_browser(browser, new_deployment, tmp_path):
    server = new_deployment
    walk = Walk()
    admin = browser_for(browser, server)

    # --- the first administrator sets up the authority, the people and the inspection -------
    sign_in_as(walk, admin, "admin", ADMIN_EMAIL, PASSWORD)
    assert admin.locator("main p").first.inner_text() == (
        "There are no inspections yet. First add the local authority, then create its first"
        " inspection from the list of authorities."
    )
    walk.click(
        admin, "admin", admin.get_by_role("link", name="add the local authority"), "follows it"
    )
    assert heading(admin) == "Local authorities"
    assert_accessible(admin)
    admin.get_by_label("Name").fill("Walkshire Council")
    admin.get_by_label("Code").fill("wlk")
    walk.click(
        admin, "admin", admin.get_by_role("button", name="Add the local authority"), "adds the LA"
    )
    assert banner(admin).endswith(
        "Walkshire Council was added. Create its first inspection from the table."
    )
    assert_accessible(admin)
    links = {key: invite(walk, admin, key) for key in PEOPLE}
    assert_accessible(admin)
    walk.admin_section(admin, "Users")
    people = admin.locator("table", has_text="Everyone who has an account").locator("tbody tr")
    assert sorted(r.split("\t")[0] for r in people.all_inner_texts()) == [
        "Ada Admin",
        "Ines First",
        "Lee Lead",
        "Sami Second",
    ]
    walk.admin_section(admin, "Local authorities")
    walk.click(
        admin,
        "admin",
        admin.get_by_role("link", name="Create an inspection for Walkshire Council"),
        "opens the new inspection form",
    )
    assert admin.get_by_label("Local authority").input_value() == "WLK"
    admin.get_by_label("Kind").select_option("ilacs-standard")
    admin.get_by_label("Title").fill(TITLE)
    reference = admin.get_by_role("group", name="Reference date")
    reference.get_by_label("Day").fill("2")
    reference.get_by_label("Month").fill("11")
    reference.get_by_label("Year").fill("2026")
    walk.click(admin, "admin", admin.get_by_role("button", name="Create inspection"), "creates it")
    admin.wait_for_url(re.compile(r".*/inspections/\d+$"))
    inspection_id = int(admin.url.rsplit("/", 1)[1])
    base = f"/inspections/{inspection_id}"
    assert heading(admin) == TITLE
    assert admin.locator(".govuk-caption-l").inner_text().endswith("reference date 02/11/2026")
    assert_accessible(admin)
    add_to_team(walk, admin, "lead", "lead_inspector")
    add_to_team(walk, admin, "first", "inspector")
    add_to_team(walk, admin, "second", "inspector")
    assert_accessible(admin)

    # --- each invited person sets their password from their link --------------------------
    lead, first, second = (browser_for(browser, server) for _ in range(3))
    for key, page in (("lead", lead), ("first", first), ("second", second)):
        set_password(walk, page, key, links[key])
    assert_accessible(lead)

    # --- the lead opens the inspection: its task list and its team --------------------------
    walk.click(lead, "lead", lead.get_by_role("link", name=TITLE), "opens the inspection")
    assert heading(lead) == TITLE
    assert "Your role: lead inspector" in lead.locator("main").inner_text()
    team = lead.locator("table", has_text="Role in this inspection").locator("tbody tr")
    assert [row.split("\t")[:3] for row in team.all_inner_texts()] == [
        ["Ines First", "ines.first@walk.example", "Inspector"],
        ["Lee Lead", "lee.lead@walk.example", "Lead inspector"],
        ["Sami Second", "sami.second@walk.example", "Inspector"],
    ]
    assert team.nth(1).locator("td").nth(3).inner_text() == "The only lead inspector"
    tasks = lead.locator("#tasks")
    assert tasks.locator("li").count() >= 8
    assert_accessible(lead)

    # --- evidence: Annex A and two agency extracts, through the upload form -----------------
    walk.section(lead, "lead", "Evidence")
    assert heading(lead) == "Evidence: upload and validation"
    assert "Nothing has been uploaded yet." in lead.locator("main").inner_text()
    assert_accessible(lead)
    upload_file(walk, lead, DEMO / "annex_a.xlsx", "annex-a")
    assert lead.locator("#upload-progress .govuk-panel__body").inner_text() == (
        "0 errors, 0 warnings, 0 notes"
    )
    assert_accessible(lead)
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name="Read the validation report"),
        "reads the report",
    )
    assert heading(lead) == "Validation report: annex_a.xlsx"
    assert lead.locator("#issues p").first.inner_text().startswith("0 issues.")
    assert lead.locator("table", has_text="Rows read").locator("tbody tr").count() == 11
    assert_accessible(lead)
    walk.section(lead, "lead", "Evidence")
    upload_file(walk, lead, DEMO / "police.csv", "agency", "Police")
    upload_file(walk, lead, DEMO / "social_care.csv", "agency", "Children's social care")
    walk.section(lead, "lead", "Evidence")
    uploads = lead.locator("table", has_text="Validation report").locator("tbody tr")
    assert [r.split("\t")[:2] for r in uploads.all_inner_texts()] == [
        ["social_care.csv", "Partner-agency extract (Children's social care)"],
        ["police.csv", "Partner-agency extract (Police)"],
        ["annex_a.xlsx", "Annex A workbook"],
    ]

    # --- linkage: run it, then settle one pair of the review queue --------------------------
    walk.section(lead, "lead", "Overview")
    tasks = lead.locator("#tasks > li")
    assert tasks.filter(has_text="Evidence").inner_text().split("\n") == [
        "Evidence",
        "3 files loaded, 0 warnings to read",
        "\tCompleted",
    ]
    assert tasks.filter(has_text="Linkage review").inner_text().split("\n") == [
        "Linkage review",
        "168 records not yet linked to a child. Next: Run linkage",
        "\tNot started",
    ]
    walk.click(
        lead,
        "lead",
        lead.locator("#tasks").get_by_role("link", name="Linkage review"),
        "opens Linkage review",
    )
    assert heading(lead) == "Linkage review"
    walk.click(lead, "lead", lead.get_by_role("button", name="Run linkage"), "runs linkage")
    lead.wait_for_url(f"**{base}/linkage/jobs/*")  # its progress, polled until it ends
    lead.get_by_role("heading", name="Linkage finished").wait_for()
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name="Go to the linkage review"),
        "opens the review queue",
    )
    lead.wait_for_url(f"**{base}/linkage?records=*")
    assert "460 records are now 242 children." in banner(lead)
    assert "3 pairs waiting for a decision." in banner(lead)
    assert lead.get_by_role("heading", name="Waiting for a decision (3)").is_visible()
    assert_accessible(lead)
    pair = lead.locator(".govuk-summary-card").first
    pair.get_by_label("Reason (optional)").fill("Different dates of birth, checked")
    walk.click(
        lead, "lead", pair.get_by_role("button", name="Different children"), "settles a pair"
    )
    assert lead.get_by_role("heading", name="Waiting for a decision (2)").is_visible()
    decided = lead.locator("table", has_text="By, when, why").locator("tbody tr")
    assert decided.count() == 1
    assert decided.first.inner_text().startswith("Different children\t")
    assert decided.first.inner_text().endswith("Different dates of birth, checked")

    # --- a child's journey and chronology -------------------------------------------------
    walk.section(lead, "lead", "Children")
    assert heading(lead) == "Children and their journeys"
    assert lead.locator("#children-rows p").first.inner_text().startswith("242 children.")
    assert_accessible(lead)
    both = (
        lead.locator("#children-rows tbody tr")
        .filter(has_text="Police")
        .filter(has_text="Children's social care")
    )
    child = both.first.get_by_role("link").first
    name = child.inner_text()
    walk.click(lead, "lead", child, "opens a child's journey")
    assert heading(lead) == name
    timeline = lead.locator("svg.app-timeline")
    assert timeline.locator("title#timeline-title").text_content().startswith("Timeline of ")
    events = lead.locator("table", has_text="What happened").locator("tbody tr").count()
    assert events >= 2
    assert_accessible(lead)
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name="Multi-agency chronology (printable)"),
        "opens the chronology",
    )
    assert heading(lead) == f"Multi-agency chronology: {name}"
    assert lead.locator("tbody tr").count() == events

    # --- a population previewed, then a seeded stratified sample drawn and verified --------
    walk.section(lead, "lead", "Samples")
    assert heading(lead) == "Samples"
    assert "No sample has been drawn yet." in lead.locator("main").inner_text()
    preview = lead.locator("#population-preview")
    lead.get_by_label("Annex A list or cohort").select_option("assessments")
    walk.step("lead", "chooses the population")
    lead.get_by_label("Stratify by").select_option("age_band")
    walk.step("lead", "chooses the strata")
    preview.locator("table", has_text="Strata by age band").wait_for()
    population = preview.get_by_role("heading", name=re.compile(r"^Population: \d+ children$"))
    size = int(population.inner_text().split()[1])
    strata = preview.locator("table", has_text="Strata by age band").locator("tbody tr")
    assert sum(int(r.split("\t")[1]) for r in strata.all_inner_texts()) == size
    assert_accessible(lead)
    lead.get_by_label("Sample size").fill("4")
    lead.get_by_label("Reserve per stratum (for recorded replacements)").fill("1")
    lead.get_by_label("Seed (hex; leave blank for a cryptographically random one)").fill(SEED)
    lead.get_by_label("Purpose", exact=True).fill("Walk assessments")
    walk.click(lead, "lead", lead.get_by_role("button", name="Draw the sample"), "draws")
    lead.wait_for_url(re.compile(r".*/samples/\d+$"))
    assert heading(lead) == "Walk assessments"
    summary = lead.locator("main .govuk-summary-list").first.inner_text()
    assert "Children chosen\t4" in summary
    assert f"Drawn from\t{size} children" in summary
    members = lead.locator("main table", has_text="In the sample").locator("tbody tr")
    chosen = sorted(r.split("\t")[0] for r in members.all_inner_texts() if r.endswith("\tChosen"))
    assert len(chosen) == 4
    lead.get_by_text("How this sample was drawn").click()
    walk.step("lead", "opens how the sample was drawn")
    lead.get_by_role("button", name="Verify now").click()
    walk.step("lead", "verifies the draw")
    lead.locator("#verification").get_by_role("heading", name="Identical").wait_for()
    assert_accessible(lead)

    # --- the inspectors audit children ------------------------------------------------------
    walk.click(first, "first", first.get_by_role("link", name=TITLE), "opens the inspection")
    walk.section(first, "first", "Audits")
    assert heading(first) == "Audits"
    board = first.locator("table", has_text="Sampled children").locator("tbody tr")
    assert sorted(r.split("\t")[2] for r in board.all_inner_texts()) == chosen
    assert_accessible(first)
    walk.click(
        first,
        "first",
        first.get_by_role("button", name=re.compile("^Start first marking")).first,
        "starts a first marking",
    )
    assert_accessible(first)
    good = dict.fromkeys(DOMAINS, "good")
    audit_a, child_a = fill_and_submit(walk, first, "first", inspection_id, good, "Ines on A")
    # the confirmation offers the next child in Ines's list
    walk.click(
        first,
        "first",
        first.get_by_role("button", name=re.compile("^Start the first marking of ")),
        "starts the next child",
    )
    low = {**dict.fromkeys(DOMAINS, "requires_improvement"), "impact": "inadequate"}
    # the days (in UK time, as pages show dates) on which B's first marking may be submitted
    b_submitted = {uk_today()}
    audit_b, child_b = fill_and_submit(walk, first, "first", inspection_id, low, "Ines on B")
    b_submitted.add(uk_today())
    walk.click(
        first,
        "first",
        first.get_by_role("link", name="View the submitted audit"),
        "views the audit",
    )
    assert "Status: Submitted" in first.locator("main").inner_text()
    assert "Overall: Inadequate" in first.locator("main").inner_text()
    first.get_by_label(re.compile("^Raise a concern now")).fill(
        "No one has seen this child for three months."
    )
    walk.click(
        first,
        "first",
        first.get_by_role("button", name="Raise a concern about this child"),
        "raises a concern",
    )
    assert heading(first) == f"Concern about {child_b}"
    assert "No one has seen this child for three months." in first.locator("main").inner_text()
    assert_accessible(first)

    walk.click(second, "second", second.get_by_role("link", name=TITLE), "opens the inspection")
    walk.section(second, "second", "Audits")
    walk.click(
        second,
        "second",
        second.get_by_role("button", name=re.compile("^Start first marking")).first,
        "starts a first marking",
    )
    best = {**dict.fromkeys(DOMAINS, "outstanding"), "assessment": "good"}
    audit_c, child_c = fill_and_submit(walk, second, "second", inspection_id, best, "Sami on C")
    assert len({child_a, child_b, child_c}) == 3
    assert {child_a, child_b, child_c} < set(chosen)

    # --- the lead chooses children for blind second marking -------------------------------
    walk.section(lead, "lead", "Moderation")
    assert heading(lead) == "Second marking and moderation"
    lead.get_by_label("Share of the sample to second-mark (%)").fill("100")
    walk.click(
        lead,
        "lead",
        lead.get_by_role("button", name="Set second marking for Walk assessments"),
        "sets second marking",
    )
    assert "Walk assessments: 4 children chosen for blind second marking." in lead.inner_text(
        "main"
    )
    assert_accessible(lead)
    walk.section(lead, "lead", "Audits")
    rows = lead.locator("table", has_text="Sampled children").locator("tbody tr")
    waiting = [r for r in rows.all_inner_texts() if "waiting for the first marking" in r]
    assert len(waiting) == 1, rows.all_inner_texts()

    # --- the second inspector marks one of them, blind ---------------------------------------
    walk.section(second, "second", "Audits")
    row_a = second.locator("table", has_text="Sampled children").locator(
        "tbody tr", has_text=child_a
    )
    assert "blind until both are submitted" in row_a.inner_text()
    walk.click(
        second,
        "second",
        row_a.get_by_role("button", name=f"Start second marking of {child_a}"),
        "starts a second marking",
    )
    assert "· Second marking" in second.locator(".govuk-caption-l").inner_text()
    differs = {**good, "child_seen": "requires_improvement"}
    audit_a2, _ = fill_and_submit(walk, second, "second", inspection_id, differs, "Sami on A")

    # --- the lead moderates the disagreement ---------------------------------------------
    walk.section(lead, "lead", "Moderation")
    pair = lead.locator(f"#pair-{audit_a}")
    row = pair.locator("tbody tr", has_text="The child seen, heard and understood")
    assert row.inner_text().split("\t")[1:3] == ["Good", "Requires improvement to be good"]
    assert pair.locator("tbody tr", has_text="differs").count() == 1
    assert_accessible(lead)
    row.get_by_label("Agreed grade").select_option("good")
    row.get_by_label("Reason").fill("Seen alone at school, recorded by the school nurse.")
    walk.click(lead, "lead", row.get_by_role("button", name="Record agreed grade"), "moderates")
    row = lead.locator(f"#pair-{audit_a} tbody tr", has_text="The child seen")
    assert (
        "Good – Seen alone at school, recorded by the school nurse. (Lee Lead)" in row.inner_text()
    )
    agreement = lead.locator("table", has_text="Cohen's kappa")
    assert agreement.locator("tr", has_text="All domains pooled").inner_text().split("\t")[1:3] == [
        "8",
        "87.5%",
    ]
    assert "fewer than 10" in lead.locator(".govuk-warning-text").first.inner_text()

    # --- a tracked case: a child the lead chooses on purpose, with a reason -----------------
    walk.section(lead, "lead", "Children")
    unsampled = (
        lead.locator("#children-rows tbody tr")
        .filter(has_text="Not sampled")
        .filter(has_text="Children's social care")
        .first.get_by_role("link")
        .first
    )
    tracked = unsampled.inner_text()
    walk.click(lead, "lead", unsampled, "opens a child's journey")
    tracked_la_id = summary_of(lead.locator("main .govuk-summary-list").first)[
        "Authority's child id"
    ]
    assert_accessible(lead)
    walk.section(lead, "lead", "Tracked cases")
    assert heading(lead) == "Tracked cases"
    assert "No child is tracked yet." in lead.locator("main").inner_text()
    assert_accessible(lead)
    lead.get_by_label("The child’s name or local authority ID").fill(tracked_la_id)
    lead.get_by_label("Why you chose this child").fill(TRACK_REASON)
    lead.get_by_label("Line of enquiry (optional)").fill(TRACK_LINE)
    walk.click(lead, "lead", lead.get_by_role("button", name="Track this child"), "tracks a child")
    assert banner(lead).endswith(f"{tracked} is now a tracked case.")
    row = lead.locator("#tracked-1")
    cells = [c.inner_text() for c in row.locator("td").all()]
    assert cells[0].startswith(f"{tracked} Tracked case\nLocal authority ID {tracked_la_id} · ")
    assert cells[1:3] == [TRACK_REASON, TRACK_LINE]
    assert cells[3].startswith("Lee Lead, ")
    assert_accessible(lead)
    walk.click(
        lead, "lead", row.get_by_role("link", name=tracked, exact=True), "opens the tracked case"
    )
    assert heading(lead) == f"{tracked} Tracked case"
    assert lead.locator("#tracked-case p").all_inner_texts()[1:] == [
        f"Why this child: {TRACK_REASON}",
        f"Line of enquiry: {TRACK_LINE}",
    ]
    assert_accessible(lead)

    # --- a conversation with the tracked child, recorded on their conversations page --------
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name="Conversations with the child, family and practitioner"),
        "opens the conversations",
    )
    assert heading(lead) == f"Conversations about {tracked}"
    assert "No conversation about this child is recorded yet." in lead.locator("main").inner_text()
    assert_accessible(lead)
    walk.click(
        lead, "lead", lead.get_by_role("link", name="Record a conversation"), "opens the form"
    )
    assert heading(lead) == "Record a conversation"
    assert_accessible(lead)
    lead.get_by_label("The child", exact=True).check()
    enter_date(lead, "When was it?", HEARD_ON)
    lead.get_by_label("In person", exact=True).check()
    lead.get_by_label("What did they say, in their own words?").fill(SAID)
    lead.get_by_label("What does it tell us?").fill(TELLS_US)
    walk.click(
        lead,
        "lead",
        lead.get_by_role("button", name="Record the conversation"),
        "records the conversation",
    )
    assert banner(lead).endswith("The conversation is recorded.")
    card = lead.locator(".govuk-summary-card")
    assert card.count() == 1
    assert (
        card.locator(".govuk-summary-card__title").inner_text() == f"{HEARD_ON:%d/%m/%Y}: The child"
    )
    heard = summary_of(card)
    assert heard["Recorded by"].startswith("Lee Lead, ")
    assert {k: v for k, v in heard.items() if k != "Recorded by"} == {
        "Who": "The child",
        "When": f"{HEARD_ON:%d/%m/%Y}",
        "How": "In person",
        "What they said, in their own words": SAID,
        "What it tells us": TELLS_US,
    }
    assert_accessible(lead)

    # --- the tracked case is audited with the same instrument, citing the conversation -------
    walk.section(first, "first", "Audits")
    row_t = first.locator("table", has_text="Sampled children").locator(
        "tbody tr", has_text=tracked
    )
    assert row_t.locator("td").nth(2).inner_text() == f"{tracked} Tracked case"
    walk.click(
        first,
        "first",
        row_t.get_by_role("button", name=f"Start first marking of {tracked}"),
        "starts the tracked case's audit",
    )
    assert heading(first) == f"First marking of {tracked} Tracked case"
    assert (
        "Child-centred case audit: was the child helped?"
        in first.locator(".govuk-caption-l").inner_text()
    )
    assert_accessible(first)
    tracked_grades = {**good, "impact": "requires_improvement"}
    audit_t, _ = fill_and_submit(
        walk,
        first,
        "first",
        inspection_id,
        tracked_grades,
        "Ines on T",
        conversation=f"{HEARD_ON:%d/%m/%Y}: The child, in person",
    )
    walk.click(
        first, "first", first.get_by_role("link", name="View the submitted audit"), "views it"
    )
    cited = first.locator("#domain-child_seen p.govuk-body-s").all_inner_texts()
    assert f"Conversations cited: {HEARD_ON:%d/%m/%Y}: The child" in cited, cited
    assert_accessible(first)
    walk.section(lead, "lead", "Children")
    listed = lead.locator("#children-rows tbody tr").filter(
        has=lead.get_by_role("link", name=tracked, exact=True)
    )
    assert listed.locator("td").nth(5).inner_text() == "Tracked case Audited"
    assert_accessible(lead)

    # --- a two-agency audit: the police's and health's parts, then the joint discussion ------
    child_d = (set(chosen) - {child_a, child_b, child_c}).pop()
    walk.section(lead, "lead", "Audits")
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name="The agencies’ auditors"),
        "opens the agencies' auditors",
    )
    assert heading(lead) == "The agencies’ auditors"
    assert_accessible(lead)
    for name, agency in (("Ines First", "Police"), ("Sami Second", "Health")):
        lead.get_by_label(f"The agency {name} audits for").select_option(label=agency)
        walk.click(
            lead,
            "lead",
            lead.get_by_role("button", name=f"Save the agency {name} audits for"),
            f"records {name}'s agency",
        )
        assert banner(lead).endswith("The agency is recorded")
    for name, agency in (("Ines First", "Police"), ("Sami Second", "Health")):
        chosen_agency = lead.get_by_label(f"The agency {name} audits for").locator("option:checked")
        assert chosen_agency.inner_text() == agency
    walk.section(lead, "lead", "Audits")
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name=f"Set up a multi-agency audit of {child_d}"),
        "opens the multi-agency audit",
    )
    assert heading(lead) == f"Multi-agency audit of {child_d}"
    assert_accessible(lead)
    agencies = lead.get_by_role("group", name="Which agencies audit their part of this child?")
    agencies.get_by_label("Police", exact=True).check()
    agencies.get_by_label("Health", exact=True).check()
    walk.click(
        lead,
        "lead",
        lead.get_by_role("button", name="Set up the multi-agency audit"),
        "sets up the multi-agency audit",
    )
    assert banner(lead).endswith("The audit is set up as multi-agency")
    parts = lead.locator("table", has_text="Auditor")
    assert table_rows(parts) == [
        ["Police", "Ines First (not started)", "Not started"],
        ["Health", "Sami Second (not started)", "Not started"],
    ]
    assert_accessible(lead)

    walk.section(first, "first", "Audits")
    walk.click(
        first,
        "first",
        first.get_by_role("link", name=f"Multi-agency audit of {child_d}"),
        "opens the multi-agency audit",
    )
    assert table_rows(first.locator("table", has_text="Auditor")) == [
        ["Police", "Ines First (not started)", "Start the Police part"],
        ["Health", "Sami Second (not started)", "Not started"],
    ]
    assert_accessible(first)
    walk.click(
        first, "first", first.get_by_role("button", name="Start the Police part"), "starts it"
    )
    assert heading(first) == f"Police part of the multi-agency audit of {child_d}"
    assert_accessible(first)
    police = {**good, "agencies_together": "requires_improvement"}
    audit_p, _ = fill_and_submit(walk, first, "first", inspection_id, police, "Ines, police")

    walk.section(second, "second", "Audits")
    row_d = second.locator("table", has_text="Sampled children").locator(
        "tbody tr", has_text=child_d
    )
    assert words(row_d.locator("td").nth(5)) == (
        f"Multi-agency audit of {child_d} · 1 of 2 parts submitted"
    )
    walk.click(
        second,
        "second",
        row_d.get_by_role("link", name=f"Multi-agency audit of {child_d}"),
        "opens the multi-agency audit",
    )
    # blind: the police's part is not shown to health before health's own part is in
    assert table_rows(second.locator("table", has_text="Auditor")) == [
        [
            "Police",
            "Ines First",
            "Submitted (not shown to you until you have submitted your own part)",
        ],
        ["Health", "Sami Second (not started)", "Start the Health part"],
    ]
    assert second.get_by_role("heading", name="The agencies’ grades side by side").count() == 0
    assert_accessible(second)
    walk.click(
        second, "second", second.get_by_role("button", name="Start the Health part"), "starts it"
    )
    health = {**good, "child_seen": "outstanding", "impact": "requires_improvement"}
    audit_h, _ = fill_and_submit(walk, second, "second", inspection_id, health, "Sami, health")
    walk.click(
        second,
        "second",
        second.get_by_role("link", name="joint discussion"),
        "opens the joint discussion",
    )
    side = second.locator("table", has_text="The agencies’ grades side by side")
    police["overall"] = "good"  # proposed: the median, never better than impact
    health["overall"] = "requires_improvement"
    assert table_rows(side) == [
        [
            DOMAIN_TITLES.get(k, "Overall judgement"),
            GRADE_LABELS[police[k]],
            GRADE_LABELS[health[k]],
        ]
        for k in [*DOMAINS, "overall"]
    ]
    assert_accessible(second)
    discussed = date(2026, 11, 25)
    enter_date(second, "When was the joint discussion?", discussed)
    took_part = second.get_by_role("group", name="Who took part?")
    took_part.get_by_label("Ines First (Police)").check()
    took_part.get_by_label("Sami Second (Health)").check()
    agreed = {**good, "impact": "requires_improvement", "overall": "requires_improvement"}
    for key in [*DOMAINS, "overall"]:
        title = DOMAIN_TITLES.get(key, "Overall judgement")
        grade = second.get_by_role("group", name=f"{title}: the agreed grade")
        grade.get_by_label(GRADE_LABELS[agreed[key]], exact=True).check()
        second.get_by_label(f"Why you agreed it: {title}").fill(f"Agreed at the discussion: {key}")
    second.get_by_label("Where the agencies disagreed").fill(DISAGREED)
    walk.click(
        second,
        "second",
        second.get_by_role("button", name="Record the joint discussion and complete the audit"),
        "records the joint discussion",
    )
    assert banner(second).endswith(
        "The joint discussion is recorded: the multi-agency audit is complete"
    )
    assert summary_of(second.locator("main .govuk-summary-list").first) == {
        "Date": "25/11/2026",
        "Who took part": "Ines First, Sami Second",
        "Recorded by": "Sami Second",
        "Where they disagreed": DISAGREED,
    }
    assert table_rows(second.locator("table", has_text="What they agreed")) == [
        [
            DOMAIN_TITLES.get(k, "Overall judgement"),
            GRADE_LABELS[agreed[k]],
            f"Agreed at the discussion: {k}",
        ]
        for k in [*DOMAINS, "overall"]
    ]
    assert_accessible(second)

    # --- an action from an audit, done, then the child audited again ------------------------
    walk.section(lead, "lead", "Audits")
    row_b = lead.locator("table", has_text="Sampled children").locator("tbody tr", has_text=child_b)
    walk.click(lead, "lead", row_b.get_by_role("link", name="First marking"), "opens B's audit")
    assert heading(lead) == f"First marking of {child_b}"
    walk.click(
        lead,
        "lead",
        lead.get_by_role("link", name="Record an action from this audit"),
        "opens the action form",
    )
    assert heading(lead) == "Actions"
    assert f"From the audit of {child_b}." in lead.locator("#add ~ form").inner_text()
    assert_accessible(lead)
    due = date.today() + timedelta(days=60)
    lead.get_by_label("What must be done").fill(ACTION)
    lead.get_by_label("Owner: a member of the team").select_option(label="Ines First")
    enter_date(lead, "Due by", due)
    lead.get_by_label("Domain it is about (optional)").select_option(label=DOMAIN_TITLES["impact"])
    walk.click(lead, "lead", lead.get_by_role("button", name="Record the action"), "records it")
    assert banner(lead).endswith("The action has been recorded")
    ours = lead.locator("table", has_text="What must be done").locator("tbody tr", has_text=ACTION)
    assert [c.inner_text() for c in ours.locator("td").all()] == [
        ACTION,
        f"From an audit: {child_b}\n{DOMAIN_TITLES['impact']}",
        "Ines First",
        f"{due:%d/%m/%Y}",
        "Open",
    ]
    assert_accessible(lead)

    walk.section(first, "first", "Actions")
    walk.click(first, "first", first.get_by_role("link", name=ACTION), "opens the action")
    assert heading(first) == "Action"
    assert_accessible(first)
    first.get_by_label("The evidence that it was done").fill(DONE)
    today = uk_today()
    enter_date(first, "Done on", today)
    walk.click(first, "first", first.get_by_role("button", name="Record as done"), "closes it")
    assert banner(first).endswith("The action has been recorded as done")
    ours = first.locator("table", has_text="What must be done").locator("tbody tr", has_text=ACTION)
    assert ours.locator("td").nth(4).inner_text() == "Done"
    walk.click(first, "first", first.get_by_role("link", name=ACTION), "opens the action")
    closed = summary_of(first.locator("main .govuk-summary-list"))
    assert closed["Status"] == "Done"
    assert closed["Evidence that it was done"] == DONE
    assert closed["Done on"] == f"{today:%d/%m/%Y} (confirmed by Ines First)"
    assert_accessible(first)
    walk.click(
        first, "first", first.locator("main dl").get_by_role("link", name=child_b), "opens B"
    )
    assert heading(first) == child_b
    la_id_b = summary_of(first.locator("main .govuk-summary-list").first)["Authority's child id"]

    walk.section(lead, "lead", "Audits")
    walk.click(
        lead, "lead", lead.get_by_role("link", name="Children audited again"), "opens Re-audits"
    )
    assert heading(lead) == "Children audited again"
    assert "No child is to be audited again yet." in lead.locator("main").inner_text()
    assert_accessible(lead)
    lead.get_by_label("The child’s local authority ID").fill(la_id_b)
    lead.get_by_label("Why they are audited again").fill(REAUDIT_REASON)
    recorded = {uk_today()}
    walk.click(lead, "lead", lead.get_by_role("button", name="Record the reason"), "records it")
    recorded.add(uk_today())
    assert banner(lead).endswith("The reason has been recorded: the child may be audited again")
    again = summary_of(lead.locator("main .govuk-summary-list").first)
    assert again["Why they are audited again"] in {
        f"{REAUDIT_REASON} (Lee Lead, {day:%d/%m/%Y})" for day in recorded
    }
    assert again["Before"] in {
        f"First marking in {TITLE}, submitted {day:%d/%m/%Y}" for day in b_submitted
    }
    assert again["After"] == "Not audited again yet"
    assert_accessible(lead)

    walk.section(first, "first", "Audits")
    walk.click(
        first, "first", first.get_by_role("link", name="Children audited again"), "opens Re-audits"
    )
    assert_accessible(first)
    walk.click(
        first,
        "first",
        first.get_by_role("button", name=f"Start the re-audit of {child_b}"),
        "starts the re-audit",
    )
    assert heading(first) == f"Re-audit of {child_b}"
    assert_accessible(first)
    after = {**good, "planning_review": "requires_improvement"}
    audit_r, _ = fill_and_submit(walk, first, "first", inspection_id, after, "Ines again on B")
    low["overall"], after["overall"] = "inadequate", "good"
    expected_change = before_after_rows(low, after)

    walk.section(lead, "lead", "Actions")
    walk.click(lead, "lead", lead.get_by_role("link", name=ACTION), "opens the action")
    walk.click(lead, "lead", lead.locator("main dl").get_by_role("link", name=child_b), "opens B")
    assert heading(lead) == child_b
    changed = lead.locator("table", has_text=f"{child_b}: grades before and after")
    assert table_rows(changed) == expected_change
    assert_accessible(lead)

    # --- findings ------------------------------------------------------------------------
    walk.section(lead, "lead", "Findings")
    assert heading(lead) == "Findings"
    assert "3 submitted first markings that you may see." in lead.locator("main").inner_text()
    shares = share_rows(lead, "Share of graded audits judged good or better")
    # The single overall grade is folded away, beneath the domains.
    lead.get_by_text("The single overall grade, and its breakdowns").click()
    walk.step("lead", "opens the single overall grade")
    shares |= share_rows(lead, "Overall grade good or better")
    assert shares["Overall judgement"][0] == "2 of 3"
    # A good, B requires improvement, C outstanding; the impact of B inadequate
    assert shares["The child seen, heard and understood"][0] == "2 of 3"
    assert shares["Impact: what difference the help made and whether it lasted"][0] == "2 of 3"
    assert shares["Quality of assessment and analysis"][0] == "2 of 3"
    # The tracked case is shown beside the sampled children, in no estimate.
    assert (
        lead.locator("#findings-base")
        .inner_text()
        .startswith(
            "3 submitted first markings that you may see. These are of the 3 sampled children, and"
            " every figure comes from them; 1 more, of the 1 tracked case chosen on purpose, is"
            " shown beside them and left out of every estimate."
        )
    )
    beside = column_cells(
        lead,
        "Share of graded audits judged good or better",
        "Tracked cases good or better (in no estimate)",
        "Children behind it",
    )
    assert beside["The child seen, heard and understood"] == ["1 of 1", "3 sampled, 1 tracked"]
    assert beside[DOMAIN_TITLES["impact"]] == ["0 of 1", "3 sampled, 1 tracked"]
    # The re-audit counts in no figure above; its before and after are shown below them.
    changed = lead.locator("table", has_text=f"{child_b}: grades before and after")
    assert table_rows(changed) == expected_change
    assert_accessible(lead)

    # --- the spreadsheets hold what the findings page showed ------------------------------
    walk.section(lead, "lead", "Exports")
    assert heading(lead) == "Spreadsheets: export and offline audit packs"
    lead.get_by_role("button", name="Make the workbook (.xlsx)").click()
    made = lead.locator("#workbook-export").get_by_role("link", name="Download the QA workbook")
    made.wait_for()
    walk.step("lead", "makes the workbook")
    with lead.expect_download() as info:
        made.click()
    walk.step("lead", "downloads the workbook")
    workbook = tmp_path / "workbook.xlsx"
    info.value.save_as(workbook)
    wb = openpyxl.load_workbook(workbook)
    header = [c.value for c in wb["Summary"][1]]
    for name in ("Share good or better", "95% interval from", "95% interval to"):
        cell = wb["Summary"].cell(row=2, column=header.index(name) + 1)
        assert cell.number_format == "0.0%", (name, cell.number_format)
    summary_rows = _rows_headed(wb["Summary"], "Rubric")
    in_workbook = {
        r["Domain"]: (
            f"{r['Good or better']} of {r['Graded']}",
            shown(r["Share good or better"], r["95% interval from"], r["95% interval to"]),
        )
        for r in summary_rows
    }
    assert in_workbook == shares
    # the tracked case beside the figures, in no estimate
    child_seen_row = next(r for r in summary_rows if r["Domain"] == DOMAIN_TITLES["child_seen"])
    assert (
        child_seen_row["Tracked cases good or better"],
        child_seen_row["Tracked cases graded (in no estimate)"],
    ) == (1, 1)
    # the tracked case in the sample, with its line of enquiry: the child of the tracked audit
    sampled = _rows_headed(wb["Sample"], "Sample")
    wide = _rows_headed(wb["Audits (wide)"], "Audit")
    tracked_key = next(r["Child"] for r in wide if r["Audit"] == audit_t)
    assert [(r["Child"], r["Line of enquiry"]) for r in sampled if r["Tracked case"]] == [
        (tracked_key, TRACK_LINE)
    ]
    assert {r["Tracked case"] for r in sampled} == {None, "Tracked case"}
    heard_rows = _rows_headed(wb["Conversations"], "Child")
    assert [(r["What they said"], r["Cited in"]) for r in heard_rows] == [
        (SAID, f"audit {audit_t}: {DOMAIN_TITLES['child_seen']}")
    ]
    action_rows = [
        r for r in _rows_headed(wb["Actions"], "Action") if r["What must be done"] == ACTION
    ]
    assert [(r["Owner"], r["Status"], r["Evidence that it was done"]) for r in action_rows] == [
        ("Ines First", "Done", DONE)
    ]
    joint_rows = _rows_headed(wb["Multi-agency audits"], "Child")
    assert [
        (r["Agency"], r["Auditor"], r["Agency's overall grade"], r["Agreed overall grade"])
        for r in joint_rows
    ] == [
        ("Police", "Ines First", "Good", "Requires improvement to be good"),
        (
            "Health",
            "Sami Second",
            "Requires improvement to be good",
            "Requires improvement to be good",
        ),
    ]
    lead.get_by_role("button", name="Make the CSV files (.zip)").click()
    made = lead.locator("#tables-export").get_by_role("link", name="Download the CSV tables")
    made.wait_for()
    with lead.expect_download() as info:
        made.click()
    walk.step("lead", "downloads the CSV files")
    archive = tmp_path / "tables.zip"
    info.value.save_as(archive)
    with zipfile.ZipFile(archive) as z:
        audits = list(csv.DictReader(io.StringIO(z.read("audits.csv").decode("utf-8-sig"))))
        members = list(csv.DictReader(io.StringIO(z.read("sample.csv").decode("utf-8-sig"))))
    # the figures come from the sampled children's first markings: the tracked case's is apart
    tracked_members = {m["member_id"] for m in members if m["tracked"]}
    submitted = [a for a in audits if a["marking"] == "first" and a["status"] == "submitted"]
    firsts = [a for a in submitted if a["member_id"] not in tracked_members]
    assert len(firsts) == 3
    assert [a["audit_id"] for a in submitted if a["member_id"] in tracked_members] == [str(audit_t)]
    good_or_better = ("Outstanding", "Good")
    for domain, title in (("child_seen", "The child seen, heard and understood"),):
        counted = sum(1 for a in firsts if a[f"grade:{domain}"] in good_or_better)
        assert f"{counted} of {len(firsts)}" == shares[title][0]
    everyone = (audit_a, audit_b, audit_c, audit_a2, audit_t, audit_p, audit_h, audit_r)
    markings = {a["audit_id"]: a["marking"] for a in audits}
    # the joint discussion's conclusion is the authority's audit of child D
    concluded = [i for i, m in markings.items() if m == "authority"]
    assert len(concluded) == 1
    assert set(markings) - set(concluded) == {str(x) for x in everyone}
    assert [markings[str(x)] for x in (audit_p, audit_h, audit_r)] == [
        "part (Police)",
        "part (Health)",
        "reaudit",
    ]

    # --- the administrator reads the access log ------------------------------------------
    walk.admin_section(admin, "Access log")
    log = admin.locator("main").inner_text()
    for action in (
        "Viewed a validation report",
        "Viewed the linkage review",
        "Ran linkage",
        "Kept two records apart",
        "Viewed a child's journey",
        "Downloaded the workbook",
        "Downloaded the tables",
    ):
        assert f"\t{action}\t" in log, action
    assert_accessible(admin)

    walk.section(lead, "lead", "Overview")
    tasks = lead.locator("#tasks > li")
    for title, hint in (
        ("Samples", "1 sample of 4 children"),
        # four sampled children and the tracked case to audit; the fourth sampled child's
        # first marking is not started (the agencies' parts and their joint discussion are the
        # authority's audit of them, not the inspectors'): nothing is in progress
        ("Audits", "4 of 5 audits submitted. Next: Start the next child's audit"),
        ("Moderation", "1 of 4 second markings submitted. Next: Second-mark the children chosen"),
        # as the findings page says: the figures come from the sampled children's audits
        (
            "Findings",
            "Figures from 3 submitted audits, with 1 tracked case beside them."
            " Next: Read the findings so far",
        ),
        ("Exports", "2 exports made"),
    ):
        shown_hint = tasks.filter(has_text=title).first.inner_text().split("\n")[1]
        assert shown_hint == hint, (title, shown_hint)
    print(f"\nThe whole inspection took {len(walk.steps)} steps in the browser.")
    for who in ("admin", *PEOPLE):
        print(f"  {who}: {sum(1 for s in walk.steps if s.startswith(f'{who}: '))} steps")
    for page in (admin, lead, first, second):
        page.context.close()


def _rows_headed(ws: Any, first: str) -> list[dict[str, Any]]:
    """A sheet's rows as dictionaries keyed by its header row, the first whose first cell is
    ``first``."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for i, row in enumerate(rows):
        if row and row[0] == first:
            header = [str(h) if h is not None else "" for h in row]
            return [dict(zip(header, r, strict=False)) for r in rows[i + 1 :] if any(r)]
    raise AssertionError(f"no header row in {ws.title}: {rows[:3]}")
