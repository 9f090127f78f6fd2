"""What becomes of a date field of a format we read: the start or the end of an event on the
child's journey, an event of its own, the child's date of birth, or a validation issue.

Each reader states its format's date fields in these terms (Annex A from its list schemas in
``headers``, the CIN census in ``cin_census.DATE_ELEMENTS``, agency extracts in
``agencies.DATE_COLUMNS``); ``dated_fields`` gathers them, and docs/formats.md is written from
them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Becomes(StrEnum):
    START = "start"  # the start of an event of ``kind``
    END = "end"  # the end of an event of ``kind``
    EVENT = "event"  # an event of ``kind`` of its own
    BIRTH = "birth"  # the child's date of birth, at the top of the journey
    ISSUE = "issue"  # checked, and a validation issue (rule ``kind``) when it is wrong
    ADOPTERS = "adopters"  # List 11: an adopter's, counted in the adopters' summary


@dataclass(frozen=True)
class Fate:
    becomes: Becomes
    kind: str = ""  # the event kind (journey.kinds), or the rule of the issue
    note: str = ""  # when it applies, in plain English


@dataclass(frozen=True)
class DateField:
    """A date field of a format: where it is (a list, an element, a column), its name as the
    format spells it, its key in the reader, and what becomes of it."""

    where: str
    name: str
    key: str
    fates: tuple[Fate, ...]


def start(kind: str, note: str = "") -> Fate:
    return Fate(Becomes.START, kind, note)


def end(kind: str, note: str = "") -> Fate:
    return Fate(Becomes.END, kind, note)


def event(kind: str, note: str = "") -> Fate:
    return Fate(Becomes.EVENT, kind, note)


def issue(rule: str, note: str = "") -> Fate:
    return Fate(Becomes.ISSUE, rule, note)


BIRTH = Fate(Becomes.BIRTH)
ADOPTERS = Fate(Becomes.ADOPTERS)
