"""Durable jobs: imports and linkage runs as rows any process can read and any worker can claim
(``inspection.jobs``)."""

from orjson import loads
from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.fields.data import JSON_DUMPS
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from inspection.models.jobs import JobKind, JobStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0011_no_identifier_table")]

    initial = False

    operations = [
        ops.CreateModel(
            name="Job",
            fields=[
                (
                    "id",
                    fields.IntField(generated=True, primary_key=True, unique=True, db_index=True),
                ),
                ("token", fields.CharField(unique=True, max_length=24)),
                (
                    "inspection",
                    fields.ForeignKeyField(
                        "models.Inspection",
                        source_field="inspection_id",
                        db_constraint=True,
                        to_field="id",
                        related_name="jobs",
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "kind",
                    fields.CharEnumField(
                        description="IMPORT: import\nLINKAGE: linkage",
                        enum_type=JobKind,
                        max_length=20,
                    ),
                ),
                (
                    "status",
                    fields.CharEnumField(
                        default=JobStatus.QUEUED,
                        description="QUEUED: queued\nRUNNING: running\nDONE: done\nFAILED: failed",
                        enum_type=JobStatus,
                        max_length=10,
                    ),
                ),
                ("stage", fields.CharField(default="Waiting to start", max_length=100)),
                ("fraction", fields.FloatField(default=0.0)),
                (
                    "started_by",
                    fields.ForeignKeyField(
                        "models.User",
                        source_field="started_by_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="jobs",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("created_at", fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ("started_at", fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                (
                    "finished_at",
                    fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
                ),
                ("worker", fields.CharField(default="", max_length=200)),
                ("lease_until", fields.FloatField(null=True)),
                ("filename", fields.CharField(default="", max_length=300)),
                ("work", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("raw_path", fields.CharField(default="", max_length=500)),
                (
                    "upload",
                    fields.ForeignKeyField(
                        "models.Upload",
                        source_field="upload_id",
                        null=True,
                        db_constraint=True,
                        to_field="id",
                        related_name="jobs",
                        on_delete=OnDelete.SET_NULL,
                    ),
                ),
                ("outcome", fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)),
                ("message", fields.TextField(default="", unique=False)),
            ],
            options={
                "table": "job",
                "app": "models",
                "indexes": [
                    Index(fields=["status", "id"]),
                    Index(fields=["inspection_id", "kind"]),
                ],
                "pk_attr": "id",
            },
            bases=["Model"],
        ),
    ]
