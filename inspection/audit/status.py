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
    """Which audit of a child it is: the inspectors' first and (blind) second markings, the
    authority's own audit of the child, or one agency's part of a multi-agency audit
    (``inspection.audit.multi_agency``)."""

    FIRST = "first"
    SECOND = "second"
    AUTHORITY = "authority"
    PART = "part"
    # The child audited again in the same round after the actions, with the recorded reason
    # that overrides the rule of one first marking per child (``inspection.learning.reaudit``).
    REAUDIT = "reaudit"

    @property
    def label(self) -> str:
        return {
            "first": "First marking",
            "second": "Second marking",
            "authority": "The authority’s audit",
            "part": "An agency’s part",
            "reaudit": "Re-audit",
        }[self.value]


# The inspectors' own markings of a child (what the findings and moderation are made of).
INSPECTORS_MARKINGS = frozenset({Marking.FIRST, Marking.SECOND})


def other_marking(marking: str) -> Marking:
    """The marking the other inspector of the same child makes (a re-audit's counterpart is
    the first marking it follows)."""
    return Marking.SECOND if marking == Marking.FIRST else Marking.FIRST


def independent(one: str, other: str) -> bool:
    """Are two audits of the same child made blind to each other? The inspectors' two
    markings are; each of them and the authority's audit (or any agency's part of it) are; two
    agencies' parts are. The authority's audit that a joint discussion concludes is not blind
    to the parts it concludes from."""
    pair = {Marking(one), Marking(other)}
    if pair <= INSPECTORS_MARKINGS:
        return len(pair) == 2
    if pair & INSPECTORS_MARKINGS:
        return True
    return pair == {Marking.PART}


class ConcernStatus(StrEnum):
    """A concern about a child's safety: raised (open), answered by the lead or the authority's
    contact (responded), then closed by a lead once the response is recorded."""

    OPEN = "open"
    RESPONDED = "responded"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"open": "Open", "responded": "Responded to", "closed": "Closed"}[self.value]
