"""Audit programmes: an authority's series of audit rounds (themed and monthly audits, practice
weeks), each round an inspection with its theme, instrument and sample."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditProgramme(Model):
    id = fields.IntField(primary_key=True)
    la: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.LocalAuthority", related_name="programmes", on_delete=fields.RESTRICT
    )
    title = fields.CharField(max_length=300)
    purpose = fields.TextField(default="")
    created_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="programmes", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    # Foreign-key columns, declared for type checkers (Tortoise sets them).
    la_id: int
    created_by_id: int | None

    class Meta:
        table = "audit_programme"
