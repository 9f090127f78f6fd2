"""The learning loop's records: actions, the notices of an Inadequate audit's follow-up, and
re-audits with their reason (``inspection.learning``)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from inspection.learning.status import ActionOrigin, ActionStatus


class Action(Model):
    """Something that must be done after an audit or the findings: what, who owns it (a member
    of the inspection, or a named person or role), by when, and the evidence that it was done."""

    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="actions", on_delete=fields.CASCADE
    )
    audit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Audit", related_name="actions", null=True, on_delete=fields.SET_NULL
    )
    domain = fields.CharField(max_length=60, default="")
    origin = fields.CharEnumField(ActionOrigin, max_length=20)
    what = fields.TextField()
    owner: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="actions_owned", null=True, on_delete=fields.SET_NULL
    )
    owner_name = fields.CharField(max_length=200, default="")
    due = fields.DateField()
    status = fields.CharEnumField(ActionStatus, max_length=10, default=ActionStatus.OPEN)
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="actions_created", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    evidence = fields.TextField(default="")
    done_on = fields.DateField(null=True)
    closed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="actions_closed", null=True, on_delete=fields.SET_NULL
    )
    closed_at = fields.DatetimeField(null=True)
    drop_reason = fields.TextField(default="")

    inspection_id: int
    audit_id: int | None
    owner_id: int | None
    created_by_id: int | None
    closed_by_id: int | None

    class Meta:
        table = "learning_action"
        indexes = (("inspection_id", "status"),)


class FollowUpNotice(Model):
    """One person told that an audit was graded Inadequate, with what must happen by when (the
    service sends no e-mail: the notice is shown to them on their pages)."""

    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="follow_up_notices", on_delete=fields.CASCADE
    )
    audit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Audit", related_name="follow_up_notices", null=True, on_delete=fields.SET_NULL
    )
    action: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Action", related_name="notices", null=True, on_delete=fields.SET_NULL
    )
    recipient: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="follow_up_notices", null=True, on_delete=fields.SET_NULL
    )
    told_as = fields.CharField(max_length=100)
    at = fields.DatetimeField(auto_now_add=True)

    inspection_id: int
    audit_id: int | None
    action_id: int | None
    recipient_id: int | None

    class Meta:
        table = "follow_up_notice"


class Reaudit(Model):
    """A child of this round to be audited again, and why: the recorded reason that overrides
    the re-audit exclusion (a child audited in this round, or in another round of the authority
    within the exclusion window)."""

    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="reaudits", on_delete=fields.CASCADE
    )
    child: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Child", related_name="reaudits", on_delete=fields.CASCADE
    )
    earlier_audit: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Audit", related_name="reaudits", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField()
    decided_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="reaudits", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(auto_now_add=True)

    inspection_id: int
    child_id: int
    earlier_audit_id: int | None
    decided_by_id: int | None

    class Meta:
        table = "reaudit"
        unique_together = (("inspection", "child"),)
