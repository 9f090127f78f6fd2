import re
from datetime import UTC, datetime, timedelta

import pytest

from inspection.models import AccessLog, Inspection, Session
from inspection.web.sessions import COOKIE_NAME
from tests.web.conftest import make_inspection, make_user, member, sign_in


async def test_anonymous_page_redirects_to_login(app_client):
    response = await app_client.get("/inspections", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_anonymous_api_request_is_refused(app_client):
    response = await app_client.get("/inspections/1", headers={"accept": "application/json"})
    assert response.status_code == 401
    assert response.text == "Sign in first."


async def test_health_and_login_are_public(app_client):
    health = await app_client.get("/health")
    assert health.json() == {"status": "ok", "database": "ok"}
    login = await app_client.get("/login")
    assert login.status_code == 200
    assert "Sign in" in login.text


async def test_sign_in_sets_an_http_only_same_site_cookie(app_client):
    await make_user("lead@example.org", "lead_inspector")
    response = await sign_in(app_client, "lead@example.org")
    assert response.status_code == 303
    assert response.headers["location"] == "/inspections"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP in tests
    assert await AccessLog.filter(action="sign-in", user_email="lead@example.org").count() == 1


async def test_wrong_password_and_unknown_user_get_the_same_answer(app_client):
    await make_user("lead@example.org", "lead_inspector")
    wrong = await sign_in(app_client, "lead@example.org", "not the password")
    unknown = await sign_in(app_client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Enter a correct e-mail address and password." in wrong.text
    assert wrong.text.replace("lead@example.org", "X") == unknown.text.replace(
        "nobody@example.org", "X"
    )


async def test_repeated_failures_lock_the_account_for_the_window(app_client):
    await make_user("lead@example.org", "lead_inspector")
    for _ in range(5):
        assert (await sign_in(app_client, "lead@example.org", "wrong")).status_code == 401
    # Even the right password is refused while throttled.
    assert (await sign_in(app_client, "lead@example.org")).status_code == 401
    assert await AccessLog.filter(action="sign-in-throttled").count() == 1


async def test_session_is_renewed_at_sign_in_and_ended_at_logout(app_client):
    await make_user("lead@example.org", "lead_inspector")
    first = (await sign_in(app_client, "lead@example.org")).cookies[COOKIE_NAME]
    second = (await sign_in(app_client, "lead@example.org")).cookies[COOKIE_NAME]
    assert first != second
    assert await Session.filter(id=first).count() == 0
    app_client.cookies.set(COOKIE_NAME, second)
    assert (await app_client.get("/inspections")).status_code == 200
    await app_client.post("/logout")
    assert await Session.filter(id=second).count() == 0
    app_client.cookies.set(COOKIE_NAME, second)
    assert (await app_client.get("/inspections")).status_code == 401


async def test_idle_session_expires(app_client, db):
    await make_user("lead@example.org", "lead_inspector")
    sid = (await sign_in(app_client, "lead@example.org")).cookies[COOKIE_NAME]
    past = datetime.now(UTC) - timedelta(minutes=db.session_idle_minutes + 1)
    await Session.filter(id=sid).update(last_seen_at=past)
    app_client.cookies.set(COOKIE_NAME, sid)
    assert (await app_client.get("/inspections")).status_code == 401
    assert await Session.filter(id=sid).count() == 0


async def test_members_see_only_their_inspections(app_client):
    mine = await make_inspection("Mine", "A01")
    other = await make_inspection("Other", "B02")
    user = await make_user("inspector@example.org", "inspector")
    await member(mine, user)
    await sign_in(app_client, "inspector@example.org")
    listing = await app_client.get("/inspections")
    assert "Mine" in listing.text
    assert "Other" not in listing.text
    assert (await app_client.get(f"/inspections/{mine.id}")).status_code == 200
    refused = await app_client.get(f"/inspections/{other.id}")
    missing = await app_client.get("/inspections/999999")
    assert refused.status_code == missing.status_code == 404
    assert refused.text == missing.text


async def test_lead_creates_an_inspection_and_becomes_its_member(app_client):
    await make_inspection("Existing", "C03")
    await make_user("lead@example.org", "lead_inspector")
    await sign_in(app_client, "lead@example.org")
    response = await app_client.post(
        "/inspections",
        data={
            "la": "C03",
            "kind": "jtai",
            "title": "JTAI neglect",
            "reference-day": "2",
            "reference-month": "11",
            "reference-year": "2026",
        },
    )
    assert response.status_code == 303
    page = await app_client.get(response.headers["location"])
    assert "JTAI neglect" in page.text
    assert "Your role: lead inspector" in page.text


@pytest.mark.parametrize(
    ("day", "month", "year", "message", "marked"),
    [
        ("", "", "", "Enter the reference date", ["day", "month", "year"]),
        ("2", "", "2026", "The reference date must include a month", ["month"]),
        ("", "", "2026", "The reference date must include a day and month", ["day", "month"]),
        ("31", "2", "2026", "The reference date must be a real date", ["day", "month", "year"]),
        ("2", "13", "2026", "The reference date must be a real date", ["month"]),
        ("2", "Nov", "2026", "The reference date must be a real date", ["month"]),
        ("2", "11", "26", "Year must include 4 numbers", ["year"]),
    ],
)
async def test_an_impossible_reference_date_is_explained_in_place(
    app_client, day, month, year, message, marked
):
    await make_inspection("Existing", "C03")
    await make_user("lead@example.org", "lead_inspector")
    await sign_in(app_client, "lead@example.org")
    response = await app_client.post(
        "/inspections",
        data={
            "la": "C03",
            "kind": "jtai",
            "title": "T",
            "reference-day": day,
            "reference-month": month,
            "reference-year": year,
        },
    )
    assert response.status_code == 400
    html = response.text
    first = marked[0]
    assert f'<li><a href="#reference-{first}">{message}</a></li>' in html
    assert (
        '<p id="reference-error" class="govuk-error-message">'
        f'<span class="govuk-visually-hidden">Error:</span> {message}</p>'
    ) in html
    errored = re.findall(r'govuk-input--error" id="reference-(\w+)"', html)
    assert errored == marked
    # what was typed stays in the fields
    for part, typed in (("day", day), ("month", month), ("year", year)):
        assert (
            f'id="reference-{part}" name="reference-{part}" type="text" '
            f'inputmode="numeric" value="{typed}"' in html
        )
    assert await Inspection.filter(title="T").count() == 0


async def test_inspector_cannot_create_inspections(app_client):
    await make_user("insp@example.org", "inspector")
    await sign_in(app_client, "insp@example.org")
    assert (await app_client.get("/inspections/new")).status_code == 404
