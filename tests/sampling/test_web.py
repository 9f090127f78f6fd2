import asyncio
import re

from inspection.jobs import queue
from inspection.jobs.runner import sample_check_work
from inspection.jobs.worker import Worker
from inspection.models import AccessLog, Child, Job, JobKind, SampleMember
from inspection.sampling import service
from tests.sampling.helpers import authority
from tests.web.conftest import app_client, make_user, member, sign_in  # noqa: F401


async def _signed_in(client, role="inspector", children=20):
    inspection = await authority(children)
    user = await make_user(f"{role}@example.org", role)
    await member(inspection, user)
    response = await sign_in(client, f"{role}@example.org")
    assert response.status_code == 303
    return inspection, user


async def test_builder_shows_population_and_updates_live(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client)
    page = await app_client.get(f"/inspections/{inspection.id}/samples")
    assert page.status_code == 200
    assert "Population: 20 children" in page.text
    assert 'hx-trigger="change"' in page.text
    assert f'hx-post="/inspections/{inspection.id}/samples/preview"' in page.text

    fragment = await app_client.post(
        f"/inspections/{inspection.id}/samples/preview",
        data={"cohort": "referrals", "stratify_by": "disability", "disability": ["Y", "N"]},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    assert fragment.headers["vary"] == "HX-Request"
    assert "<html" not in fragment.text
    assert "Population: 10 children" in fragment.text
    assert re.search(r">Y</td><td[^>]*>2</td>", fragment.text)
    assert re.search(r">N</td><td[^>]*>8</td>", fragment.text)

    bad = await app_client.post(
        f"/inspections/{inspection.id}/samples/preview",
        data={"cohort": "contacts", "from-day": "1", "from-month": "13", "from-year": "2026"},
        headers={"HX-Request": "true"},
    )
    assert (
        '<p id="from-error" class="govuk-error-message" hx-swap-oob="true">'
        '<span class="govuk-visually-hidden">Error:</span> '
        "The first day of the window must be a real date</p>"
    ) in bad.text
    assert '<p id="to-error" class="govuk-error-message" hx-swap-oob="true" hidden>' in bad.text


async def test_the_window_is_typed_as_day_month_and_year(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client)
    url = f"/inspections/{inspection.id}/samples"
    page = await app_client.get(url)
    for name, legend in (("from", "Events starting from"), ("to", "Events starting up to")):
        assert f'<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">{legend}' in (
            page.text
        )
        for part in ("day", "month", "year"):
            assert f'name="{name}-{part}" type="text" inputmode="numeric" value=""' in page.text
        assert f'<p id="{name}-error" class="govuk-error-message" hidden></p>' in page.text
    assert "YYYY-MM-DD" not in page.text

    # a part missing: the message names it, the summary links to it, the typed parts stay
    typed = {"cohort": "contacts", "from-day": "1", "from-year": "2026", "size": "2"}
    refused = await app_client.post(url, data=typed)
    assert refused.status_code == 400
    assert '<a href="#from-month">The first day of the window must include a month</a>' in (
        refused.text
    )
    assert 'name="from-day" type="text" inputmode="numeric" value="1"' in refused.text
    assert 'name="from-year" type="text" inputmode="numeric" value="2026"' in refused.text
    assert 'govuk-input--width-2 govuk-input--error" id="from-month"' in refused.text
    assert not await SampleMember.filter(inspection_id=inspection.id).exists()

    later = {"to-day": "31", "to-month": "12", "to-year": "2026"}
    year = "Year must include 4 numbers"
    short = await app_client.post(url, data={**typed, "from-month": "5", "from-year": "26"})
    assert f'<a href="#from-year">{year}</a>' in short.text
    backwards = await app_client.post(
        url, data={**typed, "from-month": "5", "from-year": "2027", **later}
    )
    assert backwards.status_code == 400
    assert "<li>The window starts after it ends.</li>" in backwards.text

    # a whole window: the sample's population is the contacts starting in it
    drawn = await app_client.post(
        url, data={**typed, "from-month": "1", **later, "seed": "ab" * 32}
    )
    assert drawn.status_code == 303
    sample = await app_client.get(drawn.headers["location"])
    assert "from 01/01/2026 to 31/12/2026" in sample.text


async def test_draw_view_verify_and_replace(app_client, db):  # noqa: F811
    inspection, user = await _signed_in(app_client)
    drawn = await app_client.post(
        f"/inspections/{inspection.id}/samples",
        data={
            "size": "4",
            "stratify_by": "disability",
            "reserve": "1",
            "seed": "ab" * 32,
            "purpose": "Disabled children",
        },
    )
    assert drawn.status_code == 303
    location = drawn.headers["location"]
    sample_id = int(location.rsplit("/", 1)[1])
    page = await app_client.get(location)
    assert page.status_code == 200
    assert "ab" * 32 in page.text
    assert f"inspection sample verify --inspection {inspection.id} --sample {sample_id}" in (
        page.text
    )
    members = await SampleMember.filter(sample_id=sample_id).order_by("id")
    for m in members:
        assert f'href="/inspections/{inspection.id}/samples/{sample_id}/members/{m.id}"' in (
            page.text
        )
    assert await AccessLog.filter(action="view_sample", object_id=str(sample_id)).count() == 1

    started = await app_client.post(f"{location}/verify", headers={"HX-Request": "true"})
    assert started.status_code == 303
    job = await Job.get(inspection_id=inspection.id, kind=JobKind.SAMPLE_CHECK)
    assert started.headers["location"] == f"{location}/verifications/{job.token}"
    # a verification no worker has taken yet: its fragment polls itself
    queued = await queue.enqueue(
        inspection.id, JobKind.SAMPLE_CHECK, work=sample_check_work(sample_id)
    )
    waiting = await app_client.get(
        f"{location}/verifications/{queued.token}", headers={"HX-Request": "true"}
    )
    assert "Checking the sample: Waiting to start." in waiting.text
    assert 'hx-trigger="load delay:500ms"' in waiting.text and "<html" not in waiting.text
    await Worker(db, "a job worker").drain()  # any worker runs them; this process's may too
    for _ in range(400):  # the one this process's worker took may still be running
        if await Job.filter(kind=JobKind.SAMPLE_CHECK, status="done").count() == 2:
            break
        await asyncio.sleep(0.025)
    assert await Job.filter(kind=JobKind.SAMPLE_CHECK, status="done").count() == 2
    verified = await app_client.get(started.headers["location"], headers={"HX-Request": "true"})
    assert "Identical" in verified.text and "<html" not in verified.text
    assert "hx-trigger" not in verified.text
    checks = re.findall(r'<th scope="row" class="govuk-table__header">([^<]+)</th>', verified.text)
    assert checks[:3] == ["Seed", "Method and settings", "Fingerprint of the population"]
    assert verified.text.count("Passed") == len(checks) and "Failed" not in verified.text
    # without JavaScript the same address is the sample's page, its provenance open
    whole = await app_client.get(started.headers["location"])
    assert "<html" in whole.text and '<details class="govuk-details" id="provenance" open>' in (
        whole.text
    )
    elsewhere = await app_client.get(f"{location}/verifications/not-a-job")
    assert elsewhere.status_code == 404

    selected = next(m for m in members if m.status == "selected" and m.stratum == "N")
    reserve = next(m for m in members if m.status == "reserve" and m.stratum == "N")
    # the sample page offers no replacement: it is an action on the member's own page
    assert "Replace with the next reserve" not in page.text
    member_url = f"{location}/members/{selected.id}"
    assert f'href="{member_url}"' in page.text
    member_page = await app_client.get(member_url)
    assert member_page.status_code == 200
    assert "Replace this child" in member_page.text
    assert "Replace with the next reserve" in member_page.text
    refused = await app_client.post(f"{member_url}/replace", data={"reason": "  "})
    assert refused.status_code == 400
    assert "There is a problem" in refused.text
    assert "Enter why this child cannot be audited." in refused.text
    replaced = await app_client.post(
        f"{member_url}/replace", data={"reason": "Child died; family not to be contacted"}
    )
    assert replaced.status_code == 303
    row = await SampleMember.get(id=selected.id)
    assert (row.status, row.changed_by_id) == ("replaced", user.id)
    assert (await service.verify(inspection.id, sample_id)).ok
    page = await app_client.get(location)
    selected_name = f"Child {(await Child.get(id=selected.child_id)).la_child_id}"
    reserve_name = f"Child {(await Child.get(id=reserve.child_id)).la_child_id}"
    # the replaced child is listed once, naming who replaced them and why; the reserve who
    # took their place is listed once, as the replacement
    text = _visible(page.text)
    assert len(re.findall(rf">{selected_name}, born [\d/]+</a>", page.text)) == 1
    assert len(re.findall(rf">{reserve_name}, born [\d/]+</a>", page.text)) == 1
    assert f"Replaced by {reserve_name}, born" in text
    assert ": Child died; family not to be contacted" in text
    again = await app_client.get(member_url)
    assert "Replace this child" not in again.text
    assert "Child died; family not to be contacted (inspector@example.org, " in again.text
    replacement = await SampleMember.get(replaced_by_id=None, id=row.replaced_by_id)
    its_page = await app_client.get(f"{location}/members/{replacement.id}")
    assert "Chosen as a replacement for" in _visible(its_page.text)
    assert selected_name in _visible(its_page.text)


def _visible(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def test_sample_page_lists_children_by_stratum_in_natural_order(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client)
    sample = await service.draw_sample(
        inspection.id, {}, size=10, stratify_by="age_band", seed="cd" * 32
    )
    page = await app_client.get(f"/inspections/{inspection.id}/samples/{sample.id}")
    text = _visible(page.text)
    captions = re.findall(r'caption--m">([^<]+)<span', page.text)
    assert captions == ["Under 1", "Aged 1–4", "Aged 5–9", "Aged 10–15", "Aged 16+"]
    assert "Child Age Legal status Team In the sample" in text
    assert "Drawn from 20 children: " + (
        "Every child known to the authority's children's social care "
        "(not people known only to partner agencies)"
    ) in text.replace("&#39;", "'")
    # weights are only in the details component
    details = page.text.split('id="provenance"', 1)
    assert "Each chosen child stands for" not in details[0]
    assert "Each chosen child stands for" in details[1]


async def test_draw_errors_are_shown_on_the_form(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client)
    response = await app_client.post(f"/inspections/{inspection.id}/samples", data={"size": "21"})
    assert response.status_code == 400
    assert "The sample size 21 is larger than the population (20)." in response.text


async def test_viewers_cannot_draw_and_outsiders_see_nothing(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client, role="qa_viewer")
    sample = await service.draw_sample(inspection.id, {}, size=2, seed="01")
    assert (await app_client.get(f"/inspections/{inspection.id}/samples")).status_code == 200
    refused = await app_client.post(f"/inspections/{inspection.id}/samples", data={"size": "2"})
    assert refused.status_code == 404
    replace = await app_client.post(
        f"/inspections/{inspection.id}/samples/{sample.id}/replace",
        data={"member": "1", "reason": "x"},
    )
    assert replace.status_code == 404
    other = await authority(3, "S09")
    assert (await app_client.get(f"/inspections/{other.id}/samples")).status_code == 404
    missing = await app_client.get(f"/inspections/{inspection.id}/samples/{sample.id + 1000}")
    assert missing.status_code == 404


async def test_a_drawn_sample_cannot_be_edited_or_deleted(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client)
    sample = await service.draw_sample(inspection.id, {}, size=2, seed="01")
    url = f"/inspections/{inspection.id}/samples/{sample.id}"
    for method in ("DELETE", "PUT", "PATCH"):
        response = await app_client.request(method, url)
        assert response.status_code == 405
    assert (await app_client.post(url, data={"seed": "02"})).status_code == 405
    assert await Child.filter(inspection_id=inspection.id).count() == 20


async def test_an_incomplete_or_invalid_filter_shows_its_error_in_place(app_client):  # noqa: F811
    inspection, _ = await _signed_in(app_client)
    fragment = await app_client.post(
        f"/inspections/{inspection.id}/samples/preview",
        data={"indicator_0_name": "contacts_nfa", "indicator_0_value": "", "size": "abc"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 200
    text = _visible(fragment.text)
    assert text.startswith("The population cannot be counted yet")
    assert "Enter a number to compare contacts that ended in no further action with." in text
    assert "Enter the sample size as a whole number, like 3." in text
    # each message also replaces the one beside its field (out of band), and clears the others
    assert re.search(
        r'<p id="size-error" class="govuk-error-message" hx-swap-oob="true">'
        r'<span class="govuk-visually-hidden">Error:</span> Enter the sample size',
        fragment.text,
    )
    assert '<p id="reserve-error" class="govuk-error-message" hx-swap-oob="true" hidden>' in (
        fragment.text
    )
    assert '<a href="#indicator_0_value">' in fragment.text
    # without htmx the whole page comes back, the messages beside their fields
    page = await app_client.post(
        f"/inspections/{inspection.id}/samples",
        data={"size": "abc"},
    )
    assert page.status_code == 400
    assert page.text.count('id="size-error"') == 1
    assert "govuk-form-group app-form-group govuk-form-group--error" in page.text
    assert "There is a problem" in page.text
    good = await app_client.post(
        f"/inspections/{inspection.id}/samples/preview",
        data={"indicator_0_name": "contacts_nfa", "indicator_0_value": "0", "size": "3"},
        headers={"HX-Request": "true"},
    )
    assert "Population: " in good.text and "cannot be counted" not in good.text
