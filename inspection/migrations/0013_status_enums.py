"""Audit status and marking, sample member status and link decisions are enums whose values are
the strings already stored: the columns keep their type and length, so only the migration state
changes and no row is rewritten."""

from tortoise import fields, migrations

from inspection.audit.status import AuditStatus, Marking
from inspection.journey.decision_kinds import DecisionKind
from inspection.migrations._state import AlterFieldState
from inspection.sampling.status import MemberStatus


class Migration(migrations.Migration):
    dependencies = [("models", "0006_issue_counts"), ("models", "0012_jobs")]

    initial = False

    operations = [
        AlterFieldState(
            model_name="Audit",
            name="marking",
            field=fields.CharEnumField(
                default=Marking.FIRST,
                description="FIRST: first\nSECOND: second",
                enum_type=Marking,
                max_length=10,
            ),
        ),
        AlterFieldState(
            model_name="Audit",
            name="status",
            field=fields.CharEnumField(
                default=AuditStatus.DRAFT,
                description="DRAFT: draft\nSUBMITTED: submitted",
                enum_type=AuditStatus,
                max_length=20,
            ),
        ),
        AlterFieldState(
            model_name="LinkDecision",
            name="decision",
            field=fields.CharEnumField(
                description="PENDING: pending\nACCEPT: accept\nREJECT: reject\nSPLIT: split\n"
                "MERGE: merge",
                enum_type=DecisionKind,
                max_length=20,
            ),
        ),
        AlterFieldState(
            model_name="SampleMember",
            name="status",
            field=fields.CharEnumField(
                description="SELECTED: selected\nRESERVE: reserve\nREPLACED: replaced\n"
                "REPLACEMENT: replacement",
                enum_type=MemberStatus,
                max_length=20,
            ),
        ),
    ]
