"""Durable jobs: long work (an import, a linkage run, a sample's verification, an export)
stored as a row that any process can read.

A web process only enqueues a job and reads its row; a worker claims it, keeps a lease on it
while it runs and writes its progress, outcome and the message shown to the user
(``inspection.jobs``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model


class JobKind(StrEnum):
    IMPORT = "import"
    LINKAGE = "linkage"
    SAMPLE_CHECK = "sample-verification"
    EXPORT = "export"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(Model):
    id = fields.IntField(primary_key=True)
    # The job's name in addresses (its progress page), unguessable.
    token = fields.CharField(max_length=24, unique=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="jobs", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(JobKind, max_length=20)
    status = fields.CharEnumField(JobStatus, max_length=10, default=JobStatus.QUEUED)
    stage = fields.CharField(max_length=100, default="Waiting to start")
    fraction = fields.FloatField(default=0.0)
    started_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="jobs", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    # The process holding the job, and until when (seconds since the epoch, UTC): a job still
    # running when its lease has passed belongs to a process that ended.
    worker = fields.CharField(max_length=200, default="")
    lease_until = fields.FloatField(null=True)
    filename = fields.CharField(max_length=300, default="")
    # What to do: for an import, the file's path, kind and agency; for an export, its format,
    # choices and where its file is kept.
    work: Any = fields.JSONField(default=dict)
    # A browser upload's raw file under incoming/, removed when the job ends, however it ends;
    # for an export, the file being written (removed if its worker ends before it is whole).
    raw_path = fields.CharField(max_length=500, default="")
    upload: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Upload", related_name="jobs", null=True, on_delete=fields.SET_NULL
    )
    outcome: Any = fields.JSONField(default=dict)
    message = fields.TextField(default="")

    class Meta:
        table = "job"
        indexes = (("status", "id"), ("inspection_id", "kind"))
