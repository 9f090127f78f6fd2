from datetime import date

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.inspections import add_member
from inspection.journey.linkage import link_inspection
from inspection.models import AccessLog, Child, LinkDecision, SourceRecord
from inspection.web.app import create_app
from tests.journey import factory as f
from tests.web.crawl import offences

PASSWORD = "correct horse battery"


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def _setup(client, role="inspector"):
    insp = await f.inspection()
    user = await create_user(f"{role}@example.org", "Ina Spector", role, PASSWORD)
    await add_member(insp, user, role)
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    sc_up = await f.upload(insp, "social_care.csv", "social_care")
    police_up = await f.upload(insp, "police.csv", "police")
    child = await Child.create(inspection=insp, la_child_id="LA1")
    sc = await f.record(
        insp,
        sc_up,
        "social_care",
        "LA1",
        "Oliver",
        "Brown",
        date(2014, 5, 6),
        "M",
        "XS1 1AA",
        la_child_id="LA1",
        child=child,
    )
    await f.event(insp, sc, "referral", date(2025, 2, 3), sheet="List_3", row=4)
    await f.event(insp, sc, "cin_plan_start", date(2025, 3, 1), sheet="List_6", row=2)
    p = await f.record(
        insp, police_up, "police", "PP1", "Olly", "Brown", date(2014, 5, 6), "M", "XS1 1AA"
    )
    await f.event(insp, p, "police_domestic_abuse", date(2025, 1, 20), row=7)
    # a boy with the same name, no date of birth, elsewhere in the sector: for review
    await f.record(insp, police_up, "police", "PP2", "Oliver", "Brown", None, "", "XS1 1BB")
    await link_inspection(insp.id)
    return insp, user, child


async def test_journey_page_shows_every_agency_and_is_logged(client):
    insp, user, child = await _setup(client)
    response = await client.get(f"/inspections/{insp.id}/children/{child.id}")
    assert response.status_code == 200
    html = response.text
    # one drawing for a wide screen, one for a phone (the page shows the one that fits)
    assert html.count('<svg class="app-timeline"') == 2
    assert html.count('class="govuk-!-margin-0 app-timeline-figure app-timeline-figure--') == 2
    assert ">Children&#39;s social care</text>" in html and ">Police</text>" in html
    assert "<title>20/01/2025: Police domestic abuse notification (Police)</title>" in html
    assert "First need 20/01/2025" in html and "Help 01/03/2025" in html
    rows = html.split("What happened, in order")[1]
    assert (
        rows.index("Police domestic abuse notification")
        < rows.index("Referral to children")
        < rows.index("Child in need plan started")
    )
    assert (
        "Days from first sign of need to help starting (the child&#39;s wait)</dt>"
        '<dd class="govuk-summary-list__value">40</dd>'
    ) in html
    assert "police.csv, row 7" in html
    log = await AccessLog.filter(action="view-journey").values(
        "user_id", "object_type", "object_id", "inspection_id"
    )
    assert log == [
        {
            "user_id": user.id,
            "object_type": "child",
            "object_id": str(child.id),
            "inspection_id": insp.id,
        }
    ]


# What a journey page sends: the session, the membership, the child with its events (and
# whether they are a tracked case or recorded to be audited again), the access log's entry, the
# records linked to the child (with their events counted) and the child's identifiers.
JOURNEY_QUERIES = 6


async def test_a_journey_page_costs_the_same_queries_however_many_events_and_records(client):
    from tests.query_count import count_queries

    insp, _user, child = await _setup(client)
    url = f"/inspections/{insp.id}/children/{child.id}"
    with count_queries() as queries:
        first = await client.get(url)
    assert first.status_code == 200
    # each linked record with how many of the child's events came from it
    assert "social_care.csv, 2 events" in first.text
    assert "police.csv, 1 event<" in first.text
    counts = [queries.count]
    # more of the same: three more events from the police record, a third agency's record
    police = await SourceRecord.get(inspection_id=insp.id, person_id="PP1")
    for day in (2, 3, 4):
        await f.event(insp, police, "police_domestic_abuse", date(2025, 4, day), row=7 + day)
    health_up = await f.upload(insp, "health.csv", "health")
    health = await f.record(
        insp, health_up, "health", "H1", "Oliver", "Brown", date(2014, 5, 6), "M", "XS1 1AA"
    )
    await SourceRecord.filter(id=health.id).update(child_id=child.id, link_method="manual")
    health.child_id = child.id
    await f.event(insp, health, "health_concern", date(2025, 5, 1), row=2)
    with count_queries() as queries:
        second = await client.get(url)
    assert "police.csv, 4 events" in second.text
    assert "health.csv, 1 event<" in second.text
    counts.append(queries.count)
    assert counts == [JOURNEY_QUERIES, JOURNEY_QUERIES], counts
    assert await AccessLog.filter(action="view-journey").count() == 2


async def test_children_search_by_post_and_chronology_csv(client):
    insp, _user, child = await _setup(client)
    response = await client.post(
        f"/inspections/{insp.id}/children", data={"q": "la1"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in response.text
    assert "1 of 2 children match." in response.text
    assert f'href="/inspections/{insp.id}/children/{child.id}"' in response.text
    csv = await client.get(f"/inspections/{insp.id}/children/{child.id}/chronology.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.split("\r\n")[1] == (
        "20/01/2025,,Police,Police domestic abuse notification (first sign of need),"
        '"police.csv, row 7",'
    )
    assert await AccessLog.filter(action="export-chronology").count() == 1


async def test_review_queue_reject_is_logged_and_kept(client):
    insp, _user, child = await _setup(client)
    page = await client.get(f"/inspections/{insp.id}/linkage")
    assert "Waiting for a decision (1)" in page.text
    pending = await LinkDecision.get(inspection_id=insp.id, decision="pending")
    assert f'action="/inspections/{insp.id}/linkage/{pending.id}"' in page.text
    response = await client.post(
        f"/inspections/{insp.id}/linkage/{pending.id}",
        data={"decision": "reject", "reason": "another boy"},
    )
    assert response.status_code == 303
    assert await LinkDecision.filter(decision="reject", reason="another boy").count() == 1
    assert await AccessLog.filter(action="link-reject").count() == 1
    await link_inspection(insp.id)
    other = await SourceRecord.get(person_id="PP2")
    assert other.child_id != child.id
    assert await LinkDecision.filter(inspection_id=insp.id, decision="pending").count() == 0


async def test_readers_cannot_decide_and_strangers_see_nothing(client):
    insp, _user, child = await _setup(client, role="qa_viewer")
    decision = await LinkDecision.get(inspection_id=insp.id, decision="pending")
    response = await client.post(
        f"/inspections/{insp.id}/linkage/{decision.id}", data={"decision": "accept"}
    )
    assert response.status_code == 404
    other = await f.inspection("T2")
    response = await client.get(f"/inspections/{other.id}/children/{child.id}")
    assert response.status_code == 404


async def test_children_list_names_sorts_filters_and_pages(client):
    import re

    from inspection.models import Event, Sample, SampleMember

    insp, _user, child = await _setup(client)
    await Child.filter(id=child.id).update(given_name="oliver", family_name="brown")
    await Child.create(inspection=insp, la_child_id="LA2", given_name="Amy", family_name="Adams")
    await Child.create(inspection=insp, la_child_id="LA3", given_name="ben", family_name="adams")
    nameless = await Child.create(inspection=insp, la_child_id="LA4", dob=date(2015, 1, 2))
    for i in range(200):
        await Child.create(
            inspection=insp, la_child_id=f"Z{i:03d}", given_name="Zed", family_name="Zulu"
        )
    upload = await f.upload(insp, "annex.xlsx", "social_care")
    await Event.create(
        inspection=insp,
        child=child,
        upload=upload,
        agency="social_care",
        kind="cp_plan_start",
        start=date(2025, 6, 1),
        team="Safeguarding 2",
    )
    sample = await Sample.create(
        inspection=insp,
        method="simple-random",
        seed="01",
        population_definition={},
        population_ids=[],
        population_hash="0",
        population_size=1,
        params={},
        result_hash="0",
    )
    await SampleMember.create(
        inspection_id=insp.id,
        sample=sample,
        child=child,
        population_key=str(child.id),
        stratum="",
        inclusion_probability=1,
        weight=1,
        order=0,
        status="selected",
    )
    page = await client.get(f"/inspections/{insp.id}/children")
    text = " ".join(re.sub(r"<[^>]+>", " ", page.text).split())
    assert "205 children. Showing 1 to 100." in text
    # named children first, alphabetically regardless of case; then the nameless
    names = re.findall(r'/children/\d+">([^<]+)</a>', page.text)
    assert names[:2] == ["Amy Adams", "ben adams"]
    assert sorted(names[2:4]) == ["Oliver Brown", "oliver brown"]
    assert names[4:] == ["Zed Zulu"] * 96
    assert "Child Age Legal status Team Known to Sampled, tracked or audited" in text
    assert "Child protection plan Safeguarding 2 Police, Children's social care In a sample" in (
        text.replace("&#39;", "'")
    )
    assert '<nav class="govuk-pagination" aria-label="Pages of children">' in page.text
    last = await client.get(f"/inspections/{insp.id}/children?page=3")
    last_names = re.findall(r'/children/\d+">([^<]+)</a>', last.text)
    assert last_names == ["Zed Zulu"] * 4 + ["Child LA4, born 02/01/2015"]
    assert "Showing 201 to 205." in " ".join(re.sub(r"<[^>]+>", " ", last.text).split())
    sampled = await client.get(f"/inspections/{insp.id}/children?show=sampled")
    assert re.findall(r'/children/\d+">([^<]+)</a>', sampled.text) == ["oliver brown"]
    assert "1 of 205 children match." in sampled.text
    search = await client.post(f"/inspections/{insp.id}/children", data={"q": "zulu", "page": "2"})
    assert "200 of 205 children match." in search.text
    assert "Showing 101 to 200." in " ".join(re.sub(r"<[^>]+>", " ", search.text).split())
    assert nameless.id


def _text(html: str) -> str:
    import re

    return " ".join(re.sub(r"<[^>]+>", " ", html).replace("&#39;", "'").split())


async def test_events_read_as_labelled_sentences_and_a_duplicate_is_shown_once(client):
    from inspection.models import Upload

    insp, _user, child = await _setup(client)
    annex = await f.upload(insp, "annex_a.xlsx")
    sc = await f.record(insp, annex, "social_care", "LA1", la_child_id="LA1", child=child)
    census_up = await Upload.create(
        inspection=insp, source_kind="cin-census", filename="cin_census.xml", sha256="c"
    )
    census = await f.record(insp, census_up, "social_care", "LA1", la_child_id="LA1", child=child)
    plan = {"cp_start": "2025-04-02", "initial_category": "NEG", "latest_category": "NEG"}
    await f.event(
        insp,
        sc,
        "cp_plan_start",
        date(2025, 4, 2),
        sheet="List_7",
        attributes={**plan, "last_visit": "2025-06-30", "previous_plans": 2},
    )
    await f.event(
        insp, census, "cp_plan_start", date(2025, 4, 2), sheet="Child", row=3, attributes=plan
    )
    html = (await client.get(f"/inspections/{insp.id}/children/{child.id}")).text
    events = html.split("What happened, in order")[1].split("Records linked to this child")[0]
    assert events.count("Child protection plan started") == 1
    assert (
        "<li>Category of abuse: Neglect</li><li>Date of the last statutory visit: 30/06/2025</li>"
        "<li>Number of previous child protection plans: 2</li>"
    ) in events
    assert "Recorded in: Annex A List 7, CIN census" in events
    assert "annex_a" not in _text(events).split("Recorded in")[0]
    # the recorded previous plans feed the indicator, and the page says how they differ
    indicators = html.split("Indicators")[1].split("What happened, in order")[0]
    assert 'Repeat child protection plans</dt><dd class="govuk-summary-list__value">2<' in (
        indicators
    )
    assert (
        '<div class="govuk-inset-text">A child protection plan&#39;s record says the child had 2 '
        "previous plans; the journey shows 0 earlier plans. The indicator counts 2: the earlier "
        "plans may be from before the files loaded here, or from another authority.</div>"
    ) in indicators
    for raw in ("NEG", "initial_category", "{", "2025-04-02"):
        assert raw not in events


async def test_timeline_key_and_every_mark_a_link_to_its_event(client):
    import re

    insp, _user, child = await _setup(client)
    html = (await client.get(f"/inspections/{insp.id}/children/{child.id}")).text
    key = html.split('id="timeline-key"')[1].split("</ul>")[0]
    assert re.findall(r"</svg> ([^<]+)</li>", key) == [
        "Sign of need (from any agency)",
        "Help: early help or a plan, from its start to its end (or to the reference date)",
        "Dashed red line: the first sign of need",
        "Green line: help started",
    ]
    from inspection.journey.build import journey_for_child

    ids = {e.kind: e.id for e in (await journey_for_child(insp.id, child.id)).events}
    wide = html.split("app-timeline-figure--narrow")[0]
    marks = re.findall(
        r'<a href="#(event-\d+)" class="app-timeline__mark" aria-label="([^"]+)"', wide
    )
    assert marks == [  # in date order, whatever their lane: the order Tab takes them
        (
            f"event-{ids['police_domestic_abuse']}",
            "20/01/2025: Police domestic abuse notification (Police)",
        ),
        (
            f"event-{ids['referral']}",
            "03/02/2025: Referral to children&#39;s social care (Children&#39;s social care)",
        ),
        (
            f"event-{ids['cin_plan_start']}",
            "01/03/2025: Child in need plan started (Children&#39;s social care)",
        ),
    ]
    rows = re.findall(r'<tr class="govuk-table__row app-event" id="(event-\d+)"', html)
    assert rows == [
        f"event-{ids[k]}" for k in ("police_domestic_abuse", "referral", "cin_plan_start")
    ]
    assert "font-family: arial, sans-serif" not in html  # the font comes from the stylesheet
    css = (await client.get("/static/app.css")).text
    assert ".app-timeline{width:100%;height:auto;font-family:arial,sans-serif}" in css


async def test_not_this_child_asks_first_then_separates_the_record_with_a_reason(client):
    insp, user, child = await _setup(client)
    police = await SourceRecord.get(inspection_id=insp.id, person_id="PP1")
    assert police.child_id == child.id
    journey = await client.get(f"/inspections/{insp.id}/children/{child.id}")
    confirm_url = f"/inspections/{insp.id}/children/{child.id}/records/{police.id}/not-this-child"
    assert journey.text.count(">Not this child<span") == 2  # one per record, a link not a form
    assert f'href="{confirm_url}"' in journey.text
    assert "/split" not in journey.text

    page = await client.get(confirm_url)
    assert page.status_code == 200
    assert offences(confirm_url, page.text, set()) == []
    assert offences(f"/inspections/{insp.id}/children/{child.id}", journey.text, set()) == []
    text = _text(page.text)
    assert "Is this record not Oliver Brown?" in text
    assert "Police PP1 (police.csv)" in text
    assert (
        "What will happen The record and its 1 event leave Oliver Brown's journey, chronology "
        "and indicators. The record becomes a child of its own, known to the police only. "
        "Linkage will not join it to Oliver Brown's other records again."
    ) in text
    assert "Confirm: not this child" in text
    assert (
        f'<a class="govuk-link" href="/inspections/{insp.id}/children/{child.id}#records">'
        "Cancel</a>" in page.text
    )
    assert (await SourceRecord.get(id=police.id)).child_id == child.id  # nothing yet

    blank = await client.post(confirm_url, data={"reason": "  "})
    assert blank.status_code == 400
    assert "Enter why this record is not this child" in blank.text
    assert 'class="govuk-error-summary"' in blank.text
    assert (await SourceRecord.get(id=police.id)).child_id == child.id
    assert await LinkDecision.filter(decision="split").count() == 0

    done = await client.post(confirm_url, data={"reason": "Police hold a different date of birth"})
    assert done.status_code == 303
    assert (
        done.headers["location"]
        == f"/inspections/{insp.id}/children/{child.id}?separated={police.id}"
    )
    moved = await SourceRecord.get(id=police.id)
    assert moved.child_id != child.id
    decision = await LinkDecision.get(decision="split")
    assert (decision.left_record_id, decision.reason, decision.decided_by_id) == (
        police.id,
        "Police hold a different date of birth",
        user.id,
    )
    log = await AccessLog.filter(action="link-split").values_list("object_id", "detail")
    assert log == [(str(police.id), "Police hold a different date of birth")]
    after = await client.get(done.headers["location"])
    assert "The police record PP1 is no longer part of this child&#39;s journey." in after.text
    assert "Police domestic abuse notification" not in after.text
    # the other record is now the child's only one: nothing is offered to separate
    assert "Not this child" not in after.text
    again = await client.get(confirm_url)
    assert again.status_code == 404


async def test_a_childs_care_history_from_the_return_is_the_care_lane_in_words(
    client, db, tmp_path
):
    from inspection.evidence.load import import_file
    from tests.evidence.test_ssda903 import GOOD, write_zip

    insp = await f.inspection()
    user = await create_user("inspector@example.org", "Ina Spector", "inspector", PASSWORD)
    await add_member(insp, user, "inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    await import_file(insp.id, write_zip(tmp_path / "ssda903.zip", GOOD), "ssda903", None, db)
    child = await Child.get(inspection_id=insp.id, la_child_id="100001")
    html = (await client.get(f"/inspections/{insp.id}/children/{child.id}")).text
    assert ">Care</text>" in html
    assert "<title>06/01/2025: Started to be looked after (Care)</title>" in html
    assert "<title>10/02/2026 to 01/06/2026: Placement changed (Care)</title>" in html
    assert "Single period under S20" in html and "Full care order" in html
    assert "The carer asked for the placement to end because of the child&#39;s behaviour" in html
    assert ">V2<" not in html and ">CREQB<" not in html
    assert "ssda903.zip, episodes.csv, row 4" in html
    assert (
        'Placement moves in the last 12 months</dt><dd class="govuk-summary-list__value">2</dd>'
    ) in html
