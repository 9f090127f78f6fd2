"""Audits submitted with chosen grades, for the learning loop's tests."""

from __future__ import annotations

from typing import Any

from inspection.audit.audits import create_audit, submit_audit
from inspection.audit.status import Marking
from inspection.models import Audit, SampleMember, User
from inspection.models.core import Role
from tests.audit.helpers import ALL_GOOD

DOMAINS = [k.removeprefix("grade:") for k in ALL_GOOD if k.startswith("grade:")]


def graded(grade: str, **overrides: str) -> dict[str, Any]:
    """Every domain graded ``grade`` (with evidence where the grade needs it), then the
    ``overrides`` (domain key → grade)."""
    values: dict[str, Any] = {"strengths": "Warm direct work.", "improvements": "Plan review."}
    for d in DOMAINS:
        g = overrides.get(d, grade)
        values[f"grade:{d}"] = g
        if g in ("requires_improvement", "inadequate"):
            values[f"evidence:{d}"] = "No visit for eight weeks."
    return values


async def submitted(
    inspection_id: int,
    member: SampleMember,
    auditor: User,
    values: dict[str, Any],
    marking: str = Marking.FIRST,
    role: Role = Role.INSPECTOR,
) -> Audit:
    audit = await create_audit(inspection_id, member.id, auditor, marking)
    done, missing = await submit_audit(inspection_id, audit.id, auditor, role, 1, values)
    assert missing == []
    return done
