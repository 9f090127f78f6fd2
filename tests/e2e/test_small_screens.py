"""Every page type of an inspection at a phone's width (390 px) and a laptop's (1366 px):
nothing scrolls sideways, the header's user name stays clear of the service name, and axe-core
finds no serious or critical violation.

The pages are found as a lead inspector finds them: following links from the inspection's
overview, one page of each type.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import LiveServer, axe_violations, inspection_pages, sign_in
from tests.web.crawl import LEAD_PAGES

WIDTHS = (390, 1366)
# Every page type the lead must reach.
PAGE_TYPES = {"/inspections", *LEAD_PAGES}
MEASURE = """() => {
  const bar = document.querySelector('.app-header');
  const header = document.querySelector('.app-header__service');
  const user = document.querySelector('.app-header__user');
  const box = (e) => {
    if (!e) return null;
    const r = e.getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  };
  const edge = (e) => Math.round(e.getBoundingClientRect().right);
  return {
    scroll: document.documentElement.scrollWidth,
    viewport: document.documentElement.clientWidth,
    bar: box(bar),
    service: box(header),
    user: box(user),
    widest: [...document.querySelectorAll('main *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .slice(0, 3).map((e) => e.tagName + '.' + e.className + ' ' + edge(e)),
  };
}"""


@pytest.fixture(scope="module")
def seeded(live_server: LiveServer) -> int:
    result = subprocess.run(
        [sys.executable, "-m", "tests.e2e.seed_pages"],
        env=live_server.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return int(result.stdout.strip().splitlines()[-1])


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_every_page_fits_a_small_screen_and_passes_axe(browser, live_server, seeded):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        sign_in(page)
        pages = inspection_pages(page, seeded)
        missing = PAGE_TYPES - set(pages)
        assert not missing, f"not reached: {sorted(missing)}"
        problems: list[str] = []
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for kind, url in sorted(pages.items()):
                page.goto(url)
                m = page.evaluate(MEASURE)
                if m["scroll"] > m["viewport"]:
                    problems.append(
                        f"{width}px {kind}: {m['scroll']} px wide ({', '.join(m['widest'])})"
                    )
                if m["service"] and m["user"] and _overlap(m["service"], m["user"]):
                    problems.append(f"{width}px {kind}: the user's name overlaps the service name")
                if m["bar"] and m["user"] and m["user"][3] > m["bar"][3]:
                    problems.append(f"{width}px {kind}: the user's name falls below the header")
                for v in axe_violations(page):
                    problems.append(f"{width}px {kind}: axe {v['impact']} {v['id']} {v['nodes']}")
        assert problems == [], "\n".join(problems)
    finally:
        context.close()
