"""Children, the records each source holds about them, and what happened to them.

``SourceRecord`` is one person as one source recorded them (identifiers exactly as given).
Linkage attaches records to a ``Child``; every ``Event`` hangs off its source record and, once
linked, its child.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from inspection.journey.decision_kinds import DecisionKind


class JSONTextField(fields.JSONField):
    """JSON kept as the text it was written in: PostgreSQL ``json``, not ``jsonb``.

    For attributes that are written once and always read whole, never searched inside by the
    database: ``jsonb`` would parse and rebuild every value as it is stored (a fifth of the
    cost of loading events) and turn it back into text each time it is read."""

    class _db_postgres:
        SQL_TYPE = "JSON"


class Child(Model):
    inspection_id: int
    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="children", on_delete=fields.CASCADE
    )
    la_child_id = fields.CharField(max_length=64, null=True)
    given_name = fields.CharField(max_length=100, default="")
    family_name = fields.CharField(max_length=100, default="")
    dob = fields.DateField(null=True)
    death_date = fields.DateField(null=True)  # from the CIN census's PersonDeathDate
    sex = fields.CharField(max_length=1, default="")  # M F U or blank
    ethnicity = fields.CharField(max_length=10, default="")
    disability = fields.CharField(max_length=1, default="")  # Y N or blank
    postcode = fields.CharField(max_length=10, default="")
    team = fields.CharField(max_length=100, default="")
    worker = fields.CharField(max_length=100, default="")
    attributes: Any = fields.JSONField(default=dict)

    class Meta:
        table = "child"
        unique_together = (("inspection", "la_child_id"),)


# One person's identifiers as a source gave them: what linkage compares and the journey shows.
IDENTITY_FIELDS = (
    "agency",
    "person_id",
    "la_child_id",
    "nhs_number",
    "upn",
    "given_name",
    "family_name",
    "dob",
    "sex",
    "postcode",
)


class SourceRecord(Model):
    inspection_id: int
    upload_id: int
    child_id: int | None
    id = fields.IntField(primary_key=True)
    # The database checks every key (migration 0009). Deletes are explicit, dependants first
    # (superseding an upload and retention delete events, then records, then children), so a
    # delete that would leave a key pointing at nothing fails rather than cascading.
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection",
        related_name="source_records",
        on_delete=fields.NO_ACTION,
    )
    upload: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Upload", related_name="records", on_delete=fields.NO_ACTION
    )
    agency = fields.CharField(max_length=60)
    person_id = fields.CharField(max_length=100, default="")
    la_child_id = fields.CharField(max_length=64, default="")
    nhs_number = fields.CharField(max_length=20, default="")
    upn = fields.CharField(max_length=20, default="")
    given_name = fields.CharField(max_length=100, default="")
    family_name = fields.CharField(max_length=100, default="")
    dob = fields.DateField(null=True)
    sex = fields.CharField(max_length=1, default="")
    postcode = fields.CharField(max_length=10, default="")
    address = fields.CharField(max_length=200, default="")
    # Whatever deletes a child (linkage dropping an empty agency-only child, a merge,
    # retention) unlinks or deletes its records first.
    child: fields.ForeignKeyNullableRelation[Child] = fields.ForeignKeyField(
        "models.Child",
        related_name="records",
        null=True,
        on_delete=fields.NO_ACTION,
    )
    link_method = fields.CharField(max_length=40, default="")
    link_probability = fields.FloatField(null=True)
    link_evidence: Any = fields.JSONField(default=dict)

    class Meta:
        table = "source_record"
        # No index on (inspection_id, agency, person_id): no query looks records up that way
        # (the loader joins a file's records to its own staging table by upload).
        indexes = (("inspection_id", "child_id"),)


class Event(Model):
    """One thing that happened to a child, as one source recorded it."""

    inspection_id: int
    child_id: int | None
    record_id: int | None
    upload_id: int
    id = fields.BigIntField(primary_key=True)
    # The database checks all four keys (migration 0009); every delete is explicit, events
    # first (linkage moves or unlinks events before it deletes a child).
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="events", on_delete=fields.NO_ACTION
    )
    child: fields.ForeignKeyNullableRelation[Child] = fields.ForeignKeyField(
        "models.Child",
        related_name="events",
        null=True,
        on_delete=fields.NO_ACTION,
    )
    record: fields.ForeignKeyNullableRelation[SourceRecord] = fields.ForeignKeyField(
        "models.SourceRecord",
        related_name="events",
        null=True,
        on_delete=fields.NO_ACTION,
    )
    upload: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Upload", related_name="events", on_delete=fields.NO_ACTION
    )
    agency = fields.CharField(max_length=60)
    kind = fields.CharField(max_length=60)
    start = fields.DateField()
    end = fields.DateField(null=True)
    source_sheet = fields.CharField(max_length=100, default="")
    source_row = fields.IntField(null=True)
    attributes: Any = JSONTextField(default=dict)
    team = fields.CharField(max_length=100, default="")
    worker = fields.CharField(max_length=100, default="")

    class Meta:
        table = "event"
        # (inspection_id, child_id): every journey reads a child's events. (record_id): the
        # journey counts each linked record's events, and the database checks that no event
        # still points at a record it deletes (a superseded file's records, a purge); without
        # it both read every event of the database (migration 0017). An index on kind served
        # only the sampling cohorts, which read a large share of the events anyway, and
        # maintaining it was a third of the cost of loading events.
        indexes = (("inspection_id", "child_id"), ("record_id",))


class LinkDecision(Model):
    """A person's decision about a link: accept, reject, split or merge. Later runs respect it."""

    inspection_id: int
    left_record_id: int | None
    right_record_id: int | None
    child_id: int | None
    decided_by_id: int | None
    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="link_decisions", on_delete=fields.CASCADE
    )
    left_record: fields.ForeignKeyNullableRelation[SourceRecord] = fields.ForeignKeyField(
        "models.SourceRecord", related_name="decisions_left", null=True, on_delete=fields.CASCADE
    )
    right_record: fields.ForeignKeyNullableRelation[SourceRecord] = fields.ForeignKeyField(
        "models.SourceRecord", related_name="decisions_right", null=True, on_delete=fields.CASCADE
    )
    child: fields.ForeignKeyNullableRelation[Child] = fields.ForeignKeyField(
        "models.Child", related_name="link_decisions", null=True, on_delete=fields.SET_NULL
    )
    decision = fields.CharEnumField(DecisionKind, max_length=20)
    probability = fields.FloatField(null=True)
    evidence: Any = fields.JSONField(default=dict)
    decided_by: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.User", related_name="link_decisions", null=True, on_delete=fields.SET_NULL
    )
    decided_at = fields.DatetimeField(null=True)
    reason = fields.TextField(default="")

    class Meta:
        table = "link_decision"
