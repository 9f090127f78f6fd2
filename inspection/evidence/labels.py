"""What each kind of evidence file is called on pages and in exports."""

from __future__ import annotations

from dataclasses import dataclass

from inspection.evidence import plausibility
from inspection.evidence.headers import LISTS
from inspection.evidence.load import SOURCE_KINDS
from inspection.evidence.upload_status import UploadStatus

SOURCE_KIND_LABELS: dict[str, str] = {
    "annex-a": "Annex A workbook",
    "cin-census": "CIN census",
    "ssda903": "SSDA903 children looked after return",
    "agency": "Partner-agency extract",
}
assert set(SOURCE_KIND_LABELS) == set(SOURCE_KINDS)


def source_kind_label(kind: str) -> str:
    return SOURCE_KIND_LABELS.get(kind, kind)


LIST_LABELS: dict[str, str] = {schema.name: schema.label for schema in LISTS.values()}


def list_label(name: str) -> str:
    """An Annex A list by its title (``List 6`` → ``List 6: Children in Need``); any other
    name (a CIN census or agency table) as it is."""
    return LIST_LABELS.get(name, name)


@dataclass(frozen=True)
class RuleLabel:
    """What a validation rule is called: ``name`` in a choice of rules, ``about`` for a group of
    its problems (``{column}``: the column they are in)."""

    name: str
    about: str

    def describe(self, column: str) -> str:
        if "{column}" in self.about and not column:
            return self.name
        return self.about.format(column=column)


RULE_LABELS: dict[str, RuleLabel] = {
    "after_reference_date": RuleLabel(
        "After the reference date", "{column} is after the reference date"
    ),
    "unknown_code": RuleLabel(
        "Not in the code list", "{column} holds a value not in its code list"
    ),
    "unreadable_date": RuleLabel("Not a date", "{column} is not a date"),
    "unreadable_number": RuleLabel("Not a number", "{column} is not a number"),
    "missing_value": RuleLabel("Blank", "{column} is blank"),
    "missing_date": RuleLabel(
        "Row without its date", "{column} is blank or not a date, so the row was not loaded"
    ),
    "placed_by_other_dates": RuleLabel(
        "Placed by its other dates",
        "{column} is blank or not a date, so the row was placed by its other dates",
    ),
    "missing_identifier": RuleLabel(
        "Row without an identifier", "The row has no {column}, so it was not loaded"
    ),
    "birth_after_event": RuleLabel(
        "Born after the event", "The date of birth is after the date of the event"
    ),
    "end_before_start": RuleLabel("Ends before it starts", "{column} is before the start date"),
    "duplicate_row": RuleLabel("The same record twice", "The same record appears twice"),
    "conflicting_dob": RuleLabel(
        "Dates of birth that differ", "A child's date of birth differs from an earlier row"
    ),
    "conflicting_identity": RuleLabel(
        "Details that differ for one person", "A person's details differ from an earlier row"
    ),
    "cp_not_in_cin": RuleLabel(
        "On a plan but not a child in need",
        "On a child protection plan in List 7 but not in List 6 (Children in Need)",
    ),
    "care_status_mismatch": RuleLabel(
        "In care, another case status", "In care in List 8, but List 6 gives another case status"
    ),
    "repaired_encoding": RuleLabel(
        "Text not in UTF-8", "Text that was not UTF-8 was read as Windows-1252"
    ),
    "unrecognised_column": RuleLabel(
        "Column not in the format", "A column not in the format was not loaded: {column}"
    ),
    "repeated_column": RuleLabel(
        "Column given twice", "{column} is given twice; the second was not loaded"
    ),
    "missing_column": RuleLabel("Column missing", "A column of the format is missing"),
    "invalid_identifier": RuleLabel(
        "Identifier that fails its check", "{column} fails its check (mistyped?)"
    ),
    "unknown_element": RuleLabel(
        "Element not in the format", "An element not in the format was not read: {column}"
    ),
    "unchecked_collection_year": RuleLabel(
        "A collection year not yet checked",
        "The census is for a collection whose layout this product has not been checked against",
    ),
}


def rule_label(rule: str) -> RuleLabel:
    """A rule by its name (a plausibility rule by its catalogue's); a rule without one (none
    should be) by its words."""
    catalogued = plausibility.by_issue_rule().get(rule)
    if catalogued is not None:
        return RuleLabel(catalogued.name, catalogued.name)
    words = rule.replace("_", " ").capitalize()
    return RULE_LABELS.get(rule, RuleLabel(words, words))


def upload_status_label(status: str) -> str:
    """An upload's status as its tag on the evidence page says it."""
    return UploadStatus(status).label
