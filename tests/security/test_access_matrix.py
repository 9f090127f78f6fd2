"""Every route x every role x own inspection / another inspection / no such object / no session.

What the role and membership allow succeeds with the route's own answer; everything else gets
exactly the answer of a page that does not exist (status and body), so a refusal never tells
whether the inspection, child, audit... is there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
import pytest_asyncio

from inspection.models import LinkDecision, Membership, User
from inspection.models.core import Role
from inspection.settings import Settings
from inspection.web.app import create_app
from tests.security.policy import POLICY, route_keys
from tests.security.world import ROLES, Case, World, build_world, missing_case

Form = Callable[[Case], dict[str, str]]


@dataclass(frozen=True)
class Spec:
    ok: int  # the status an allowed request gets with ``form``
    form: Form | None = None
    reset: Callable[[Case], Awaitable[Any]] | None = None


def _no_form(case: Case) -> dict[str, str]:
    return {}


async def _reactivate(case: Case) -> None:
    await User.filter(id=case.extra["user_id"]).update(active=True)


async def _membership(case: Case) -> None:
    await Membership.get_or_create(
        user_id=case.extra["user_id"],
        inspection_id=case.inspection_id,
        defaults={"role": Role.INSPECTOR},
    )


async def _team_member(case: Case) -> None:
    await Membership.get_or_create(
        user_id=case.extra["team_member_id"],
        inspection_id=case.inspection_id,
        defaults={"role": Role.INSPECTOR},
    )


async def _pending_again(case: Case) -> None:
    await LinkDecision.filter(id=case.decision_id).update(
        decision="pending", decided_by_id=None, decided_at=None, reason=""
    )


_I = "/inspections/{inspection_id:id}"
# Allowed requests use bodies the route answers without changing anything where it can
# (a validation message is the route's own answer, not a refusal).
SPECS: dict[tuple[str, str], Spec] = {
    ("GET", "/"): Spec(303),
    ("GET", "/inspections"): Spec(200),
    ("GET", "/inspections/new"): Spec(200),
    ("POST", "/inspections"): Spec(
        400, lambda c: {"la": "E01", "kind": "jtai", "title": "New", "reference-day": "soon"}
    ),
    ("GET", "/admin/access-log"): Spec(200),
    ("POST", "/admin/access-log"): Spec(200, lambda c: {"child": "Amy"}),
    ("GET", "/admin/access-log.csv"): Spec(200),
    ("POST", "/admin/access-log.csv"): Spec(200, lambda c: {"child": "Amy"}),
    ("GET", "/admin/authorities"): Spec(200),
    ("POST", "/admin/authorities"): Spec(400, _no_form),
    ("GET", "/admin/users"): Spec(200),
    ("GET", "/admin/users/new"): Spec(200),
    ("POST", "/admin/users"): Spec(400, _no_form),
    ("GET", "/admin/users/{user_id:id}"): Spec(200),
    ("POST", "/admin/users/{user_id:id}/password-link"): Spec(200, _no_form),
    ("GET", "/admin/users/{user_id:id}/deactivate"): Spec(200),
    ("POST", "/admin/users/{user_id:id}/deactivate"): Spec(303, _no_form, _reactivate),
    ("POST", "/admin/users/{user_id:id}/reactivate"): Spec(303, _no_form),
    ("POST", "/admin/users/{user_id:id}/memberships"): Spec(400, _no_form),
    ("POST", "/admin/users/{user_id:id}/memberships/{inspection_id:id}/remove"): Spec(
        303, _no_form, _membership
    ),
    ("GET", _I): Spec(200),
    ("POST", f"{_I}/members"): Spec(400, lambda c: {"email": "", "role": "inspector"}),
    ("GET", f"{_I}/members/{{person_id:id}}/remove"): Spec(200, None, _team_member),
    ("POST", f"{_I}/members/{{person_id:id}}/remove"): Spec(303, _no_form, _team_member),
    ("GET", f"{_I}/purge"): Spec(200),
    ("POST", f"{_I}/purge"): Spec(409, _no_form),
    ("GET", f"{_I}/evidence"): Spec(200),
    ("POST", f"{_I}/evidence"): Spec(400, lambda c: {"source_kind": ""}),
    ("GET", f"{_I}/evidence/jobs/{{job_id}}"): Spec(200),
    ("GET", f"{_I}/evidence/uploads/{{upload_id:id}}"): Spec(200),
    ("GET", f"{_I}/evidence/uploads/{{upload_id:id}}/issues.xlsx"): Spec(200),
    ("GET", f"{_I}/evidence/templates/agency_{{agency}}.csv"): Spec(200),
    ("GET", f"{_I}/evidence/templates/ssda903_{{table}}.csv"): Spec(200),
    ("GET", f"{_I}/instrument"): Spec(200),
    ("POST", f"{_I}/instrument"): Spec(400, lambda c: {"instrument": ""}),
    ("GET", "/instruments"): Spec(200),
    ("GET", "/programmes"): Spec(200),
    ("GET", "/programmes/new"): Spec(200),
    ("POST", "/programmes/new"): Spec(400, lambda c: {"la": "", "title": ""}),
    ("GET", "/programmes/{programme_id:id}"): Spec(200),
    ("GET", "/programmes/{programme_id:id}/trend.csv"): Spec(200),
    ("GET", "/programmes/{programme_id:id}/rounds/new"): Spec(200),
    ("POST", "/programmes/{programme_id:id}/rounds/new"): Spec(400, lambda c: {"title": ""}),
    ("GET", f"{_I}/children"): Spec(200),
    ("POST", f"{_I}/children"): Spec(200, lambda c: {"q": "Smith"}),
    ("GET", f"{_I}/children/{{child_id:id}}"): Spec(200),
    ("GET", f"{_I}/children/{{child_id:id}}/chronology"): Spec(200),
    ("GET", f"{_I}/children/{{child_id:id}}/chronology.csv"): Spec(200),
    ("GET", f"{_I}/children/{{child_id:id}}/records/{{record_id:id}}/not-this-child"): Spec(200),
    ("POST", f"{_I}/children/{{child_id:id}}/records/{{record_id:id}}/not-this-child"): Spec(
        400, lambda c: {"reason": ""}
    ),
    ("POST", f"{_I}/children/{{child_id:id}}/merge"): Spec(
        400, lambda c: {"other_child_id": "x", "reason": ""}
    ),
    ("POST", f"{_I}/children/{{child_id:id}}/link-search"): Spec(200),
    ("GET", f"{_I}/children/{{child_id:id}}/link/{{other_id:id}}"): Spec(200),
    ("POST", f"{_I}/linkage/blind"): Spec(303, lambda c: {"blind": "off"}),
    ("GET", f"{_I}/linkage"): Spec(200),
    ("POST", f"{_I}/linkage/run"): Spec(303, _no_form),
    ("GET", f"{_I}/linkage/jobs/{{linkage_job_id}}"): Spec(200),
    ("POST", f"{_I}/linkage/{{decision_id:id}}"): Spec(
        303, lambda c: {"decision": "reject", "reason": "not the same child"}, _pending_again
    ),
    ("GET", f"{_I}/samples"): Spec(200),
    ("POST", f"{_I}/samples"): Spec(400, lambda c: {"size": "lots"}),
    ("POST", f"{_I}/samples/preview"): Spec(200, _no_form),
    ("GET", f"{_I}/samples/{{sample_id:id}}"): Spec(200),
    ("POST", f"{_I}/samples/{{sample_id:id}}/verify"): Spec(303, _no_form),
    ("GET", f"{_I}/samples/{{sample_id:id}}/verifications/{{verification_id}}"): Spec(200),
    ("GET", f"{_I}/children/{{child_id:id}}/conversations"): Spec(200),
    ("GET", f"{_I}/children/{{child_id:id}}/conversations/new"): Spec(200),
    ("POST", f"{_I}/children/{{child_id:id}}/conversations/new"): Spec(400, _no_form),
    ("GET", f"{_I}/actions"): Spec(200),
    ("POST", f"{_I}/actions"): Spec(400, _no_form),
    ("POST", f"{_I}/actions/follow-up-days"): Spec(400, _no_form),
    ("GET", f"{_I}/actions/{{action_id:id}}"): Spec(200),
    ("POST", f"{_I}/actions/{{action_id:id}}/complete"): Spec(400, _no_form),
    ("POST", f"{_I}/actions/{{action_id:id}}/drop"): Spec(400, _no_form),
    ("GET", f"{_I}/reaudits"): Spec(200),
    ("POST", f"{_I}/reaudits"): Spec(400, _no_form),
    ("GET", f"{_I}/self-evaluation"): Spec(200),
    ("GET", f"{_I}/tracked"): Spec(200),
    ("POST", f"{_I}/tracked"): Spec(400, _no_form),
    ("GET", f"{_I}/tracked/{{tracked_id:id}}/untrack"): Spec(200),
    ("POST", f"{_I}/tracked/{{tracked_id:id}}/untrack"): Spec(400, _no_form),
    ("GET", f"{_I}/samples/{{sample_id:id}}/members/{{member_id:id}}"): Spec(200),
    ("POST", f"{_I}/samples/{{sample_id:id}}/members/{{member_id:id}}/replace"): Spec(
        400, lambda c: {"reason": ""}
    ),
    ("GET", f"{_I}/audits"): Spec(200),
    ("POST", f"{_I}/audits"): Spec(400, lambda c: {"member": str(c.member_id), "marking": "x"}),
    ("GET", f"{_I}/audits/feedback.csv"): Spec(200),
    ("GET", f"{_I}/audits/{{audit_id:id}}"): Spec(200),
    ("POST", f"{_I}/audits/{{audit_id:id}}/save"): Spec(400, lambda c: {"version": "1"}),
    ("POST", f"{_I}/audits/{{audit_id:id}}/submit"): Spec(400, lambda c: {"version": "1"}),
    ("POST", f"{_I}/audits/{{audit_id:id}}/concerns"): Spec(400, lambda c: {"text": " "}),
    ("GET", f"{_I}/audits/members/{{member_id:id}}/multi-agency"): Spec(200),
    ("POST", f"{_I}/audits/members/{{member_id:id}}/multi-agency"): Spec(400, _no_form),
    ("POST", f"{_I}/audits/members/{{member_id:id}}/multi-agency/discussion"): Spec(400, _no_form),
    ("GET", f"{_I}/members/agencies"): Spec(200),
    ("POST", f"{_I}/members/agencies"): Spec(400, _no_form),
    ("GET", f"{_I}/findings/authority"): Spec(200),
    ("GET", f"{_I}/moderation"): Spec(200),
    ("POST", f"{_I}/moderation/plan"): Spec(
        400, lambda c: {"sample": str(c.sample_id), "share_percent": "some"}
    ),
    ("POST", f"{_I}/moderation/agree"): Spec(
        400,
        lambda c: {
            "first": str(c.audit_id),
            "second": str(c.second_audit_id),
            "domain": "no-such-domain",
            "grade": "good",
            "reason": "",
        },
    ),
    ("GET", f"{_I}/findings"): Spec(200),
    ("GET", f"{_I}/findings/judgement"): Spec(200),
    ("POST", f"{_I}/findings/judgement"): Spec(400, lambda c: {"judgement": " "}),
    ("GET", f"{_I}/findings/audits"): Spec(200),
    ("GET", f"{_I}/concerns"): Spec(200),
    ("GET", f"{_I}/concerns/{{concern_id:id}}"): Spec(200),
    ("POST", f"{_I}/concerns/{{concern_id:id}}/{{action:str}}"): Spec(400, lambda c: {"text": ""}),
    ("GET", f"{_I}/exports"): Spec(200),
    ("POST", f"{_I}/exports/workbook"): Spec(303, _no_form),
    ("POST", f"{_I}/exports/tables"): Spec(303, _no_form),
    ("POST", f"{_I}/exports/samples/{{sample_id:id}}/offline-pack/make"): Spec(303, _no_form),
    ("GET", f"{_I}/exports/downloads/{{export_id}}"): Spec(200),
    ("GET", f"{_I}/exports/downloads/{{export_id}}/file"): Spec(200),
    ("POST", f"{_I}/exports/samples/{{sample_id:id}}/offline-pack"): Spec(400, _no_form),
}
OBJECT_PARAMS = {"child_id", "decision_id", "sample_id", "audit_id", "concern_id", "upload_id"}
OBJECT_PARAMS |= {
    "job_id",
    "linkage_job_id",
    "verification_id",
    "export_id",
    "agency",
    "other_id",
    "member_id",
    "record_id",
    "person_id",
    "tracked_id",
    "table",
    "action_id",
}


@pytest_asyncio.fixture
async def client(db: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest_asyncio.fixture
async def world(db: Settings) -> AsyncIterator[World]:
    w = await build_world()
    yield w


def _path(template: str, params: dict[str, Any]) -> str:
    out = template
    for name, value in params.items():
        for suffix in (":id}", ":str}", "}"):
            out = out.replace("{" + name + suffix, str(value))
    assert "{" not in out, out
    return out


def _mixed(own: Case, objects: Case) -> dict[str, Any]:
    """The own inspection with another case's objects in the rest of the path."""
    return {**objects.params(), "inspection_id": own.inspection_id}


async def _send(
    client: httpx2.AsyncClient,
    world: World,
    method: str,
    path: str,
    role: Role | None,
    form: dict[str, str] | None = None,
) -> httpx2.Response:
    headers = world.headers(role, **({"sec-fetch-site": "same-origin"} if method == "POST" else {}))
    if method == "POST":
        return await client.post(path, data=form or {}, headers=headers)
    return await client.get(path, headers=headers)


async def _refusal(
    client: httpx2.AsyncClient, world: World, method: str, role: Role
) -> tuple[int, str]:
    """What a page that does not exist answers this user."""
    response = await _send(client, world, method, "/no/such/page", role)
    return response.status_code, response.text


def test_every_route_has_a_policy(db):
    app = create_app(db, manage_database=False)
    keys = route_keys(app)
    assert keys - set(POLICY) == set(), "routes without a policy: add them to POLICY"
    assert set(POLICY) - keys == set(), "policies for routes that no longer exist"
    tested = {k for k, p in POLICY.items() if p.scope != "public"} - {("POST", "/logout")}
    assert tested == set(SPECS)


INSPECTION_KEYS = sorted(k for k, p in POLICY.items() if p.scope == "inspection")
ACCOUNT_KEYS = sorted(
    k for k, p in POLICY.items() if p.scope in ("account", "signed-in") and k[1] != "/logout"
)


async def _check_own(client, world, key, role, case) -> None:
    method, template = key
    spec = SPECS[key]
    if spec.reset:
        await spec.reset(case)
    form = (spec.form or _no_form)(case)
    response = await _send(client, world, method, _path(template, case.params()), role, form)
    got = (response.status_code, response.text)
    if role in POLICY[key].roles:
        assert response.status_code == spec.ok, (role, case.inspection_id, got[0], got[1][:300])
        assert got != await _refusal(client, world, method, role)
    else:
        assert got == await _refusal(client, world, method, role), (role, got[0])


async def _check_refused(client, world, key, role, params, form) -> None:
    method, template = key
    response = await _send(client, world, method, _path(template, params), role, form)
    expected = await _refusal(client, world, method, role)
    assert (response.status_code, response.text) == expected, (role, params, response.status_code)
    assert response.status_code == 404


async def _check_anonymous(client, world, key, params) -> tuple[int, str]:
    method, template = key
    response = await _send(client, world, method, _path(template, params), None, {})
    if method == "GET":
        assert (response.status_code, response.headers["location"]) == (303, "/login")
    else:
        assert (response.status_code, response.text) == (401, "Sign in first.")
    return response.status_code, response.text


@pytest.mark.parametrize("key", INSPECTION_KEYS, ids=[f"{m} {p}" for m, p in INSPECTION_KEYS])
async def test_inspection_route_access(client, world, key):
    missing = await missing_case(world)
    own, other = world.own, world.other
    spec = SPECS[key]
    form_of = spec.form or _no_form
    objects = {p for p in OBJECT_PARAMS if "{" + p in key[1]}
    # No session: the same answer whether or not anything exists.
    assert await _check_anonymous(client, world, key, own.params()) == await _check_anonymous(
        client, world, key, missing.params()
    )
    for role in ROLES:
        # Someone else's inspection and an inspection that does not exist: refused alike
        # (an admin may open every inspection).
        if role == Role.ADMIN:
            await _check_own(client, world, key, role, other)
        else:
            await _check_refused(client, world, key, role, other.params(), form_of(other))
        await _check_refused(client, world, key, role, missing.params(), form_of(missing))
        if objects:
            # The user's own inspection with another inspection's object, or none at all.
            if not objects <= {"agency", "table"}:  # a template is not an inspection's object
                await _check_refused(client, world, key, role, _mixed(own, other), form_of(own))
            await _check_refused(client, world, key, role, _mixed(own, missing), form_of(own))
        await _check_own(client, world, key, role, own)


@pytest.mark.parametrize("key", ACCOUNT_KEYS, ids=[f"{m} {p}" for m, p in ACCOUNT_KEYS])
async def test_account_route_access(client, world, key):
    await _check_anonymous(client, world, key, world.own.params())
    for role in ROLES:
        await _check_own(client, world, key, role, world.own)


async def test_signing_out_needs_a_session_and_ends_it(client, world):
    key = ("POST", "/logout")
    await _check_anonymous(client, world, key, {})
    for role in ROLES:
        response = await _send(client, world, "POST", "/logout", role)
        assert (response.status_code, response.headers["location"]) == (303, "/login")
        again = await _send(client, world, "GET", "/inspections", role)
        assert (again.status_code, again.headers["location"]) == (303, "/login")


async def test_public_routes_answer_without_a_session(client, world):
    for path, status in (("/health", 200), ("/login", 200), ("/static/app.css", 200)):
        response = await client.get(path, headers={"accept": "text/html"})
        assert response.status_code == status, path
    response = await client.post(
        "/login", data={"email": "nobody@example.org", "password": "wrong password"}
    )
    assert response.status_code == 401


POST_KEYS = sorted(k for k in POLICY if k[0] == "POST")


async def test_every_post_route_refuses_cross_site_requests(client, world):
    """Even from a signed-in admin and with a valid body, nothing is done."""
    decision = await LinkDecision.get(id=world.own.decision_id)
    for _, template in POST_KEYS:
        path = _path(template, world.own.params())
        for site in ("cross-site", "same-site"):
            response = await client.post(
                path,
                data={"decision": "accept", "reason": "forged"},
                headers={**world.headers(Role.ADMIN), "sec-fetch-site": site},
            )
            assert (response.status_code, response.text) == (
                403,
                "Cross-origin request refused.",
            ), (template, site)
        forged_origin = await client.post(
            path, headers={**world.headers(Role.ADMIN), "origin": "https://evil.example"}
        )
        assert forged_origin.status_code == 403, template
    assert (await LinkDecision.get(id=decision.id)).decision == "pending"
    still = await _send(client, world, "GET", "/inspections", Role.ADMIN)
    assert still.status_code == 200  # the forged logout did not end the session


async def test_ids_of_another_inspection_in_a_form_change_nothing(client, world):
    """A member of one inspection naming another inspection's objects in a form body."""
    from inspection.models import Moderation, ModerationPlan, SampleMember, SourceRecord

    own, other = world.own, world.other
    i = f"/inspections/{own.inspection_id}"
    before = (
        await SourceRecord.get(id=other.record_id),
        await SampleMember.get(id=other.member_id),
        await Moderation.filter(inspection_id=other.inspection_id).count(),
    )
    attempts = [
        (f"{i}/audits", {"member": str(other.member_id), "marking": "first"}, 404),
        (f"{i}/moderation/plan", {"sample": str(other.sample_id), "share_percent": "50"}, 400),
        (
            f"{i}/moderation/agree",
            {
                "first": str(other.audit_id),
                "second": str(other.second_audit_id),
                "domain": "overall",
                "grade": "good",
                "reason": "forged",
            },
            400,
        ),
        (
            f"{i}/children/{own.child_id}/records/{other.record_id}/not-this-child",
            {"reason": "forged"},
            404,
        ),
        (
            f"{i}/children/{own.child_id}/merge",
            {"other_child_id": str(other.child_id), "reason": "forged"},
            400,
        ),
        (
            f"{i}/samples/{own.sample_id}/members/{other.member_id}/replace",
            {"reason": "forged"},
            404,
        ),
    ]
    for path, form, status in attempts:
        response = await _send(client, world, "POST", path, Role.LEAD_INSPECTOR, form)
        assert response.status_code == status, (path, response.status_code)
    after = (
        await SourceRecord.get(id=other.record_id),
        await SampleMember.get(id=other.member_id),
        await Moderation.filter(inspection_id=other.inspection_id).count(),
    )
    assert (after[0].child_id, after[1].status, after[2]) == (
        before[0].child_id,
        before[1].status,
        before[2],
    )
    assert not await ModerationPlan.filter(sample_id=other.sample_id).exists()
    shown = await _send(
        client, world, "GET", f"{i}/findings/audits?ids={other.audit_id}", Role.LEAD_INSPECTOR
    )
    assert shown.status_code == 200
    assert f"/audits/{other.audit_id}" not in shown.text


def test_docs_show_the_policy_table():
    from pathlib import Path

    from tests.security.policy import policy_table

    doc = Path(__file__).resolve().parents[2] / "docs" / "security.md"
    assert policy_table() in doc.read_text(encoding="utf-8")
