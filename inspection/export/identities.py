"""What the free text of a pseudonymised export must hide, looked up from the text itself.

Every name and identifier of any person of the inspection (each child and each source record,
linked or not, sampled or not) and every child's date of birth is replaced wherever it stands
alone in the exported text (``inspection.export.pseudonymise.Scrubber``). Reading every person
of the inspection to find them costs in proportion to the authority; instead the text is read
first, and only the values it could hold are asked of the database, through the indexes of
``inspection.models.children`` (``IdentityIndex``), so the cost grows with the text exported.

Why this finds every value the text holds. A value matches where its lower-case form stands
in the lower-case text with no letter, digit or underscore touching it. Where it begins, either
a word begins (a run of letters, digits and underscores), and then the value is that whole word
or that word followed by a character that is not a letter, digit or underscore; or a character
that is not part of a word begins it. So for each word of the text the database is asked for
the values equal to the word or beginning with the word and such a character (three ranges of
the index), and for each other character that begins a place, the values beginning with it.
The index holds each value with only its ASCII letters lowered (``lowered``), so the word is
asked in every spelling whose ASCII letters are lower case and whose other letters are in any
case that lowers to the text's (``spellings``); a word with too many such spellings is asked
by its longest prefix that has few. What the database returns beyond what the text holds is
harmless: the scrubber replaces only what it finds.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

from tortoise import connections

from inspection.export.pseudonymise import fold
from inspection.models.children import CHILD_IDENTITY_COLUMNS as CHILD_COLUMNS
from inspection.models.children import IDENTIFIER_IDENTITY_COLUMNS as IDENTIFIER_COLUMNS
from inspection.models.children import RECORD_IDENTITY_COLUMNS as RECORD_COLUMNS
from inspection.models.children import lowered

ID, NAME, DOB = "[id]", "[name]", "[dob]"
NAMES = frozenset({"given_name", "family_name"})
MOST_SPELLINGS = 16  # a longer word is asked by its longest prefix with at most this many
BATCH = 2000  # ranges per statement

_WORD = re.compile(r"\w+")
_STARTS = re.compile(r"(?<!\w)(?=\W)")  # where a value beginning with no word character may
_DATES = (
    # d/m/y, d-m-y and d.m.y with one separator throughout, and y-m-d; overlapping ones too.
    re.compile(r"(?<!\w)(?=([0-9]{2})([/.-])([0-9]{2})\2([0-9]{4})(?!\w))"),
    re.compile(r"(?<!\w)(?=([0-9]{4})-([0-9]{2})-([0-9]{2})(?!\w))"),
)

# Letters outside ASCII whose lower case is one letter that neither its upper nor its title
# case gives back (found by reading every code point; a test checks the list).
_OTHER_CAPITALS = {"k": "\u212a", "å": "\u212b", "ω": "\u2126", "θ": "\u03f4", "ß": "\u1e9e"}


@cache
def spellings_of(char: str) -> tuple[str, ...]:
    """How a character of the lower-case text may be held in an index: ``char`` itself and
    every other character whose lower case it is, outside ASCII (the index lowers ASCII
    letters itself). Σ is held for ς as well (Python lowers a final Σ to ς)."""
    found = {char}
    for other in (char.upper(), char.title(), _OTHER_CAPITALS.get(char, "")):
        lowers = other.lower() == char or (char == "ς" and other == "Σ")
        if len(other) == 1 and not other.isascii() and lowers:
            found.add(other)
    return tuple(sorted(found))


def spellings(word: str) -> list[str]:
    """Every spelling of ``word`` (lower case) an index may hold, or of its longest prefix
    with at most ``MOST_SPELLINGS`` (a prefix's values include the word's)."""
    choices: list[tuple[str, ...]] = []
    count = 1
    for char in word:
        options = spellings_of(char)
        if choices and count * len(options) > MOST_SPELLINGS:
            break
        choices.append(options)
        count *= len(options)
    return ["".join(p) for p in itertools.product(*choices)]


def _after(prefix: str) -> str:
    """The least string above every string that begins with ``prefix``."""
    return prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))


def ranges(texts: Iterable[str]) -> set[tuple[str, str]]:
    """The ranges of lowered values (from, to: to left out) that hold every value any of
    ``texts`` may contain where it stands alone."""
    found: set[tuple[str, str]] = set()
    words: set[str] = set()
    starts: set[str] = set()
    for text in texts:
        low = fold(text)
        words.update(m.group(0) for m in _WORD.finditer(low))
        starts.update(low[m.start()] for m in _STARTS.finditer(low))
    for word in words:
        for spelled in spellings(word):
            if len(spelled) < len(word):  # asked by a prefix: every value beginning with it
                found.add((spelled, _after(spelled)))
                continue
            # The word itself and the word followed by anything but a letter, digit or "_".
            found.add((spelled, spelled + "0"))  # NUL to "/": the word, spaces, - ' . , /
            found.add((spelled + ":", spelled + "a"))  # : to `, past capitals (never held)
            found.add((spelled + "{", _after(spelled)))  # { to the end, every non-ASCII
    for char in starts:
        for spelled in spellings_of(char):
            found.add((spelled, _after(spelled)))
    return found


def dates_in(texts: Iterable[str]) -> set[date]:
    """Every date written as a hidden date of birth is (``birth_date_texts``) in ``texts``."""
    found: set[date] = set()
    for text in texts:
        for pattern in _DATES:
            for m in pattern.finditer(text):
                parts = m.groups()
                y, mo, d = (parts[3], parts[2], parts[0]) if len(parts) == 4 else parts
                try:
                    found.add(date(int(y), int(mo), int(d)))
                except ValueError:
                    continue
    return found


def birth_date_texts(dob: date) -> tuple[str, ...]:
    day = dob.isoformat()
    y, m, d = day[:4], day[5:7], day[8:10]
    return (f"{d}/{m}/{y}", day, f"{d}-{m}-{y}", f"{d}.{m}.{y}")


def _ranges_sql(dialect: str, table: str, column: str, n: int) -> str:
    """The values of one column of ``table`` in the ranges (parameters: the inspection,
    then the ranges as a JSON array of pairs on SQLite, two arrays on PostgreSQL)."""
    value = lowered(column, dialect, "r")
    if dialect == "postgres":
        # Each range its own scan of the index (LATERAL, kept apart by OFFSET 0), whatever
        # PostgreSQL last measured of the table: right after a file has grown it, it would
        # plan for the few rows there were and read the whole inspection once per range.
        return (
            f"SELECT {n} AS c, s.v FROM unnest($2::text[], $3::text[]) AS p(lo, hi) "
            f'CROSS JOIN LATERAL (SELECT r."{column}" AS v FROM "{table}" AS r '
            f'WHERE r.inspection_id = $1 AND {value} >= (p.lo COLLATE "C") '
            f'AND {value} < (p.hi COLLATE "C") OFFSET 0) AS s'
        )
    return (
        f'SELECT {n} AS c, r."{column}" AS v FROM json_each(?2) AS p CROSS JOIN "{table}" AS r '
        f"WHERE r.inspection_id = ?1 AND {value} >= json_extract(p.value, '$[0]') "
        f"AND {value} < json_extract(p.value, '$[1]')"
    )


# (table, column, hidden as, least length): a child's LA id of any length; a record's
# identifiers, every identifier a source gave (a former UPN) and everyone's names of three
# characters or more.
_COLUMNS = [
    *(("child", c, NAME if c in NAMES else ID, 3 if c in NAMES else 1) for c in CHILD_COLUMNS),
    *(("source_record", c, NAME if c in NAMES else ID, 3) for c in RECORD_COLUMNS),
    *(("person_identifier", c, ID, 3) for c in IDENTIFIER_COLUMNS),
]
# Names win over identifiers where one value is both (both hide it; the label is the name's).
_ORDER = {DOB: 0, ID: 1, NAME: 2}


async def hidden_in(inspection_id: int, texts: list[str]) -> dict[str, str]:
    """Every name, identifier and date of birth of the inspection that ``texts`` may hold,
    as the scrubber's replacements: the value in lower case (``fold``) → ``[name]``, ``[id]``
    or ``[dob]``."""
    conn = connections.get("default")
    dialect = conn.capabilities.dialect
    found: dict[str, str] = {}

    def hide(value: str, label: str) -> None:
        key = fold(value)
        if key and _ORDER[label] >= _ORDER[found.get(key, DOB)]:
            found[key] = label

    wanted = sorted(ranges(texts))
    sql = " UNION ALL ".join(
        _ranges_sql(dialect, table, column, n) for n, (table, column, _, _) in enumerate(_COLUMNS)
    )
    for at in range(0, len(wanted), BATCH):
        batch = wanted[at : at + BATCH]
        params: list[Any]
        if dialect == "postgres":
            params = [inspection_id, [lo for lo, _ in batch], [hi for _, hi in batch]]
        else:
            params = [inspection_id, json.dumps(batch, ensure_ascii=False)]
        for row in await conn.execute_query_dict(sql, params):
            _, _, label, least = _COLUMNS[int(row["c"])]
            value = row["v"] or ""
            if len(value) >= least:
                hide(value, label)
    dates = sorted(dates_in(texts))
    if dates:
        if dialect == "postgres":
            rows = await conn.execute_query_dict(
                "SELECT s.dob FROM unnest($2::date[]) AS d(day) CROSS JOIN LATERAL "
                "(SELECT r.dob FROM child AS r WHERE r.inspection_id = $1 AND r.dob = d.day "
                "LIMIT 1) AS s",
                [inspection_id, dates],
            )
        else:
            rows = await conn.execute_query_dict(
                "SELECT DISTINCT dob FROM child WHERE inspection_id = ? "
                "AND dob IN (SELECT value FROM json_each(?))",
                [inspection_id, json.dumps([d.isoformat() for d in dates])],
            )
        for row in rows:
            dob = row["dob"]
            dob = dob if isinstance(dob, date) else date.fromisoformat(str(dob)[:10])
            for text in birth_date_texts(dob):
                hide(text, DOB)
    return found
