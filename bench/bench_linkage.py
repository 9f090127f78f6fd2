"""Linkage measured against truth: the product and plain Splink, in one run.

    python bench/bench_linkage.py [--children 20000] [--database URL] [--skip-plain]

Four sets of records, each loaded through the product's importer (inspection.evidence.load.
import_file) into an inspection of its own, then linked:

- the synthetic authority as the model was first set against (noise ``basic``, seed 7);
- the same authority with the untidiness of real extracts (noise ``realistic``, seed 7);
- a second seed with other, held-out noise rates (noise ``severe``, seed 8);
- FEBRL's labelled records (5,000 records of 2,000 people) spread over four partner agencies,
  each record under a person id of its own (inspection.synthetic.febrl).

For each: pairwise precision and recall of "these two source records are the same child",
the review queue (pairs, pairs per 1,000 records, how many of them are truly one child), and
the time to link; then plain Splink on the same records read back from the database (stock
name, date-of-birth and postcode/town comparisons, EM-trained, clustered at 0.95) as the
reference, and the floor (reading the records back) measured in the same run.

What the twin rule buys is counted beside what it costs: the *twin pairs* of each set (by the
answer key, two different people with one date of birth and one family name: twins, and the
odd unrelated pair) and how many of them each method made one child.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Iterable
from datetime import date
from itertools import combinations
from pathlib import Path
from typing import Any

import asyncpg
import pandas as pd
from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inspection.settings import tortoise_config  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/test"
AGENCIES = ("social_care", "police", "health", "education", "early_help")
REFERENCE = date(2026, 11, 2)
Key = tuple[str, str]  # (agency, person id)


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


async def _new_inspection(title: str, reference: date) -> int:
    from inspection.models import Inspection, LocalAuthority

    la, _ = await LocalAuthority.get_or_create(
        code="SYN", defaults={"name": "Synthshire County Council"}
    )
    insp = await Inspection.create(la=la, kind="jtai", title=title, reference_date=reference)
    return insp.id


async def _import(inspection_id: int, jobs: Iterable[tuple[Path, str, str | None]], url: str):
    from inspection.evidence.load import import_file
    from inspection.settings import Settings

    data = Path("/tmp/bench_linkage_data")
    settings = Settings(data_dir=data, database_url=url, secret_key=os.urandom(24).hex())
    for path, kind, agency in jobs:
        await import_file(inspection_id, path, kind, agency, settings)


async def load_authority(out_dir: Path, url: str) -> tuple[int, set[str]]:
    """Load the synthetic authority's seven files into a new inspection, through the product's
    importer; returns its id and the files loaded."""
    meta = json.loads((out_dir / "truth.json").read_text().split(', "children"')[0] + "}")
    inspection_id = await _new_inspection(
        f"Benchmark {out_dir.name}", date.fromisoformat(meta["reference_date"])
    )
    jobs: list[tuple[Path, str, str | None]] = [
        (out_dir / "annex_a.xlsx", "annex-a", None),
        (out_dir / "cin_census.xml", "cin-census", None),
    ]
    jobs += [(out_dir / f"{a}.csv", "agency", a) for a in AGENCIES]
    await _import(inspection_id, jobs, url)
    return inspection_id, {p.name for p, _, _ in jobs}


def read_truth(out_dir: Path) -> list[dict[str, Any]]:
    return json.loads((out_dir / "truth.json").read_text())["children"]


def _pairs(groups: Iterable[Iterable[int]]) -> set[tuple[int, int]]:
    out: set[tuple[int, int]] = set()
    for ids in groups:
        out.update(combinations(sorted(ids), 2))
    return out


def twin_pairs(households: list[tuple[str, str]]) -> list[tuple[int, int]]:
    """Pairs of people (indexes into the answer key) with one family name and one date of
    birth: different children a linkage could take for one."""
    by_household: dict[tuple[str, str], list[int]] = {}
    for i, (family, dob) in enumerate(households):
        if family and dob:
            by_household.setdefault((family.lower(), dob), []).append(i)
    return sorted(p for people in by_household.values() for p in combinations(people, 2))


def twins_merged(
    twins: list[tuple[int, int]],
    records_of: dict[int, list[int]],
    predicted: set[tuple[int, int]],
) -> int:
    """How many of the twin pairs have a record of one and a record of the other linked."""
    return sum(
        any(
            (min(a, b), max(a, b)) in predicted
            for a in records_of.get(i, [])
            for b in records_of.get(j, [])
        )
        for i, j in twins
    )


def score(true_pairs: set[tuple[int, int]], predicted: set[tuple[int, int]]) -> dict[str, Any]:
    hit = len(true_pairs & predicted)
    return {
        "true_pairs": len(true_pairs),
        "predicted_pairs": len(predicted),
        "correct": hit,
        "precision": hit / len(predicted) if predicted else 1.0,
        "recall": hit / len(true_pairs) if true_pairs else 1.0,
    }


async def _records(inspection_id: int, keys: set[Key]) -> list[dict[str, Any]]:
    """The inspection's agency records that truth lists (not Annex A or CIN census rows)."""
    from inspection.models import SourceRecord

    rows = await SourceRecord.filter(inspection_id=inspection_id).values(
        "id",
        "agency",
        "person_id",
        "child_id",
        "given_name",
        "family_name",
        "dob",
        "postcode",
        "address",
    )
    # Annex A, the CIN census and the person list all name an authority child by its id:
    # the fullest record of each (agency, person id) stands for it (the person list's, with
    # the child's name), as truth lists it once.
    first: dict[Key, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (not r["given_name"], r["dob"] is None, r["id"])):
        key = (r["agency"], r["person_id"])
        if key in keys:
            first.setdefault(key, r)
    return list(first.values())


async def evaluate(
    inspection_id: int,
    people: list[list[Key]],
    households: list[tuple[str, str]],
    plain: bool,
) -> dict[str, Any]:
    """The product's linkage (already run) and, if asked, plain Splink's, against truth;
    ``households`` gives each person's family name and date of birth."""
    from inspection.models import LinkDecision, SourceRecord

    keys = {k for person in people for k in person}
    rows = await _records(inspection_id, keys)
    by_key = {(r["agency"], r["person_id"]): r["id"] for r in rows}
    true_pairs = _pairs([by_key[k] for k in person if k in by_key] for person in people)
    groups: dict[int, list[int]] = {}
    for r in rows:
        if r["child_id"] is not None:
            groups.setdefault(r["child_id"], []).append(r["id"])
    product_pairs = _pairs(groups.values())
    out = {"records": len(rows), "product": score(true_pairs, product_pairs)}
    twins = twin_pairs(households)
    records_of: dict[int, list[int]] = {}
    for i, person in enumerate(people):
        records_of[i] = [by_key[k] for k in person if k in by_key]
    out["twins"] = {"pairs": len(twins), "product": twins_merged(twins, records_of, product_pairs)}
    pending = await LinkDecision.filter(inspection_id=inspection_id, decision="pending").values(
        "left_record_id", "right_record_id"
    )
    child_of = dict(
        await SourceRecord.filter(inspection_id=inspection_id).values_list("id", "child_id")
    )
    person_of = {by_key[k]: i for i, person in enumerate(people) for k in person if k in by_key}
    same = 0
    for d in pending:  # one question per pair of children: truly one child if any pair is
        left, right = child_of.get(d["left_record_id"]), child_of.get(d["right_record_id"])
        lp = {person_of.get(r) for r in groups.get(left or -1, [])} - {None}
        rp = {person_of.get(r) for r in groups.get(right or -1, [])} - {None}
        same += bool(lp & rp)
    out["review"] = {"pairs": len(pending), "truly_one_child": same}
    # As if a person decided every queued pair as truth would: the queue's worth.
    parent = {c: c for c in groups}

    def find(c: int) -> int:
        while parent[c] != c:
            c = parent[c]
        return c

    for d in pending:
        left, right = child_of.get(d["left_record_id"]), child_of.get(d["right_record_id"])
        if left in parent and right in parent:
            lp = {person_of.get(r) for r in groups[left]} - {None}
            if lp & ({person_of.get(r) for r in groups[right]} - {None}):
                parent[find(left)] = find(right)
    merged: dict[int, list[int]] = {}
    for c, ids in groups.items():
        merged.setdefault(find(c), []).extend(ids)
    out["after_review"] = score(true_pairs, _pairs(merged.values()))
    if plain:
        t0 = time.perf_counter()
        curve = plain_splink(rows)
        seconds = time.perf_counter() - t0
        at_95 = score(true_pairs, curve[0.95])
        # plain Splink's recall at the product's precision: the lowest threshold reaching it
        equal = next(
            (
                (t, sc)
                for t, sc in ((t, score(true_pairs, p)) for t, p in sorted(curve.items()))
                if sc["precision"] >= out["product"]["precision"]
            ),
            None,
        )
        out["plain"] = {**at_95, "seconds": seconds}
        out["twins"]["plain"] = twins_merged(twins, records_of, curve[0.95])
        if equal is not None:
            out["plain_equal"] = {**equal[1], "threshold": equal[0]}
            out["twins"]["plain_equal"] = twins_merged(twins, records_of, curve[equal[0]])
    return out


PLAIN_THRESHOLDS = (0.95, 0.99, 0.999, 0.9999, 0.99999, 0.999999, 0.9999999)


def plain_splink(rows: list[dict[str, Any]]) -> dict[float, set[tuple[int, int]]]:
    """Plain Splink as its documentation sets it up, on the fields every record has: stock
    name, date-of-birth, postcode and town comparisons, the prior from deterministic rules, u
    by random sampling, m by EM on two blocking rules; the pairs its clusters make at 0.95
    (its tutorials' threshold) and at stricter thresholds."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    frame = pd.DataFrame(
        {
            "unique_id": [r["id"] for r in rows],
            "given_name": [(r["given_name"] or "").lower() or None for r in rows],
            "family_name": [(r["family_name"] or "").lower() or None for r in rows],
            "dob": [r["dob"].isoformat() if r["dob"] else None for r in rows],
            "postcode": [(r["postcode"] or "").upper().replace(" ", "") or None for r in rows],
            "town": [
                (r["address"] or "").rsplit(",", 1)[-1].strip().lower() or None
                if "," in (r["address"] or "")
                else None
                for r in rows
            ],
        }
    )
    for column in ("given_name", "family_name", "dob", "postcode", "town"):
        frame[column] = frame[column].astype(object)
    comparisons = [
        cl.NameComparison("given_name"),
        cl.NameComparison("family_name"),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ]
    if frame["town"].notna().any():
        comparisons.append(cl.ExactMatch("town").configure(term_frequency_adjustments=True))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("given_name", "dob"),
            block_on("family_name"),
            block_on("dob"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    api = DuckDBAPI()
    linker = Linker(api.register(frame), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "family_name", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("given_name", "family_name")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    out = {}
    for threshold in PLAIN_THRESHOLDS:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        ).as_pandas_dataframe()
        out[threshold] = _pairs(
            clusters.groupby("cluster_id")["unique_id"].apply(lambda s: [int(v) for v in s])
        )
    api.duckdb_con.close()
    return out


def _line(name: str, link_s: float, result: dict[str, Any], ev: dict[str, Any]) -> None:
    p, records = ev["product"], ev["records"]
    review = ev["review"]
    print(f"\n== {name}: {records} agency records, {result['records']} records in all")
    print(
        f"  product      precision {p['precision']:.4f}  recall {p['recall']:.4f}  "
        f"(true pairs {p['true_pairs']}, predicted {p['predicted_pairs']}, "
        f"correct {p['correct']})  link {link_s:.1f} s"
    )
    per_1000 = 1000 * review["pairs"] / max(result["records"], 1)
    print(
        f"  review queue {review['pairs']} pairs = {per_1000:.1f} per 1,000 records "
        f"(goal <= 100); {review['truly_one_child']} of them truly one child"
    )
    a = ev["after_review"]
    print(
        f"  with the queue decided (as truth would): precision {a['precision']:.4f}  "
        f"recall {a['recall']:.4f}"
    )
    t = ev["twins"]
    line = (
        f"  twin pairs (two people, one date of birth and family name): {t['pairs']}; "
        f"made one child by the product: {t['product']}"
    )
    if "plain" in t:
        line += f", by plain Splink at 0.95: {t['plain']}"
    if "plain_equal" in t:
        line += f", at the product's precision: {t['plain_equal']}"
    print(line)
    if "plain" in ev:
        q = ev["plain"]
        print(
            f"  plain Splink at 0.95: precision {q['precision']:.4f}  recall {q['recall']:.4f}  "
            f"(predicted {q['predicted_pairs']}, correct {q['correct']})  {q['seconds']:.1f} s"
        )
        e = ev.get("plain_equal")
        if e is None:
            print("  plain Splink never reaches the product's precision")
        else:
            print(
                f"  plain Splink at the product's precision (threshold {e['threshold']}): "
                f"precision {e['precision']:.4f}  recall {e['recall']:.4f}; "
                f"recall, product - plain Splink: {p['recall'] - e['recall']:+.4f}"
            )


async def run_synthetic(
    name: str, children: int, seed: int, noise: str, base: Path, url: str, plain: bool
) -> dict[str, Any]:
    from inspection.synthetic import generate

    out = base / f"{children}_{seed}_{noise}"
    if not (out / "truth.json").exists():
        generate(children, seed, out, noise=noise)
    inspection_id, _ = await load_authority(out, url)
    truth = read_truth(out)
    people = [[(a, p) for a, p in child["records"]] for child in truth]
    households = [(child["family_name"], child["date_of_birth"]) for child in truth]
    return await _run(name, inspection_id, people, households, plain)


async def run_febrl(base: Path, url: str, plain: bool) -> dict[str, Any]:
    from inspection.synthetic.febrl import write_extracts

    extracts = write_extracts(base / "febrl")
    inspection_id = await _new_inspection("Benchmark FEBRL", REFERENCE)
    await _import(inspection_id, [(path, "agency", a) for a, path in extracts.files.items()], url)
    return await _run(
        "FEBRL dataset3 over four agencies",
        inspection_id,
        extracts.people,
        extracts.households,
        plain,
    )


async def _run(
    name: str,
    inspection_id: int,
    people: list[list[Key]],
    households: list[tuple[str, str]],
    plain: bool,
) -> dict[str, Any]:
    from inspection.journey.linkage import link_inspection

    t0 = time.perf_counter()
    result = (await link_inspection(inspection_id)).as_dict()
    link_s = time.perf_counter() - t0
    ev = await evaluate(inspection_id, people, households, plain)
    _line(name, link_s, result, ev)
    return {"name": name, "link_seconds": link_s, "result": result, **ev}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument(
        "--database", default=os.environ.get("INSPECTION_BENCH_DATABASE", DEFAULT_DB)
    )
    parser.add_argument("--out", default="/tmp/bench_linkage")
    parser.add_argument("--only", choices=("basic", "realistic", "severe", "febrl"))
    parser.add_argument("--skip-plain", action="store_true", help="the product only")
    args = parser.parse_args()
    from inspection.models import SourceRecord

    base = Path(args.out)
    url = await fresh_database(args.database, "inspection_bench_linkage")
    await open_database(url)
    plain = not args.skip_plain
    print(f"cores: {os.cpu_count()}   children per synthetic authority: {args.children}")
    runs = [
        ("old synthetic authority (noise basic, seed 7)", 7, "basic"),
        ("noisier synthetic authority (noise realistic, seed 7)", 7, "realistic"),
        ("second seed, held-out noise rates (noise severe, seed 8)", 8, "severe"),
    ]
    results = []
    for name, seed, noise in runs:
        if args.only in (None, noise):
            results.append(await run_synthetic(name, args.children, seed, noise, base, url, plain))
    if args.only in (None, "febrl"):
        results.append(await run_febrl(base, url, plain))
    t0 = time.perf_counter()
    await SourceRecord.all().values("id", "given_name", "family_name", "dob", "postcode")
    floor = time.perf_counter() - t0
    total = sum(r["result"]["records"] for r in results)
    link = sum(r["link_seconds"] for r in results)
    print(
        f"\nfloor (read all {total} records back): {floor:.2f} s   "
        f"linking took {link:.1f} s in all, {link / max(floor, 1e-9):.0f}x the floor"
    )
    summary = [
        {
            "name": r["name"],
            "product": r["product"],
            "plain": r.get("plain"),
            "review": r["review"],
            "after_review": r["after_review"],
            "plain_equal": r.get("plain_equal"),
            "twins": r["twins"],
            "records": r["result"]["records"],
        }
        for r in results
    ]
    (base / "results.json").write_text(json.dumps(summary, indent=1, default=str))
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
