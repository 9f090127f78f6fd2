"""The tracked cases in the browser: pick a child by name or local authority ID with a reason
and a line of enquiry, see them listed and tagged wherever they appear, audit them with the same
instrument, stop tracking one; and who may do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from inspection.models import AccessLog, Child, SampleMember
from inspection.sampling.status import MemberStatus
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.web.conftest import app_client, sign_in  # noqa: F401

REASON = "Three contacts in a year, each closed with no further action."
LINE = "The response to repeat referrals"
TAG = '<strong class="govuk-tag govuk-tag--purple">Tracked case</strong>'


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


async def _world():
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=4)
    inspector = await make_user(inspection, "inspector@x.test", "inspector")
    await make_user(inspection, "qa@x.test", "qa_viewer")
    for i, (given, family) in enumerate(
        [("Amelia", "Brown"), ("Amelia", "Stone"), ("Ben", "Hall")]
    ):
        await Child.create(
            inspection=inspection, la_child_id=f"T{i}", given_name=given, family_name=family
        )
    return inspection, members, inspector


async def test_an_inspector_tracks_a_child_and_audits_them_with_the_same_instrument(
    app_client,  # noqa: F811
):
    inspection, members, inspector = await _world()
    assert (await sign_in(app_client, "inspector@x.test")).status_code == 303
    url = f"/inspections/{inspection.id}/tracked"
    page = await app_client.get(url)
    assert page.status_code == 200
    assert "No child is tracked yet." in page.text
    assert f'<a class="govuk-service-navigation__link" href="{url}"' in page.text

    # no reason: the form says so beside the field and keeps what was typed
    refused = await app_client.post(
        url, data={"child": "T2", "reason": " ", "line_of_enquiry": LINE}
    )
    assert refused.status_code == 400
    assert '<a href="#reason">Enter why you chose this child to track.</a>' in refused.text
    assert f">{LINE}</textarea>" in refused.text
    # nobody by that name
    refused = await app_client.post(url, data={"child": "Zebedee", "reason": REASON})
    assert refused.status_code == 400
    assert (
        "No child in this inspection has the name or local authority ID ‘Zebedee’." in refused.text
    )
    # a name two children share: choose one of them
    several = await app_client.post(
        url, data={"child": "Amelia", "reason": REASON, "line_of_enquiry": LINE}
    )
    assert several.status_code == 400
    assert '<a href="#child_id">2 children match: choose one.</a>' in several.text
    labels = re.findall(
        r'<label class="govuk-label govuk-radios__label"[^>]*>([^<]+)</label>', several.text
    )
    assert labels == [
        "Amelia Brown, local authority ID T0",
        "Amelia Stone, local authority ID T1",
    ]
    stone = await Child.get(inspection=inspection, la_child_id="T1")
    assert await SampleMember.filter(status=MemberStatus.TRACKED).count() == 0

    done = await app_client.post(
        url,
        data={
            "child_id": str(stone.id),
            "child": "Amelia",
            "reason": REASON,
            "line_of_enquiry": LINE,
        },
    )
    assert done.status_code == 303
    page = await app_client.get(done.headers["location"])
    assert "Amelia Stone is now a tracked case." in page.text
    row = _text(
        re.search(r'<tr class="govuk-table__row" id="tracked-1">.*?</tr>', page.text, re.S).group(0)
    )
    today = datetime.now(UTC).strftime("%d/%m/%Y")
    assert row == (
        f"Amelia Stone Tracked case Local authority ID T1 · Age: Not known · No plan open · "
        f"Team: Not recorded {REASON} {LINE} inspector, {today} Start the audit of Amelia Stone "
        "Stop tracking Amelia Stone"
    )
    # a child of the random sample cannot also be tracked
    sampled = await app_client.post(url, data={"child": "C000", "reason": REASON})
    assert sampled.status_code == 400
    assert "Child0 Test is in the random sample" in sampled.text

    # tagged on the children list, the journey page and the audits board
    children = await app_client.get(f"/inspections/{inspection.id}/children")
    stone_row = re.search(
        r"<tr[^>]*>\s*<td[^>]*><a[^>]*>Amelia Stone</a>.*?</tr>", children.text, re.S
    )
    assert TAG in stone_row.group(0)
    journey = await app_client.get(f"/inspections/{inspection.id}/children/{stone.id}")
    assert f'<h1 class="govuk-heading-xl">Amelia Stone {TAG}</h1>' in journey.text
    assert f"Why this child: {REASON}" in journey.text
    board = await app_client.get(f"/inspections/{inspection.id}/audits")
    assert f"Amelia Stone {TAG}" in board.text
    assert board.text.count(TAG) == 1

    # the audit, with the same instrument, from the tracked cases page
    member = await SampleMember.get(child_id=stone.id, status=MemberStatus.TRACKED)
    started = await app_client.post(
        f"/inspections/{inspection.id}/audits", data={"member": str(member.id), "marking": "first"}
    )
    assert started.status_code == 303
    audit = await app_client.get(started.headers["location"])
    assert f"First marking of Amelia Stone {TAG}</h1>" in audit.text
    assert f"Line of enquiry: {LINE}" in audit.text
    assert 'name="grade:impact"' in audit.text
    page = await app_client.get(url)
    assert (
        'First marking<span class="govuk-visually-hidden"> of Amelia Stone</span></a> · '
        "inspector · Draft" in page.text
    )
    assert "Stop tracking" not in page.text
    # once audited, the child stays tracked
    refused = await app_client.post(f"{url}/{member.id}/untrack", data={"reason": "Not needed"})
    assert refused.status_code == 400
    assert "Amelia Stone’s audit as a tracked case has started, so they stay a tracked case." in (
        refused.text
    )
    actions = await AccessLog.filter(inspection_id=inspection.id).values_list("action", "object_id")
    assert ("track-case", str(stone.id)) in actions
    assert ("view-tracked-cases", str(stone.id)) in actions


async def test_stopping_tracking_asks_why_and_readers_only_read(app_client):  # noqa: F811
    inspection, _, _ = await _world()
    assert (await sign_in(app_client, "inspector@x.test")).status_code == 303
    url = f"/inspections/{inspection.id}/tracked"
    done = await app_client.post(url, data={"child": "T2", "reason": REASON})
    assert done.status_code == 303
    member = await SampleMember.get(status=MemberStatus.TRACKED)
    confirm = await app_client.get(f"{url}/{member.id}/untrack")
    assert confirm.status_code == 200
    assert '<h1 class="govuk-heading-xl">Stop tracking Ben Hall</h1>' in confirm.text
    refused = await app_client.post(f"{url}/{member.id}/untrack", data={"reason": ""})
    assert refused.status_code == 400
    assert '<a href="#reason">Enter why Ben Hall is no longer tracked.</a>' in refused.text
    stopped = await app_client.post(
        f"{url}/{member.id}/untrack", data={"reason": "The family moved away."}
    )
    assert stopped.status_code == 303
    page = await app_client.get(url)
    assert "No child is tracked yet." in page.text
    ended = _text(page.text[page.text.index("No longer tracked</h2>") :])
    assert "Ben Hall " + REASON in ended and "The family moved away. (inspector," in ended
    assert (await SampleMember.get(id=member.id)).status == MemberStatus.UNTRACKED

    await app_client.post("/logout")
    assert (await sign_in(app_client, "qa@x.test")).status_code == 303
    page = await app_client.get(url)
    assert page.status_code == 200
    assert "Track a child</h2>" not in page.text
    refused = await app_client.post(url, data={"child": "T0", "reason": REASON})
    assert refused.status_code == 404
    assert await SampleMember.filter(status=MemberStatus.TRACKED).count() == 0
