"""Conversations loaded from a CSV file, for a QA team that gathered them elsewhere (a practice
week's family feedback, say): one conversation a row, checked by the same rule as the form
(``conversations.problems``); any problem names the file, the row and the column, and then
nothing is loaded.

The columns, by header (any order, case and spaces ignored): ``Child`` (the authority's child
id), ``Date`` (dd/mm/yyyy or yyyy-mm-dd), ``Who`` (the child, a parent or carer, the
practitioner; as the form words them or as ``child``, ``family``, ``practitioner``),
``Relationship or role``, ``How`` (as the form words it, or its short name: ``in_person``,
``phone``, ``video``, ``advocate``, ``interpreter``, ``observed``), ``What they said`` and
``What it tells us``.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from tortoise.transactions import in_transaction

from inspection.audit import conversations
from inspection.audit.voice_kinds import MEANS_LABELS, SPEAKER_LABELS
from inspection.models import Child, Conversation, User

COLUMNS = {
    "child": "Child",
    "held_on": "Date",
    "speaker": "Who",
    "relationship_or_role": "Relationship or role",
    "means": "How",
    "said": "What they said",
    "tells_us": "What it tells us",
}


class ConversationFileError(ValueError):
    """A file refused: every problem, one a line."""


def _key(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split()).lower()


_SPEAKERS = {_key(label): s.value for s, label in SPEAKER_LABELS.items()} | {
    s.value: s.value for s in SPEAKER_LABELS
}
_MEANS = {_key(label): m.value for m, label in MEANS_LABELS.items()} | {
    m.value: m.value for m in MEANS_LABELS
}


def _date(text: str) -> date | None:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


async def load_conversations(inspection_id: int, data: bytes, filename: str, by: User) -> int:
    """Record every conversation of the CSV file ``data`` in one transaction; returns how many.
    Raises ``ConversationFileError`` naming each problem, and then records nothing."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConversationFileError(f"{filename}: the file is not UTF-8 text.") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ConversationFileError(f"{filename}: the file is empty.")
    headers = {_key(h): i for i, h in enumerate(rows[0])}
    missing = [label for label in COLUMNS.values() if _key(label) not in headers]
    if missing:
        raise ConversationFileError(
            f"{filename}: the header row has no column "
            + ", ".join(f"'{m}'" for m in missing)
            + "."
        )
    at = {field: headers[_key(label)] for field, label in COLUMNS.items()}
    ids = dict(await Child.filter(inspection_id=inspection_id).values_list("la_child_id", "id"))
    today = conversations.today_in_uk()
    problems: list[str] = []
    made = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {f: (row[i] if i < len(row) else "").strip() for f, i in at.items()}
        where = f"{filename}, row {number}"
        child_id = ids.get(cell["child"])
        if child_id is None:
            problems.append(
                f"{where}, column 'Child': no child of this inspection has the id "
                f"'{cell['child'][:40]}'."
                if cell["child"]
                else f"{where}, column 'Child': enter the authority's child id."
            )
        held_on = _date(cell["held_on"]) if cell["held_on"] else None
        heard = conversations.Heard(
            speaker=_SPEAKERS.get(_key(cell["speaker"]), ""),
            relationship_or_role=cell["relationship_or_role"],
            held_on=held_on,
            means=_MEANS.get(_key(cell["means"]), ""),
            said=cell["said"],
            tells_us=cell["tells_us"],
        )
        errors = conversations.problems(heard, today)
        if cell["held_on"] and held_on is None:
            errors["held_on"] = "Write the date as dd/mm/yyyy"
        for field, message in errors.items():
            problems.append(f"{where}, column '{COLUMNS[field]}': {message}.")
        if child_id is not None and not errors:
            made.append(conversations.new_conversation(inspection_id, child_id, heard, by))
    if problems:
        raise ConversationFileError("\n".join(problems))
    if not made:
        raise ConversationFileError(f"{filename}: the file has no conversation in it.")
    async with in_transaction():
        await Conversation.bulk_create(made)
    return len(made)
