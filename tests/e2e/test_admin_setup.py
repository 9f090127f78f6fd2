"""Setting up in the browser, no command line: an admin adds an authority, invites a lead
inspector, creates an inspection and puts the lead in its team; the lead sets their own
password from the link, signs in, opens the inspection and creates another; the admin
deactivates them and their session ends. Every page is checked with axe-core."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import assert_accessible, sign_in


def admin_section(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name=name, exact=True
    ).click()
    page.wait_for_load_state()


def fill_date(page: Any, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def no_sideways_scroll(page: Any) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_an_admin_sets_up_an_authority_and_its_lead_inspector(browser, live_server):
    admin = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = admin.new_page()
    page.set_default_timeout(15000)
    sign_in(page, "admin@e2e.example")
    page.get_by_role("link", name="Administration").click()
    page.wait_for_url("**/admin/users")
    assert_accessible(page)

    # --- a local authority -----------------------------------------------------------------
    admin_section(page, "Local authorities")
    page.wait_for_url("**/admin/authorities")
    page.get_by_role("button", name="Add the local authority").click()
    summary = page.locator(".govuk-error-summary")
    assert summary.locator("li").all_inner_texts() == [
        "Enter the local authority's name",
        "Enter the local authority's code",
    ]
    assert_accessible(page)
    page.get_by_label("Name").fill("Playwright Borough Council")
    page.get_by_label("Code").fill("pwb")
    page.get_by_role("button", name="Add the local authority").click()
    page.wait_for_url("**/admin/authorities?added=PWB")
    assert (
        page.get_by_role("alert")
        .inner_text()
        .endswith(
            "Playwright Borough Council was added. Create its first inspection from the table."
        )
    )
    row = page.locator("tbody tr", has_text="Playwright Borough Council")
    assert row.inner_text().split("\t")[:3] == ["Playwright Borough Council", "PWB", "0"]
    assert_accessible(page)

    # --- an invited lead inspector ---------------------------------------------------------
    admin_section(page, "Users")
    page.get_by_role("link", name="Invite a user").click()
    page.wait_for_url("**/admin/users/new")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Pat Lead")
    page.get_by_label("E-mail address").fill("Pat.Lead@e2e.example")
    page.get_by_label("Lead inspector").check()
    page.get_by_role("button", name="Invite and get the link").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Pat Lead is invited"
    link = page.locator("#password-link").inner_text()
    assert re.fullmatch(re.escape(live_server.url) + r"/invitations/[\w-]{43}", link), link
    assert_accessible(page)

    # --- an inspection for the authority, with a date typed as day, month and year ------------
    admin_section(page, "Local authorities")
    page.get_by_role("link", name="Create an inspection for Playwright Borough Council").click()
    page.wait_for_url("**/inspections/new?la=PWB")
    assert page.get_by_label("Local authority").input_value() == "PWB"
    page.get_by_label("Kind").select_option(label="Focused visit")
    page.get_by_label("Title").fill("Playwright focused visit")
    fill_date(page, "Reference date", "31", "2", "2026")
    page.get_by_role("button", name="Create inspection").click()
    assert page.locator(".govuk-error-summary li").all_inner_texts() == [
        "The reference date must be a real date"
    ]
    assert page.get_by_role("group", name="Reference date").get_by_label("Day").input_value() == (
        "31"
    )
    assert_accessible(page)
    fill_date(page, "Reference date", "2", "11", "2026")
    page.get_by_role("button", name="Create inspection").click()
    page.wait_for_url(re.compile(r".*/inspections/\d+$"))
    inspection_url = page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Playwright focused visit"
    assert page.locator(".govuk-caption-l").inner_text() == (
        "Playwright Borough Council · Focused visit · reference date 02/11/2026"
    )

    # --- the lead joins its team -----------------------------------------------------------
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Pat Lead").click()
    page.wait_for_url(re.compile(r".*/admin/users/\d+$"))
    user_url = page.url
    assert page.locator("#person").inner_text().split("\n")[:2] == [
        "E-mail address\tpat.lead@e2e.example",
        "Role\tLead inspector",
    ]
    page.get_by_label("Inspection", exact=True).select_option(
        label="Playwright focused visit (Playwright Borough Council)"
    )
    page.get_by_label("Role in the inspection").select_option(label="Lead inspector")
    page.get_by_role("button", name="Add to the inspection").click()
    page.wait_for_url("**?done=added*")
    assert (
        page.get_by_role("alert")
        .inner_text()
        .endswith("Pat Lead was added to Playwright focused visit.")
    )
    assert page.locator("#inspections ~ table tbody tr").first.inner_text().split("\t")[:3] == [
        "Playwright focused visit",
        "Playwright Borough Council",
        "Lead inspector",
    ]
    assert_accessible(page)

    # --- the lead sets a password from the link, signs in and works ------------------------
    lead = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    pat = lead.new_page()
    pat.set_default_timeout(15000)
    pat.goto(link)
    assert pat.get_by_role("heading", level=1).inner_text() == "Set your password"
    assert_accessible(pat)
    assert no_sideways_scroll(pat)
    pat.get_by_label("Create a password").fill("pat's own password")
    pat.get_by_label("Type the password again").fill("pat's own passwort")
    pat.get_by_role("button", name="Set my password").click()
    assert pat.locator(".govuk-error-summary li").all_inner_texts() == [
        "The passwords do not match: type the same password twice"
    ]
    pat.get_by_label("Create a password").fill("pat's own password")
    pat.get_by_label("Type the password again").fill("pat's own password")
    pat.get_by_role("button", name="Set my password").click()
    pat.wait_for_url("**/login?password=set")
    assert (
        pat.get_by_role("alert")
        .inner_text()
        .endswith("Your password is set. Sign in with your e-mail address and your new password.")
    )
    assert_accessible(pat)
    pat.get_by_label("E-mail address").fill("pat.lead@e2e.example")
    pat.get_by_label("Password").fill("pat's own password")
    pat.get_by_role("button", name="Sign in").click()
    pat.wait_for_url("**/inspections")
    pat.get_by_role("link", name="Playwright focused visit").click()
    pat.wait_for_url(inspection_url)
    assert "Your role: lead inspector" in pat.locator("main").inner_text()
    pat.goto("/inspections")
    pat.get_by_role("link", name="Create an inspection").click()
    pat.get_by_label("Local authority").select_option(label="Playwright Borough Council")
    pat.get_by_label("Title").fill("Playwright self-audit")
    pat.get_by_label("Kind").select_option(label="Self-audit")
    fill_date(pat, "Reference date", "15", "1", "2027")
    pat.get_by_role("button", name="Create inspection").click()
    pat.wait_for_url(re.compile(r".*/inspections/\d+$"))
    assert pat.get_by_role("heading", level=1).inner_text() == "Playwright self-audit"
    assert pat.locator(".govuk-caption-l").inner_text().endswith("reference date 15/01/2027")
    # the link worked once
    pat.goto(link)
    assert pat.get_by_role("heading", level=1).inner_text() == "This link does not work"

    # --- the admin reads the log and deactivates the lead ---------------------------------
    page.goto("/admin/access-log")
    fill_date(page, "From", "1", "1", "2026")
    page.get_by_label("User's e-mail address contains").fill("pat.lead")
    page.get_by_role("button", name="Filter").click()
    whats = [r.split("\t")[2] for r in page.locator("#log-rows tbody tr").all_inner_texts()]
    assert whats == ["Created an inspection", "Signed in", "Set their password from a link"]
    page.get_by_label("User's e-mail address contains").fill("admin@e2e")
    page.get_by_role("button", name="Filter").click()
    whats = [r.split("\t")[2] for r in page.locator("#log-rows tbody tr").all_inner_texts()]
    for action in (
        "Added a team member",
        "Created an inspection",
        "Invited a user",
        "Added a local authority",
    ):
        assert action in whats, (action, whats)
    # the log's columns fit the page at 1366 px
    fits = page.evaluate(
        "(() => { const t = document.querySelector('#log-rows table');"
        " return t.scrollWidth <= t.parentElement.clientWidth; })()"
    )
    assert fits and no_sideways_scroll(page)
    assert_accessible(page)
    page.goto(user_url)
    page.get_by_role("link", name="Deactivate Pat Lead").click()
    assert_accessible(page)
    page.get_by_role("button", name="Deactivate Pat Lead").click()
    page.wait_for_url("**?done=deactivated")
    assert "Deactivated" in page.locator("#person").inner_text()
    pat.goto(inspection_url)
    pat.wait_for_url("**/login")
    admin.close()
    lead.close()
