"""Whole tasks by keyboard alone: Tab, Shift+Tab, arrow keys, Space, Enter and typing.

The test reads where focus is (to know when to stop tabbing and to check that focus can be
seen) but never clicks, fills or selects anything.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import ROOT, run_cli
from tests.e2e.conftest import assert_accessible, sign_in

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

# True when the focused element (or, for GOV.UK radios and checkboxes whose input is hidden,
# its label's ::before box) shows a focus indicator: an outline, a box shadow or the yellow.
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  let style = getComputedStyle(el);
  if (el.type === 'radio' || el.type === 'checkbox') {
    style = getComputedStyle(el.nextElementSibling, '::before');
  }
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
    && style.outlineColor !== 'rgba(0, 0, 0, 0)';
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  const yellow = style.backgroundColor === 'rgb(255, 221, 0)';
  return Boolean(outline || shadow || yellow);
}"""


def focused(page: Any) -> dict[str, str]:
    return page.evaluate(
        "() => { const e = document.activeElement; return {id: e.id || '',"
        " tag: e.tagName, text: (e.innerText || e.value || '').trim().slice(0, 80)}; }"
    )


def tab_to(page: Any, selector: str, key: str = "Tab", limit: int = 150) -> None:
    """Press Tab (or Shift+Tab) until the element matching ``selector`` has focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_VISIBLE), f"focus is not visible on {focused(page)}"
            return
    raise AssertionError(f"{selector} never took focus; focus is on {focused(page)}")


def _setup(live_server: Any) -> tuple[int, int]:
    env = live_server.env
    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "E2E",
            "--kind",
            "focused-visit",
            "--title",
            "E2E keyboard",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        env,
    )
    assert created.returncode == 0, created.stderr
    inspection_id = int(json.loads(created.stdout)["id"])
    for args in (
        [
            "inspection",
            "add-member",
            "--inspection",
            str(inspection_id),
            "--user",
            "lead@e2e.example",
            "--role",
            "lead_inspector",
        ],
        [
            "import",
            "annex-a",
            str(ROOT / "fixtures" / "demo" / "annex_a.xlsx"),
            "--inspection",
            str(inspection_id),
        ],
    ):
        result = run_cli(args, env)
        assert result.returncode == 0, result.stderr
    drawn = run_cli(
        [
            "sample",
            "draw",
            "--inspection",
            str(inspection_id),
            "--cohort",
            "child_protection",
            "--size",
            "1",
            "--reserve",
            "0",
            "--seed",
            "0b0e",
            "--purpose",
            "keyboard",
            "--json",
        ],
        env,
    )
    assert drawn.returncode == 0, drawn.stderr
    return inspection_id, int(json.loads(drawn.stdout)["id"])


def test_an_audit_and_a_verification_by_keyboard_alone(page, live_server):
    inspection_id, sample_id = _setup(live_server)
    base = f"/inspections/{inspection_id}"
    sign_in(page)

    # From the list of inspections to the audits of this one.
    tab_to(page, f'a[href="{base}"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{base}")
    tab_to(page, f'a[href="{base}/audits"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{base}/audits")
    tab_to(page, "button.govuk-button")
    assert " ".join(focused(page)["text"].split()).startswith("Start first marking of ")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/audits/\d+$"))
    audit_id = int(page.url.rsplit("/", 1)[1])

    # Every domain: tab into its radios (focus lands on the first grade), arrow to Good,
    # then tab on to the evidence and type it.
    for domain in DOMAINS:
        tab_to(page, f"#{domain}-outstanding")
        page.keyboard.press("ArrowRight")
        assert focused(page)["id"] == f"{domain}-good"
        assert page.evaluate(f"() => document.getElementById('{domain}-good').checked")
        tab_to(page, f"#{domain}-evidence")
        page.keyboard.type(f"Keyboard evidence: {domain.replace('_', ' ')}")
    # Back up one field with Shift+Tab and forward again: focus order follows the form.
    tab_to(page, "#impact-good", key="Shift+Tab")
    tab_to(page, "#impact-evidence")
    tab_to(page, "#strengths")
    page.keyboard.type("Plans were reviewed with the family.")
    tab_to(page, "#improvements")
    page.keyboard.type("Hear the child's own view.")
    page.locator("#autosave-status", has_text="Saved at").wait_for()
    tab_to(page, "button[data-submit-audit]")
    with page.expect_navigation(url=f"**{base}/audits/{audit_id}?submitted=yes"):
        page.keyboard.press("Enter")
    assert page.locator(".govuk-panel__title").inner_text() == "Audit submitted"
    page.goto(f"{base}/audits/{audit_id}")
    main = page.locator("main").inner_text()
    assert "Status: Submitted" in main
    assert "Overall: Good" in main
    for domain in DOMAINS:
        assert page.evaluate(f"() => document.getElementById('{domain}-good').checked")
        assert (
            page.evaluate(f"() => document.getElementById('{domain}-evidence').value")
            == f"Keyboard evidence: {domain.replace('_', ' ')}"
        )
    assert_accessible(page)

    # Verify the sample by keyboard; the answer is announced in a live region.
    page.goto(f"{base}/samples/{sample_id}")
    tab_to(page, "#provenance summary")
    page.keyboard.press("Enter")
    tab_to(page, 'form[action$="/verify"] button')
    page.keyboard.press("Enter")
    page.locator("#verification h2", has_text="Identical").wait_for()
    assert page.get_attribute("#verification", "aria-live") == "polite"


def test_skip_link_moves_focus_to_the_main_content(page):
    sign_in(page)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    assert page.evaluate(FOCUS_VISIBLE)
    page.keyboard.press("Enter")
    assert page.url.endswith("#main-content")
    page.keyboard.press("Tab")
    inside = page.evaluate(
        "() => document.getElementById('main-content').contains(document.activeElement)"
    )
    assert inside, focused(page)
