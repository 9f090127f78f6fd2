"""The checks a person's national identifiers carry, as their issuers publish them.

A unique pupil number (UPN) is 13 characters: a check letter, the DfE number of the local
authority that issued it (3 digits), the establishment (4), the year it was issued (2) and a
serial (3); a temporary UPN ends in a letter instead of the serial's last digit. The check
letter is the DfE's: characters 2 to 13 are weighted 2 to 13 (a letter by its place in the check
alphabet), and the sum modulo 23 is a letter of that alphabet ("ABCDEFGHJKLMNPQRTUVWXYZ": no I,
O or S). The CIN census rejects a UPN with the wrong check letter (its validation rule 1510).

An NHS number is 10 digits whose last is a modulus 11 check digit: the first nine weighted 10
down to 2; 11 minus the sum modulo 11 is the check digit (11 becomes 0; 10 is never issued).

An identifier that fails its check is a warning on the row that gives it, is kept as given (a
person can read it) with the verdict of its check (``person_identifier.valid``), and is never
used to link records to a child (``journey.linkage``): a mistyped NHS number is someone else's.

Every identifier a source gives for a person is kept by its ``Scheme`` in one table
(``models.PersonIdentifier``), with the record and upload it came from: the national ones
above (whose check is known) and the ones only their issuer can check (the authority's child
id, the police's and other agencies' own person ids).
"""

from __future__ import annotations

import re
from enum import StrEnum

CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN = re.compile(rf"[{CHECK_ALPHABET}][0-9]{{11}}[0-9{CHECK_ALPHABET}]")
_SEPARATORS = re.compile(r"[\s-]+")


class Scheme(StrEnum):
    """The kinds of identifier a source may give for a person."""

    LA_CHILD_ID = "la_child_id"
    NHS_NUMBER = "nhs_number"
    UPN = "upn"
    FORMER_UPN = "former_upn"
    POLICE_ID = "police_id"
    AGENCY_ID = "agency_id"

    @property
    def label(self) -> str:
        """The scheme inside a sentence ("is not a valid NHS number")."""
        return SCHEME_LABELS[self]

    @property
    def heading(self) -> str:
        """The scheme as a heading or a key names it ("Former unique pupil number (UPN)")."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def checked(self) -> bool:
        """Whether an identifier of this scheme carries a check anyone can make."""
        return self in PROBLEMS


SCHEME_LABELS = {
    Scheme.LA_CHILD_ID: "local authority's child id",
    Scheme.NHS_NUMBER: "NHS number",
    Scheme.UPN: "unique pupil number (UPN)",
    Scheme.FORMER_UPN: "former unique pupil number (UPN)",
    Scheme.POLICE_ID: "police person id",
    Scheme.AGENCY_ID: "agency's own person id",
}
# The schemes linkage takes as strong evidence once they pass their check, in its order.
STRONG = (Scheme.NHS_NUMBER, Scheme.UPN)


def compact(text: str) -> str:
    """An identifier without the spaces and hyphens people write in it, in capitals."""
    return _SEPARATORS.sub("", text or "").upper()


def upn_check_letter(body: str) -> str:
    """The check letter of a UPN's last 12 characters."""
    total = sum(
        weight * (int(ch) if ch.isdigit() else CHECK_ALPHABET.index(ch))
        for weight, ch in enumerate(body, 2)
    )
    return CHECK_ALPHABET[total % 23]


def upn_problem(text: str) -> str | None:
    """Why ``text`` is not a valid UPN, in words, or None when it is (or is blank)."""
    upn = compact(text)
    if not upn:
        return None
    if len(upn) != 13:
        return f"a UPN has 13 characters, this has {len(upn)}"
    if not _UPN.fullmatch(upn):
        return "a UPN is a check letter, 11 digits and a last digit or letter (no I, O or S)"
    expected = upn_check_letter(upn[1:])
    if upn[0] != expected:
        return f"its check letter should be {expected}, not {upn[0]}"
    return None


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit of an NHS number's first nine digits; None if no number has them."""
    weighted = zip(range(10, 1, -1), first_nine, strict=True)
    check = 11 - sum(weight * int(d) for weight, d in weighted) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def nhs_problem(text: str) -> str | None:
    """Why ``text`` is not a valid NHS number, in words, or None when it is (or is blank)."""
    number = compact(text)
    if not number:
        return None
    if not number.isdigit() or len(number) != 10:
        return "an NHS number is 10 digits"
    expected = nhs_check_digit(number[:9])
    if expected is None:
        return "no NHS number begins with these nine digits (its check digit would be 10)"
    if int(number[9]) != expected:
        return f"its check digit should be {expected}, not {number[9]}"
    return None


PROBLEMS = {Scheme.UPN: upn_problem, Scheme.FORMER_UPN: upn_problem, Scheme.NHS_NUMBER: nhs_problem}


def problem(scheme: Scheme, text: str) -> str | None:
    return PROBLEMS[scheme](text)


def valid(scheme: Scheme, text: str) -> bool:
    """Whether ``text`` is a checked identifier of ``scheme`` (a blank one is not)."""
    return bool(compact(text)) and PROBLEMS[scheme](text) is None


def verdict(scheme: Scheme, text: str) -> bool | None:
    """Whether ``text`` passes its scheme's check; None for a scheme with no known check."""
    return valid(scheme, text) if scheme.checked else None


def agency_scheme(agency: str) -> Scheme:
    """The scheme of an agency's own person id: the police's has a scheme of its own."""
    return Scheme.POLICE_ID if agency == "police" else Scheme.AGENCY_ID


def message(scheme: Scheme, given: str, why: str) -> str:
    """The warning for an identifier that fails its check."""
    return (
        f"'{given}' is not a valid {scheme.label}: {why}. It was kept as given, but it is not "
        "used to link this person's records to a child."
    )
