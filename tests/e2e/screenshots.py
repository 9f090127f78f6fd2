"""Screenshots of one page of every page type, at a laptop's width (1366 px) and a phone's (390 px).

    python -m tests.e2e.screenshots DIR

Sets up a service as the browser tests do (an authority, a lead inspector, a second inspector
and an administrator), fills it with the inspection of ``tests.e2e.seed_pages`` (the demo
authority's evidence, linked; a stratified sample; audits, a second-marking plan, a concern),
then visits each page as the lead inspector or the administrator finds it and saves
``DIR/NAME-WIDTH.png`` (full page). Prints each file and any page wider than the window.
The database is the browser tests' (``INSPECTION_TEST_DATABASE``); it is removed afterwards.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.e2e.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    E2E_SETUP,
    inspection_pages,
    serve_app,
    sign_in,
)

WIDTHS = (1366, 390)
# Page types of an inspection (ids as {id}) and the name of their screenshot.
INSPECTION_PAGES = {
    "/inspections": "inspections",
    "/inspections/{id}": "overview",
    "/inspections/{id}/evidence": "evidence",
    "/inspections/{id}/evidence/uploads/{id}": "validation-report",
    "/inspections/{id}/children": "children",
    "/inspections/{id}/children/{id}": "journey",
    "/inspections/{id}/children/{id}/chronology": "chronology",
    "/inspections/{id}/linkage": "linkage-review",
    "/inspections/{id}/samples": "samples",
    "/inspections/{id}/samples/{id}": "sample",
    "/inspections/{id}/samples/{id}/members/{id}": "sample-member",
    "/inspections/{id}/audits": "audits-board",
    "/inspections/{id}/audits/{id}": "audit-submitted-view",
    "/inspections/{id}/moderation": "moderation",
    "/inspections/{id}/findings": "findings",
    "/inspections/{id}/findings/audits": "findings-audits",
    "/inspections/{id}/concerns": "concerns",
    "/inspections/{id}/concerns/{id}": "concern",
    "/inspections/{id}/exports": "exports",
}
ADMIN_PAGES = {
    "/admin/users": "admin-users",
    "/admin/users/new": "admin-invite",
    "/admin/authorities": "admin-authorities",
    "/admin/access-log": "access-log",
    "/inspections/new": "inspection-new",
}
WIDTH = """() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"""


class Camera:
    def __init__(self, out: Path) -> None:
        self.out = out
        self.saved: list[Path] = []
        self.wide: list[str] = []

    def shoot(self, page: Any, name: str, url: str | None = None, prepare: Any = None) -> None:
        """Both widths of one page; ``prepare(page)`` runs after each load (a click, a choice)."""
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            if url is not None:
                page.goto(url)
            if prepare is not None:
                prepare(page)
            page.wait_for_load_state("networkidle")
            scroll, client = page.evaluate(WIDTH)
            if scroll > client:
                self.wide.append(f"{name} at {width} px is {scroll} px wide")
            path = self.out / f"{name}-{width}.png"
            page.screenshot(path=str(path), full_page=True)
            self.saved.append(path)
            print(path, flush=True)


def preview_population(page: Any) -> None:
    page.get_by_label("Annex A list or cohort").select_option("assessments")
    page.get_by_label("Stratify by").select_option("age_band")
    page.locator("#population-preview table", has_text="Strata by age band").wait_for()


def main(out: Path) -> int:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    camera = Camera(out)
    with (
        tempfile.TemporaryDirectory() as tmp,
        serve_app(Path(tmp), E2E_SETUP) as server,
        sync_playwright() as p,
    ):
        seeded = subprocess.run(
            [sys.executable, "-m", "tests.e2e.seed_pages"],
            env=server.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if seeded.returncode != 0:
            print(seeded.stderr[-3000:], file=sys.stderr)
            return 1
        inspection_id = int(seeded.stdout.strip().splitlines()[-1])
        base = f"/inspections/{inspection_id}"
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        signed_out = browser.new_context(base_url=server.url).new_page()
        camera.shoot(signed_out, "sign-in", "/login")

        lead = browser.new_context(base_url=server.url).new_page()
        lead.set_default_timeout(30000)
        sign_in(lead)
        pages = inspection_pages(lead, inspection_id)
        for kind, name in INSPECTION_PAGES.items():
            if kind in pages:
                camera.shoot(lead, name, pages[kind])
            else:
                print(f"not reached: {kind}", file=sys.stderr)
        camera.shoot(lead, "population-preview", f"{base}/samples", preview_population)
        # an audit form open for editing: the lead starts the next first marking
        lead.goto(f"{base}/audits")
        with lead.expect_navigation():
            lead.get_by_role("button", name=re.compile("^Start first marking")).first.click()
        camera.shoot(lead, "audit-form", lead.url)

        admin = browser.new_context(base_url=server.url).new_page()
        admin.set_default_timeout(30000)
        sign_in(admin, "admin@e2e.example")
        for url, name in ADMIN_PAGES.items():
            camera.shoot(admin, name, url)
        admin.goto("/admin/users")
        admin.get_by_role("link", name="Lena Lead").click()
        admin.wait_for_url(re.compile(r".*/admin/users/\d+$"))
        camera.shoot(admin, "admin-user", admin.url)
        admin.goto("/admin/users/new")
        admin.get_by_label("Full name").fill("Iris Invited")
        admin.get_by_label("E-mail address").fill("iris.invited@e2e.example")
        admin.get_by_label("Inspector", exact=True).check()
        with admin.expect_navigation():
            admin.get_by_role("button", name="Invite and get the link").click()
        link = admin.locator("#password-link").inner_text()
        camera.shoot(admin, "admin-invited", None)
        camera.shoot(signed_out, "set-password", link)
        browser.close()
    print(f"{len(camera.saved)} screenshots in {out}")
    for line in camera.wide:
        print(f"wider than the window: {line}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: python -m tests.e2e.screenshots DIR", file=sys.stderr)
        raise SystemExit(2)
    raise SystemExit(main(Path(sys.argv[1])))
