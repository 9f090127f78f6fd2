"""Where an audit stands, which marking of a child it is, and where a concern stands."""

from __future__ import annotations

from enum import StrEnum


class AuditStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Marking(StrEnum):
    FIRST = "first"
    SECOND = "second"
    # The child audited again in the same round after the actions, with the recorded reason
    # that overrides the rule of one first marking per child (``inspection.learning.reaudit``).
    REAUDIT = "reaudit"

    @property
    def label(self) -> str:
        return {"first": "First marking", "second": "Second marking", "reaudit": "Re-audit"}[
            self.value
        ]


def other_marking(marking: str) -> Marking:
    """The marking the other auditor of the same child makes (a re-audit's counterpart is the
    first marking it follows)."""
    return Marking.SECOND if marking == Marking.FIRST else Marking.FIRST


class ConcernStatus(StrEnum):
    """A concern about a child's safety: raised (open), answered by the lead or the authority's
    contact (responded), then closed by a lead once the response is recorded."""

    OPEN = "open"
    RESPONDED = "responded"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"open": "Open", "responded": "Responded to", "closed": "Closed"}[self.value]
