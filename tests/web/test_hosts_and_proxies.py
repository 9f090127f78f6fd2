"""Allowed host names, and the client address behind a trusted proxy (and only then)."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx2
import pytest

from inspection import settings as settings_module
from inspection.models import AccessLog
from inspection.settings import DEFAULT_ALLOWED_HOSTS, SettingsError
from inspection.web.app import create_app
from inspection.web.security import CONTENT_SECURITY_POLICY
from tests.web.conftest import make_user, sign_in

EMAIL = "lead@example.org"


def _client(settings, peer: str, host: str = "testserver") -> httpx2.AsyncClient:
    app = create_app(settings, manage_database=False)
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app, client=(peer, 123)), base_url=f"http://{host}"
    )


async def test_a_request_for_another_host_name_is_refused(db):
    await make_user(EMAIL, "lead_inspector")
    async with _client(db, "127.0.0.1", host="evil.example") as client:
        page = await client.get("/login")
        signing_in = await sign_in(client, EMAIL)
    assert (page.status_code, page.text) == (400, "Invalid host header")
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (signing_in.status_code, signing_in.text) == (400, "Invalid host header")
    assert await AccessLog.all().count() == 0
    async with _client(db, "127.0.0.1", host="127.0.0.1:8000") as client:
        assert (await client.get("/login")).status_code == 200


def test_allowed_hosts_and_trusted_proxies_from_the_environment(tmp_path):
    base = {"INSPECTION_DATA_DIR": str(tmp_path), "INSPECTION_SECRET_KEY": "k" * 40}
    default = settings_module.load(base)
    assert default.allowed_hosts == DEFAULT_ALLOWED_HOSTS == ("localhost", "127.0.0.1", "[::1]")
    assert default.trusted_proxies == ()
    given = settings_module.load(
        {
            **base,
            "INSPECTION_ALLOWED_HOSTS": " Inspections.Example.org , *.internal.example,",
            "INSPECTION_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16, ::1",
        }
    )
    assert given.allowed_hosts == ("inspections.example.org", "*.internal.example")
    assert given.trusted_proxies == ("10.0.0.5", "10.1.0.0/16", "::1")
    with pytest.raises(SettingsError, match=r"INSPECTION_TRUSTED_PROXIES: 'proxy\.local' is not"):
        settings_module.load({**base, "INSPECTION_TRUSTED_PROXIES": "proxy.local"})
    with pytest.raises(SettingsError, match=r"INSPECTION_ALLOWED_HOSTS: 'ex\*ample\.org' is not"):
        settings_module.load({**base, "INSPECTION_ALLOWED_HOSTS": "ex*ample.org"})


async def test_the_forwarded_address_is_used_only_from_a_trusted_proxy(db):
    await make_user(EMAIL, "lead_inspector")
    behind = dataclasses.replace(db, trusted_proxies=("10.0.0.1",))
    forwarded = {"x-forwarded-for": "203.0.113.5"}
    async with _client(behind, "10.0.0.1") as proxy:
        await proxy.post("/login", data={"email": EMAIL, "password": "wrong"}, headers=forwarded)
    async with _client(behind, "198.51.100.1") as direct:
        await direct.post("/login", data={"email": EMAIL, "password": "wrong"}, headers=forwarded)
    async with _client(db, "127.0.0.1") as no_proxy_set:
        await no_proxy_set.post(
            "/login", data={"email": EMAIL, "password": "wrong"}, headers=forwarded
        )
    addresses = await AccessLog.all().order_by("id").values_list("ip", flat=True)
    assert addresses == ["203.0.113.5", "198.51.100.1", "127.0.0.1"]


async def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(db):
    await make_user(EMAIL, "lead_inspector")
    behind = dataclasses.replace(db, trusted_proxies=("10.0.0.0/24",))
    async with _client(behind, "10.0.0.7") as proxy:
        await asyncio.gather(
            *(
                proxy.post(
                    "/login",
                    data={"email": f"guess{i}@example.org", "password": "wrong"},
                    headers={"x-forwarded-for": "203.0.113.5"},
                )
                for i in range(21)
            )
        )
        refused = await proxy.post(
            "/login",
            data={"email": EMAIL, "password": "correct horse battery"},
            headers={"x-forwarded-for": "203.0.113.5"},
        )
        colleague = await proxy.post(
            "/login",
            data={"email": EMAIL, "password": "correct horse battery"},
            headers={"x-forwarded-for": "198.51.100.20"},
        )
    assert refused.status_code == 401
    assert colleague.status_code == 303
    throttled = await AccessLog.filter(action="sign-in-throttled").values_list("ip", flat=True)
    assert set(throttled) == {"203.0.113.5"}


async def test_a_forwarded_address_too_long_for_the_log_is_cut(db):
    behind = dataclasses.replace(db, trusted_proxies=("10.0.0.1",))
    async with _client(behind, "10.0.0.1") as proxy:
        response = await proxy.post(
            "/login",
            data={"email": EMAIL, "password": "wrong"},
            headers={"x-forwarded-for": "x" * 300},
        )
    assert response.status_code == 401
    assert await AccessLog.all().values_list("ip", flat=True) == ["x" * 64]


def test_serve_answers_to_the_host_it_was_given_unless_hosts_are_set():
    from inspection.cli.serve import allow_served_host

    environ: dict[str, str] = {}
    allow_served_host("192.0.2.10", environ)
    assert environ == {"INSPECTION_ALLOWED_HOSTS": "localhost,127.0.0.1,[::1],192.0.2.10"}
    environ = {}
    allow_served_host("2001:db8::1", environ)
    assert environ["INSPECTION_ALLOWED_HOSTS"].endswith(",[2001:db8::1]")
    for host in ("127.0.0.1", "0.0.0.0"):  # noqa: S104 (a value, not a bind)
        environ = {}
        allow_served_host(host, environ)
        assert environ.get("INSPECTION_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]") == (
            "localhost,127.0.0.1,[::1]"
        )
    environ = {"INSPECTION_ALLOWED_HOSTS": "inspections.example.org"}
    allow_served_host("192.0.2.10", environ)
    assert environ == {"INSPECTION_ALLOWED_HOSTS": "inspections.example.org"}


def test_inspection_serve_works_out_of_the_box_and_refuses_other_names(cli_env):
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from tests.conftest import ROOT

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in cli_env.items() if k != "INSPECTION_ALLOWED_HOSTS"}
    server = subprocess.Popen(
        [sys.executable, "-m", "inspection", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # waits for the server to listen; not a timing assertion
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.1)
        answers = []
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "evil.example"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/health", headers={"Host": host}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    answers.append(response.status)
            except urllib.error.HTTPError as exc:
                answers.append(exc.code)
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=20)
    assert answers == [200, 200, 400]
    assert b"Answering requests for: localhost, 127.0.0.1, [::1]" in stderr
