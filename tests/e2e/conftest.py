"""Browser tests: the app served by uvicorn, driven by Playwright in Debian's Chromium.

Accessibility is checked with axe-core (from the npm registry, see package.json).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, drop_database, new_database_url, run_cli
from tests.web.crawl import DOWNLOADS

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "browser test password"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]
    data_dir: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


ADMIN = (
    ["user", "add", "admin@e2e.example", "--name", "Ada Admin", "--role", "admin"],
    PASSWORD + "\n",
)


@contextmanager
def serve_app(tmp: Path, setup: list[tuple[list[str], str | None]]) -> Iterator[LiveServer]:
    """A fresh database, migrated and set up by the commands of ``setup`` (arguments, stdin),
    served by ``inspection serve`` on a free port until the block ends."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make system-packages`")
    url, db_name = new_database_url(tmp, "e2e")
    env = {
        **os.environ,
        "INSPECTION_DATABASE_URL": url,
        "INSPECTION_DATA_DIR": str(tmp),
        "INSPECTION_SECRET_KEY": "e2e-secret",
    }
    for args, stdin in [(["db", "upgrade"], None), *setup]:
        result = run_cli(args, env=env, input=stdin)
        assert result.returncode == 0, result.stderr
    port = _free_port()
    log = (tmp / "server.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "inspection", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        log.close()
        pytest.fail("the app did not start: " + (tmp / "server.log").read_text()[-2000:])
    try:
        yield LiveServer(base, env, tmp)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
        drop_database(db_name)


# What the command line sets up for the shared live server: an authority, a lead inspector, a
# second inspector and an administrator.
E2E_SETUP = [
    (["la", "add", "E2E", "Browsershire Council"], None),
    (
        ["user", "add", "lead@e2e.example", "--name", "Lena Lead", "--role", "lead_inspector"],
        PASSWORD + "\n",
    ),
    (
        ["user", "add", "second@e2e.example", "--name", "Sam Second", "--role", "inspector"],
        PASSWORD + "\n",
    ),
    ADMIN,
]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve_app(tmp_path_factory.mktemp("e2e"), E2E_SETUP) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def sign_in(page: Any, email: str = "lead@e2e.example") -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inspections")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical WCAG 2.2 A/AA violations on the current page, found by axe-core.

    axe is evaluated as a function body so the page's Content-Security-Policy (no inline script)
    stays in force for the app's own behaviour.
    """
    source = AXE.read_text()
    result = page.evaluate(
        "async (source) => { (0, eval)(source);"
        " return await axe.run(document, {runOnly: {type: 'tag', values:"
        " ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}); }",
        source,
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Any) -> None:
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=2)


def page_type(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/{id}", path)


def inspection_pages(page: Any, inspection_id: int) -> dict[str, str]:
    """One address of each page type of the inspection, found by following links."""
    found: dict[str, str] = {}
    queue = ["/inspections", f"/inspections/{inspection_id}"]
    while queue:
        url = queue.pop(0)
        kind = page_type(urlsplit(url).path)
        if kind in found:
            continue
        page.goto(url)
        found[kind] = url
        for href in page.eval_on_selector_all(
            "a[href]", "els => els.map(e => e.getAttribute('href'))"
        ):
            target = urlsplit(href)
            if target.scheme or target.netloc or DOWNLOADS.search(target.path):
                continue
            if not target.path.startswith(f"/inspections/{inspection_id}"):
                continue
            if page_type(target.path) not in found:
                queue.append(target.path + (f"?{target.query}" if target.query else ""))
    return found
