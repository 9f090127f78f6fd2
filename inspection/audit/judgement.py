"""The inspectors' summary judgement of a round: what the findings open with.

A lead (a lead inspector of the inspection, or an admin) writes it in plain words; it is kept on
the inspection with who wrote it and when, shown first on the findings page and exported on the
workbook's Judgement sheet (both from ``inspection.audit.findings``). Writing it again replaces
it; an empty text is refused (there is nothing to show), and so is one longer than
``MAX_LENGTH`` characters.
"""

from __future__ import annotations

from datetime import UTC, datetime

from inspection.models import Inspection, User

MAX_LENGTH = 20_000
EMPTY = "Enter the inspectors’ judgement"
TOO_LONG = f"The judgement must be {MAX_LENGTH:,} characters or fewer"


class JudgementError(ValueError):
    """The text cannot be kept; the message says why, in the Design System's words."""


def checked(text: str) -> str:
    """The text as it will be kept (NUL removed, ends trimmed), or ``JudgementError``."""
    kept = text.replace("\x00", "").replace("\r\n", "\n").strip()
    if not kept:
        raise JudgementError(EMPTY)
    if len(kept) > MAX_LENGTH:
        raise JudgementError(TOO_LONG)
    return kept


async def write_judgement(
    inspection_id: int, text: str, by: User, now: datetime | None = None
) -> None:
    """Keep ``text`` as the round's judgement, written by ``by`` (a lead: the caller checks)."""
    kept = checked(text)
    await Inspection.filter(id=inspection_id).update(
        judgement=kept, judgement_by_id=by.id, judgement_at=now or datetime.now(UTC)
    )
