"""The tracked cases in the browser: pick a child by name or local authority ID with a reason
and a line of enquiry, see them listed and tagged wherever they appear, audit them with the same
instrument, stop tracking one; and who may do what."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from openpyxl import load_workbook

from inspection.audit.rubric import default_rubric
from inspection.export.workbook import build_workbook
from inspection.models import AccessLog, Audit, Child, SampleMember, Score
from inspection.sampling import tracking
from inspection.sampling.status import MemberStatus
from tests.audit.helpers import make_inspection, make_sample, make_user
from tests.audit.test_findings_page import tables
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


async def test_the_findings_page_and_the_workbook_show_tracked_cases_apart(
    app_client,  # noqa: F811
):
    inspection, members, inspector = await _world()
    rubric = await default_rubric()
    ben = await Child.get(inspection=inspection, la_child_id="T2")
    tracked = await tracking.track(inspection, ben, REASON, LINE, inspector)
    for member, grade in ((members[0], "good"), (members[1], "inadequate"), (tracked, "good")):
        audit = await Audit.create(
            inspection=inspection,
            member=member,
            child_id=member.child_id,
            auditor=inspector,
            rubric=rubric,
            status="submitted",
            overall=grade,
            submitted_at=datetime(2026, 11, 4, tzinfo=UTC),
        )
        for d in rubric.definition["domains"]:
            await Score.create(
                inspection_id=inspection.id, audit=audit, domain=d["key"], grade=grade
            )
    assert (await sign_in(app_client, "inspector@x.test")).status_code == 303
    page = (await app_client.get(f"/inspections/{inspection.id}/findings")).text
    assert _text(
        re.search(r'<p class="govuk-body" id="findings-base">.*?</p>', page, re.S).group(0)
    ) == (
        "2 submitted first markings that you may see. These are of the 2 sampled children, and "
        "every figure comes from them; 1 more, of the 1 tracked case chosen on purpose, is shown "
        "beside them and left out of every estimate. A grade agreed at moderation replaces the "
        "first marker’s grade; “Not applicable” is left out of every share. Each number links to "
        "the audits it came from."
    )
    shares = tables(page)["Share of graded audits judged good or better"]
    impact = next(r for r in shares if r[0][0].startswith("Impact"))
    texts = [t for t, _ in impact]
    assert texts[1] == "1 of 2"
    assert texts[-2:] == ["1 of 1", "2 sampled, 1 tracked"]
    # the trend has no tracked cases in it: no tracked column
    trend = tables(page)["Overall grade good or better, round by round"]
    assert [t for t, _ in trend[0]][-1] == "2 sampled"

    export = await build_workbook(inspection.id, inspector, pseudonymise=False)
    book = load_workbook(io.BytesIO(export.data))
    sample = [tuple(r) for r in book["Sample"].iter_rows(values_only=True)]
    header = sample[0]
    tracked_rows = [r for r in sample[1:] if r[header.index("Tracked case")] == "Tracked case"]
    assert [
        (
            r[header.index("Child")],
            r[header.index("Weight")],
            r[header.index("Reason")],
            r[header.index("Line of enquiry")],
            r[header.index("Method")],
        )
        for r in tracked_rows
    ] == [("T2", 0, REASON, LINE, "purposive")]
    summary = [tuple(r) for r in book["Summary"].iter_rows(values_only=True)]
    columns = summary[0]
    row = next(r for r in summary if r[1] and str(r[1]).startswith("Impact"))
    assert (
        row[columns.index("Graded")],
        row[columns.index("Sampled children graded")],
        row[columns.index("Tracked cases graded (in no estimate)")],
        row[columns.index("Tracked cases good or better")],
    ) == (2, 2, 1, 1)
