"""Journeys against the synthetic authority's truth, and how fast they build.

    python bench/bench_journey.py [--children 100000] [--seed 7] [--database URL]

Prints: the share of correctly linked children whose first need and first help match
truth.json exactly (target 100%), the time to build every journey (target <= 30 s at 100,000
on PostgreSQL), the time to compute every child's indicators, and one journey page's server
time (target <= 100 ms), each beside a floor measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

from tortoise import Tortoise

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_linkage import (  # noqa: E402
    DEFAULT_DB,
    fresh_database,
    load_authority,
    open_database,
    read_truth,
)


async def page_times(inspection_id: int, child_ids: list[int], url: str) -> list[float]:
    import httpx2

    from inspection.accounts import create_user
    from inspection.inspections import add_member
    from inspection.models import Inspection
    from inspection.settings import Settings
    from inspection.web.app import create_app

    settings = Settings(
        data_dir=Path("/tmp/bench_journey_web"),
        database_url=url,
        secret_key=os.urandom(24).hex(),
    )
    user = await create_user("bench@example.org", "Bench", "inspector", "correct horse battery")
    await add_member(await Inspection.get(id=inspection_id), user, "inspector")
    app = create_app(settings, manage_database=False)
    times = []
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="http://127.0.0.1"
    ) as client:
        await client.post("/login", data={"email": user.email, "password": "correct horse battery"})
        for child_id in child_ids:
            t0 = time.perf_counter()
            response = await client.get(f"/inspections/{inspection_id}/children/{child_id}")
            times.append(time.perf_counter() - t0)
            assert response.status_code == 200, response.status_code
    return times


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--database", default=os.environ.get("INSPECTION_BENCH_DATABASE", DEFAULT_DB)
    )
    parser.add_argument("--out", default="/tmp/bench_linkage")
    args = parser.parse_args()
    from inspection.journey.build import journeys_for_inspection
    from inspection.journey.indicators import for_journey
    from inspection.journey.linkage import link_inspection
    from inspection.models import Child, SourceRecord
    from inspection.synthetic import generate

    out = Path(args.out) / f"{args.children}_{args.seed}"
    if not (out / "truth.json").exists():
        generate(args.children, args.seed, out)
    url = await fresh_database(args.database, "inspection_bench_journey")
    await open_database(url)
    inspection_id, loaded = await load_authority(out, url)
    social_care_loaded = {"annex_a.xlsx", "cin_census.xml"} <= loaded
    t0 = time.perf_counter()
    await link_inspection(inspection_id)
    link_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    await Child.filter(inspection_id=inspection_id).values("id", "la_child_id")
    floor = time.perf_counter() - t0
    t0 = time.perf_counter()
    journeys = await journeys_for_inspection(inspection_id)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for j in journeys.values():
        for_journey(j)
    indicators_s = time.perf_counter() - t0

    truth = read_truth(out)
    records = await SourceRecord.filter(inspection_id=inspection_id).values(
        "agency", "person_id", "child_id"
    )
    child_of: dict[tuple[str, str], set[int | None]] = {}
    for r in records:
        child_of.setdefault((r["agency"], r["person_id"]), set()).add(r["child_id"])
    truth_keys = {(a, p) for c in truth for a, p in c["records"]}
    members: dict[int, set[tuple[str, str]]] = {}
    for r in records:  # (agency, person id) of every record linked to each child
        if r["child_id"] is not None and (r["agency"], r["person_id"]) in truth_keys:
            members.setdefault(r["child_id"], set()).add((r["agency"], r["person_id"]))
    checked = need_ok = help_ok = 0
    wrong: list[str] = []
    for c in truth:
        if not social_care_loaded and any(e["agency"] == "social_care" for e in c["events"]):
            continue
        ids = set().union(*(child_of.get((a, p), {None}) for a, p in c["records"]))
        if len(ids) != 1 or None in ids:
            continue  # not linked as one child
        (cid,) = ids
        if members[cid] != {(a, p) for a, p in c["records"]}:
            continue  # linked with someone else's record too
        j = journeys[cid]
        checked += 1
        need = j.first_need.isoformat() if j.first_need else None
        help_ = j.first_help.isoformat() if j.first_help else None
        need_ok += need == c["first_need"]
        help_ok += help_ == c["first_help"]
        if (need != c["first_need"] or help_ != c["first_help"]) and len(wrong) < 5:
            wrong.append(
                f"{c['key']}: need {need} vs {c['first_need']}, help {help_} vs {c['first_help']}"
            )
    busiest = sorted(journeys, key=lambda k: -len(journeys[k].events))[:20]
    times = await page_times(inspection_id, busiest, url)

    scope = (
        "all children"
        if social_care_loaded
        else "children whose truth events are all partner-agency events (Annex A and CIN "
        "census did not load, so social-care events are missing)"
    )
    events = sum(len(j.events) for j in journeys.values())
    print(
        f"children (truth): {args.children}   journeys: {len(journeys)}   events: {events}   "
        f"cores: {os.cpu_count()}   database: {url.split('://')[0]}"
    )
    print(f"link: {link_s:.1f} s")
    print(
        f"build every journey: {build_s:.1f} s (target <= 30 s at 100,000)   floor (read "
        f"children): {floor:.2f} s   ratio {build_s / floor:.1f}x"
    )
    print(f"indicators for every child: {indicators_s:.1f} s")
    print(
        f"first need and first help vs truth, {scope}: checked {checked} correctly linked "
        f"children; first need exact {need_ok / max(checked, 1):.2%}, first help exact "
        f"{help_ok / max(checked, 1):.2%} (target 100%)"
    )
    for line in wrong:
        print("  mismatch", line)
    print(
        f"journey page server time, 20 busiest children: median "
        f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
        f"(target <= 100 ms)"
    )
    await Tortoise.close_connections()


if __name__ == "__main__":
    asyncio.run(main())
