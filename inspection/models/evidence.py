"""Uploads of evidence and the problems found in them."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from inspection.evidence.upload_status import UploadStatus


class Upload(Model):
    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="uploads", on_delete=fields.CASCADE
    )
    source_kind = fields.CharField(max_length=20)  # annex-a | cin-census | ssda903 | agency
    agency = fields.CharField(max_length=60, default="")
    filename = fields.CharField(max_length=300)
    sha256 = fields.CharField(max_length=64, db_index=True)
    size_bytes = fields.BigIntField(default=0)
    stored_path = fields.CharField(max_length=500, default="")
    uploaded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="uploads", null=True, on_delete=fields.SET_NULL
    )
    uploaded_at = fields.DatetimeField(auto_now_add=True)
    status = fields.CharEnumField(UploadStatus, max_length=20, default=UploadStatus.LOADED)
    superseded_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Upload", related_name="supersedes", null=True, on_delete=fields.SET_NULL
    )
    summary: Any = fields.JSONField(default=dict)

    class Meta:
        table = "upload"


class ValidationIssue(Model):
    id = fields.BigIntField(primary_key=True)
    inspection_id = fields.IntField(db_index=True)
    upload: fields.ForeignKeyRelation[Upload] = fields.ForeignKeyField(
        "models.Upload", related_name="issues", on_delete=fields.CASCADE
    )
    sheet = fields.CharField(max_length=100, default="")
    list_name = fields.CharField(max_length=40, default="")
    source_row = fields.IntField(null=True)
    column = fields.CharField(max_length=200, default="")
    cell = fields.CharField(max_length=16, default="")
    value = fields.TextField(default="")
    rule = fields.CharField(max_length=60)
    severity = fields.CharField(max_length=10)  # error | warning | info
    message = fields.TextField()
    row_rejected = fields.BooleanField(default=False)
    # How many places the issue stands for: a problem repeated more than
    # evidence.staged.GROUP_ABOVE times in one column (or along one row) is stored once.
    count = fields.IntField(default=1)

    class Meta:
        table = "validation_issue"
