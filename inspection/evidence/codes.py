"""The one place that maps code values: Annex A code lists as versioned data.

``annex_a_codes_v2019_2024.json`` (beside this module) holds every list of the Ofsted
template's ``Codes_used`` sheet (August 2019) plus the codes added since (marked
``since: 2023``). Next year's changes are an edit of that file (or a new versioned file
named in ``CODES_FILE``), not a code change. ``cin_census_codes_v2024.json`` adds the CIN
census lists Annex A has no column for (the factors identified at the end of an assessment),
and ``ssda903_codes_v2024.json`` the children looked after return's (SSDA903) lists that Annex A
does not hold (its legal statuses, placement types and the like are Annex A's lists).

A raw value is matched, after trimming and case-folding, against: the canonical code, the
template's preferred spelling (``a) Male``), the label (``Male``), ``CODE: label`` and
``CODE - label`` forms, and aliases; then again with any ``a)``-style prefix removed, and then
on the code before a ``:`` or `` - `` separator (``e) PR4 - Private provision`` → ``PR4``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

CODES_FILE = Path(__file__).parent / "annex_a_codes_v2019_2024.json"
CIN_CENSUS_CODES_FILE = Path(__file__).parent / "cin_census_codes_v2024.json"
SSDA903_CODES_FILE = Path(__file__).parent / "ssda903_codes_v2024.json"

_PREFIX = re.compile(r"^[a-z]{1,2}\d?\)\s*", re.IGNORECASE)
_SEPARATOR = re.compile(r"^([A-Za-z0-9]{1,4})\s*(?::|\s-\s|\s–\s|-(?=\s))\s*(.*)$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


@dataclass(frozen=True)
class Code:
    code: str
    label: str
    preferred: str
    since: int


def _key(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-")
    return _SPACES.sub(" ", text).strip().casefold()


@cache
def _entries() -> dict[str, list[dict[str, Any]]]:
    """Every code list as its file holds it: name → entries."""
    lists: dict[str, list[dict[str, Any]]] = {}
    for path in (CODES_FILE, CIN_CENSUS_CODES_FILE, SSDA903_CODES_FILE):
        lists.update(json.loads(path.read_text(encoding="utf-8"))["lists"])
    return lists


@cache
def code_lists() -> dict[str, dict[str, Code]]:
    """Every code list: name → canonical code → Code."""
    lists: dict[str, dict[str, Code]] = {}
    for name, entries in _entries().items():
        lists[name] = {
            e["code"]: Code(e["code"], e["label"], e["preferred"], int(e.get("since", 2019)))
            for e in entries
        }
    return lists


def codes_version() -> str:
    return str(json.loads(CODES_FILE.read_text(encoding="utf-8"))["version"])


@cache
def _lookup(list_name: str) -> dict[str, str]:
    table: dict[str, str] = {}
    ambiguous: set[str] = set()
    for entry in _entries()[list_name]:
        code = entry["code"]
        spellings = [
            code,
            entry["preferred"],
            _PREFIX.sub("", entry["preferred"]),
            entry["label"],
            f"{code}: {entry['label']}",
            f"{code} - {entry['label']}",
            *entry.get("aliases", []),
        ]
        for spelling in spellings:
            key = _key(spelling)
            if key in table and table[key] != code:
                ambiguous.add(key)
            table.setdefault(key, code)
    # A label shared by several codes (1A-1D are all "Individual") identifies none of them.
    for key in ambiguous:
        table.pop(key, None)
    for entry in _entries()[list_name]:  # the codes themselves always win
        table[_key(entry["code"])] = entry["code"]
    return table


@lru_cache(maxsize=65536)
def canonical(list_name: str, raw: str) -> str | None:
    """The canonical code for ``raw`` in ``list_name``, or None when it is not in the list."""
    table = _lookup(list_name)
    key = _key(raw)
    if key in table:
        return table[key]
    unprefixed = _PREFIX.sub("", key)
    if unprefixed in table:
        return table[unprefixed]
    match = _SEPARATOR.match(unprefixed)
    if match:
        code = table.get(match.group(1).casefold())
        if code is not None and code.casefold() == match.group(1).casefold():
            return code
        if match.group(2) in table:
            return table[match.group(2)]
    return None


def label(list_name: str, code: str) -> str:
    entry = code_lists()[list_name].get(code)
    return entry.label if entry else code


def sex_label(value: str | None) -> str:
    """A person's recorded sex in words ("M" is "Male"), by the Annex A gender codes; a value
    the codes do not know is shown as the source recorded it, and nothing as "Not recorded"."""
    text = (value or "").strip()
    if not text:
        return "Not recorded"
    code = canonical("gender", text)
    return label("gender", code) if code else text
