"""A child's journey in the browser: events in words, the timeline's key and links, reaching an
event from the timeline by keyboard, and "Not this child" with its confirmation."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from inspection.journey.timeline import LEGEND
from tests.conftest import ROOT, run_cli
from tests.e2e.conftest import LiveServer, assert_accessible, sign_in
from tests.e2e.test_keyboard import FOCUS_VISIBLE, tab_to

LINES = (
    "Dashed red line: the first sign of need",
    "Green line: help started",
    "Break in the time line: years when nothing was recorded",
)


@pytest.fixture(scope="module")
def journey_inspection(live_server: LiveServer) -> int:
    """An inspection with the demo's Annex A, CIN census, social care and police extracts,
    linked."""
    env = live_server.env
    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "E2E",
            "--kind",
            "jtai",
            "--title",
            "E2E journeys",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        env,
    )
    assert created.returncode == 0, created.stderr
    inspection_id = int(json.loads(created.stdout)["id"])
    demo = ROOT / "fixtures" / "demo"
    for args in (
        ["inspection", "add-member", "--inspection", str(inspection_id)]
        + ["--user", "lead@e2e.example", "--role", "lead_inspector"],
        ["import", "annex-a", str(demo / "annex_a.xlsx"), "--inspection", str(inspection_id)],
        ["import", "cin-census", str(demo / "cin_census.xml"), "--inspection", str(inspection_id)],
        ["import", "agency", str(demo / "social_care.csv"), "--inspection", str(inspection_id)]
        + ["--agency", "social_care"],
        ["import", "agency", str(demo / "police.csv"), "--inspection", str(inspection_id)]
        + ["--agency", "police"],
        ["link", "--inspection", str(inspection_id)],
    ):
        result = run_cli(args, env)
        assert result.returncode == 0, result.stderr
    return inspection_id


def _child_with(page: Any, inspection_id: int, *agencies: str) -> str:
    """The address of the first child in the list known to every one of ``agencies``."""
    page.goto(f"/inspections/{inspection_id}/children")
    rows = page.locator("#children-rows tbody tr")
    for agency in agencies:
        rows = rows.filter(has_text=agency)
    assert rows.count(), page.locator("main").inner_text()[:1500]
    href = rows.first.get_by_role("link").first.get_attribute("href")
    assert href
    return href


def test_the_journey_in_words_and_an_event_reached_from_the_timeline_by_keyboard(
    page, journey_inspection
):
    sign_in(page)
    page.goto(_child_with(page, journey_inspection, "Children's social care"))
    events = page.locator("table", has_text="What happened")
    details = events.locator(".app-event__details li").all_inner_texts()
    assert details, "no event has details"
    assert all(re.fullmatch(r"[A-Z][^:]*: .+", line) for line in details), details
    assert not any(re.search(r"\d{4}-\d{2}-\d{2}|[a-z]+_[a-z]+|[{}]", t) for t in details)
    assert events.get_by_text(re.compile(r"^Recorded in: ")).count() >= 1
    key = [k.strip() for k in page.locator("#timeline-key li").all_inner_texts()]
    assert "Dashed red line: the first sign of need" in key
    assert set(key) <= {*LEGEND.values(), *LINES}, key
    font = page.evaluate(
        "() => getComputedStyle(document.querySelector('svg.app-timeline text')).fontFamily"
    )
    assert font == "arial, sans-serif"

    tab_to(page, "a.app-timeline__mark")
    mark = page.evaluate(
        "() => [document.activeElement.getAttribute('href'),"
        " document.activeElement.getAttribute('aria-label')]"
    )
    href, name = mark
    assert re.fullmatch(r"#event-\d+", href)
    assert re.match(r"\d{2}/\d{2}/\d{4}(?: to \d{2}/\d{2}/\d{4})?: .+ \(.+\)$", name)
    assert page.get_by_role("link", name=name, exact=True).count() >= 1
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(f".*{href}$"))
    row = page.evaluate("() => [document.activeElement.id, document.activeElement.innerText]")
    assert row[0] == href[1:]
    assert row[1].startswith(name[:10])  # the row of that event, its date first
    assert name.split(": ", 1)[1].rsplit(" (", 1)[0] in row[1]
    assert page.evaluate(FOCUS_VISIBLE)
    assert_accessible(page)


def test_not_this_child_asks_first_and_separates_the_record_when_confirmed(
    page, journey_inspection
):
    sign_in(page)
    journey = _child_with(page, journey_inspection, "Police", "Children's social care")
    page.goto(journey)
    records = page.locator("table", has_text="How it was linked")
    police = records.locator("tbody tr").filter(has_text="Police")
    police_id = police.locator("td").first.inner_text().split("\n")[0]
    assert police_id.startswith("Police ")
    police.get_by_role("link", name=re.compile("^Not this child")).click()
    page.wait_for_url(re.compile(r".*/records/\d+/not-this-child$"))
    assert page.locator("h1").inner_text().startswith("Is this record not ")
    assert "What will happen" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("button", name="Confirm: not this child").click()
    assert (
        page.locator(".govuk-error-summary")
        .inner_text()
        .endswith("Enter why this record is not this child")
    )
    assert_accessible(page)
    page.get_by_label(re.compile("^Why is this record not ")).fill("Different date of birth")
    page.get_by_role("button", name="Confirm: not this child").click()
    page.wait_for_url(re.compile(r".*/children/\d+\?separated=\d+$"))
    banner = page.locator(".govuk-notification-banner__heading").inner_text()
    assert banner == (
        f"The police record {police_id.removeprefix('Police ')} is no longer part of this "
        "child's journey."
    )
    records = page.locator("table", has_text="How it was linked")
    assert records.locator("tbody tr").filter(has_text=police_id).count() == 0

    # Cancel changes nothing
    page.goto(journey)
    before = page.locator("table", has_text="How it was linked").locator("tbody tr").count()
    link = page.get_by_role("link", name=re.compile("^Not this child"))
    if link.count():
        link.first.click()
        page.get_by_role("link", name="Cancel").click()
        page.wait_for_url(re.compile(r".*/children/\d+#records$"))
        rows = page.locator("table", has_text="How it was linked").locator("tbody tr")
        assert rows.count() == before
