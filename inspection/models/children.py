"""Children, the records each source holds about them, and what happened to them.

``SourceRecord`` is one person as one source recorded them (identifiers exactly as given).
Linkage attaches records to a ``Child``; every ``Event`` hangs off its source record and, once
linked, its child.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from inspection.evidence.identifiers import Scheme
from inspection.journey.decision_kinds import DecisionKind


class JSONTextField(fields.JSONField):
    """JSON kept as the text it was written in: PostgreSQL ``json``, not ``jsonb``.

    For attributes that are written once and always read whole, never searched inside by the
    database: ``jsonb`` would parse and rebuild every value as it is stored (a fifth of the
    cost of loading events) and turn it back into text each time it is read."""

    class _db_postgres:
        SQL_TYPE = "JSON"


def lowered(column: str, dialect: str, table: str = "") -> str:
    """The SQL of ``column`` in lower case as the identity indexes hold it: only ASCII letters
    are lowered, and values compare byte by byte (SQLite's ``lower`` and its binary
    collation; PostgreSQL's ``lower`` under the "C" collation), so that a range of values
    sharing a prefix is one range of the index on both databases."""
    name = f'{table}."{column}"' if table else f'"{column}"'
    return f'lower({name} COLLATE "C")' if dialect == "postgres" else f"lower({name})"


class IdentityIndex(Index):
    """An index on ``(inspection_id, lowered(column))``: a pseudonymised export looks up, by
    the words of the text it exports, the names and identifiers that text holds
    (``inspection.export.identities``), without reading every person of the inspection."""

    def __init__(self, *, fields: tuple[str, ...] | list[str], name: str) -> None:
        super().__init__(fields=fields, name=name)

    def get_sql(self, schema_generator: Any, model: Any, safe: bool) -> str:
        return identity_index_sql(
            str(schema_generator.DIALECT), model._meta.db_table, self.fields[1], str(self.name)
        )


def identity_index_sql(dialect: str, table: str, column: str, name: str) -> str:
    return (
        f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
        f'("inspection_id", {lowered(column, dialect)});'
    )


def identity_indexes(table: str, columns: tuple[str, ...]) -> tuple[IdentityIndex, ...]:
    return tuple(
        IdentityIndex(fields=("inspection_id", c), name=f"idx_{table}_lower_{c}") for c in columns
    )


# The columns a pseudonymised export hides from free text (``inspection.export.identities``).
CHILD_IDENTITY_COLUMNS = ("la_child_id", "given_name", "family_name")
RECORD_IDENTITY_COLUMNS = (
    "la_child_id",
    "nhs_number",
    "upn",
    "person_id",
    "given_name",
    "family_name",
)
IDENTIFIER_IDENTITY_COLUMNS = ("value",)


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
        # The dates of birth and the names and identifiers a pseudonymised export looks up.
        indexes = (
            Index(fields=("inspection_id", "dob")),
            *identity_indexes("child", CHILD_IDENTITY_COLUMNS),
        )


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
        # The identity indexes: the names and identifiers a pseudonymised export looks up.
        indexes = (
            ("inspection_id", "child_id"),
            *identity_indexes("source_record", RECORD_IDENTITY_COLUMNS),
        )


class PersonIdentifier(Model):
    """One identifier a source gave for a person: the one place a person's identifiers are kept.

    Written with the record it belongs to, in the load's transaction (``evidence.load``), and
    deleted with it (superseding, retention); it follows its record to whichever child linkage
    attaches it to. ``valid`` is the verdict of the scheme's check (None where no check is
    known); ``valid_from`` and ``valid_to`` are the dates the source says it held, where it
    says. Read through ``journey.person_ids`` only."""

    inspection_id: int
    upload_id: int
    record_id: int
    id = fields.IntField(primary_key=True)
    inspection: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Inspection", related_name="person_identifiers", on_delete=fields.NO_ACTION
    )
    upload: fields.ForeignKeyRelation = fields.ForeignKeyField(
        "models.Upload", related_name="person_identifiers", on_delete=fields.NO_ACTION
    )
    record: fields.ForeignKeyRelation[SourceRecord] = fields.ForeignKeyField(
        "models.SourceRecord", related_name="identifiers", on_delete=fields.NO_ACTION
    )
    scheme = fields.CharEnumField(Scheme, max_length=20)
    value = fields.CharField(max_length=100)
    valid: bool | None = fields.BooleanField(null=True)  # type: ignore[assignment]
    valid_from = fields.DateField(null=True)
    valid_to = fields.DateField(null=True)

    class Meta:
        table = "person_identifier"
        # (record_id): a child's identifiers are read through its records, and the database
        # checks that none still points at a record it deletes. The identity index: the
        # identifiers a pseudonymised export looks up (``export.identities``).
        indexes = (
            ("record_id",),
            *identity_indexes("person_identifier", IDENTIFIER_IDENTITY_COLUMNS),
        )


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
