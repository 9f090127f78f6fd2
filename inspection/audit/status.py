"""Where an audit stands, and which marking of a child it is."""

from __future__ import annotations

from enum import StrEnum


class AuditStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Marking(StrEnum):
    FIRST = "first"
    SECOND = "second"


def other_marking(marking: str) -> Marking:
    """The marking the other auditor of the same child makes."""
    return Marking.SECOND if marking == Marking.FIRST else Marking.FIRST
