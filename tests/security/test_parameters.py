"""Every parameter of every route, sent empty, long, non-numeric, date-like, control-character
and huge values (past each integer type) by every role, answers without a 500 (a traceback) and
without a 503 (which only a lost connection may give) while the database is up.

The parameters are found, not listed by hand: the path's from the route table; the forms'
fields, with the values a page offers, from the pages the app renders for the test world (so
the rubric's domain fields are there too); and every other query or form key a route reads,
seen by watching the request's ``QueryParams`` and ``FormData`` while it answers.

For each route, a hypothesis example (bounded and derandomised, so every run sends the same
requests) sends, with everything else as the page would send it:

- for every parameter, one value of each kind in ``KINDS`` (drawn within the kind), as the role
  that may do most on the route (tests/security/policy.py), as a fragment or a page;
- as every role and anonymously, the page's values with a few parameters made hostile.

GET routes share one world (they change nothing but the access log); every POST route gets a
fresh one, so that what one route changes cannot hide another's answers.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import httpx2
import pytest
import pytest_asyncio
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData, ImmutableMultiDict, QueryParams
from starlette.routing import Match, Mount, Route
from tortoise.contrib.test import truncate_all_models

from inspection import accounts
from inspection.models import SampleMember, SourceRecord
from inspection.models.core import Role
from inspection.settings import Settings
from inspection.web.app import create_app
from inspection.web.routes import all_routes
from tests.security.pages import Form, page_forms
from tests.security.policy import POLICY
from tests.security.world import ROLES, Case, World, build_world

KINDS: dict[str, tuple[str, ...]] = {
    "empty": ("", " "),
    "long": ("x" * 300, "\u00e9" * 5000),  # past most text columns; past every one
    "non-numeric": (
        "abc",
        "-1",
        "1.5",
        "1e400",
        "nan",
        "\u00b2",  # a digit to str.isdigit, not to int()
        "0x1F",
    ),
    "date-like": ("9999-12-31", "0001-01-01", "0000-00-00", "31/12/9999"),
    "control": ("a\x00b", "\x00", "\u202egnp.exe", "line\r\nbreak"),  # NUL: not in PostgreSQL text
    "past integer": (str(2**31), "9999999999"),  # PostgreSQL's integer (row ids, versions)
    "past bigint": (str(2**63), "9" * 30, "9" * 5000),  # bigint, SQLite's integer; int()'s limit
}
HOSTILE = tuple(v for values in KINDS.values() for v in values)
ANONYMOUS = None
ALL_ROLES: tuple[Role | None, ...] = (*ROLES, ANONYMOUS)
EXAMPLES = 1  # it sends one request per kind per parameter and one per role (docstring)


def _key(route: Route, method: str) -> tuple[str, str]:
    return method, route.path


def _route_keys() -> list[tuple[str, str]]:
    """Every (method, path) of the route table, GETs first (they share one world)."""
    keys = set()
    for route in all_routes():
        assert isinstance(route, Route), route
        for method in (route.methods or {"GET"}) - {"HEAD"}:
            keys.add(_key(route, method))
    return sorted(keys, key=lambda k: (k[0] != "GET", k[1]))


ROUTE_KEYS = _route_keys()
ROUTES = {
    _key(r, m): r for r in all_routes() if isinstance(r, Route) for m in (r.methods or {"GET"})
}


def test_every_route_of_the_app_is_exercised(db):
    app = create_app(db, manage_database=False)
    served = {
        _key(r, m)
        for r in app.routes
        if isinstance(r, Route)
        for m in (r.methods or {"GET"}) - {"HEAD"}
    }
    assert served == set(ROUTE_KEYS)
    assert [r.path for r in app.routes if not isinstance(r, Route)] == ["/static"]
    assert all(isinstance(r, Mount) for r in app.routes if not isinstance(r, Route))


@contextmanager
def watching_parameters() -> Iterator[set[tuple[str, str]]]:
    """Every (``query``|``form``, key) a route reads from its request while in the block."""
    seen: set[tuple[str, str]] = set()
    originals = {
        name: getattr(ImmutableMultiDict, name)
        for name in ("get", "getlist", "__getitem__", "__contains__")
    }

    def spy(name: str) -> Any:
        original = originals[name]

        def read(self: ImmutableMultiDict[Any, Any], key: Any, *args: Any) -> Any:
            if isinstance(self, QueryParams):
                seen.add(("query", str(key)))
            elif isinstance(self, FormData):
                seen.add(("form", str(key)))
            return original(self, key, *args)

        return read

    for name in originals:
        setattr(ImmutableMultiDict, name, spy(name))
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(ImmutableMultiDict, name, original)


def _fill(template: str, params: dict[str, Any]) -> str:
    out = template
    for name, value in params.items():
        out = re.sub(r"\{" + name + r"(:\w+)?\}", quote(str(value), safe=""), out)
    assert "{" not in out, out
    return out


def _route_of(method: str, path: str) -> tuple[tuple[str, str], dict[str, Any]] | None:
    """The route a form's target reaches, with the path parameters it names."""
    scope = {"type": "http", "method": method.upper(), "path": path, "root_path": ""}
    for route in all_routes():
        if isinstance(route, Route):
            match, child = route.matches(scope)
            if match == Match.FULL:
                return _key(route, method.upper()), child["path_params"]
    return None


Page = tuple[str, Role | None, str]  # page route, who looks at it, which objects (VARIANTS)


@dataclass
class Found:
    """Where each route's forms are rendered, and the fields they carry."""

    pages: dict[tuple[str, str], list[Page]] = field(default_factory=dict)
    fields: dict[tuple[str, str], set[str]] = field(default_factory=dict)


def _variant(case: Case, name: str) -> dict[str, Any]:
    """The world's objects in a page's path: as ``Case.params``, or with the draft audit."""
    params = case.params()
    if name == "draft":
        params["audit_id"] = case.draft_audit_id
    return params


VARIANTS = ("", "draft")
DOWNLOADS = (".csv", ".xlsx", ".zip")  # files, not pages: no forms to find
PAGES_PER_FORM = 3  # pages rendered again to read a form's values (the sign-out is on all)


PAGE_ROLES = (Role.ADMIN, Role.LEAD_INSPECTOR, Role.INSPECTOR, ANONYMOUS)


async def _world() -> World:
    """The security test world, plus what makes its last two forms appear: a second record
    linked to the child (the "not this child" form) and a sampled child not yet audited (the
    "start first marking" form)."""
    world = await build_world()
    for case in (world.own, world.other):
        record = await SourceRecord.get(id=case.record_id)
        await SourceRecord.create(
            inspection_id=case.inspection_id,
            upload_id=record.upload_id,
            agency="health",
            person_id="H1",
            given_name=record.given_name,
            family_name=record.family_name,
            dob=record.dob,
            child_id=case.child_id,
            link_method="nhs_number",
        )
        member = await SampleMember.get(id=case.member_id)
        await SampleMember.create(
            inspection_id=case.inspection_id,
            sample_id=member.sample_id,
            child_id=case.other_child_id,
            population_key="unaudited",
            stratum="cin",
            inclusion_probability=1.0,
            weight=1.0,
            order=9,
            status="selected",
        )
    return world


async def _forms_on(
    client: httpx2.AsyncClient, world: World, page: Page
) -> list[tuple[tuple[str, str], Form, dict[str, Any]]]:
    """(route key, form, path parameters) for every form target on ``page``."""
    template, role, variant = page
    url = _fill(template, _variant(world.own, variant))
    response = await client.get(url, headers=world.headers(role))
    if response.status_code != 200 or "text/html" not in response.headers["content-type"]:
        return []
    out = []
    for form in page_forms(response.text):
        for target in sorted(form.targets):
            found = _route_of(form.method, target.split("?")[0])
            if found is not None:
                out.append((found[0], form, found[1]))
    return out


@dataclass
class Shared:
    """The world the GET routes share, and every form its pages have."""

    world: World
    found: Found


def _purgeable(settings: Settings) -> Settings:
    """The test world past its retention period, so that the purge confirmation (its title and
    reason fields) is offered and exercised too; hostile values never match the title."""
    return dataclasses.replace(settings, retention_days=0)


@pytest_asyncio.fixture(scope="module")
async def shared(database: Settings) -> AsyncIterator[Shared]:
    await truncate_all_models()
    world = await _world()
    app = create_app(_purgeable(database), manage_database=False)
    found = Found()
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        for method, template in ROUTE_KEYS:
            if method != "GET" or template.endswith(DOWNLOADS):
                continue
            for role in PAGE_ROLES:
                for variant in VARIANTS if "{audit_id" in template else VARIANTS[:1]:
                    page = (template, role, variant)
                    for key, form, _ in await _forms_on(client, world, page):
                        found.pages.setdefault(key, [])
                        if page not in found.pages[key]:
                            found.pages[key].append(page)
                        found.fields.setdefault(key, set()).update(form.fields)
    yield Shared(world, found)
    await truncate_all_models()


def test_the_forms_found_are_the_forms_the_templates_have(shared):
    """Every field a template names literally is found on a rendered page, on a route."""
    from tests.security.test_urls_and_templates import _forms

    found = shared.found
    literal = {name for _, method, _, names in _forms() if method == "post" for name in names}
    found_names = {name for names in found.fields.values() for name in names}
    # the choice among the children a name matched is on the answer to a search only (a POST:
    # tests/sampling/test_tracking_web.py makes it), never on a page a GET shows; the audit an
    # action is raised from is on the actions page opened from the audit's link (?audit=…:
    # tests/learning/test_learning_web.py follows it); a multi-agency audit's joint discussion is
    # offered only once every agency's part is submitted (tests/audit/test_multi_agency.py
    # records one; the world holds no multi-agency audit)
    answers_only = {"child_id", "audit", "participants", "others_present", "disagreements"}
    assert literal - found_names == answers_only
    posts_with_fields = {key for key, names in found.fields.items() if key[0] == "POST" and names}
    no_fields = {
        ("POST", "/logout"),
        ("POST", "/inspections/{inspection_id:id}/linkage/run"),
        ("POST", "/inspections/{inspection_id:id}/samples/{sample_id:id}/verify"),
        # an offline pack holds no choice: the sample is the path
        (
            "POST",
            "/inspections/{inspection_id:id}/exports/samples/{sample_id:id}/offline-pack/make",
        ),
        # an admin's buttons on a person's page: the person and the inspection are the path
        ("POST", "/admin/users/{user_id:id}/password-link"),
        ("POST", "/admin/users/{user_id:id}/deactivate"),
        ("POST", "/admin/users/{user_id:id}/memberships/{inspection_id:id}/remove"),
        # a lead's confirmation that a member leaves the team: the member is the path
        ("POST", "/inspections/{inspection_id:id}/members/{person_id:id}/remove"),
    }
    # Offered only for a deactivated person; the world's person is active (the admin tests
    # reactivate one).
    not_offered = {
        ("POST", "/admin/users/{user_id:id}/reactivate"),
        # the joint discussion: offered once every agency's part is submitted (above)
        (
            "POST",
            "/inspections/{inspection_id:id}/audits/members/{member_id:id}/multi-agency/discussion",
        ),
    }
    posts = {k for k in ROUTE_KEYS if k[0] == "POST"}
    assert posts - posts_with_fields == no_fields | not_offered
    assert no_fields <= set(found.pages)  # rendered all the same (their path is exercised)
    assert {"grade:impact", "evidence:impact", "cites:impact", "version"} <= found.fields[
        ("POST", "/inspections/{inspection_id:id}/audits/{audit_id:id}/save")
    ]


@pytest_asyncio.fixture
async def client(database: Settings) -> AsyncIterator[httpx2.AsyncClient]:
    app = create_app(_purgeable(database), manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


@pytest_asyncio.fixture
async def world(key: tuple[str, str], shared: Shared) -> AsyncIterator[World]:
    """The shared world for a GET route; a fresh one for a POST route."""
    if key[0] == "GET":
        yield shared.world
        return
    await truncate_all_models()  # the next POST route truncates this one's; the module, the last
    fresh = await _world()
    yield fresh


@dataclass
class Parameters:
    """One route's parameters, each with the values worth sending besides ``HOSTILE``."""

    path: dict[str, list[Any]]
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    defaults: dict[str, list[str]]  # what its page would send


async def _parameters(
    client: httpx2.AsyncClient, world: World, found: Found, key: tuple[str, str]
) -> Parameters:
    method, _ = key
    route = ROUTES[key]
    forms = [
        (f, path_params)
        for page in found.pages.get(key, [])[:PAGES_PER_FORM]
        for form_key, f, path_params in await _forms_on(client, world, page)
        if form_key == key
    ]
    # The form a person can fill in most of comes first (a submitted audit's page has a save
    # form too, all disabled): its path and its values are what every parameter varies from.
    forms.sort(key=lambda item: -item[0].enabled)
    path: dict[str, list[Any]] = {name: [] for name in route.param_convertors}
    query: dict[str, list[str]] = {}
    form: dict[str, list[str]] = {}
    defaults: dict[str, list[str]] = {}
    for f, path_params in forms:
        for name, value in path_params.items():
            if value not in path[name]:
                path[name].append(value)
        target = query if method == "GET" else form
        for name, fld in f.fields.items():
            target.setdefault(name, [])
            target[name] += [v for v in fld.offered if v not in target[name]]
            if name not in defaults and (fld.current or fld.offered):
                defaults[name] = fld.current or fld.offered[:1]
    for name, values in path.items():
        for value in (world.own.params()[name], world.other.params()[name], 10_000_000, 0):
            if value not in values:
                values.append(value)
    # Whatever else the route reads, seen while it answers an admin with its page's values.
    first = {name: values[0] for name, values in path.items()}
    with watching_parameters() as seen:
        await _send(client, world, key, Role.ADMIN, first, defaults, False)
    for where, name in seen:
        (query if where == "query" else form).setdefault(name, [])
    return Parameters(path, query, form, defaults)


async def _send(
    client: httpx2.AsyncClient,
    world: World,
    key: tuple[str, str],
    role: Role | None,
    path: dict[str, Any],
    values: dict[str, list[str]],
    htmx: bool,
) -> httpx2.Response:
    method, template = key
    headers = world.headers(role)
    if htmx:
        headers["hx-request"] = "true"
    url = _fill(template, path)
    pairs = [(name, v) for name, vs in values.items() for v in vs]
    if method == "GET":
        return await client.get(url + ("?" + urlencode(pairs) if pairs else ""), headers=headers)
    headers["sec-fetch-site"] = "same-origin"
    headers["content-type"] = "application/x-www-form-urlencoded"
    return await client.post(url, content=urlencode(pairs), headers=headers)


def _hostile(kind: str | None = None) -> st.SearchStrategy[str]:
    return st.sampled_from(KINDS[kind] if kind else HOSTILE)


SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.generate],  # every request of a failing example is reported; no shrinking
)


class _NoPause:
    """``asyncio`` as the sign-in code sees it, without the pause after a failed attempt (what
    is sent, not how long a refusal takes, is under test here)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float) -> None:
        return None


@pytest.fixture(autouse=True)
def no_sign_in_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "asyncio", _NoPause(), raising=False)


@pytest_asyncio.fixture
async def parameters(key, client, world, shared) -> Parameters:
    return await _parameters(client, world, shared.found, key)


def _served_by(key: tuple[str, str]) -> list[Role]:
    policy = POLICY[key]
    return list(ROLES) if policy.scope == "public" else [r for r in ROLES if r in policy.roles]


@pytest.mark.parametrize("key", ROUTE_KEYS, ids=[f"{m} {p}" for m, p in ROUTE_KEYS])
@SETTINGS
@given(data=st.data())
async def test_no_value_of_any_parameter_breaks_a_route(key, client, world, parameters, data):
    p = parameters
    served = _served_by(key) or list(ROLES)
    defaults_path = {name: values[0] for name, values in p.path.items()}
    names = [*p.path, *p.query, *p.form]

    def page_values() -> dict[str, list[str]]:
        values = {}
        for name in [*p.query, *p.form]:
            if name in p.defaults:
                values[name] = list(p.defaults[name])
        return values

    failures: list[str] = []

    async def check(role: Role | None, changed: dict[str, str]) -> None:
        path = {**defaults_path, **{k: v for k, v in changed.items() if k in p.path}}
        values = page_values()
        values.update({k: [v] for k, v in changed.items() if k not in p.path})
        htmx = data.draw(st.booleans(), label="htmx")
        sent = f"{role and role.value} {_shown(changed)}{' (htmx)' if htmx else ''}"
        try:
            response = await _send(client, world, key, role, path, values, htmx)
        except Exception as exc:  # the app raised: a 500 with a traceback
            failures.append(f"{sent}: {exc.__class__.__name__}: {str(exc)[:200]}")
            return
        if response.status_code >= 500:
            failures.append(f"{sent}: {response.status_code} {response.text[:200]}")

    for name in names:  # as the role that may do most here, so refusals hide nothing
        for kind in KINDS:
            await check(served[0], {name: data.draw(_hostile(kind), label=f"{name} ({kind})")})
    for role in ALL_ROLES:
        few = st.lists(st.sampled_from(names), max_size=3, unique=True) if names else st.just([])
        chosen = data.draw(few, label="hostile parameters")
        await check(role, {n: data.draw(_hostile(), label=n) for n in chosen})
    assert not failures, "\n".join(failures)
    health = await client.get("/health")  # the database was up all along
    assert (health.status_code, health.json()) == (200, {"status": "ok", "database": "ok"})


def _shown(changed: dict[str, str]) -> str:
    return ", ".join(f"{k}={v[:20]!r}{'...' if len(v) > 20 else ''}" for k, v in changed.items())
