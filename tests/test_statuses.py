"""Statuses are enums whose values are the strings the database already holds: each value is
stored as exactly that string and read back as its member."""

from tortoise import connections

from inspection.audit.rubric import default_rubric
from inspection.audit.status import AuditStatus, ConcernStatus, Marking, other_marking
from inspection.evidence.upload_status import UploadStatus
from inspection.journey.decision_kinds import DecisionKind
from inspection.models import Audit, Concern, LinkDecision, SampleMember, SourceRecord, Upload
from inspection.sampling.status import AUDITED, IN_SAMPLE, MemberStatus, SampleMethod
from tests.audit.helpers import make_inspection, make_sample


def test_the_stored_strings_are_todays():
    assert [s.value for s in AuditStatus] == ["draft", "submitted"]
    assert [m.value for m in Marking] == ["first", "second", "authority", "part", "reaudit"]
    assert [m.label for m in Marking] == [
        "First marking",
        "Second marking",
        "The authority’s audit",
        "An agency’s part",
        "Re-audit",
    ]
    assert [s.value for s in MemberStatus] == [
        "selected",
        "reserve",
        "replaced",
        "replacement",
        "tracked",
        "untracked",
    ]
    assert [s.label for s in MemberStatus] == [
        "Selected",
        "Reserve",
        "Replaced",
        "Replacement",
        "Tracked case",
        "No longer tracked",
    ]
    assert AUDITED == ("selected", "replacement", "tracked")
    assert [m.value for m in SampleMethod] == [
        "simple-random",
        "stratified-proportional",
        "stratified-equal",
        "stratified-minimum",
        "stratified-quota",
        "purposive",
    ]
    assert SampleMethod.PURPOSIVE.label == "Tracked cases"
    assert [m.random for m in SampleMethod] == [True] * 5 + [False]
    assert [d.value for d in DecisionKind] == ["pending", "accept", "reject", "split", "merge"]
    assert IN_SAMPLE == ("selected", "replacement")
    assert [s.value for s in ConcernStatus] == ["open", "responded", "closed"]
    assert [s.value for s in UploadStatus] == ["loaded", "superseded"]
    assert [s.label for s in ConcernStatus] == ["Open", "Responded to", "Closed"]
    assert [s.label for s in UploadStatus] == ["Loaded", "Superseded"]
    assert [s.label for s in AuditStatus] == ["Draft", "Submitted"]
    assert (other_marking("first"), other_marking(Marking.SECOND)) == ("second", "first")
    assert other_marking(Marking.REAUDIT) == "first"


async def _stored(table: str, column: str, row_id: int) -> str:
    rows = await connections.get("default").execute_query_dict(
        f"SELECT {column} FROM {table} WHERE id = {int(row_id)}"  # noqa: S608 (fixed names)
    )
    return rows[0][column]


async def test_every_status_is_stored_as_its_string_and_read_back_as_its_member(db):
    inspection = await make_inspection()
    _, members = await make_sample(inspection, n=11)
    for member, status in zip(members[:6], MemberStatus, strict=True):
        member.status = status
        await member.save()
        assert await _stored("sample_member", "status", member.id) == status.value
        again = await SampleMember.get(id=member.id)
        assert again.status is status
    rubric = await default_rubric()
    for member, (marking, status) in zip(
        members[:10], [(m, s) for m in Marking for s in AuditStatus], strict=True
    ):
        audit = await Audit.create(
            inspection=inspection, member=member, rubric=rubric, marking=marking, status=status
        )
        assert await _stored("audit", "marking", audit.id) == marking.value
        assert await _stored("audit", "status", audit.id) == status.value
        again = await Audit.get(id=audit.id)
        assert (again.marking, again.status) == (marking, status)
        assert isinstance(again.marking, Marking) and isinstance(again.status, AuditStatus)
    default = await Audit.create(inspection=inspection, member=members[8], rubric=rubric)
    assert (await _stored("audit", "marking", default.id), default.status) == ("first", "draft")
    upload = await Upload.create(
        inspection=inspection, source_kind="police", filename="p.csv", sha256="1" * 64
    )
    left, right = [
        await SourceRecord.create(
            inspection=inspection, upload=upload, agency="police", person_id=key
        )
        for key in ("P1", "P2")
    ]
    for decision in DecisionKind:
        d = await LinkDecision.create(
            inspection=inspection, left_record=left, right_record=right, decision=decision
        )
        assert await _stored("link_decision", "decision", d.id) == decision.value
        assert (await LinkDecision.get(id=d.id)).decision is decision
        assert (await LinkDecision.get(id=d.id)).decision is decision
    assert (await _stored("upload", "status", upload.id), upload.status) == ("loaded", "loaded")
    upload.status = UploadStatus.SUPERSEDED
    await upload.save()
    assert await _stored("upload", "status", upload.id) == "superseded"
    assert (await Upload.get(id=upload.id)).status is UploadStatus.SUPERSEDED
    for status in ConcernStatus:
        concern = await Concern.create(
            inspection=inspection, child_id=members[0].child_id, text="A worry", status=status
        )
        assert await _stored("concern", "status", concern.id) == status.value
        assert (await Concern.get(id=concern.id)).status is status


def test_the_audit_page_names_statuses_by_their_labels():
    from inspection.web.templating import templates

    page = templates.env.from_string(
        "{{ a|audit_status_label }} · {{ c|concern_status_label }}"
    ).render(a="submitted", c="responded")
    assert page == "Submitted · Responded to"
