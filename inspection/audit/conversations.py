"""Conversations with the child, a parent or carer and the practitioner: the voices as evidence.

Munro asked inspection to give weight to what children and families say (docs/audit.md). An
inspector or auditor records each conversation they hold: with whom (the child; a parent or
carer, named by their relationship to the child; the practitioner, named by their role), when,
how (``voice_kinds.Means``), what the person said in their own words, and what it tells us (the
recorder's reading). Audits cite conversations as evidence beside the journey's events
(``voices:<domain>`` in ``inspection.audit.audits``).

Who sees what is decided in ``inspection.audit.visibility`` (``hidden_readings``): who was heard,
when, how and what they said are seen by every member who may see the child; the reading is part
of its recorder's marking of the child, hidden wherever that marking is.

``problems`` is the one check of a conversation, for the form, the CSV import and the command
line alike.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime

from inspection.audit.visibility import Viewer, hidden_readings
from inspection.audit.voice_kinds import Means, Speaker
from inspection.models import Child, Conversation, User
from inspection.uk_time import in_uk

MAX_WHO = 200
MAX_TEXT = 10_000

# The fields of a conversation, in the order of the form (and of the error summary).
FIELDS = ("speaker", "relationship_or_role", "held_on", "means", "said", "tells_us")

HIDDEN_READING = (
    "Hidden: recorded by the other marker of this child, shown once both markings are submitted"
)


class ConversationRefused(ValueError):
    """A conversation not recorded, with what is wrong field by field (``FIELDS``)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Heard:
    """A conversation as typed, before it is checked (``speaker`` and ``means`` as stored
    values or blank; ``held_on`` None when no date was given)."""

    speaker: str
    relationship_or_role: str
    held_on: date | None
    means: str
    said: str
    tells_us: str


def today_in_uk() -> date:
    return in_uk(datetime.now(UTC)).date()


def problems(heard: Heard, today: date) -> dict[str, str]:
    """What is wrong with ``heard``, by field, in the order of the form (empty: nothing)."""
    errors: dict[str, str] = {}
    speaker = heard.speaker if heard.speaker in tuple(Speaker) else ""
    if not speaker:
        errors["speaker"] = "Choose who the conversation was with"
    who = heard.relationship_or_role.strip()
    if speaker == Speaker.FAMILY and not who:
        errors["relationship_or_role"] = (
            "Enter the parent or carer's relationship to the child, for example mother or "
            "foster carer"
        )
    elif speaker == Speaker.PRACTITIONER and not who:
        errors["relationship_or_role"] = (
            "Enter the practitioner's role, for example allocated social worker"
        )
    elif len(who) > MAX_WHO:
        errors["relationship_or_role"] = (
            f"The relationship or role is {len(who)} characters long: keep it to {MAX_WHO} or fewer"
        )
    if heard.held_on is None:
        errors["held_on"] = "Enter the date of the conversation"
    elif heard.held_on > today:
        errors["held_on"] = "The date of the conversation must be today or in the past"
    if heard.means not in tuple(Means):
        errors["means"] = "Choose how the conversation was held"
    elif heard.means == Means.OBSERVED and speaker and speaker != Speaker.CHILD:
        errors["means"] = (
            "Only a child too young to talk is observed: choose how the conversation was held"
        )
    for key, missing, what in (
        ("said", "Enter what they said, in their own words", "What they said"),
        ("tells_us", "Enter what this tells us about the child's experience", "What it tells us"),
    ):
        text = getattr(heard, key).strip()
        if not text:
            errors[key] = missing
        elif len(text) > MAX_TEXT:
            errors[key] = f"{what} is {len(text)} characters long: keep it to {MAX_TEXT} or fewer"
    return errors


def _tidy(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def new_conversation(
    inspection_id: int, child_id: int, heard: Heard, by: User | None
) -> Conversation:
    """The unsaved row of a checked conversation (``problems`` found nothing)."""
    return Conversation(
        inspection_id=inspection_id,
        child_id=child_id,
        speaker=Speaker(heard.speaker),
        # a child is the child: no relationship or role is kept for them
        relationship_or_role=""
        if heard.speaker == Speaker.CHILD
        else " ".join(heard.relationship_or_role.split()),
        held_on=heard.held_on,
        means=Means(heard.means),
        said=_tidy(heard.said),
        tells_us=_tidy(heard.tells_us),
        recorded_by=by,
    )


async def record_conversation(
    inspection_id: int, child_id: int, heard: Heard, by: User
) -> Conversation:
    """Record one conversation with (or about) a child of this inspection; raises
    ``ConversationRefused`` with every problem, and then records nothing."""
    errors = problems(heard, today_in_uk())
    if errors:
        raise ConversationRefused(errors)
    if not await Child.filter(id=child_id, inspection_id=inspection_id).exists():
        raise LookupError("There is no such child in this inspection.")
    conversation = new_conversation(inspection_id, child_id, heard, by)
    await conversation.save()
    return conversation


def who_was_heard(speaker: str, relationship_or_role: str) -> str:
    """Who was heard, in words: "The child", "Mother (parent or carer)", "Allocated social
    worker (practitioner)"."""
    if speaker == Speaker.FAMILY:
        return f"{relationship_or_role} (parent or carer)"
    if speaker == Speaker.PRACTITIONER:
        return f"{relationship_or_role} (practitioner)"
    return Speaker.CHILD.label


@dataclass(frozen=True)
class Shown:
    """One conversation as a viewer may see it: ``tells_us`` is None when the reading is
    hidden from them (``hidden_readings``)."""

    id: int
    child_id: int
    speaker: Speaker
    relationship_or_role: str
    held_on: date
    means: Means
    said: str
    tells_us: str | None
    recorded_by: str
    recorded_at: datetime

    @property
    def who(self) -> str:
        return who_was_heard(self.speaker, self.relationship_or_role)

    @property
    def how(self) -> str:
        return self.means.label

    @property
    def reading(self) -> str:
        """What it tells us, or why it is not shown."""
        return HIDDEN_READING if self.tells_us is None else self.tells_us

    def summary(self) -> str:
        """One line naming the conversation: "12/11/2026, the child, in person"."""
        return f"{self.held_on:%d/%m/%Y}, {self.who[:1].lower()}{self.who[1:]}, {self.how.lower()}"


async def conversations_seen(
    inspection_id: int, viewer: Viewer, child_ids: Collection[int] | None = None
) -> list[Shown]:
    """The conversations of these children (every child's when None), as ``viewer`` may see
    them, by child, then oldest first: two queries, and one more when any has a recorder."""
    query = Conversation.filter(inspection_id=inspection_id)
    if child_ids is not None:
        if not child_ids:
            return []
        query = query.filter(child_id__in=sorted(child_ids))
    rows = await query.order_by("child_id", "held_on", "id").values(
        "id",
        "child_id",
        "speaker",
        "relationship_or_role",
        "held_on",
        "means",
        "said",
        "tells_us",
        "recorded_by_id",
        "recorded_by__name",
        "recorded_at",
    )
    hidden = await hidden_readings(
        inspection_id,
        viewer,
        [(int(r["id"]), int(r["child_id"]), r["recorded_by_id"]) for r in rows],
    )
    return [
        Shown(
            id=int(r["id"]),
            child_id=int(r["child_id"]),
            speaker=Speaker(r["speaker"]),
            relationship_or_role=r["relationship_or_role"],
            held_on=r["held_on"],
            means=Means(r["means"]),
            said=r["said"],
            tells_us=None if int(r["id"]) in hidden else r["tells_us"],
            recorded_by=r["recorded_by__name"] or "A former member of the team",
            recorded_at=r["recorded_at"],
        )
        for r in rows
    ]


async def conversation_ids_of_child(
    inspection_id: int, child_id: int | None, wanted: Collection[int]
) -> set[int]:
    """Those of ``wanted`` that are conversations with or about this child (no query if none
    is wanted)."""
    if child_id is None or not wanted:
        return set()
    rows = await Conversation.filter(
        inspection_id=inspection_id, child_id=child_id, id__in=sorted(wanted)
    ).values_list("id", flat=True)
    return {int(r) for r in rows}  # type: ignore[call-overload]
