"""The sign-in throttle's counts: places taken and given back, windows, any e-mail."""

from inspection.models import SignInThrottle
from inspection.throttle import Throttle, admit, forget_ended, give_back
from tests.web.conftest import make_user, sign_in

EMAIL = "lead@example.org"


async def test_the_window_ends_and_ended_counts_are_forgotten(app_client, db):
    await make_user(EMAIL, "lead_inspector")
    for _ in range(5):
        await sign_in(app_client, EMAIL, "wrong password")
    assert (await sign_in(app_client, EMAIL)).status_code == 401
    window_ms = db.login_window_seconds * 1000
    await SignInThrottle.all().update(window_started=1)
    assert await forget_ended(Throttle(), now_ms=window_ms) == 0
    assert await forget_ended(Throttle(), now_ms=window_ms + 1) == 2
    assert (await sign_in(app_client, EMAIL)).status_code == 303


async def test_a_signed_in_attempt_gives_its_place_back(db):
    throttle = Throttle(attempts=2, window_seconds=300, per_address=100)
    first = await admit(EMAIL, "10.0.0.1", throttle, now_ms=1_000)
    assert first.admitted and first.attempts == 1
    await give_back(first)
    for expected in (1, 2):
        admission = await admit(EMAIL, "10.0.0.1", throttle, now_ms=2_000)
        assert admission.admitted and admission.attempts == expected
    refused = await admit(EMAIL, "10.0.0.1", throttle, now_ms=3_000)
    assert not refused.admitted and refused.attempts == 3
    # A new window after window_seconds.
    again = await admit(EMAIL, "10.0.0.1", throttle, now_ms=1_000 + 300_000)
    assert again.admitted and again.attempts == 1


async def test_any_e_mail_is_counted_however_long(db):
    long_email = "x" * 600 + "@example.org"
    throttle = Throttle()
    counts = [(await admit(long_email, "10.0.0.2", throttle)).attempts for _ in range(6)]
    assert counts == [1, 2, 3, 4, 5, 6]
    assert not (await admit(long_email, "10.0.0.2", throttle)).admitted
    assert (await admit(long_email + "y", "10.0.0.2", throttle)).admitted
