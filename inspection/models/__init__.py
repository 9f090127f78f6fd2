"""The data model. Every table holding child data carries ``inspection_id`` (the tenant key)."""

from inspection.models.audit import (
    Audit,
    AuditRevision,
    Concern,
    Conversation,
    JointAudit,
    Moderation,
    ModerationPlan,
    Rubric,
    Score,
)
from inspection.models.children import Child, Event, LinkDecision, PersonIdentifier, SourceRecord
from inspection.models.core import (
    AccessLog,
    Inspection,
    Invitation,
    LocalAuthority,
    Membership,
    Session,
    SignInThrottle,
    User,
)
from inspection.models.evidence import Upload, ValidationIssue
from inspection.models.jobs import Job, JobKind, JobStatus
from inspection.models.learning import Action, FollowUpNotice, Reaudit
from inspection.models.programmes import AuditProgramme
from inspection.models.sampling import Sample, SampleMember

__all__ = [
    "AccessLog",
    "Action",
    "Audit",
    "AuditProgramme",
    "AuditRevision",
    "Child",
    "Concern",
    "Conversation",
    "Event",
    "FollowUpNotice",
    "Inspection",
    "Invitation",
    "Job",
    "JointAudit",
    "JobKind",
    "JobStatus",
    "LinkDecision",
    "LocalAuthority",
    "Membership",
    "Moderation",
    "ModerationPlan",
    "PersonIdentifier",
    "Reaudit",
    "Rubric",
    "Sample",
    "SampleMember",
    "Score",
    "Session",
    "SignInThrottle",
    "SourceRecord",
    "Upload",
    "User",
    "ValidationIssue",
]
