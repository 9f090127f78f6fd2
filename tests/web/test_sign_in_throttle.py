"""Sign-in throttling under concurrency, and Argon2 off the event loop.

The hasher is replaced (``PasswordHasher.verify``) where a test needs to hold a check in
progress or count checks; the stand-in refuses to block when it is called on the event loop's
thread, and records that, so a hasher running on the loop fails the test instead of hanging it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import httpx2
import pytest
import pytest_asyncio
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from inspection.accounts import authenticate
from inspection.models import AccessLog
from inspection.settings import Settings
from inspection.web.app import create_app
from tests.web.conftest import PASSWORD, make_user, sign_in

EMAIL = "lead@example.org"
REFUSED = "Enter a correct e-mail address and password."


class GatedHasher:
    """Stands in for ``PasswordHasher.verify``: records each call and, in a worker thread,
    holds it until ``release`` is set."""

    def __init__(self, hold: bool) -> None:
        self.hold = hold
        self.release = threading.Event()
        self.entered = threading.Event()
        self.calls: list[tuple[str, bool]] = []  # (password, on the event loop's thread)
        self._lock = threading.Lock()

    def verify(self, _hasher: PasswordHasher, _hash: str, password: str) -> bool:
        on_loop = threading.current_thread() is threading.main_thread()
        with self._lock:
            self.calls.append((password, on_loop))
        self.entered.set()
        if self.hold and not on_loop:
            self.release.wait(timeout=60)  # only a safety net: the test sets it
        if password == PASSWORD:
            return True
        raise VerifyMismatchError

    @property
    def on_loop(self) -> int:
        return sum(1 for _, on_loop in self.calls if on_loop)


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> GatedHasher:
    hasher = GatedHasher(hold=True)
    monkeypatch.setattr(PasswordHasher, "verify", lambda h, hash_, pw: hasher.verify(h, hash_, pw))
    return hasher


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> GatedHasher:
    hasher = GatedHasher(hold=False)
    monkeypatch.setattr(PasswordHasher, "verify", lambda h, hash_, pw: hasher.verify(h, hash_, pw))
    return hasher


def _client(app: object, address: str = "127.0.0.1") -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app, client=(address, 123)),  # type: ignore[arg-type]
        base_url="http://testserver",
    )


@pytest_asyncio.fixture
async def app(db: Settings) -> AsyncIterator[object]:
    yield create_app(db, manage_database=False)


async def _actions() -> dict[str, int]:
    counts: dict[str, int] = {}
    for action in await AccessLog.all().values_list("action", flat=True):
        counts[str(action)] = counts.get(str(action), 0) + 1
    return counts


async def _until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    """Wait for ``condition()`` to hold (polling; a safety limit, not a timing assertion)."""
    for _ in range(6000):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_forty_parallel_wrong_then_right_attempts_check_at_most_the_limit(app):
    """The issue's experiment with the real hasher: 40 attempts at once on one account, the
    30th with the right password. At most five wrong passwords are checked, and afterwards the
    right password is refused for the rest of the window."""
    await make_user(EMAIL, "lead_inspector")
    async with _client(app) as client:
        passwords = ["wrong password"] * 40
        passwords[29] = PASSWORD
        answers = await asyncio.gather(*(sign_in(client, EMAIL, p) for p in passwords))
        statuses = [a.status_code for a in answers]
        after = await sign_in(client, EMAIL)
    actions = await _actions()
    failed, signed_in = actions.get("sign-in-failed", 0), actions.get("sign-in", 0)
    assert failed <= 5
    assert signed_in <= 1 and failed + signed_in <= 6
    assert failed + signed_in + actions["sign-in-throttled"] == 41
    assert statuses.count(303) == signed_in and statuses.count(401) == 40 - signed_in
    assert after.status_code == 401 and REFUSED in after.text


async def test_attempts_beyond_the_limit_are_refused_while_the_first_are_being_checked(app, gated):
    """Five wrong attempts are in progress (held inside the hasher): the right password sent
    now is refused at once, without being hashed, and so are ten more wrong ones."""
    await make_user(EMAIL, "lead_inspector")
    async with _client(app) as client:
        first = [asyncio.create_task(sign_in(client, EMAIL, "wrong password")) for _ in range(5)]

        async def five_counted() -> bool:
            from inspection.models import SignInThrottle

            row = await SignInThrottle.all().order_by("-attempts").first()
            return row is not None and row.attempts == 5 and gated.entered.is_set()

        await _until(five_counted, "five attempts counted, one inside the hasher")
        later = await asyncio.gather(
            sign_in(client, EMAIL), *(sign_in(client, EMAIL, "wrong") for _ in range(10))
        )
        assert [r.status_code for r in later] == [401] * 11
        assert all(REFUSED in r.text for r in later)
        assert not any(task.done() for task in first)  # the first five are still being checked
        gated.release.set()
        assert [r.status_code for r in await asyncio.gather(*first)] == [401] * 5
    assert sorted(gated.calls) == [("wrong password", False)] * 5
    assert await _actions() == {"sign-in-failed": 5, "sign-in-throttled": 11}


async def test_a_throttled_attempt_is_not_hashed(app, counted):
    await make_user(EMAIL, "lead_inspector")
    async with _client(app) as client:
        for _ in range(5):
            assert (await sign_in(client, EMAIL, "wrong password")).status_code == 401
        assert len(counted.calls) == 5
        refused = await sign_in(client, EMAIL)
    assert refused.status_code == 401 and REFUSED in refused.text
    assert len(counted.calls) == 5
    assert counted.on_loop == 0


async def test_the_event_loop_answers_while_a_password_is_being_checked(app, gated):
    await make_user(EMAIL, "lead_inspector")
    async with _client(app) as client:
        attempt = asyncio.create_task(sign_in(client, EMAIL))
        await asyncio.to_thread(gated.entered.wait, 60)
        health = await client.get("/health")
        assert health.status_code == 200
        assert not attempt.done()  # /health was answered while the check was held
        gated.release.set()
        assert (await attempt).status_code == 303
    assert gated.calls == [(PASSWORD, False)]


async def test_wrong_password_and_unknown_user_are_throttled_alike(app, counted):
    await make_user(EMAIL, "lead_inspector")
    answers: dict[str, list[tuple[int, str]]] = {}
    async with _client(app) as client:
        for email in (EMAIL, "nobody@example.org"):
            responses = await asyncio.gather(
                *(sign_in(client, email, "wrong password") for _ in range(7))
            )
            answers[email] = [(r.status_code, r.text.replace(email, "X")) for r in responses]
    assert answers[EMAIL] == answers["nobody@example.org"]
    assert len(counted.calls) == 10  # five checked for each, none once throttled


async def test_one_address_is_limited_across_accounts_and_others_are_not(app, counted):
    await make_user(EMAIL, "lead_inspector")
    async with _client(app, "203.0.113.9") as attacker:
        await asyncio.gather(
            *(sign_in(attacker, f"guess{i}@example.org", "wrong password") for i in range(25))
        )
        assert len(counted.calls) == 20
        refused = await sign_in(attacker, EMAIL)
        assert refused.status_code == 401
    async with _client(app, "198.51.100.7") as colleague:
        assert (await sign_in(colleague, EMAIL)).status_code == 303
    # The refused address took no place in the account's count.
    assert len(counted.calls) == 21


async def test_an_e_mail_longer_than_any_account_is_refused_before_any_check(app, counted, db):
    """The page refuses it plainly (no account can have it); the domain, if ever asked
    directly, throttles it like any other address."""
    long_email = "x" * 300 + "@example.org"
    async with _client(app) as client:
        responses = await asyncio.gather(
            *(sign_in(client, long_email, "wrong password") for _ in range(7))
        )
    assert [r.status_code for r in responses] == [400] * 7
    assert all("254 characters or fewer" in r.text for r in responses)
    assert counted.calls == []
    assert await AccessLog.all().count() == 0
    throttle = db.sign_in_throttle()
    answers = [
        await authenticate(long_email, "wrong password", "127.0.0.1", throttle) for _ in range(7)
    ]
    assert answers == [None] * 7
    assert len(counted.calls) == 5
    logged = await AccessLog.all().values_list("user_email", flat=True)
    assert set(logged) == {long_email[:254]}  # the column holds 254 characters
