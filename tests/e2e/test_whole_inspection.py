"""A whole inspection in a real browser, as a lead inspector and a second inspector do it.

One test walks the work in order (create, team, upload, validate, link, review, journey,
sample, verify, audit with autosave, second marking, moderation, concern, findings, export)
and checks every page it visits with axe-core.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl

from inspection.evidence.labels import source_kind_label
from tests.conftest import ROOT
from tests.e2e.conftest import assert_accessible, sign_in

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


def go_to_section(page: Any, name: str) -> None:
    """Follow the inspection's service navigation to one of its sections."""
    nav = page.get_by_role("navigation", name="Inspection")
    nav.get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


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


def audit_id_from(page: Any) -> int:
    return int(page.url.split("/audits/")[1].split("?")[0].split("#")[0])


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


def test_a_whole_inspection(browser, live_server, tmp_path):
    lead = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = lead.new_page()
    page.set_default_timeout(15000)
    sign_in(page)
    assert_accessible(page)

    # --- create the inspection and add the second inspector to the team ------------------
    inspection_id = create_inspection(page, "E2E whole inspection")
    base = f"/inspections/{inspection_id}"
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("nobody@e2e.example")
    page.get_by_role("button", name="Add to the team").click()
    summary = page.locator(".govuk-error-summary")
    assert "There is no active user with that e-mail address." in summary.inner_text()
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("second@e2e.example")
    page.get_by_label("Role in this inspection").select_option("inspector")
    page.get_by_role("button", name="Add to the team").click()
    page.wait_for_url(f"**{base}?added=*")
    assert (
        page.get_by_role("alert")
        .inner_text()
        .endswith("Sam Second was added to the team as inspector.")
    )
    team = page.locator("table", has_text="Role in this inspection")
    assert team.locator("tbody tr").all_inner_texts() == [
        "Lena Lead\tlead@e2e.example\tlead inspector",
        "Sam Second\tsecond@e2e.example\tinspector",
    ]
    assert_accessible(page)

    # --- evidence: Annex A and two agency extracts ----------------------------------------
    go_to_section(page, "Evidence")
    page.wait_for_url(f"**{base}/evidence")
    assert_accessible(page)
    upload(page, inspection_id, DEMO / "annex_a.xlsx", "annex-a")
    assert page.locator("#upload-progress .govuk-panel__body").inner_text() == (
        "0 errors, 0 warnings, 0 notes"
    )
    lists = page.locator("#upload-progress table tbody tr")
    assert lists.count() == 11
    assert lists.nth(5).inner_text().split("\t") == [
        "List 6: Children in Need (List_6)",
        "98",
        "98",
        "0",
    ]
    assert_accessible(page)
    page.get_by_role("link", name="Read the validation report").click()
    page.wait_for_url(re.compile(r".*/evidence/uploads/\d+$"))
    assert page.locator("#issues p").first.inner_text().startswith("0 issues.")
    assert page.locator("table", has_text="Rows read").locator("tbody tr").count() == 11
    assert_accessible(page)
    upload(page, inspection_id, DEMO / "police.csv", "agency", "police")
    upload(page, inspection_id, DEMO / "social_care.csv", "agency", "social_care")
    page.reload()
    uploads = page.locator("table", has_text="Validation report").locator("tbody tr")
    assert [r.split("\t")[:2] for r in uploads.all_inner_texts()] == [
        ["social_care.csv", "Partner-agency extract (Children's social care)"],
        ["police.csv", "Partner-agency extract (Police)"],
        ["annex_a.xlsx", "Annex A workbook"],
    ]

    # --- linkage: run it, then keep one pair apart ----------------------------------------
    page.goto(base)
    page.get_by_role("link", name="Linkage review").click()
    page.wait_for_url(f"**{base}/linkage")
    page.get_by_role("button", name="Run linkage").click()
    page.wait_for_url(f"**{base}/linkage?records=*")
    banner = page.get_by_role("alert")
    assert "460 records are now 242 children." in banner.inner_text()
    assert "3 pairs waiting for a decision." in banner.inner_text()
    assert page.get_by_role("heading", name="Waiting for a decision (3)").is_visible()
    assert_accessible(page)
    first_pair = page.locator(".govuk-summary-card").first
    first_pair.get_by_label("Reason (optional)").fill("Different dates of birth, checked")
    first_pair.get_by_role("button", name="Different children").click()
    page.wait_for_url(f"**{base}/linkage")
    assert page.get_by_role("heading", name="Waiting for a decision (2)").is_visible()
    decided = page.locator("table", has_text="By, when, why").locator("tbody tr")
    assert decided.count() == 1
    assert decided.first.inner_text().startswith("Different children\t")
    assert decided.first.inner_text().endswith("Different dates of birth, checked")
    assert "\tLena Lead " in decided.first.inner_text()
    assert_accessible(page)

    # --- a child's journey and chronology -------------------------------------------------
    page.goto(base)
    go_to_section(page, "Children")
    page.wait_for_url(f"**{base}/children")
    assert page.locator("#children-rows p").first.inner_text().startswith("242 children.")
    assert_accessible(page)
    both = (
        page.locator("#children-rows tbody tr")
        .filter(has_text="Police")
        .filter(has_text="Children's social care")
    )
    both.first.get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/children/\d+$"))
    timeline = page.locator("svg.app-timeline")
    assert timeline.count() == 1
    assert timeline.locator("title#timeline-title").text_content().startswith("Timeline of ")
    events = page.locator("table", has_text="What happened")
    assert events.locator("tbody tr").count() >= 2
    assert "Police" in timeline.text_content()
    assert_accessible(page)
    page.get_by_role("link", name="Multi-agency chronology (printable)").click()
    page.wait_for_url(re.compile(r".*/chronology$"))
    assert page.locator("tbody tr").count() == events.locator("tbody tr").count()
    assert_accessible(page)

    # --- a stratified sample, verified ----------------------------------------------------
    page.goto(base)
    go_to_section(page, "Samples")
    page.wait_for_url(f"**{base}/samples")
    assert_accessible(page)
    page.get_by_label("Annex A list or cohort").select_option("assessments")
    page.get_by_label("Stratify by").select_option("age_band")
    page.locator("#population-preview table", has_text="Strata by age band").wait_for()
    page.get_by_label("Sample size").fill("4")
    page.get_by_label("Reserve per stratum (for recorded replacements)").fill("1")
    page.get_by_label("Seed (hex; leave blank for a cryptographically random one)").fill(SEED)
    page.get_by_label("Purpose", exact=True).fill("E2E assessments")
    assert_accessible(page)
    page.get_by_role("button", name="Draw the sample").click()
    page.wait_for_url(re.compile(r".*/samples/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == "E2E assessments"
    members = page.locator("main table", has_text="In the sample").locator("tbody tr")
    selected = [r.split("\t")[0] for r in members.all_inner_texts() if r.endswith("\tChosen")]
    assert len(selected) == 4
    page.get_by_text("How this sample was drawn").click()
    page.get_by_role("button", name="Verify now").click()
    verification = page.locator("#verification")
    verification.get_by_role("heading", name="Identical").wait_for()
    assert "FAILED" not in verification.inner_text()
    assert_accessible(page)

    # --- second marking for every child of the sample -------------------------------------
    page.goto(base)
    go_to_section(page, "Moderation")
    page.wait_for_url(f"**{base}/moderation")
    page.get_by_label("Share of the sample to second-mark (%)").fill("100")
    with page.expect_navigation():  # back to the same address: wait for the new page
        page.get_by_role("button", name="Set second marking for E2E assessments").click()
    assert "E2E assessments: 4 children chosen" in page.inner_text("main")
    assert_accessible(page)

    # --- audits: the first marking with autosave, surviving a reload ---------------------
    page.goto(base)
    go_to_section(page, "Audits")
    page.wait_for_url(f"**{base}/audits")
    assert page.locator("table", has_text="Sampled children").locator("tbody tr").count() == 4
    assert_accessible(page)
    page.get_by_role("button", name="Start first marking").first.click()
    page.wait_for_url(re.compile(r".*/audits/\d+$"))
    first_audit = audit_id_from(page)
    assert_accessible(page)
    grades = dict.fromkeys(DOMAINS, "good")
    evidence = {d: f"E2E evidence for {d.replace('_', ' ')}" for d in DOMAINS}
    fill_audit(page, grades, evidence)
    save_and_wait(page, inspection_id, first_audit)
    assert "proposed overall: Good" in page.locator("#autosave-status").inner_text()
    page.reload()
    for d in DOMAINS:
        assert page.locator(f"#{d}-good").is_checked(), d
        assert page.locator(f"#{d}-evidence").input_value() == evidence[d]
    assert page.locator("#audit-restore-notice").is_hidden()
    page.get_by_label("Strengths").fill("The child's wishes are recorded in their own words.")
    page.get_by_label("What would make it better for this child").fill("Earlier help.")
    save_and_wait(page, inspection_id, first_audit)
    with page.expect_navigation(url=f"**/audits/{first_audit}?submitted=yes"):
        page.get_by_role("button", name="Check and submit").click()
    assert page.locator(".govuk-panel__title").inner_text() == "Audit submitted"
    assert_accessible(page)
    page.get_by_role("link", name="View the submitted audit").click()
    page.wait_for_url(f"**/audits/{first_audit}")
    assert "Status: submitted" in page.locator("main").inner_text()
    assert "Overall: Good" in page.locator("main").inner_text()
    assert_accessible(page)
    page.go_back()

    # A second child, the next in the list, graded lower, and a concern raised from its audit.
    page.get_by_role("button", name=re.compile("^Start the first marking of ")).click()
    page.wait_for_url(re.compile(r".*/audits/\d+$"))
    second_child_audit = audit_id_from(page)
    low = {**dict.fromkeys(DOMAINS, "requires_improvement"), "impact": "inadequate"}
    fill_audit(page, low, evidence)
    page.get_by_label("Strengths").fill("Police shared information quickly.")
    page.get_by_label("What would make it better for this child").fill("A plan that is reviewed.")
    save_and_wait(page, inspection_id, second_child_audit)
    with page.expect_navigation(url=f"**/audits/{second_child_audit}?submitted=yes"):
        page.get_by_role("button", name="Check and submit").click()
    page.get_by_role("link", name="View the submitted audit").click()
    page.wait_for_url(f"**/audits/{second_child_audit}")
    assert "Overall: Inadequate" in page.locator("main").inner_text()
    page.get_by_label(re.compile("^Raise a concern now")).fill(
        "No one has seen this child for three months."
    )
    page.get_by_role("button", name="Raise a concern about this child").click()
    page.wait_for_url(re.compile(r".*/concerns/\d+$"))
    concern_id = int(page.url.rsplit("/", 1)[1])
    assert "No one has seen this child for three months." in page.locator("main").inner_text()
    assert_accessible(page)
    page.goto(base)
    go_to_section(page, "Concerns")
    page.wait_for_url(f"**{base}/concerns")
    concern_row = page.locator("tbody tr", has_text="Concern raised")
    links = concern_row.get_by_role("link")
    hrefs = [links.nth(k).get_attribute("href") or "" for k in range(links.count())]
    assert re.fullmatch(rf"{base}/children/\d+", hrefs[0]), hrefs
    assert hrefs[1:] == [f"{base}/concerns/{concern_id}", f"{base}/audits/{second_child_audit}"]
    cells = concern_row.inner_text().split("\t")
    assert (cells[2], cells[-1]) == ("Lena Lead", "open")
    assert_accessible(page)

    # --- the second inspector marks the first child blind --------------------------------
    second = browser.new_context(base_url=live_server.url)
    other = second.new_page()
    other.set_default_timeout(15000)
    sign_in(other, "second@e2e.example")
    other.goto(f"{base}/audits")
    board = other.locator("table", has_text="Sampled children")
    blind = board.locator("tbody tr", has_text="blind until both are submitted")
    assert blind.count() == 2
    assert board.locator(f'a[href="{base}/audits/{first_audit}"]').count() == 0
    assert_accessible(other)
    blind.first.get_by_role("button", name="Start second marking").click()
    other.wait_for_url(re.compile(r".*/audits/\d+$"))
    second_audit = audit_id_from(other)
    assert "second marking" in other.locator(".govuk-caption-l").inner_text()
    fill_audit(
        other,
        {**grades, "child_seen": "requires_improvement"},
        {**evidence, "child_seen": "Not seen alone at the last two visits."},
    )
    other.get_by_label("Strengths").fill("Good multi-agency work.")
    other.get_by_label("What would make it better for this child").fill("See the child alone.")
    save_and_wait(other, inspection_id, second_audit)
    with other.expect_navigation(url=f"**/audits/{second_audit}?submitted=yes"):
        other.get_by_role("button", name="Check and submit").click()
    assert "Second marking of " in other.locator(".govuk-panel__body").inner_text()
    second.close()

    # --- the lead moderates the disagreement ---------------------------------------------
    page.goto(f"{base}/moderation")
    pair = page.locator(f"#pair-{first_audit}")
    row = pair.locator("tbody tr", has_text="The child seen, heard and understood")
    assert "differs" in row.inner_text()
    assert row.inner_text().split("\t")[1:3] == ["Good", "Requires improvement to be good"]
    assert pair.locator("tbody tr", has_text="differs").count() == 1
    assert_accessible(page)
    row.get_by_label("Agreed grade").select_option("good")
    row.get_by_label("Reason").fill("Seen alone at school, recorded by the school nurse.")
    with page.expect_navigation(url=f"**{base}/moderation*"):
        row.get_by_role("button", name="Record agreed grade").click()
    row = page.locator(f"#pair-{first_audit} tbody tr", has_text="The child seen")
    assert (
        "Good – Seen alone at school, recorded by the school nurse. (Lena Lead)" in row.inner_text()
    )
    agreement = page.locator("table", has_text="Cohen's kappa")
    assert agreement.locator("tr", has_text="All domains pooled").inner_text().split("\t")[1:3] == [
        "8",
        "87.5%",
    ]

    # --- findings ------------------------------------------------------------------------
    page.goto(base)
    go_to_section(page, "Findings")
    page.wait_for_url(f"**{base}/findings")
    main = page.locator("main").inner_text()
    assert "2 submitted first markings that you may see." in main
    shares = page.locator("table", has_text="Share of graded audits judged good or better")
    impact = shares.locator("tbody tr", has_text="Impact")
    assert impact.inner_text().split("\t")[1:3] == ["1 of 2", "50.0% (9.5% to 90.5%)"]
    child_seen = shares.locator("tbody tr", has_text="The child seen")
    assert child_seen.inner_text().split("\t")[1:3] == ["1 of 2", "50.0% (9.5% to 90.5%)"]
    # One bar per domain in the headline chart; the single overall grade is not among them.
    assert page.locator("svg.app-grade-chart__bar").count() == len(DOMAINS)
    assert_accessible(page)
    impact.get_by_role("link", name="2", exact=True).click()  # the audits behind the figure
    page.wait_for_url(f"**{base}/findings/audits?ids=*")
    assert page.locator("main tbody tr").count() == 2
    assert_accessible(page)

    # --- the QA workbook -----------------------------------------------------------------
    page.goto(base)
    go_to_section(page, "Exports")
    page.wait_for_url(f"**{base}/exports")
    assert_accessible(page)
    assert page.locator("#workbook-pseudonymised").is_checked()  # unless identifiable is chosen
    page.locator("#workbook-identifiable").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the workbook (.xlsx)").click()
    path = tmp_path / "workbook.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    for name in ("About", "Sample", "Audits", "Moderation", "Concerns"):
        assert name in wb.sheetnames, wb.sheetnames
    sample_rows = _rows(wb["Sample"])
    # the page names each child as the identifiable workbook does
    selected_in_sheet = sorted(
        f"{r['Given name']} {r['Family name']}" for r in sample_rows if r["Status"] == "selected"
    )
    assert selected_in_sheet == sorted(selected)
    audit_rows = _rows(wb["Audits"])
    mine = [r for r in audit_rows if r["Audit"] == first_audit and r.get("Domain")]
    assert [r["Grade"] for r in mine] == ["Good"] * len(DOMAINS)
    assert [r["Evidence"] for r in mine] == [evidence[d] for d in DOMAINS]
    theirs = {r["Domain"]: r["Grade"] for r in audit_rows if r["Audit"] == second_audit}
    assert theirs["child_seen"] == "Requires improvement to be good"
    lead.close()

    # --- the access log, as an administrator ---------------------------------------------
    admin = browser.new_context(base_url=live_server.url)
    admin_page = admin.new_page()
    sign_in(admin_page, "admin@e2e.example")
    admin_page.get_by_role("link", name="Administration").click()
    admin_page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Access log"
    ).click()
    admin_page.wait_for_url("**/admin/access-log")
    log = admin_page.locator("main").inner_text()
    for action in (
        "Ran linkage",
        "Kept two records apart",
        "Added a team member",
        "Viewed a child's journey",
        "Downloaded the workbook",
    ):
        assert f"\t{action}\t" in log, action
    assert_accessible(admin_page)
    admin.close()


def _rows(ws: Any) -> list[dict[str, Any]]:
    """A sheet's rows as dictionaries keyed by the header row (the first row with 'Audit' or
    'Sample' in it)."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    for i, row in enumerate(rows):
        if row and row[0] in ("Audit", "Sample"):
            header = [str(h) if h is not None else "" for h in row]
            return [dict(zip(header, r, strict=False)) for r in rows[i + 1 :] if any(r)]
    raise AssertionError(f"no header row in {ws.title}: {rows[:3]}")
