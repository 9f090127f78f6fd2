"""Samples of cases, drawn with a recorded seed and locked once issued."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from inspection.sampling.status import MemberStatus


class Sample(Model):
    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="samples", on_delete=fields.CASCADE
    )
    purpose = fields.CharField(max_length=300, default="")
    method = fields.CharField(max_length=40)
    seed = fields.CharField(max_length=128)
    population_definition: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # The sampling frame: [key, stratum] pairs in canonical key order (see sampling/draw.py).
    population_ids: fields.JSONField[list[Any]] = fields.JSONField(default=list)
    population_hash = fields.CharField(max_length=64)
    population_size = fields.IntField()
    params: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    result_hash = fields.CharField(max_length=64, default="")
    drawn_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="samples", null=True, on_delete=fields.SET_NULL
    )
    drawn_at = fields.DatetimeField(auto_now_add=True)
    locked = fields.BooleanField(default=True)

    # Foreign-key columns, declared for type checkers (Tortoise sets them).
    inspection_id: int
    drawn_by_id: int | None

    class Meta:
        table = "sample"


class SampleMember(Model):
    id = fields.IntField(primary_key=True)
    inspection_id = fields.IntField(db_index=True)
    sample: fields.ForeignKeyRelation[Sample] = fields.ForeignKeyField(
        "models.Sample", related_name="members", on_delete=fields.CASCADE
    )
    child: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Child", related_name="sample_memberships", null=True, on_delete=fields.SET_NULL
    )
    population_key = fields.CharField(max_length=100)
    stratum = fields.CharField(max_length=200, default="")
    inclusion_probability = fields.FloatField()
    weight = fields.FloatField()
    order = fields.IntField()  # position in the drawn order within the stratum
    status = fields.CharEnumField(MemberStatus, max_length=20)
    replaced_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.SampleMember", related_name="replaces", null=True, on_delete=fields.SET_NULL
    )
    reason = fields.TextField(default="")
    changed_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="sample_changes", null=True, on_delete=fields.SET_NULL
    )
    changed_at = fields.DatetimeField(null=True)
    # A tracked case (status ``tracked``): ``reason`` says why the inspector chose the child,
    # ``changed_by`` and ``changed_at`` who chose them and when; this, what it tests.
    line_of_enquiry = fields.TextField(default="")
    # A tracked case no longer tracked (status ``untracked``): who ended it, when and why.
    untracked_reason = fields.TextField(default="")
    untracked_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="untracked_members", null=True, on_delete=fields.SET_NULL
    )
    untracked_at = fields.DatetimeField(null=True)

    # Foreign-key columns, declared for type checkers (Tortoise sets them).
    sample_id: int
    child_id: int | None
    replaced_by_id: int | None
    changed_by_id: int | None
    untracked_by_id: int | None

    class Meta:
        table = "sample_member"
