"""Authorities, people, inspections, sessions and the access log."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

# The longest e-mail address stored (RFC 5321's limit for a path).
EMAIL_MAX_LENGTH = 254


class Role(StrEnum):
    ADMIN = "admin"
    LEAD_INSPECTOR = "lead_inspector"
    INSPECTOR = "inspector"
    LA_AUDITOR = "la_auditor"
    QA_VIEWER = "qa_viewer"

    @property
    def label(self) -> str:
        """The role in words, as pages show it."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "Administrator",
    Role.LEAD_INSPECTOR: "Lead inspector",
    Role.INSPECTOR: "Inspector",
    Role.LA_AUDITOR: "Local authority auditor",
    Role.QA_VIEWER: "Quality assurance viewer",
}

# Who may do what in an inspection: read it, do audit work in it, lead it.
READERS = frozenset(Role)
EDITORS = frozenset({Role.ADMIN, Role.LEAD_INSPECTOR, Role.INSPECTOR, Role.LA_AUDITOR})
LEADS = frozenset({Role.ADMIN, Role.LEAD_INSPECTOR})


class InspectionKind(StrEnum):
    ILACS_STANDARD = "ilacs-standard"
    ILACS_SHORT = "ilacs-short"
    FOCUSED_VISIT = "focused-visit"
    JTAI = "jtai"
    SELF_AUDIT = "self-audit"
    THEMATIC_AUDIT = "thematic-audit"
    MONTHLY_AUDIT = "monthly-audit"
    PRACTICE_WEEK = "practice-week"

    @property
    def label(self) -> str:
        return INSPECTION_KIND_LABELS[self]


INSPECTION_KIND_LABELS = {
    InspectionKind.ILACS_STANDARD: "ILACS standard inspection",
    InspectionKind.ILACS_SHORT: "ILACS short inspection",
    InspectionKind.FOCUSED_VISIT: "Focused visit",
    InspectionKind.JTAI: "Joint targeted area inspection",
    InspectionKind.SELF_AUDIT: "Self-audit",
    InspectionKind.THEMATIC_AUDIT: "Thematic audit",
    InspectionKind.MONTHLY_AUDIT: "Monthly audit",
    InspectionKind.PRACTICE_WEEK: "Practice week",
}
# The kinds of round an audit programme holds (``audit.programmes``).
PROGRAMME_ROUND_KINDS = (
    InspectionKind.THEMATIC_AUDIT,
    InspectionKind.MONTHLY_AUDIT,
    InspectionKind.PRACTICE_WEEK,
)


class LocalAuthority(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    name = fields.CharField(max_length=200)

    class Meta:
        table = "local_authority"


class User(Model):
    id = fields.IntField(primary_key=True)
    email = fields.CharField(max_length=EMAIL_MAX_LENGTH, unique=True)
    name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharEnumField(Role, max_length=20)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Invitation(Model):
    """A one-time link by which a person sets their own password (a new account, or a reset).

    Only the sha256 of the link's random token is kept: the link is shown once, to the admin who
    made it, to pass on. It works until ``expires_at``, once; a newer link for the same person
    ends the older ones (``inspection.invitations``).
    """

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invitations_made", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"


class Inspection(Model):
    id = fields.IntField(primary_key=True)
    la: fields.ForeignKeyRelation[LocalAuthority] = fields.ForeignKeyField(
        "models.LocalAuthority", related_name="inspections", on_delete=fields.RESTRICT
    )
    kind = fields.CharEnumField(InspectionKind, max_length=20)
    title = fields.CharField(max_length=300)
    reference_date = fields.DateField()
    status = fields.CharField(max_length=20, default="open")
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="created_inspections", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    purged_at = fields.DatetimeField(null=True)
    # The linkage review page shows reviewers the records only, not the model's probability.
    blind_link_review = fields.BooleanField(default=False)
    # The inspectors' summary judgement of the round, written by a lead: what the findings page
    # opens with and the workbook's Judgement sheet holds (``inspection.audit.findings``).
    judgement = fields.TextField(default="")
    judgement_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="judgements", null=True, on_delete=fields.SET_NULL
    )
    judgement_at = fields.DatetimeField(null=True)
    # The instrument the round's audits are made with (none: the default instrument); an audit
    # keeps the instrument it was started with whatever the round's later choice.
    rubric: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.Rubric", related_name="rounds", null=True, on_delete=fields.RESTRICT
    )
    # The audit programme the round belongs to, if any, and what the round looks at.
    programme: fields.ForeignKeyNullableRelation = fields.ForeignKeyField(
        "models.AuditProgramme", related_name="rounds", null=True, on_delete=fields.SET_NULL
    )
    theme = fields.CharField(max_length=300, default="")

    # An audit graded Inadequate starts a follow-up due this many days after its submission
    # (``inspection.learning.follow_up``); a lead changes it on the actions page.
    follow_up_days = fields.IntField(default=28)

    # Foreign-key columns, declared for type checkers (Tortoise sets them).
    rubric_id: int | None
    programme_id: int | None

    class Meta:
        table = "inspection"


class Membership(Model):
    """Access is per inspection: a user sees an inspection only through a membership."""

    id = fields.IntField(primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    inspection: fields.ForeignKeyRelation[Inspection] = fields.ForeignKeyField(
        "models.Inspection", related_name="memberships", on_delete=fields.CASCADE
    )
    role = fields.CharEnumField(Role, max_length=20)
    is_la_contact = fields.BooleanField(default=False)
    # The agency this member audits for in a multi-agency audit (``audit.agency.Agency``), or
    # empty.
    agency = fields.CharField(max_length=20, default="")

    class Meta:
        table = "membership"
        unique_together = (("user", "inspection"),)


class Session(Model):
    """A server-side session. The cookie holds only the random id."""

    id = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "session"


class SignInThrottle(Model):
    """Sign-in attempts counted in the current window, for one account or one address.

    ``subject`` is the sha256 of the kind and the e-mail or address tried, so every input fits
    and the table keeps no e-mail address in clear (the access log says who tried what).
    ``window_started`` is in milliseconds since the epoch. Written only by ``inspection.throttle``
    with single atomic statements.
    """

    subject = fields.CharField(max_length=64, primary_key=True)
    window_started = fields.BigIntField()
    attempts = fields.IntField()

    class Meta:
        table = "sign_in_throttle"


class AccessLog(Model):
    """Append-only: every sign-in, every view and export of a child's record."""

    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    user: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="access_log", null=True, on_delete=fields.SET_NULL
    )
    user_email = fields.CharField(max_length=EMAIL_MAX_LENGTH, default="")
    inspection_id = fields.IntField(null=True, db_index=True)
    action = fields.CharField(max_length=60, db_index=True)
    object_type = fields.CharField(max_length=40, default="")
    object_id = fields.CharField(max_length=100, default="")
    detail = fields.CharField(max_length=500, default="")
    ip = fields.CharField(max_length=64, default="")

    class Meta:
        table = "access_log"
