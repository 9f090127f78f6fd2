"""Purging an inspection's child data: offered only when allowed, confirmed by typing the title
and a reason, recorded in the access log, every file removed, and what was removed said."""

from __future__ import annotations

import dataclasses
import html
import io
import re
from datetime import date
from pathlib import Path

import httpx2
import pytest
import pytest_asyncio

from inspection.models import (
    AccessLog,
    AuditRevision,
    Child,
    Concern,
    Event,
    Inspection,
    Moderation,
    SourceRecord,
    Upload,
)
from inspection.models.core import Role
from inspection.web.app import create_app
from tests.web.conftest import make_inspection, make_user, member, sign_in

TITLE = "Test inspection"


@pytest.fixture
def settings(db, tmp_path):
    """The test database with a data directory of the test's own (files are counted)."""
    return dataclasses.replace(db, data_dir=tmp_path)


@pytest_asyncio.fixture
async def app_client(settings):
    app = create_app(settings, manage_database=False)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


DUE = "02/11/2027"  # 365 days after the reference date, 02/11/2026


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def _admin_on(app_client, inspection: Inspection) -> None:
    admin = await make_user("admin@example.org", "admin")
    await member(inspection, admin)
    await sign_in(app_client, "admin@example.org")


async def _child_data(inspection: Inspection, data_dir: Path) -> list[Path]:
    """Two children with a record and an event each, and the files an inspection can hold:
    a stored upload, a superseded upload's file, a stored copy no upload row names (left by a
    crash between copying and committing) and a raw upload left in incoming/ by a crash."""
    folder = data_dir / "uploads" / str(inspection.id)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, status in (("a" * 64 + ".xlsx", "loaded"), ("b" * 64 + ".xlsx", "superseded")):
        path = folder / name
        path.write_bytes(b"child data")
        files.append(path)
        await Upload.create(
            inspection=inspection,
            source_kind="annex-a",
            filename="annex_a.xlsx",
            sha256=name[:64],
            stored_path=str(path),
            status=status,
        )
    orphan = folder / ("c" * 64 + ".csv")
    orphan.write_bytes(b"child data")
    left = data_dir / "incoming" / str(inspection.id) / "left-by-a-crash.csv"
    left.parent.mkdir(parents=True, exist_ok=True)
    left.write_bytes(b"child data")
    upload = await Upload.filter(inspection_id=inspection.id).first()
    for la_id in ("C1", "C2"):
        child = await Child.create(inspection=inspection, la_child_id=la_id)
        record = await SourceRecord.create(
            inspection=inspection, upload=upload, agency="social_care", child=child
        )
        await Event.create(
            inspection=inspection,
            child=child,
            record=record,
            upload=upload,
            agency="social_care",
            kind="contact",
            start=date(2026, 5, 1),
        )
    return [*files, orphan, left]


async def test_purge_is_not_offered_before_the_retention_period(app_client, settings):
    inspection = await make_inspection(TITLE)
    await Child.create(inspection=inspection, la_child_id="C1")
    await _admin_on(app_client, inspection)
    overview = await app_client.get(f"/inspections/{inspection.id}")
    assert "Purge child data" not in overview.text
    assert f"This inspection's child-level data may be purged from {DUE}" in _text(overview.text)
    page = await app_client.get(f"/inspections/{inspection.id}/purge")
    assert page.status_code == 200
    assert (
        f"The child data of this inspection may be purged from {DUE}, 365 days after its "
        "reference date." in _text(page.text)
    )
    assert "<form" not in page.text.split("</header>", 1)[1].replace('action="/logout"', "")
    refused = await app_client.post(
        f"/inspections/{inspection.id}/purge", data={"title": TITLE, "reason": "Retention ended"}
    )
    assert refused.status_code == 409
    assert "<html" in refused.text  # a page, not a bare message
    assert f"may be purged from {DUE}" in _text(refused.text)
    assert await Child.filter(inspection_id=inspection.id).count() == 1
    assert not await AccessLog.filter(action="purge").exists()


async def test_purge_asks_for_the_title_and_a_reason_and_keeps_what_was_typed(app_client, settings):
    inspection = await make_inspection(TITLE)
    await Inspection.filter(id=inspection.id).update(reference_date=date(2020, 1, 1))
    await _child_data(inspection, settings.data_dir)
    await _admin_on(app_client, inspection)
    overview = await app_client.get(f"/inspections/{inspection.id}")
    assert f'href="/inspections/{inspection.id}/purge"' in overview.text
    assert "The retention period ended on 31/12/2020" in _text(overview.text)
    page = await app_client.get(f"/inspections/{inspection.id}/purge")
    removes = re.search(r'<ul[^>]*id="purge-removes">(.*?)</ul>', page.text, re.S).group(1)
    assert [html.unescape(li) for li in re.findall(r"<li>([^<]+)</li>", removes)] == [
        "2 children",
        "2 agency records",
        "2 events",
        "0 link decisions",
        "4 files of uploaded evidence",
        "0 concerns' text",
        "the text of every audit's evidence, strengths, improvements and moderation reasons",
    ]
    empty = await app_client.post(f"/inspections/{inspection.id}/purge", data={})
    assert empty.status_code == 400
    summary = re.search(
        r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', empty.text, re.S
    ).group(1)
    assert [
        (href, html.unescape(text))
        for href, text in re.findall(r'<a href="(#[^"]+)">([^<]+)</a>', summary)
    ] == [
        ("#purge-title", "Enter the inspection's title to confirm the purge."),
        ("#purge-reason", "Enter the reason for purging the child data."),
    ]
    wrong = await app_client.post(
        f"/inspections/{inspection.id}/purge",
        data={"title": "Another inspection", "reason": "End of the retention period"},
    )
    assert wrong.status_code == 400
    assert "The title you entered is not this inspection&#39;s title." in wrong.text
    assert 'value="Another inspection"' in wrong.text
    assert ">End of the retention period</textarea>" in wrong.text
    too_long = await app_client.post(
        f"/inspections/{inspection.id}/purge", data={"title": TITLE, "reason": "x" * 201}
    )
    assert "The reason must be 200 characters or fewer." in too_long.text
    assert await Child.filter(inspection_id=inspection.id).count() == 2
    assert not await AccessLog.filter(action="purge").exists()

    done = await app_client.post(
        f"/inspections/{inspection.id}/purge",
        data={"title": "  test   INSPECTION ", "reason": "End of the retention period"},
    )
    assert done.status_code == 200
    banner = re.search(r'<ul[^>]*id="purged-removed">(.*?)</ul>', done.text, re.S).group(1)
    assert [html.unescape(li) for li in re.findall(r"<li>([^<]+)</li>", banner)] == [
        "2 children removed",
        "2 agency records removed",
        "2 events removed",
        "0 link decisions removed",
        "4 files of uploaded evidence removed",
        "0 concerns' text removed",
    ]
    assert "The child data of this inspection was purged." in done.text
    entry = await AccessLog.get(action="purge")
    assert entry.detail == (
        "Removed 2 children, 2 agency records, 2 events, 0 link decisions, "
        "4 files of uploaded evidence and 0 concerns' text. Reason: End of the retention "
        "period Title typed: test   INSPECTION"
    )
    assert (entry.inspection_id, entry.object_type, entry.user_email) == (
        inspection.id,
        "inspection",
        "admin@example.org",
    )
    assert await Child.filter(inspection_id=inspection.id).count() == 0
    again = await app_client.get(f"/inspections/{inspection.id}")
    assert "Child-level data was purged on" in again.text
    assert "Purge child data" not in again.text
    twice = await app_client.post(
        f"/inspections/{inspection.id}/purge", data={"title": TITLE, "reason": "again"}
    )
    assert twice.status_code == 409
    assert "The child data of this inspection was purged on" in _text(twice.text)


async def test_purge_removes_every_file_of_the_inspection_and_no_other(app_client, settings):
    inspection = await make_inspection(TITLE)
    await Inspection.filter(id=inspection.id).update(reference_date=date(2020, 1, 1))
    files = await _child_data(inspection, settings.data_dir)
    other = await make_inspection("Other", "O02")
    kept = await _child_data(other, settings.data_dir)
    await _admin_on(app_client, inspection)
    response = await app_client.post(
        f"/inspections/{inspection.id}/purge", data={"title": TITLE, "reason": "Retention"}
    )
    assert response.status_code == 200
    assert [p.exists() for p in files] == [False, False, False, False]
    assert not (settings.data_dir / "uploads" / str(inspection.id)).exists()
    assert not (settings.data_dir / "incoming" / str(inspection.id)).exists()
    assert [p.exists() for p in kept] == [True, True, True, True]
    assert set(
        await Upload.filter(inspection_id=inspection.id).values_list("stored_path", flat=True)
    ) == {""}


async def test_purge_is_refused_while_an_upload_is_being_imported(app_client, settings):
    from inspection.evidence import incoming

    inspection = await make_inspection(TITLE)
    await Inspection.filter(id=inspection.id).update(reference_date=date(2020, 1, 1))
    await _admin_on(app_client, inspection)
    held = incoming.receive(settings.data_dir, inspection.id, io.BytesIO(b"a,b\n"), ".csv")
    try:
        refused = await app_client.post(
            f"/inspections/{inspection.id}/purge", data={"title": TITLE, "reason": "Retention"}
        )
        assert refused.status_code == 409
        assert (
            "An upload is being imported into this inspection. Purge once it has finished."
            in refused.text
        )
        assert (await Inspection.get(id=inspection.id)).purged_at is None
    finally:
        held.release()
    done = await app_client.post(
        f"/inspections/{inspection.id}/purge", data={"title": TITLE, "reason": "Retention"}
    )
    assert done.status_code == 200


async def test_purge_clears_revisions_moderation_reasons_concern_actions_and_the_judgement(
    app_client, settings
):
    from tests.security.world import build_world

    world = await build_world()
    own = world.own.inspection_id
    await Inspection.filter(id=own).update(reference_date=date(2020, 1, 1))
    inspection = await Inspection.get(id=own)
    for case in (world.own, world.other):
        await AuditRevision.create(
            inspection_id=case.inspection_id,
            audit_id=case.audit_id,
            version=99,
            values={"evidence": {"overall": "Jayden told his teacher about the bruises"}},
        )
        await Concern.filter(id=case.concern_id).update(
            actions=[{"at": "2026-11-20T10:00:00", "by": "I", "action": "raised", "text": "x"}]
        )
    for case in (world.own, world.other):
        await Inspection.filter(id=case.inspection_id).update(
            judgement="Jayden's plan did not keep him safe."
        )
    assert await Moderation.filter(inspection_id=own).exclude(reason="").exists()
    response = await app_client.post(
        f"/inspections/{own}/purge",
        data={"title": inspection.title, "reason": "Retention"},
        headers=world.headers(Role.ADMIN),
    )
    assert response.status_code == 200
    assert not await AuditRevision.filter(inspection_id=own).exists()
    assert set(await Moderation.filter(inspection_id=own).values_list("reason", flat=True)) == {""}
    for concern in await Concern.filter(inspection_id=own):
        assert (concern.text, concern.response) == ("(purged)", "(purged)")
        assert concern.actions and all("text" not in a for a in concern.actions)
        assert all(set(a) >= {"action"} for a in concern.actions)
    assert (await Inspection.get(id=own)).judgement == "(purged)"
    other = world.other.inspection_id
    assert await AuditRevision.filter(inspection_id=other).exists()
    assert (await Inspection.get(id=other)).judgement == "Jayden's plan did not keep him safe."


async def test_purge_refuses_a_wrong_title_whoever_calls_it(settings):
    from inspection.retention import RetentionError, purge_inspection

    inspection = await make_inspection(TITLE)
    await Inspection.filter(id=inspection.id).update(reference_date=date(2020, 1, 1))
    admin = await make_user("admin@example.org", "admin")
    try:
        await purge_inspection(
            inspection.id, admin, 365, settings.data_dir, typed_title="Other", reason="Retention"
        )
    except RetentionError as exc:
        assert str(exc) == "The title you entered is not this inspection's title."
    else:
        raise AssertionError("purged with the wrong title")
    assert (await Inspection.get(id=inspection.id)).purged_at is None


async def test_purge_deletes_the_conversations_and_the_practitioner_reflections(
    app_client, settings
):
    from inspection.audit.conversations import Heard, record_conversation
    from inspection.models import Audit, Conversation, User
    from tests.security.world import build_world

    world = await build_world()
    own = world.own.inspection_id
    await Inspection.filter(id=own).update(reference_date=date(2020, 1, 1))
    inspection = await Inspection.get(id=own)
    recorder = await User.filter(role=Role.ADMIN).first()
    heard = Heard("child", "", date(2026, 11, 3), "in_person", "Jayden: I hide.", "Scared.")
    for case in (world.own, world.other):
        await record_conversation(case.inspection_id, case.child_id, heard, recorder)
        await Audit.filter(id=case.audit_id).update(
            practitioner_reflection="I missed Jayden's fear.", learning_conversation="See him."
        )
    response = await app_client.post(
        f"/inspections/{own}/purge",
        data={"title": inspection.title, "reason": "Retention"},
        headers=world.headers(Role.ADMIN),
    )
    assert response.status_code == 200
    assert not await Conversation.filter(inspection_id=own).exists()
    assert set(
        await Audit.filter(inspection_id=own).values_list(
            "practitioner_reflection", "learning_conversation"
        )
    ) == {("", "")}
    other = world.other.inspection_id
    assert await Conversation.filter(inspection_id=other).count() == 1
    assert (await Audit.get(id=world.other.audit_id)).practitioner_reflection == (
        "I missed Jayden's fear."
    )
