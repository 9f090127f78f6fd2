"""Pseudonymised exports.

- child identifiers (the LA's id, NHS number, UPN, database ids shown to people) become keyed
  hashes: HMAC-SHA256 under a key drawn at random for each export, truncated to 12 hex digits
  and prefixed ``P-``. The same child gets the same pseudonym everywhere in one export and a
  different one in the next, so two exports cannot be joined on it.
- names are removed (empty cells), and free text has the child's names and identifiers replaced
  by ``[name]`` and the pseudonym;
- dates of birth become month and year (``2015-04``);
- postcodes become the district, the outward code (``LS6 2AB`` → ``LS6``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)\s*([0-9][A-Z]{2})$")


def postcode_district(postcode: str) -> str:
    """The outward code of a UK postcode, or blank when it is not a postcode."""
    text = re.sub(r"\s+", " ", postcode.strip().upper())
    match = _POSTCODE.match(text)
    if match:
        return match.group(1)
    outward = text.split(" ")[0] if " " in text else ""
    return outward if re.fullmatch(r"[A-Z]{1,2}[0-9][0-9A-Z]?", outward) else ""


def month_of_birth(dob: date | None) -> str:
    return "" if dob is None else f"{dob.year:04d}-{dob.month:02d}"


class Pseudonymiser:
    """Keyed hashes stable within one export. ``key`` defaults to 32 random bytes."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else secrets.token_bytes(32)
        self._cache: dict[str, str] = {}

    def pseudonym(self, value: str) -> str:
        if not value:
            return ""
        found = self._cache.get(value)
        if found is None:
            digest = hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()
            found = self._cache[value] = "P-" + digest[:12]
        return found

    def child(self, child_id: int | None) -> str:
        """The pseudonym of a child, keyed by the database id (every child has one)."""
        return "" if child_id is None else self.pseudonym(f"child:{child_id}")

    def scrub(self, text: str, secrets_to_hide: dict[str, str]) -> str:
        """``text`` with each key of ``secrets_to_hide`` (3+ characters) replaced by its value."""
        for secret, replacement in sorted(secrets_to_hide.items(), key=lambda kv: -len(kv[0])):
            if len(secret) >= 3 and secret.lower() in text.lower():
                text = re.sub(re.escape(secret), replacement, text, flags=re.IGNORECASE)
        return text


def fold(text: str) -> str:
    """``text`` in lower case, one character for one: where lowering would change the length
    (İ), each character that lowers to more than one is kept as it is. Keys and the text they
    are found in are folded alike."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


_STARTS = re.compile(r"(?<!\w)(?=.)", re.DOTALL)  # where a key may begin
_ENDS = re.compile(r"(?!\w)")  # where a key may end


class Scrubber:
    """Free text with every known key replaced: a key (folded, ``fold``) matches, in any case, where
    no letter, digit or underscore touches it on either side; leftmost first, and the longest
    key at each place. The cost is the length of the text times the number of distinct key
    lengths, whatever the number of keys."""

    def __init__(self, replacements: dict[str, str]) -> None:
        self._replacements = {fold(k): v for k, v in replacements.items() if k}
        self._lengths = sorted({len(k) for k in self._replacements}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._replacements)

    def __call__(self, text: str) -> str:
        if not text or not self._replacements:
            return text
        low = fold(text)  # positions in ``low`` are those of ``text``
        ends = {m.start() for m in _ENDS.finditer(text)}
        out: list[str] = []
        done = 0
        for m in _STARTS.finditer(text):
            start = m.start()
            if start < done:
                continue
            for length in self._lengths:
                end = start + length
                if end in ends:
                    found = self._replacements.get(low[start:end])
                    if found is not None:
                        out += (text[done:start], found)
                        done = end
                        break
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)
