"""The linkage model's comparison of two records, field by field, in sentences a reviewer reads
("Date of birth: the same", "Authority's child id: only one record has it")."""

from __future__ import annotations

from typing import Any

# The comparisons of ``linkage.COMPARISONS`` by their output column, as pages name them.
FIELD_LABELS: dict[str, str] = {
    "given": "Given name",
    "family": "Family name",
    "dob": "Date of birth",
    "sex": "Sex",
    "postcode": "Postcode",
    "nhs": "NHS number",
    "upn": "Unique pupil number (UPN)",
    "la_id": "Authority's child id",
}

# The record field each comparison reads, to say which record lacks a missing value.
_RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "given": ("given_name",),
    "family": ("family_name",),
    "dob": ("dob",),
    "sex": ("sex",),
    "postcode": ("postcode",),
    "nhs": ("nhs_number",),
    "upn": ("upn",),
    "la_id": ("la_child_id",),
}

# Levels whose label does not read as the end of a sentence as it stands.
_LEVEL_WORDS: dict[str, str] = {
    "same": "the same",
    "different (moved?)": "different (the family may have moved)",
    "same sector": "in the same postcode sector",
    "same name, another form": "the same name in another form",
    "initial only, agrees": "an initial only on one record, and it agrees",
    "shares a part (double-barrelled)": "one shares a part of the other (double-barrelled)",
    "one day apart": "one day apart",
    "same month and year (day not known)": "the same month and year (the day not known)",
    "same year (day and month not known)": "the same year (the day and month not known)",
}


def _missing(field: str, left: dict[str, Any] | None, right: dict[str, Any] | None) -> str:
    columns = _RECORD_FIELDS.get(field, ())
    held = [
        any(str(record.get(c) or "").strip() for c in columns)
        for record in (left, right)
        if record is not None
    ]
    if len(held) == 2 and not any(held):
        return "neither record has it"
    if len(held) == 2 and all(held):
        return "not usable on one record"
    return "only one record has it"


def comparison_sentences(
    fields: dict[str, str],
    left: dict[str, Any] | None = None,
    right: dict[str, Any] | None = None,
) -> list[str]:
    """One sentence per compared field, from the level it reached (``evidence["fields"]``), in
    the order of ``FIELD_LABELS``; ``left`` and ``right`` (the two records) tell which lacks a
    value the model had not."""
    order = list(FIELD_LABELS)
    sentences = []
    # in the model's order of fields, whatever order the stored evidence kept
    for field, level in sorted(
        fields.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order)
    ):
        name = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        words = _missing(field, left, right) if level == "missing" else _LEVEL_WORDS.get(level)
        sentences.append(f"{name}: {words or level}")
    return sentences
