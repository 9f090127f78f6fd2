"""Tracked cases in a real browser: a lead finds a child by local authority ID, says why and
the line of enquiry, sees the child listed and tagged, starts their audit with the same
instrument; each page passes axe."""

from __future__ import annotations

import re

from tests.e2e.conftest import assert_accessible, sign_in
from tests.e2e.test_whole_inspection import DEMO, create_inspection, upload

REASON = "Three contacts in a year, each closed with no further action."
LINE = "The response to repeat referrals at the front door"


def test_a_lead_tracks_a_child_and_starts_their_audit(page):
    sign_in(page)
    inspection_id = create_inspection(page, "E2E tracked cases")
    upload(page, inspection_id, DEMO / "annex_a.xlsx", "annex-a")
    page.goto(f"/inspections/{inspection_id}/children")
    first = page.locator("main tbody tr").first
    name = first.locator("a").first.inner_text()
    first.locator("a").first.click()
    page.wait_for_url(re.compile(r".*/children/\d+$"))
    la_id = (
        page.locator(".govuk-summary-list__row", has_text="Authority's child id")
        .locator("dd")
        .inner_text()
    )

    page.get_by_role("link", name="Tracked cases").first.click()
    page.wait_for_url(f"**/inspections/{inspection_id}/tracked")
    assert page.get_by_role("heading", level=1).inner_text() == "Tracked cases"
    assert "No child is tracked yet." in page.locator("main").inner_text()
    assert_accessible(page)

    # without a reason: the error summary and the message beside the field
    page.get_by_label("The child’s name or local authority ID").fill(la_id)
    page.get_by_role("button", name="Track this child").click()
    page.locator(".govuk-error-summary").wait_for()
    assert (
        "Enter why you chose this child to track."
        in page.locator(".govuk-error-summary").inner_text()
    )
    assert page.get_by_label("The child’s name or local authority ID").input_value() == la_id
    assert_accessible(page)

    page.get_by_label("Why you chose this child").fill(REASON)
    page.get_by_label("Line of enquiry (optional)").fill(LINE)
    page.get_by_role("button", name="Track this child").click()
    page.wait_for_url(re.compile(rf".*/inspections/{inspection_id}/tracked\?added=\d+$"))
    assert (
        f"{name} is now a tracked case." in page.locator(".govuk-notification-banner").inner_text()
    )
    row = page.locator("#tracked-1").inner_text()
    assert name in row and REASON in row and LINE in row and "Tracked case" in row
    assert_accessible(page)

    page.get_by_role("link", name=name).first.click()
    page.wait_for_url(re.compile(r".*/children/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == f"{name} Tracked case"
    assert f"Line of enquiry: {LINE}" in page.locator("#tracked-case").inner_text()
    page.go_back()

    page.get_by_role("button", name=f"Start the audit of {name}").click()
    page.wait_for_url(re.compile(r".*/audits/\d+$"))
    assert page.get_by_role("heading", level=1).inner_text() == (
        f"First marking of {name} Tracked case"
    )
    assert_accessible(page)
