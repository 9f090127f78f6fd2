"""Where an action stands and where it came from (the models import these)."""

from __future__ import annotations

from enum import StrEnum


class ActionStatus(StrEnum):
    """An action is open until its owner (or a lead) records the evidence that it was done, or a
    lead drops it with the reason. Overdue is not a status: an open action past its due date."""

    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"

    @property
    def label(self) -> str:
        return {"open": "Open", "done": "Done", "dropped": "Dropped"}[self.value]


class ActionOrigin(StrEnum):
    AUDIT = "audit"
    FINDINGS = "findings"
    FOLLOW_UP = "follow-up"

    @property
    def label(self) -> str:
        return {
            "audit": "From an audit",
            "findings": "From the findings",
            "follow-up": "Follow-up of an audit graded Inadequate",
        }[self.value]
