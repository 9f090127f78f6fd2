"""Database ids as URLs and forms write them: a decimal numeral within the range of its column.

Row ids are ``IntField`` columns (PostgreSQL ``integer``, at most 2**31 - 1), except those of the
big tables (``BigIntField``, ``bigint``, at most 2**63 - 1); an audit's version is an integer
column too. A larger number names no row, and sent to the database it is refused as a bad
statement (asyncpg: "value out of int32 range"; SQLite: ``OverflowError`` past 2**63 - 1), so it is
read here, before any query, as what it is: not an id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def numerals_up_to(limit: int) -> str:
    """A regular expression for the numerals 0 to ``limit``, written without leading zeros."""
    digits = str(limit)
    n = len(digits)
    alternatives = ["0"]
    if n > 1:
        alternatives.append(f"[1-9][0-9]{{0,{n - 2}}}")  # every shorter numeral
    for i, digit in enumerate(digits):  # as long as the limit: its prefix, then a lower digit
        low, high = (1 if i == 0 else 0), int(digit) - 1
        if high >= low:
            rest = n - i - 1
            alternatives.append(
                digits[:i] + f"[{low}-{high}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    if limit > 0:
        alternatives.append(digits)
    return "(?:" + "|".join(dict.fromkeys(alternatives)) + ")"


@dataclass(frozen=True)
class IdRange:
    """The ids an integer column can hold, 0 to ``maximum``."""

    maximum: int
    regex: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", numerals_up_to(self.maximum))

    def parse(self, value: object) -> int | None:
        """The id written in ``value`` (surrounding spaces allowed), or None if it is not one."""
        if not isinstance(value, str):
            return None
        text = value.strip()
        if re.fullmatch(self.regex, text) is None:
            return None
        return int(text)


ROW_ID = IdRange(2**31 - 1)
BIG_ROW_ID = IdRange(2**63 - 1)


def is_numeral(value: object) -> bool:
    """Whether ``value`` is written as a whole number (ASCII digits), whatever its size."""
    return isinstance(value, str) and re.fullmatch(r"[0-9]+", value.strip()) is not None
