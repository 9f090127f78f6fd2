"""The review queue: its order, blind review, and accuracy estimated from people's decisions."""

from __future__ import annotations

from datetime import date

import httpx2
import pytest_asyncio

from inspection.accounts import create_user
from inspection.inspections import add_member
from inspection.journey.decisions import decide
from inspection.journey.linkage import link_inspection
from inspection.journey.review import MIN_DECISIONS, LinkAccuracy, link_accuracy, review_queue
from inspection.models import AccessLog, Inspection, LinkDecision
from inspection.web.app import create_app
from tests.journey import factory as f

PASSWORD = "correct horse battery"


@pytest_asyncio.fixture
async def client(db):
    app = create_app(db, manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    ) as c:
        yield c


async def _queue(role: str = "lead_inspector"):
    """Two uncertain pairs: Callum Wright (no date of birth on the police record) and Erin
    Shaw (the same), Erin's child also holding an education record."""
    insp = await f.inspection()
    user = await create_user(f"{role}@example.org", "Ina Spector", role, PASSWORD)
    await add_member(insp, user, role)
    health = await f.upload(insp, "health.csv", "health")
    police = await f.upload(insp, "police.csv", "police")
    education = await f.upload(insp, "education.csv", "education")
    await f.record(
        insp, health, "health", "H1", "Callum", "Wright", date(2013, 2, 20), "M", "XS5 1AA"
    )
    await f.record(insp, police, "police", "PP1", "Callum", "Wright", None, "", "XS5 1BB")
    dob = date(2011, 8, 8)
    await f.record(insp, health, "health", "H2", "Erin", "Shaw", dob, "F", "XS2 9QQ")
    await f.record(insp, education, "education", "E2", "Erin", "Shaw", dob, "F", "XS2 9QQ")
    await f.record(insp, police, "police", "PP2", "Erin", "Shaw", None, "", "XS2 9QR")
    await link_inspection(insp.id)
    return insp, user


async def test_queue_puts_the_pair_that_joins_most_records_first(db):
    insp, _user = await _queue()
    queue = await review_queue(insp.id)
    assert [p["records_joined"] for p in queue.pending] == [3, 2]
    assert queue.pending[0]["left"]["given_name"] == "Erin"
    assert [p["in_sample"] for p in queue.pending] == [False, False]


async def test_each_pair_says_how_its_fields_compare_in_sentences(client):
    insp, user = await _queue()
    erin = [
        "Given name: the same",
        "Family name: the same",
        "Date of birth: only one record has it",
        "Sex: only one record has it",
        "Postcode: in the same postcode sector",
        "NHS number: neither record has it",
        "Unique pupil number (UPN): neither record has it",
        "Authority's child id: neither record has it",
    ]
    queue = await review_queue(insp.id)
    assert queue.pending[0]["left"]["given_name"] == "Erin"
    assert queue.pending[0]["comparison"] == erin
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = await client.get(f"/inspections/{insp.id}/linkage")
    listed = "".join(f"<li>{s}</li>" for s in erin).replace("'", "&#39;")
    assert listed in page.text
    assert "dob: " not in page.text and "la id" not in page.text
    # Agencies and sex in words, as the code tables name them.
    assert "Health H2 · " in page.text and "Police PP2 · " in page.text
    assert '<td class="govuk-table__cell">Female</td>' in page.text
    assert '<td class="govuk-table__cell">F</td>' not in page.text


async def test_queue_puts_a_child_in_a_sample_before_a_larger_cluster(db):
    """Callum's pair joins two records, Erin's three; Callum is in the inspection's sample, so
    his pair comes first: the answer changes an audited child's journey."""
    from inspection.models import Sample, SampleMember, SourceRecord

    insp, _user = await _queue()
    callum = await SourceRecord.get(inspection_id=insp.id, person_id="H1")
    sample = await Sample.create(
        inspection=insp, method="srs", seed="5eed", population_hash="ef" * 32, population_size=2
    )
    await SampleMember.create(
        inspection_id=insp.id,
        sample=sample,
        child_id=callum.child_id,
        population_key="H1",
        inclusion_probability=0.5,
        weight=2.0,
        order=1,
        status="selected",
    )

    queue = await review_queue(insp.id)

    assert [
        (p["left"]["given_name"], p["in_sample"], p["records_joined"]) for p in queue.pending
    ] == [
        ("Callum", True, 2),
        ("Erin", False, 3),
    ]


async def test_blind_review_hides_the_probability_and_evidence(client):
    insp, user = await _queue()
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    open_page = await client.get(f"/inspections/{insp.id}/linkage")
    assert "Match probability" in open_page.text
    assert "<li>Given name: the same</li>" in open_page.text

    response = await client.post(f"/inspections/{insp.id}/linkage/blind", data={"blind": "on"})
    assert response.status_code == 303
    assert (await Inspection.get(id=insp.id)).blind_link_review is True
    blind = await client.get(f"/inspections/{insp.id}/linkage")
    assert "Blind review" in blind.text
    assert "Match probability" not in blind.text
    assert "Given name: the same" not in blind.text
    assert "How the model compared them" not in blind.text
    assert "Possible match" in blind.text
    assert "Callum" in blind.text and "Erin" in blind.text
    actions = await AccessLog.filter(inspection_id=insp.id).values_list("action", flat=True)
    assert "link-review-blind" in actions


async def test_only_a_lead_turns_blind_review_on(client):
    insp, user = await _queue("inspector")
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = await client.get(f"/inspections/{insp.id}/linkage")
    assert "/linkage/blind" not in page.text
    response = await client.post(f"/inspections/{insp.id}/linkage/blind", data={"blind": "on"})
    assert response.status_code == 404
    assert (await Inspection.get(id=insp.id)).blind_link_review is False


async def test_accuracy_from_decisions_says_when_there_are_too_few(client):
    insp, user = await _queue()
    pending = await LinkDecision.filter(inspection_id=insp.id, decision="pending").order_by("id")
    await decide(insp.id, pending[0].id, accept=True, user_id=user.id)
    await decide(insp.id, pending[1].id, accept=False, user_id=user.id)
    accuracy = await link_accuracy(insp.id)
    assert (accuracy.agreed, accuracy.wrong, accuracy.missed) == (1, 1, 0)
    assert accuracy.precision is None
    text = (
        "Too few settled decisions to estimate the linkage's precision and recall "
        f"(2 so far; at least {MIN_DECISIONS} are needed)."
    )
    assert accuracy.summary() == text
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = await client.get(f"/inspections/{insp.id}/linkage")
    assert text.replace("'", "&#39;") in page.text


def test_accuracy_figures_once_there_are_enough():
    accuracy = LinkAccuracy(agreed=27, wrong=3, missed=6)
    assert accuracy.precision == 0.9
    assert accuracy.recall == 27 / 33
    assert accuracy.summary() == (
        "Precision 0.90, recall 0.82, estimated from 36 settled decisions "
        "(the hard pairs people decided)."
    )


async def test_search_a_child_to_link_by_hand_then_join_with_a_reason(client):
    insp, user = await _queue()
    from inspection.models import SourceRecord

    erin = await SourceRecord.get(inspection_id=insp.id, person_id="H2")
    police = await SourceRecord.get(inspection_id=insp.id, person_id="PP2")
    assert erin.child_id != police.child_id
    await client.post("/login", data={"email": user.email, "password": PASSWORD})
    page = await client.get(f"/inspections/{insp.id}/children/{erin.child_id}")
    assert "/link-search" in page.text and "Number of the other child" not in page.text

    base = f"/inspections/{insp.id}/children/{erin.child_id}/link-search"
    found = await client.post(base, data={"name": "shaw"}, headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert "1 child found" in found.text
    assert "Police PP2: Erin Shaw, no date of birth" in found.text
    assert f"/children/{erin.child_id}/link/{police.child_id}" in found.text
    assert "shaw" not in str(found.url)  # the name searched for is in no URL
    bad = await client.post(base, data={"dob-day": "31", "dob-month": "2", "dob-year": "2011"})
    assert "Date of birth must be a real date" in bad.text
    by_id = await client.post(base, data={"identifier": "pp2"})
    assert "1 child found" in by_id.text

    confirm = await client.get(
        f"/inspections/{insp.id}/children/{erin.child_id}/link/{police.child_id}"
    )
    assert "Are these the same child?" in confirm.text
    assert f'name="other_child_id" value="{police.child_id}"' in confirm.text
    joined = await client.post(
        f"/inspections/{insp.id}/children/{erin.child_id}/merge",
        data={"other_child_id": str(police.child_id), "reason": "same school and GP"},
    )
    assert joined.status_code == 303
    assert (await SourceRecord.get(id=police.id)).child_id == erin.child_id
    actions = await AccessLog.filter(inspection_id=insp.id).values_list("action", "detail")
    assert ("search-children-to-link", "1 children found") in actions
    assert ("link-merge", "same school and GP") in actions
    assert any(a == "view-link-confirm" for a, _ in actions)
