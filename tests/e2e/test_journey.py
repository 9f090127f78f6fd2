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


# A child only the police know, with one event dated long before they were born.
WILD_DATES = (
    "record_id,person_id,nhs_number,upn,la_child_id,given_name,family_name,date_of_birth,sex,"
    "postcode,address,event_date,event_end_date,event_type,details,lead_professional\n"
    + "".join(
        f"WD{n},PPWILD1,,,,Wilda,Farfetch,01/06/2012,F,XS1 1ZZ,1 Far Lane,{day},,"
        "child_concern_notification,Child present at incident,\n"
        for n, day in enumerate(("03/05/1966", "12/01/2025", "04/03/2025", "20/06/2026"))
    )
)
OVERLAPS = """() => {
  const visible = (e) => e.getClientRects().length > 0;
  const boxes = [...document.querySelectorAll('svg.app-timeline text')].filter(visible)
    .map((e) => { const r = e.getBoundingClientRect();
                  return [e.textContent, r.left, r.top, r.right, r.bottom]; });
  const clash = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a[1] < b[3] && b[1] < a[3] && a[2] < b[4] && b[2] < a[4]) clash.push([a[0], b[0]]);
  }
  const svg = [...document.querySelectorAll('svg.app-timeline')].filter(visible)
    .map((e) => e.getBoundingClientRect().right);
  return {labels: boxes.length, clash, svg,
          scroll: document.documentElement.scrollWidth,
          viewport: document.documentElement.clientWidth};
}"""


def test_the_timeline_at_a_phones_width_keeps_its_labels_apart_and_wild_dates_aside(
    browser, live_server, journey_inspection, tmp_path
):
    extract = tmp_path / "police_wild.csv"
    extract.write_text(WILD_DATES)
    for args in (
        ["import", "agency", str(extract), "--inspection", str(journey_inspection)]
        + ["--agency", "police"],
        ["link", "--inspection", str(journey_inspection)],
    ):
        result = run_cli(args, live_server.env)
        assert result.returncode == 0, result.stderr
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        sign_in(page)
        page.goto(f"/inspections/{journey_inspection}/children?q=Farfetch")
        page.locator("#children-rows tbody tr").filter(has_text="Farfetch").get_by_role(
            "link"
        ).first.click()
        page.wait_for_url(re.compile(r".*/children/\d+$"))
        wild = page.url
        busiest = _child_with(page, journey_inspection, "Children's social care")
        for url in (wild, wild + "?timeline=whole", busiest, busiest + "?timeline=whole"):
            page.goto(url)
            m = page.evaluate(OVERLAPS)
            assert m["labels"] >= 3, url
            assert m["clash"] == [], (url, m["clash"])
            assert m["scroll"] <= m["viewport"], url
            assert len(m["svg"]) == 1 and m["svg"][0] <= m["viewport"], url
            # the year labels stay readable: the narrow drawing is not shrunk below 11 px
            size = page.evaluate(
                "() => [...document.querySelectorAll('svg.app-timeline text')]"
                ".filter((e) => e.getClientRects().length)[0].getBoundingClientRect().height"
            )
            assert size >= 11, (url, size)

        page.goto(wild)
        figure = page.locator("figure.app-timeline-figure--narrow")
        assert figure.locator("figcaption").inner_text() == (
            "From 01/01/2025 to 31/12/2026. 1 event is outside this period: each is in the "
            "list below."
        )
        assert "← 1 earlier event outside the shown period (03/05/1966)" in (
            figure.locator("svg text").all_text_contents()
        )
        page.get_by_role("link", name="Show the whole span, 01/01/1966 to 31/12/2026").click()
        page.wait_for_url(re.compile(r".*\?timeline=whole#timeline$"))
        caption = page.locator("figure.app-timeline-figure--narrow figcaption").inner_text()
        assert caption.startswith("From 01/01/1966 to 31/12/2026.")
        page.get_by_role("link", name="Show the period of the child's events").click()
        page.wait_for_url(re.compile(r".*/children/\d+#timeline$"))
        assert_accessible(page)
    finally:
        context.close()
