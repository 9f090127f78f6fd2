"""Conversations with the child, family and practitioner: recorded, cited by audits, seen only
as the visibility rule allows, and exported."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import httpx2
from openpyxl import load_workbook

from inspection.audit.audits import AuditError, create_audit, save_audit, submit_audit
from inspection.audit.conversations import (
    HIDDEN_READING,
    Heard,
    conversations_seen,
    problems,
    record_conversation,
)
from inspection.audit.moderation import set_plan
from inspection.audit.visibility import COMMAND_LINE, Viewer
from inspection.export.offline import build_offline_pack
from inspection.export.tables import audits_table, conversations_table, load_context, scores_table
from inspection.journey.indicators import LABELS, RECORD_HINT, SHORT_LABELS
from inspection.models import AccessLog, Conversation
from inspection.models.core import Role
from inspection.web.app import create_app
from tests.audit.helpers import ALL_GOOD, PASSWORD, make_inspection, make_sample, make_user

TODAY = date(2026, 12, 7)
MOTHER = Heard("family", "Mother", date(2026, 11, 12), "in_person", "He sleeps now.", "Calmer.")


async def _client(db, email):
    app = create_app(db, manage_database=False)
    client = httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://testserver"
    )
    r = await client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 303
    return client


def test_each_problem_of_a_conversation_is_named_in_the_order_of_the_form():
    assert problems(Heard("", "", None, "", " ", ""), TODAY) == {
        "speaker": "Choose who the conversation was with",
        "held_on": "Enter the date of the conversation",
        "means": "Choose how the conversation was held",
        "said": "Enter what they said, in their own words",
        "tells_us": "Enter what this tells us about the child's experience",
    }
    family = Heard("family", " ", TODAY + timedelta(days=1), "observed", "x", "y")
    assert problems(family, TODAY) == {
        "relationship_or_role": (
            "Enter the parent or carer's relationship to the child, for example mother or "
            "foster carer"
        ),
        "held_on": "The date of the conversation must be today or in the past",
        "means": "Only a child too young to talk is observed: choose how the conversation was held",
    }
    practitioner = Heard("practitioner", "", TODAY, "phone", "x", "y")
    assert problems(practitioner, TODAY) == {
        "relationship_or_role": "Enter the practitioner's role, for example allocated social worker"
    }
    assert (
        problems(Heard("child", "", TODAY, "observed", "Smiled at her carer.", "Settled."), TODAY)
        == {}
    )
    assert LABELS["seen_alone"] == "Recorded: child seen alone"
    assert SHORT_LABELS["seen"] == "Recorded: seen"
    assert RECORD_HINT == "This shows what the record says, not what the child experienced."


async def test_the_form_refuses_with_the_error_summary_then_records_and_lists(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    await make_user(inspection, "a1@x.test", "inspector")
    child_id = members[0].child_id
    url = f"/inspections/{inspection.id}/children/{child_id}/conversations"
    c1 = await _client(db, "a1@x.test")
    refused = await c1.post(
        f"{url}/new",
        data={
            "speaker": "family",
            "held_on-day": "31",
            "held_on-month": "2",
            "held_on-year": "2026",
            "said": "I feel listened to.",
        },
    )
    assert refused.status_code == 400
    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in refused.text
    for anchor, message in (
        (
            "relationship_or_role",
            "Enter the parent or carer&#39;s relationship to the child, "
            "for example mother or foster carer",
        ),
        ("held_on-day", "The date of the conversation must be a real date"),
        ("means", "Choose how the conversation was held"),
        ("tells_us", "Enter what this tells us about the child&#39;s experience"),
    ):
        assert f'<li><a href="#{anchor}">{message}</a></li>' in refused.text
    assert ">I feel listened to.</textarea>" in refused.text  # what was typed is kept
    assert await Conversation.all().count() == 0
    done = await c1.post(
        f"{url}/new",
        data={
            "speaker": "family",
            "relationship_or_role": "Foster  carer",
            "held_on-day": "12",
            "held_on-month": "11",
            "held_on-year": "2026",
            "means": "interpreter",
            "said": "I feel listened to.",
            "tells_us": "The carer is part of the plan.",
        },
    )
    assert done.status_code == 303
    page = await c1.get(done.headers["location"])
    assert "The conversation is recorded." in page.text
    assert "12/11/2026: Foster carer (parent or carer)" in page.text
    assert "Through an interpreter" in page.text
    assert "I feel listened to." in page.text and "The carer is part of the plan." in page.text
    actions = [a.action for a in await AccessLog.filter(object_id=str(child_id)).order_by("id")]
    assert actions == ["view-conversations", "record-conversation", "view-conversations"]
    journey = await c1.get(f"/inspections/{inspection.id}/children/{child_id}")
    assert f'href="{url}">Conversations with the child, family and practitioner</a>' in journey.text
    assert "Recorded: child seen alone" in journey.text
    assert RECORD_HINT in journey.text


async def test_an_audit_cites_a_conversation_and_the_export_shows_it(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=2)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    mother = await record_conversation(inspection.id, members[0].child_id, MOTHER, a1)
    other = await record_conversation(inspection.id, members[1].child_id, MOTHER, a1)
    audit = await create_audit(inspection.id, members[0].id, a1)
    try:
        await save_audit(
            inspection.id, audit.id, a1, Role.INSPECTOR, 1, {"voices:impact": [str(other.id)]}
        )
        raise AssertionError("another child's conversation was cited")
    except AuditError as exc:
        assert str(exc) == "Evidence can only cite conversations about this child."
    # a number no conversation's id can be is refused before it reaches the database
    for written in ("2147483648", "12ab"):
        try:
            await save_audit(
                inspection.id, audit.id, a1, Role.INSPECTOR, 1, {"voices:impact": [written]}
            )
            raise AssertionError(f"{written} was taken for a conversation")
        except AuditError as exc:
            assert str(exc) == f"'{written}' is not a conversation id."
    values = {
        **ALL_GOOD,
        "voices:impact": [str(mother.id)],
        "practitioner_reflection": "I had lost sight of him.",
        "learning_conversation": "We agreed to see him alone.",
    }
    await submit_audit(inspection.id, audit.id, a1, Role.INSPECTOR, 1, values)
    c1 = await _client(db, "a1@x.test")
    page = await c1.get(f"/inspections/{inspection.id}/audits/{audit.id}")
    assert (
        "Conversations cited: " in page.text
        and "12/11/2026: Mother (parent or carer)</a>" in page.text
    )
    assert ">I had lost sight of him.</textarea>" in page.text
    assert ">We agreed to see him alone.</textarea>" in page.text
    ctx = await load_context(inspection.id, COMMAND_LINE)
    scores = {r["domain"]: r for r in (await scores_table(ctx)).dicts()}
    assert scores["impact"]["cited_conversations"] == "12/11/2026: Mother (parent or carer)"
    assert scores["assessment"]["cited_conversations"] == ""
    (wide,) = (await audits_table(ctx)).dicts()
    assert wide["practitioner_reflection"] == "I had lost sight of him."
    assert wide["learning_conversation"] == "We agreed to see him alone."
    rows = (await conversations_table(ctx)).dicts()
    assert [
        (r["child"], r["who"], r["how"], r["said"], r["tells_us"], r["cited_in"]) for r in rows
    ] == [
        (
            "C000",
            "Mother (parent or carer)",
            "In person",
            "He sleeps now.",
            "Calmer.",
            f"audit {audit.id}: Impact: what difference the help made and whether it lasted",
        ),
        ("C001", "Mother (parent or carer)", "In person", "He sleeps now.", "Calmer.", ""),
    ]


async def test_a_second_marker_does_not_read_the_first_markers_reading(db):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=1)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "inspector")
    lead = await make_user(inspection, "lead@x.test", "lead_inspector")
    qa = await make_user(inspection, "qa@x.test", "qa_viewer")
    child_id = members[0].child_id
    await record_conversation(inspection.id, child_id, MOTHER, a1)
    await set_plan(inspection.id, sample.id, 1.0, False, lead)
    first = await create_audit(inspection.id, members[0].id, a1)
    await submit_audit(inspection.id, first.id, a1, Role.INSPECTOR, 1, ALL_GOOD)
    second = await create_audit(inspection.id, members[0].id, a2, marking="second")

    async def reading(viewer):
        (shown,) = await conversations_seen(inspection.id, viewer, [child_id])
        assert shown.said == "He sleeps now."  # what was said is evidence, seen by everyone
        return shown.reading

    assert await reading(Viewer(a1, Role.INSPECTOR)) == "Calmer."
    assert await reading(Viewer(lead, Role.LEAD_INSPECTOR)) == "Calmer."
    assert await reading(Viewer(a2, Role.INSPECTOR)) == HIDDEN_READING
    assert await reading(Viewer(qa, Role.QA_VIEWER)) == HIDDEN_READING
    assert await reading(COMMAND_LINE) == HIDDEN_READING
    c2 = await _client(db, "a2@x.test")
    page = await c2.get(f"/inspections/{inspection.id}/children/{child_id}/conversations")
    assert "He sleeps now." in page.text and "Calmer." not in page.text
    assert HIDDEN_READING in page.text
    await submit_audit(inspection.id, second.id, a2, Role.INSPECTOR, 1, ALL_GOOD)
    assert await reading(Viewer(a2, Role.INSPECTOR)) == "Calmer."
    assert await reading(COMMAND_LINE) == "Calmer."


async def test_the_offline_pack_carries_the_conversations_to_read(db):
    inspection = await make_inspection()
    sample, members = await make_sample(inspection, n=2)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    await record_conversation(
        inspection.id,
        members[1].child_id,
        Heard("child", "", date(2026, 11, 3), "advocate", "=I want to stay.", "Wants stability."),
        a1,
    )
    pack = await build_offline_pack(inspection.id, sample.id, a1)
    ws = load_workbook(io.BytesIO(pack.data))["Conversations"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Child", "Date", "Who", "How", "What they said", "What it tells us", "Recorded by"],
        [
            "C001",
            datetime(2026, 11, 3),
            "The child",
            "Through an advocate",
            "=I want to stay.",
            "Wants stability.",
            "a1",
        ],
    ]
    assert ws["E2"].data_type == "s" and ws["E2"].quotePrefix  # text, never a formula


# The conversations page: the session, the membership, the child, the conversations with their
# recorders' names, the visibility rule's reads (the recorders' markings of the child, the
# inspection's markings and which children are chosen for second marking) and the access log,
# however many conversations there are and whoever recorded them.
CONVERSATIONS_PAGE_QUERIES = 9


async def test_the_conversations_page_costs_the_same_however_many_are_recorded(db):
    from tests.query_count import count_queries

    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=1)
    a1 = await make_user(inspection, "a1@x.test", "inspector")
    a2 = await make_user(inspection, "a2@x.test", "inspector")
    child_id = members[0].child_id
    await create_audit(inspection.id, members[0].id, a1)
    await record_conversation(inspection.id, child_id, MOTHER, a1)
    c2 = await _client(db, "a2@x.test")
    url = f"/inspections/{inspection.id}/children/{child_id}/conversations"
    counts = []
    for recorder in (a1, a2, a1, a2):
        with count_queries() as queries:
            page = await c2.get(url)
        assert page.status_code == 200
        counts.append(queries.count)
        await record_conversation(inspection.id, child_id, MOTHER, recorder)
    assert page.text.count('class="govuk-summary-card"') == 4
    assert counts == [CONVERSATIONS_PAGE_QUERIES] * 4, (counts, queries.statements)
