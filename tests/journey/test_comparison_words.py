"""The model's field-by-field comparison of two records, as sentences."""

from __future__ import annotations

from inspection.journey.comparison_words import FIELD_LABELS, comparison_sentences
from inspection.journey.linkage import COMPARISONS


def test_levels_read_as_sentences_and_a_missing_value_says_which_record_lacks_it():
    fields = {
        "dob": "one day apart",
        "postcode": "different (moved?)",
        "given": "initial only, agrees",
        "nhs": "missing",
        "la_id": "missing",
        "upn": "missing",
    }
    left = {"nhs_number": "", "la_child_id": "1234", "upn": "A123"}
    right = {"nhs_number": " ", "la_child_id": None, "upn": "not a upn"}
    assert comparison_sentences(fields, left, right) == [
        "Given name: an initial only on one record, and it agrees",
        "Date of birth: one day apart",
        "Postcode: different (the family may have moved)",
        "NHS number: neither record has it",
        "Unique pupil number (UPN): not usable on one record",
        "Authority's child id: only one record has it",
    ]


def test_every_comparison_of_the_model_has_a_name():
    assert list(FIELD_LABELS) == [c["output_column_name"] for c in COMPARISONS]
