"""The agencies that audit their own part of a child in a multi-agency audit: the four a joint
targeted area inspection brings together. Their values and names are the journey's agencies
(``journey.kinds.AGENCY_LABELS``), so a part is named as the agency's events are."""

from __future__ import annotations

from enum import StrEnum

from inspection.audit.status import Marking
from inspection.journey.kinds import AGENCY_LABELS


class Agency(StrEnum):
    SOCIAL_CARE = "social_care"
    POLICE = "police"
    HEALTH = "health"
    EDUCATION = "education"

    @property
    def label(self) -> str:
        return AGENCY_LABELS[self.value]


def agency_label(value: str) -> str:
    """An agency's name in words ("" for none)."""
    return Agency(value).label if value else ""


def marking_title(marking: str, agency: str = "") -> str:
    """What an audit of a child is, in words: "First marking", "The authority's audit",
    "Police part of the multi-agency audit"."""
    if marking == Marking.PART:
        return f"{Agency(agency).label} part of the multi-agency audit"
    return Marking(marking).label
