"""After submitting an audit: the confirmation and the next child in the auditor's list."""

import re

from tests.audit.helpers import ALL_GOOD, make_inspection, make_sample, make_user
from tests.audit.test_web_and_cli import _client
from tests.web.crawl import offences


def _version(page: str) -> str:
    found = re.search(r'id="audit-version" value="(\d+)"', page)
    assert found
    return found.group(1)


async def _submit(client, audit_url: str):
    page = await client.get(audit_url)
    return await client.post(
        f"{audit_url}/submit", data={"version": _version(page.text), **ALL_GOOD}
    )


def _next_section(page: str) -> str:
    return page.split('id="next-child">Next child in your list</h2>')[1].split("Back to all")[0]


async def test_submitting_confirms_and_offers_the_next_child_in_the_list(db):
    inspection = await make_inspection()
    inspection.title = "Autumn audit round"  # the helper's title holds an ISO date
    await inspection.save()
    _, members = await make_sample(inspection, n=3)
    await make_user(inspection, "a1@x.test", "inspector")
    base = f"/inspections/{inspection.id}"
    client = await _client(db, "a1@x.test")

    started = await client.post(f"{base}/audits", data={"member": members[0].id})
    first_url = started.headers["location"]
    form = await client.get(first_url)
    # the concern control comes before the audit form
    assert form.text.index("Is the child at immediate risk?") < form.text.index('id="audit-form"')

    done = await _submit(client, first_url)
    assert done.status_code == 303
    assert done.headers["location"] == f"{first_url}?submitted=yes"
    page = await client.get(done.headers["location"])
    assert page.status_code == 200
    assert '<h1 class="govuk-panel__title">Audit submitted</h1>' in page.text
    assert '<div class="govuk-panel__body">First marking of Child0 Test</div>' in page.text
    assert offences(done.headers["location"], page.text, set()) == []
    section = _next_section(page.text)
    assert ">Start the first marking of Child1 Test</button>" in section
    assert f'name="member" value="{members[1].id}"' in section
    assert 'name="marking" value="first"' in section

    # the offered action works; leave Child2's marking as a draft and submit Child1's
    second = await client.post(f"{base}/audits", data={"member": members[2].id})
    draft_url = second.headers["location"]
    offered = await client.post(
        f"{base}/audits", data={"member": members[1].id, "marking": "first"}
    )
    assert offered.status_code == 303
    done = await _submit(client, offered.headers["location"])
    page = await client.get(done.headers["location"])
    section = _next_section(page.text)
    assert (
        f'<a class="govuk-link" href="{draft_url}">Carry on with your first marking of '
        "Child2 Test</a>"
    ) in section
    assert "<button" not in section

    done = await _submit(client, draft_url)
    page = await client.get(done.headers["location"])
    assert (
        "There is no next child in your list: every marking open to you has been started "
        "or submitted."
    ) in _next_section(page.text)
    # without the confirmation asked for, the submitted audit itself
    plain = await client.get(draft_url)
    assert "govuk-panel" not in plain.text
    assert '<h1 class="govuk-heading-xl">First marking of Child2 Test</h1>' in plain.text
    await client.aclose()


async def test_the_next_child_is_never_one_whose_marking_belongs_to_someone_else(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    await make_user(inspection, "a1@x.test", "inspector")
    await make_user(inspection, "a2@x.test", "inspector")
    base = f"/inspections/{inspection.id}"
    c1 = await _client(db, "a1@x.test")
    c2 = await _client(db, "a2@x.test")
    await c2.post(f"{base}/audits", data={"member": members[1].id})  # a2's draft
    started = await c1.post(f"{base}/audits", data={"member": members[0].id})
    done = await _submit(c1, started.headers["location"])
    page = await c1.get(done.headers["location"])
    section = _next_section(page.text)
    assert "Child1 Test" not in section
    assert "There is no next child in your list" in section
    for c in (c1, c2):
        await c.aclose()
