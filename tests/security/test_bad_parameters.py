"""What a bad parameter gets: an id out of range answers like any page that does not exist
(404), a malformed form value is refused with the GOV.UK error summary (400), a text too long
for its column matches nothing or is refused with a plain message; and only a database that is
not answering gives the 503, never a statement that was wrong."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator

import asyncpg
import httpx2
import pytest
import pytest_asyncio
from tortoise.exceptions import (
    DBConnectionError,
    DoesNotExist,
    IntegrityError,
    MultipleObjectsReturned,
    OperationalError,
)

from inspection.db import UNAVAILABLE_MESSAGE, database_down
from inspection.models import AccessLog, Audit, Concern, Inspection, SignInThrottle
from inspection.models.core import Role
from inspection.models.ids import ROW_ID
from inspection.settings import Settings
from inspection.web.app import create_app
from inspection.web.routes import audits as audit_routes
from tests.security.world import World, build_world

PAST_INTEGER = str(2**31)  # PostgreSQL's integer: every row id
PAST_BIGINT = str(2**63)  # SQLite's integer, PostgreSQL's bigint
HUGE = "9" * 30


@pytest_asyncio.fixture
async def client(db: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app, raise_app_exceptions=False),
        base_url="http://testserver",
    ) as c:
        yield c


@pytest_asyncio.fixture
async def world(db: Settings) -> AsyncIterator[World]:
    w = await build_world()
    yield w


def _post_headers(world: World, role: Role = Role.LEAD_INSPECTOR) -> dict[str, str]:
    return world.headers(role, **{"sec-fetch-site": "same-origin"})


async def _not_found(
    client: httpx2.AsyncClient, world: World, method: str, role: Role = Role.ADMIN
) -> tuple[int, str]:
    response = await client.request(method, "/no/such/page", headers=_post_headers(world, role))
    return response.status_code, response.text


def _error_summary(message: str) -> str:
    return (
        '<h2 class="govuk-error-summary__title">There is a problem</h2>\n  <div class="govuk-'
        f'error-summary__body"><ul class="govuk-list govuk-error-summary__list"><li>{message}'
    )


@pytest.mark.parametrize("value", [PAST_INTEGER, PAST_BIGINT, HUGE, "9" * 5000])
async def test_an_id_too_large_for_its_column_is_a_page_that_does_not_exist(client, world, value):
    own = world.own
    i = f"/inspections/{own.inspection_id}"
    paths = [
        ("GET", f"/inspections/{value}"),
        ("GET", f"{i}/children/{value}"),
        ("GET", f"{i}/audits/{value}"),
        ("GET", f"{i}/concerns/{value}"),
        ("GET", f"{i}/samples/{value}"),
        ("GET", f"{i}/evidence/uploads/{value}/issues.xlsx"),
        ("POST", f"{i}/audits/{value}/save"),
        ("POST", f"{i}/linkage/{value}"),
        ("POST", f"{i}/exports/samples/{value}/offline-pack"),
    ]
    for method, path in paths:
        response = await client.request(method, path, headers=_post_headers(world, Role.ADMIN))
        assert (response.status_code, response.text) == await _not_found(client, world, method), (
            path
        )


async def test_the_largest_id_a_column_holds_is_an_id_that_names_nothing(client, world):
    largest = str(ROW_ID.maximum)
    response = await client.get(
        f"/inspections/{world.own.inspection_id}/audits/{largest}",
        headers=world.headers(Role.ADMIN),
    )
    assert (response.status_code, response.text) == await _not_found(client, world, "GET")


@pytest.mark.parametrize("value", [PAST_INTEGER, PAST_BIGINT, HUGE])
async def test_an_id_too_large_in_a_form_or_query_names_nothing(client, world, value):
    own = world.own
    i = f"/inspections/{own.inspection_id}"
    refused = await _not_found(client, world, "POST", Role.LEAD_INSPECTOR)
    for path, form in (
        (f"{i}/audits", {"member": value, "marking": "first"}),
        (
            f"{i}/moderation/agree",
            {"first": value, "second": str(own.second_audit_id), "domain": "impact"},
        ),
        (f"{i}/moderation/plan", {"sample": value, "share_percent": "20"}),
    ):
        response = await client.post(path, data=form, headers=_post_headers(world))
        assert (response.status_code, response.text) == refused, path
    for path in (f"{i}/findings?sample={value}", f"{i}/findings/audits?ids=1,{value}"):
        response = await client.get(path, headers=world.headers(Role.LEAD_INSPECTOR))
        assert (response.status_code, response.text) == await _not_found(
            client, world, "GET", Role.LEAD_INSPECTOR
        )
    assert await Audit.filter(inspection_id=own.inspection_id).count() == 3


async def test_a_malformed_form_value_is_refused_with_the_error_summary(client, world):
    own = world.own
    i = f"/inspections/{own.inspection_id}"
    cases = [
        (f"{i}/audits", {"member": "abc", "marking": "first"}, "Choose the child to audit."),
        (f"{i}/audits", {"marking": "first"}, "Choose the child to audit."),
        (
            f"{i}/audits/{own.draft_audit_id}/save",
            {"version": "v1", "strengths": "Kind."},
            "This page is out of date: reload the audit and make your change again.",
        ),
        (
            f"{i}/audits/{own.draft_audit_id}/save",
            {"version": PAST_INTEGER, "strengths": "Kind."},
            "This page is out of date: reload the audit and make your change again.",
        ),
        (
            f"{i}/moderation/agree",
            {"first": "1.5", "second": str(own.second_audit_id), "domain": "impact"},
            "Choose the pair of markings to moderate.",
        ),
    ]
    for path, form, message in cases:
        response = await client.post(path, data=form, headers=_post_headers(world))
        assert response.status_code == 400, (path, form)
        assert "<title>Error: " in response.text
        assert _error_summary(message) in response.text, (path, form)
        assert '<h1 class="govuk-heading-l">Nothing was changed</h1>' in response.text
    draft = await Audit.get(id=own.draft_audit_id)
    assert (draft.version, draft.strengths) == (1, "note")


async def test_a_cited_event_number_too_large_is_not_an_event(client, world):
    own = world.own
    response = await client.post(
        f"/inspections/{own.inspection_id}/audits/{own.draft_audit_id}/save",
        data={"version": "1", "cites:impact": PAST_BIGINT},
        headers={**_post_headers(world), "hx-request": "true"},
    )
    assert response.status_code == 400
    message = f"&#39;{PAST_BIGINT}&#39; is not an event id."
    assert f'<p class="govuk-error-message">{message}</p>' in response.text


async def test_an_e_mail_longer_than_any_account_s_is_refused_before_the_database(client, world):
    email = "a" * 250 + "@example.org"
    response = await client.post("/login", data={"email": email, "password": "x" * 12})
    assert response.status_code == 400
    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in response.text
    assert (
        '<li><a href="#email">Enter an e-mail address of 254 characters or fewer.</a></li>'
    ) in response.text
    assert f'value="{email}"' in response.text  # what was typed is kept
    assert await SignInThrottle.all().count() == 0
    assert await AccessLog.filter(action__startswith="sign-in").count() == 0
    ordinary = await client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert ordinary.status_code == 401


async def test_a_lead_adding_someone_by_an_overlong_address_is_told_why(client, world):
    own = world.own
    response = await client.post(
        f"/inspections/{own.inspection_id}/members",
        data={"email": "b" * 300 + "@example.org", "role": "inspector"},
        headers=_post_headers(world),
    )
    assert response.status_code == 400
    assert "Enter an e-mail address of 254 characters or fewer." in response.text


async def test_a_new_inspection_s_overlong_title_or_authority_is_explained(client, world):
    lead = _post_headers(world)
    for form, message in (
        (
            {
                "la": "E01",
                "kind": "jtai",
                "title": "t" * 301,
                "reference-day": "20",
                "reference-month": "11",
                "reference-year": "2026",
            },
            "The title must be 300 characters or fewer.",
        ),
        (
            {
                "la": "E" * 40,
                "kind": "jtai",
                "title": "New",
                "reference-day": "20",
                "reference-month": "11",
                "reference-year": "2026",
            },
            f"There is no local authority with code {'E' * 40}.",
        ),
    ):
        before = await Inspection.all().count()
        response = await client.post("/inspections", data=form, headers=lead)
        assert response.status_code == 400
        assert message in response.text
        assert await Inspection.all().count() == before


@pytest.mark.parametrize("name", ["list", "severity", "rule"])
async def test_a_validation_report_filter_longer_than_its_column_matches_nothing(
    client, world, name
):
    own = world.own
    base = f"/inspections/{own.inspection_id}/evidence/uploads/{own.upload_id}"
    headers = world.headers(Role.QA_VIEWER)
    page = await client.get(f"{base}?{name}={'x' * 500}", headers=headers)
    assert page.status_code == 200
    assert '<p class="govuk-body">0 issues.' in page.text
    download = await client.get(f"{base}/issues.xlsx?{name}={'x' * 500}", headers=headers)
    assert download.status_code == 200
    offered = {"list": "List 1", "severity": "warning", "rule": "unknown-code"}[name]
    matching = await client.get(f"{base}?{name}={offered}", headers=headers)
    assert '<p class="govuk-body">1 issue.' in matching.text


async def test_access_log_filters_beyond_their_columns_and_the_calendar(client, world):
    headers = world.headers(Role.ADMIN)
    action = await client.get(f"/admin/access-log?action={'x' * 100}", headers=headers)
    assert action.status_code == 200
    until = await client.get("/admin/access-log?until=9999-12-31&since=2026-01-01", headers=headers)
    assert until.status_code == 200
    csv = await client.get("/admin/access-log.csv?until=9999-12-31&inspection=²", headers=headers)
    assert csv.status_code == 200


async def test_an_exclusion_window_longer_than_the_calendar_excludes_every_earlier_audit(
    client, world
):
    own = world.own
    response = await client.post(
        f"/inspections/{own.inspection_id}/samples/preview",
        data={"exclude_audited_months": PAST_INTEGER},
        headers={**_post_headers(world), "hx-request": "true"},
    )
    assert response.status_code == 200


async def test_a_nul_character_typed_into_a_form_is_dropped(client, world):
    """PostgreSQL cannot store NUL in text; it is never typed; the rest of the text is kept."""
    own = world.own
    response = await client.post(
        f"/inspections/{own.inspection_id}/audits/{own.audit_id}/concerns",
        data={"text": "Bruising\x00 seen on 2 visits"},
        headers=_post_headers(world),
    )
    assert response.status_code == 303
    concern = await Concern.filter(inspection_id=own.inspection_id).order_by("-id").first()
    assert concern is not None and concern.text == "Bruising seen on 2 visits"
    search = await client.post(
        f"/inspections/{own.inspection_id}/children",
        data={"q": "Smi\x00th"},
        headers=_post_headers(world),
    )
    assert search.status_code == 200 and "Jayden" in search.text


def _wrapped(inner: BaseException) -> OperationalError:
    """What Tortoise raises for ``inner`` (as its SQLite and asyncpg clients do)."""
    try:
        try:
            raise inner
        except BaseException as exc:
            raise OperationalError(exc) from exc
    except OperationalError as outer:
        return outer


@pytest.mark.parametrize(
    ("exc", "down"),
    [
        (DBConnectionError("cannot connect"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (OSError("Multiple exceptions: [Errno 111]"), True),
        (asyncpg.exceptions.AdminShutdownError("terminating connection"), True),
        (asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"), True),
        (_wrapped(sqlite3.OperationalError("disk I/O error")), True),
        (_wrapped(sqlite3.OperationalError("database is locked")), True),
        (MultipleObjectsReturned("two rows"), False),
        (DoesNotExist("no row"), False),
        (IntegrityError("duplicate key"), False),
        (_wrapped(asyncpg.exceptions.DataError("value out of int32 range")), False),
        (_wrapped(asyncpg.exceptions.UndefinedColumnError("no such column")), False),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else str(v),
)
def test_only_a_database_that_is_not_answering_is_down(exc, down):
    assert database_down(exc) is down


@pytest.mark.parametrize(
    "exc",
    [MultipleObjectsReturned("two rows"), _wrapped(asyncpg.exceptions.DataError("out of range"))],
    ids=["MultipleObjectsReturned", "DataError"],
)
async def test_a_wrong_statement_is_not_told_as_the_database_not_answering(
    client, world, monkeypatch, exc
):
    async def broken(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(audit_routes, "audit_board", broken)
    response = await client.get(
        f"/inspections/{world.own.inspection_id}/audits", headers=world.headers(Role.ADMIN)
    )
    assert response.status_code == 500
    assert UNAVAILABLE_MESSAGE not in response.text


async def test_a_lost_connection_is_still_told_as_the_database_not_answering(
    client, world, monkeypatch
):
    async def cut(*args: object, **kwargs: object) -> None:
        raise asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed")

    monkeypatch.setattr(audit_routes, "audit_board", cut)
    response = await client.get(
        f"/inspections/{world.own.inspection_id}/audits", headers=world.headers(Role.ADMIN)
    )
    assert (response.status_code, response.text) == (503, UNAVAILABLE_MESSAGE)


async def test_an_upload_s_overlong_agency_or_file_name_is_refused_before_loading(client, world):
    from inspection.models import Job, Upload

    own = world.own
    jobs = await Job.all().count()
    for data, filename, message in (
        (
            {"source_kind": "agency", "agency": "p" * 61},
            "police.csv",
            "Write the agency&#39;s name in 60 characters or fewer.",
        ),
        (
            {"source_kind": "agency", "agency": "police"},
            "p" * 301 + ".csv",
            "Give the file a name of 300 characters or fewer, then upload it again.",
        ),
    ):
        response = await client.post(
            f"/inspections/{own.inspection_id}/evidence",
            data=data,
            files={"file": (filename, b"record_id\n1\n", "text/csv")},
            headers=_post_headers(world),
        )
        assert response.status_code == 400
        assert message in response.text
    assert await Job.all().count() == jobs
    assert await Upload.filter(inspection_id=own.inspection_id).count() == 1
