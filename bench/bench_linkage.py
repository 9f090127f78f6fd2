"""Linkage against the synthetic authority's truth: pairwise precision and recall, and time.

    python bench/bench_linkage.py [--children 100000] [--seed 7] [--database URL]

Loads the synthetic files (through inspection.evidence.load.import_file when it exists, else
straight from the agency CSVs with pandas), links, and prints pairwise precision and recall of
"these two source records are the same child" against truth.json, the time to link, and a
floor (the time to read the records back from the database) measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import asyncpg
import pandas as pd
from tortoise import Tortoise, connections

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspection.settings import tortoise_config  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/test"
AGENCIES = ("social_care", "police", "health", "education", "early_help")
KIND = {
    ("police", "domestic_abuse_notification"): "police_domestic_abuse",
    ("police", "missing_episode"): "missing_episode",
    ("police", "exploitation_concern"): "police_exploitation_concern",
    ("police", "police_protection"): "police_protection",
    ("police", "child_concern_notification"): "police_concern",
    ("health", "ed_attendance"): "ed_attendance",
    ("health", "health_visitor_concern"): "health_concern",
    ("health", "school_nurse_concern"): "health_concern",
    ("health", "gp_concern"): "health_concern",
    ("health", "maternity_concern"): "health_concern",
    ("education", "attendance_concern"): "attendance_concern",
    ("education", "exclusion"): "exclusion",
    ("education", "safeguarding_concern"): "school_concern",
    ("education", "elective_home_education"): "elective_home_education",
    ("education", "child_missing_education"): "child_missing_education",
    ("early_help", "early_help_episode"): "early_help_start",
    ("early_help", "early_help_contact"): "contact",
}


def _date(text: Any) -> date | None:
    if not isinstance(text, str) or not text.strip():
        return None
    d, m, y = text.strip().split("/")
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


async def fresh_database(url: str, name: str) -> str:
    base = url.rsplit("/", 1)[0]
    if url.startswith("sqlite"):
        return url
    conn = await asyncpg.connect(base.replace("postgres://", "postgresql://", 1) + "/postgres")
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return f"{base}/{name}"


async def open_database(url: str) -> None:
    await Tortoise.init(config=tortoise_config(url))
    await Tortoise.generate_schemas()


def _sql(postgres: bool, sql: str) -> str:
    if not postgres:
        return sql
    out, n = [], 0
    for ch in sql:
        if ch == "?":
            n += 1
            out.append(f"${n}")
        else:
            out.append(ch)
    return "".join(out)


async def load_authority(out_dir: Path, url: str) -> tuple[int, set[str]]:
    """Load the synthetic files into a new inspection; returns its id."""
    from inspection.models import Inspection, LocalAuthority

    la = await LocalAuthority.create(code="SYN", name="Synthshire County Council")
    meta = json.loads((out_dir / "truth.json").read_text().split(', "children"')[0] + "}")
    insp = await Inspection.create(
        la=la,
        kind="jtai",
        title="Benchmark",
        reference_date=date.fromisoformat(meta["reference_date"]),
    )
    loaded = await import_with_evidence(insp.id, out_dir, url)
    if loaded is None:
        print(
            "inspection.evidence.load is not available: loading the agency CSVs with pandas "
            "(no Annex A or CIN census events)"
        )
        await _load_csvs(insp.id, out_dir, AGENCIES)
        return insp.id, set()
    missing = [a for a in AGENCIES if f"{a}.csv" not in loaded]
    if missing:
        print(f"loading {', '.join(missing)} with pandas instead")
        await _load_csvs(insp.id, out_dir, tuple(missing))
    return insp.id, loaded


async def import_with_evidence(inspection_id: int, out_dir: Path, url: str) -> set[str] | None:
    """Import each file through the product's importer; returns the files that loaded."""
    try:
        from inspection.evidence.load import import_file
    except ImportError:
        return None
    from inspection.settings import Settings

    settings = Settings(
        data_dir=out_dir / "data", database_url=url, secret_key=os.urandom(24).hex()
    )
    loaded: set[str] = set()
    jobs = [("annex_a.xlsx", "annex-a", None), ("cin_census.xml", "cin-census", None)]
    jobs += [(f"{a}.csv", "agency", a) for a in AGENCIES]
    for name, kind, agency in jobs:
        try:
            await import_file(inspection_id, out_dir / name, kind, agency, settings)
            loaded.add(name)
        except Exception as exc:  # the importer is another area's: report, carry on
            print(f"import of {name} failed: {type(exc).__name__}: {str(exc)[:150]}")
    print(f"loaded through inspection.evidence.load: {', '.join(sorted(loaded)) or 'nothing'}")
    return loaded


async def _load_csvs(inspection_id: int, out_dir: Path, agencies: tuple[str, ...]) -> None:
    from inspection.models import Child, Upload

    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    for agency in agencies:
        frame = pd.read_csv(out_dir / f"{agency}.csv", dtype=str, keep_default_na=False, engine="c")
        up = await Upload.create(
            inspection_id=inspection_id,
            source_kind="agency",
            agency=agency,
            filename=f"{agency}.csv",
            sha256=agency,
        )
        children: dict[str, int] = {}
        if agency == "social_care":
            have = set(
                await Child.filter(inspection_id=inspection_id).values_list(
                    "la_child_id", flat=True
                )
            )
            ids = sorted(set(frame["la_child_id"]) - {""} - have)
            await Child.bulk_create(
                [Child(inspection_id=inspection_id, la_child_id=i) for i in ids], batch_size=2000
            )
            children = dict(
                await Child.filter(inspection_id=inspection_id).values_list("la_child_id", "id")
            )
        first = frame.drop_duplicates("person_id")
        records = []
        for r in first.itertuples(index=False):
            child = children.get(r.la_child_id) if agency == "social_care" else None
            records.append(
                (
                    inspection_id,
                    up.id,
                    agency,
                    r.person_id,
                    r.la_child_id,
                    r.nhs_number,
                    r.upn,
                    r.given_name,
                    r.family_name,
                    _date(r.date_of_birth),
                    (r.sex or "")[:1].upper(),
                    r.postcode[:10],
                    r.address[:200],
                    child,
                    "",
                    "{}",
                )
            )
        await conn.execute_many(
            _sql(
                postgres,
                (
                    "INSERT INTO source_record (inspection_id, upload_id, agency, person_id, "
                    "la_child_id, nhs_number, upn, given_name, family_name, dob, sex, postcode, "
                    "address, child_id, link_method, link_evidence) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
                ),
            ),
            records,
        )
        found = await conn.execute_query_dict(
            _sql(postgres, "SELECT person_id, id FROM source_record WHERE upload_id = ?"), [up.id]
        )
        ids = {r["person_id"]: r["id"] for r in found}
        events = []
        for i, r in enumerate(frame.itertuples(index=False), start=2):
            kind = KIND.get((agency, r.event_type))
            start = _date(r.event_date)
            if kind is None or start is None:
                continue
            events.append(
                (
                    inspection_id,
                    up.id,
                    ids[r.person_id],
                    agency,
                    kind,
                    start,
                    _date(r.event_end_date),
                    agency,
                    i,
                    json.dumps({"details": r.details}),
                    "",
                    "",
                )
            )
        if events:
            await conn.execute_many(
                _sql(
                    postgres,
                    (
                        "INSERT INTO event (inspection_id, upload_id, record_id, agency, kind, "
                        "start, "
                        '"end", source_sheet, source_row, attributes, team, worker) '
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                    ),
                ),
                events,
            )


def read_truth(out_dir: Path) -> list[dict[str, Any]]:
    return json.loads((out_dir / "truth.json").read_text())["children"]


async def pairwise(inspection_id: int, truth: list[dict[str, Any]]) -> dict[str, float]:
    from inspection.models import SourceRecord

    rows = await SourceRecord.filter(inspection_id=inspection_id).values(
        "id", "agency", "person_id", "child_id"
    )
    by_key = {(r["agency"], r["person_id"]): r for r in rows}
    true_pairs: set[tuple[int, int]] = set()
    for child in truth:
        ids = sorted(by_key[(a, p)]["id"] for a, p in child["records"] if (a, p) in by_key)
        true_pairs.update(combinations(ids, 2))
    listed = {by_key[(a, p)]["id"] for c in truth for a, p in c["records"] if (a, p) in by_key}
    groups: dict[int, list[int]] = {}
    for r in rows:  # pairs among the agency records truth lists (not Annex A/CIN rows)
        if r["child_id"] is not None and r["id"] in listed:
            groups.setdefault(r["child_id"], []).append(r["id"])
    predicted: set[tuple[int, int]] = set()
    for ids in groups.values():
        predicted.update(combinations(sorted(ids), 2))
    hit = len(true_pairs & predicted)
    return {
        "true_pairs": len(true_pairs),
        "predicted_pairs": len(predicted),
        "correct": hit,
        "precision": hit / len(predicted) if predicted else 1.0,
        "recall": hit / len(true_pairs) if true_pairs else 1.0,
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database", default=os.environ.get("INSPECTION_BENCH_DATABASE", DEFAULT_DB)
    )
    parser.add_argument("--out", default="/tmp/bench_linkage")
    args = parser.parse_args()
    from inspection.journey.linkage import link_inspection
    from inspection.models import SourceRecord
    from inspection.synthetic import generate

    out = Path(args.out) / f"{args.children}_{args.seed}"
    if not (out / "truth.json").exists():
        generate(args.children, args.seed, out)
    url = await fresh_database(args.database, "inspection_bench_linkage")
    await open_database(url)
    t0 = time.perf_counter()
    inspection_id, _loaded = await load_authority(out, url)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    await SourceRecord.filter(inspection_id=inspection_id).values(
        "id", "given_name", "family_name", "dob", "postcode"
    )
    floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = await link_inspection(inspection_id)
    link_s = time.perf_counter() - t0
    scores = await pairwise(inspection_id, read_truth(out))
    print(
        f"children (truth): {args.children}   source records: {result.records}   "
        f"cores: {os.cpu_count()}"
    )
    print(f"load: {load_s:.1f} s   floor (read records back): {floor:.2f} s")
    print(
        f"link: {link_s:.1f} s   (target <= 60 s at 100,000)   ratio to floor: "
        f"{link_s / floor:.1f}x"
    )
    print("result:", json.dumps(result.as_dict()))
    print(
        f"pairwise precision: {scores['precision']:.4f} (target >= 0.995)   "
        f"recall: {scores['recall']:.4f} (target >= 0.98)   "
        f"true pairs {scores['true_pairs']}, predicted {scores['predicted_pairs']}, "
        f"correct {scores['correct']}"
    )
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
