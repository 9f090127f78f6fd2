"""Who was heard in a conversation during an inspection or audit, and how.

A module of its own because the models import it (``models.Conversation``), as they import the
audit statuses.
"""

from __future__ import annotations

from enum import StrEnum


class Speaker(StrEnum):
    """Whose voice a conversation records: the child, a parent or carer (named by their
    relationship to the child), or a practitioner (named by their role)."""

    CHILD = "child"
    FAMILY = "family"
    PRACTITIONER = "practitioner"

    @property
    def label(self) -> str:
        return SPEAKER_LABELS[self]


SPEAKER_LABELS = {
    Speaker.CHILD: "The child",
    Speaker.FAMILY: "A parent or carer",
    Speaker.PRACTITIONER: "The practitioner",
}


class Means(StrEnum):
    """How the conversation was held. ``OBSERVED`` is for a child too young to talk: what the
    inspector saw of them stands for what they said."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"
    ADVOCATE = "advocate"
    INTERPRETER = "interpreter"
    OBSERVED = "observed"

    @property
    def label(self) -> str:
        return MEANS_LABELS[self]


MEANS_LABELS = {
    Means.IN_PERSON: "In person",
    Means.PHONE: "By phone",
    Means.VIDEO: "By video call",
    Means.ADVOCATE: "Through an advocate",
    Means.INTERPRETER: "Through an interpreter",
    Means.OBSERVED: "Observed (a child too young to talk)",
}
