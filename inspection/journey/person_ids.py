"""A person's identifiers, as every source gave them: the one way they are read.

Every identifier a file gives for a person is kept in ``person_identifier`` (written by the
loader with the record it belongs to). The journey page, the chronology, the command line and
linkage read them here: ``child_identifiers`` for what a person reads about one child,
``checked_identifiers`` for the ones linkage may take as strong evidence (those that pass their
scheme's check).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from tortoise import connections

from inspection.evidence import codes
from inspection.evidence.cin_census import UPN_UNKNOWN
from inspection.evidence.identifiers import STRONG, Scheme
from inspection.journey import kinds

# The order a person reads a child's identifiers in: the consistent child identifier first.
ORDER = (
    Scheme.NHS_NUMBER,
    Scheme.LA_CHILD_ID,
    Scheme.UPN,
    Scheme.FORMER_UPN,
    Scheme.POLICE_ID,
    Scheme.AGENCY_ID,
)


@dataclass(frozen=True)
class HeldIdentifier:
    """One identifier of a child, as one source gave it."""

    scheme: Scheme
    value: str
    agency: str  # "Police"
    file: str
    valid: bool | None  # None: no check is known for its scheme
    valid_from: date | None
    valid_to: date | None

    @property
    def scheme_words(self) -> str:
        """Its scheme in words: "NHS number", "Health person id" for another agency's own."""
        if self.scheme is Scheme.AGENCY_ID:
            return f"{self.agency} person id"
        return self.scheme.heading

    @property
    def check_words(self) -> str:
        """What its check says, in words ("" where no check is known for its scheme)."""
        if self.valid is None:
            return ""
        return "Passes the check" if self.valid else "Does not pass the check"

    @property
    def source(self) -> str:
        """Where it came from: "Police (police-extract.csv)"."""
        return f"{self.agency} ({self.file})" if self.file else self.agency

    @property
    def held(self) -> str:
        """The dates it held, in words ("" when the source gives none)."""
        start = f"{self.valid_from:%d/%m/%Y}" if self.valid_from else ""
        end = f"{self.valid_to:%d/%m/%Y}" if self.valid_to else ""
        if start and end:
            return f"From {start} to {end}"
        if start:
            return f"From {start}"
        return f"Until {end}" if end else ""

    def as_dict(self) -> dict[str, Any]:
        """As the command line's JSON gives it."""
        return {
            "scheme": self.scheme.value,
            "scheme_words": self.scheme_words,
            "value": self.value,
            "source": self.source,
            "valid": self.valid,
            "valid_from": self.valid_from,
            "valid_to": self.valid_to,
        }

    def line(self) -> str:
        """The identifier in one line, as the command line prints it."""
        parts = [f"{self.scheme_words}: {self.value}", f"from {self.source}"]
        if self.held:
            parts.append(self.held.lower())
        if self.valid is False:
            parts.append("does not pass the check")
        return ", ".join(parts)


@dataclass(frozen=True)
class ChildIdentifiers:
    """A child's identifiers, and why the census gives no UPN where it says."""

    held: list[HeldIdentifier]
    upn_unknown: str  # the reason in words ("" when no source gives one)

    def __iter__(self) -> Iterator[HeldIdentifier]:
        return iter(self.held)

    def __len__(self) -> int:
        return len(self.held)

    def lines(self) -> list[str]:
        """The identifiers as the command line prints them, one a line."""
        found = [i.line() for i in self.held]
        if self.upn_unknown:
            found.append(f"No unique pupil number (UPN): {self.upn_unknown}")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {"held": [i.as_dict() for i in self.held], "upn_unknown": self.upn_unknown}


# The child (for what the census says of its UPN) and every identifier of its records.
_CHILD_SQL = (
    "SELECT c.attributes AS child_attributes, i.scheme, i.value, i.valid, i.valid_from, "
    "i.valid_to, r.agency, u.filename AS upload_filename FROM child AS c "
    "LEFT JOIN source_record AS r ON r.child_id = c.id AND r.inspection_id = c.inspection_id "
    "LEFT JOIN person_identifier AS i ON i.record_id = r.id "
    "LEFT JOIN upload AS u ON u.id = i.upload_id "
    "WHERE c.inspection_id = {p1} AND c.id = {p2} ORDER BY r.agency, i.id"
)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _verdict(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _attributes(value: Any) -> dict[str, Any]:
    loaded = json.loads(value) if isinstance(value, (str, bytes)) else value
    return loaded if isinstance(loaded, dict) else {}


async def child_identifiers(inspection_id: int, child_id: int) -> ChildIdentifiers:
    """Every identifier the sources give for a child (through the records linked to it), each
    scheme's in ``ORDER``, one row per source that gives it, and the census's reason for giving
    no UPN (``UPNunknown``) in words: one query."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    sql = _CHILD_SQL.format(p1="$1" if postgres else "?", p2="$2" if postgres else "?")
    rows = await conn.execute_query_dict(sql, [inspection_id, child_id])
    reason = _attributes(rows[0]["child_attributes"]).get("upn_unknown", "") if rows else ""
    held = [
        HeldIdentifier(
            scheme=Scheme(r["scheme"]),
            value=r["value"],
            agency=kinds.agency_label(r["agency"]),
            file=r["upload_filename"] or "",
            valid=_verdict(r["valid"]),
            valid_from=_day(r["valid_from"]),
            valid_to=_day(r["valid_to"]),
        )
        for r in rows
        if r["scheme"] is not None
    ]
    return ChildIdentifiers(
        held=sorted(held, key=lambda h: ORDER.index(h.scheme)),
        upn_unknown=codes.label(UPN_UNKNOWN, reason) if reason else "",
    )


async def checked_identifiers(inspection_id: int) -> dict[int, dict[Scheme, str]]:
    """For each record of the inspection, its identifiers of the ``STRONG`` schemes that pass
    their check, by scheme (the first a record gives of each): what linkage joins records by."""
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    if postgres:
        first, marks, true = "$1", ", ".join(f"${n}" for n in range(2, len(STRONG) + 2)), "true"
    else:
        first, marks, true = "?", ", ".join("?" for _ in STRONG), "1"
    rows = await conn.execute_query_dict(
        "SELECT record_id, scheme, value FROM person_identifier "  # noqa: S608
        f"WHERE inspection_id = {first} AND valid = {true} AND scheme IN ({marks}) ORDER BY id",
        [inspection_id, *(s.value for s in STRONG)],
    )
    found: dict[int, dict[Scheme, str]] = defaultdict(dict)
    for r in rows:
        found[int(r["record_id"])].setdefault(Scheme(r["scheme"]), r["value"])
    return dict(found)
