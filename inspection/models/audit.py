"""Rubrics, audits, scores, moderation and concerns about children at risk."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from inspection.audit.status import AuditStatus, ConcernStatus, Marking
from inspection.audit.voice_kinds import Means, Speaker


class Rubric(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=60)
    version = fields.CharField(max_length=20)
    title = fields.CharField(max_length=200, default="")
    definition: Any = fields.JSONField()
    sha256 = fields.CharField(max_length=64, default="")

    class Meta:
        table = "rubric"
        unique_together = (("code", "version"),)


class Audit(Model):
    id = fields.IntField(primary_key=True)
    inspection_id: int
    member_id: int | None
    child_id: int | None
    auditor_id: int | None
    rubric_id: int
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="audits", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.SampleMember", related_name="audits", null=True, on_delete=fields.SET_NULL
    )
    child: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Child", related_name="audits", null=True, on_delete=fields.SET_NULL
    )
    auditor: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="audits", null=True, on_delete=fields.SET_NULL
    )
    rubric: fields.ForeignKeyRelation[Rubric] = fields.ForeignKeyField(
        "models.Rubric", related_name="audits", on_delete=fields.RESTRICT
    )
    marking = fields.CharEnumField(Marking, max_length=10, default=Marking.FIRST)
    # The agency whose part of a multi-agency audit this is (``audit.agency.Agency``); empty
    # for every other marking.
    agency = fields.CharField(max_length=20, default="")
    status = fields.CharEnumField(AuditStatus, max_length=20, default=AuditStatus.DRAFT)
    proposed_overall = fields.CharField(max_length=40, default="")
    overall = fields.CharField(max_length=40, default="")
    overall_reason = fields.TextField(default="")
    strengths = fields.TextField(default="")
    improvements = fields.TextField(default="")
    themes: Any = fields.JSONField(default=list)
    # An audit done with the practitioner: what they reflected and what was learnt together.
    practitioner_reflection = fields.TextField(default="")
    learning_conversation = fields.TextField(default="")
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    submitted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "audit"
        unique_together = (("member", "marking", "agency"),)


class Score(Model):
    id = fields.IntField(primary_key=True)
    audit_id: int
    inspection_id = fields.IntField(db_index=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="scores", on_delete=fields.CASCADE
    )
    domain = fields.CharField(max_length=60)
    grade = fields.CharField(max_length=40, default="")
    evidence = fields.TextField(default="")
    cited_events: Any = fields.JSONField(default=list)
    cited_conversations: Any = fields.JSONField(default=list)

    class Meta:
        table = "score"
        unique_together = (("audit", "domain"),)


class Moderation(Model):
    id = fields.IntField(primary_key=True)
    first_audit_id: int
    second_audit_id: int
    moderator_id: int | None
    inspection_id = fields.IntField(db_index=True)
    first_audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="moderations_first", on_delete=fields.CASCADE
    )
    second_audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="moderations_second", on_delete=fields.CASCADE
    )
    domain = fields.CharField(max_length=60)
    agreed_grade = fields.CharField(max_length=40)
    reason = fields.TextField(default="")
    moderator: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="moderations", null=True, on_delete=fields.SET_NULL
    )
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "moderation"
        unique_together = (("first_audit", "second_audit", "domain"),)


class Concern(Model):
    id = fields.IntField(primary_key=True)
    inspection_id: int
    child_id: int | None
    audit_id: int | None
    raised_by_id: int | None
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="concerns", on_delete=fields.CASCADE
    )
    child: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Child", related_name="concerns", null=True, on_delete=fields.SET_NULL
    )
    audit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Audit", related_name="concerns", null=True, on_delete=fields.SET_NULL
    )
    raised_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="concerns", null=True, on_delete=fields.SET_NULL
    )
    raised_at = fields.DatetimeField(auto_now_add=True)
    text = fields.TextField()
    status = fields.CharEnumField(ConcernStatus, max_length=20, default=ConcernStatus.OPEN)
    response = fields.TextField(default="")
    responded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="concern_responses", null=True, on_delete=fields.SET_NULL
    )
    responded_at = fields.DatetimeField(null=True)
    actions: Any = fields.JSONField(default=list)

    class Meta:
        table = "concern"


class AuditRevision(Model):
    """Every saved state of an audit, so a refused save can say field by field what changed."""

    id = fields.BigIntField(primary_key=True)
    inspection_id = fields.IntField(db_index=True)
    audit: fields.ForeignKeyRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="revisions", on_delete=fields.CASCADE
    )
    version = fields.IntField()
    values: Any = fields.JSONField()
    saved_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="audit_revisions", null=True, on_delete=fields.SET_NULL
    )
    saved_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "audit_revision"
        unique_together = (("audit", "version"),)


class ModerationPlan(Model):
    """How a sample is second-marked: a seeded share plus, optionally, every Inadequate."""

    id = fields.IntField(primary_key=True)
    sample_id: int
    inspection_id = fields.IntField(db_index=True)
    sample: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Sample", related_name="moderation_plans", on_delete=fields.CASCADE
    )
    share = fields.FloatField(default=0.2)
    include_inadequate = fields.BooleanField(default=True)
    set_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="moderation_plans", null=True, on_delete=fields.SET_NULL
    )
    set_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "moderation_plan"
        unique_together = (("sample",),)


class Conversation(Model):
    """What the child, a parent or carer, or the practitioner said to an inspector or auditor
    (``inspection.audit.conversations``): evidence that audits cite beside journey events."""

    id = fields.IntField(primary_key=True)
    inspection_id: int
    child_id: int
    recorded_by_id: int | None
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="conversations", on_delete=fields.CASCADE
    )
    child: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Child", related_name="conversations", on_delete=fields.CASCADE
    )
    speaker = fields.CharEnumField(Speaker, max_length=20)
    relationship_or_role = fields.CharField(max_length=200, default="")
    held_on = fields.DateField()
    means = fields.CharEnumField(Means, max_length=20)
    said = fields.TextField()
    tells_us = fields.TextField()
    recorded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="conversations", null=True, on_delete=fields.SET_NULL
    )
    recorded_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "conversation"
        indexes = (("inspection_id", "child_id"),)


class JointAudit(Model):
    """A multi-agency audit of one sample member: each agency's auditor completes their part
    (an ``Audit`` with marking ``part`` and its agency), then a joint discussion records what
    they concluded together, as the authority's audit of the child (``audit``, submitted when
    the discussion is recorded; ``inspection.audit.multi_agency``)."""

    id = fields.IntField(primary_key=True)
    inspection_id: int
    member_id: int
    audit_id: int | None
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="joint_audits", on_delete=fields.CASCADE
    )
    member: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.SampleMember", related_name="joint_audits", on_delete=fields.CASCADE
    )
    rubric: fields.ForeignKeyRelation[Rubric] = fields.ForeignKeyField(
        "models.Rubric", related_name="joint_audits", on_delete=fields.RESTRICT
    )
    agencies: Any = fields.JSONField(default=list)
    set_up_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="joint_audits_set_up", null=True, on_delete=fields.SET_NULL
    )
    set_up_at = fields.DatetimeField(auto_now_add=True)
    audit: fields.ForeignKeyNullableRelation[Audit] = fields.ForeignKeyField(
        "models.Audit", related_name="joint_audits", null=True, on_delete=fields.SET_NULL
    )
    discussed_on = fields.DateField(null=True)
    participants: Any = fields.JSONField(default=list)
    others_present = fields.TextField(default="")
    disagreements = fields.TextField(default="")

    class Meta:
        table = "joint_audit"
        unique_together = (("member",),)
