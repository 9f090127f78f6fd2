"""Stratified draw from 1,000,000 children (in memory, pure functions): CPU seconds.

Prints the CPU time (time.process_time) of each step and the ratio of the whole draw to a floor
measured in the same run: sorting the 1,000,000 keys once. Target: the draw ≤ 1 s of CPU.

    /tmp/v/bin/python bench/bench_sampling.py [N]
"""

from __future__ import annotations

import random
import sys
import time

from inspection.sampling import draw as drawing
from inspection.sampling.verify import StoredMember, verify_record

TEAMS = [f"Team {i:02d}" for i in range(12)]


def main(count: int = 1_000_000) -> None:
    rng = random.Random(20261125)
    ids = rng.sample(range(1, count * 5), count)
    population = {str(i): TEAMS[rng.randrange(len(TEAMS))] for i in ids}  # database order
    keys = list(population)

    start = time.process_time()
    sorted(keys)
    floor = time.process_time() - start

    seed = "9f" * 32
    params = drawing.make_params(400, "proportional", "team", reserve=5)
    start = time.process_time()
    frame = drawing.canonical_frame(population)
    digest = drawing.snapshot_hash(frame)
    snapshot_cpu = time.process_time() - start
    start = time.process_time()
    result = drawing.run(frame, seed, params)
    draw_cpu = time.process_time() - start
    stored = frame.pairs()
    start = time.process_time()
    report = verify_record(
        seed=seed,
        method="stratified-proportional",
        params=params,
        population_ids=stored,
        population_hash=digest,
        population_size=len(frame),
        stored_result_hash=drawing.result_hash(result),
        members=[
            StoredMember(i, m.key, m.stratum, m.order, m.role, m.probability, m.weight)
            for i, m in enumerate(result.members)
        ],
    )
    verify_cpu = time.process_time() - start
    assert report.ok, report.failed
    total = snapshot_cpu + draw_cpu
    print(
        f"population: {count:,} children in {len(TEAMS)} strata; "
        f"selected {len(result.selected)}, reserve {len(result.reserves)}"
    )
    print(f"floor (sort {count:,} keys):        {floor:.3f} s CPU")
    print(f"canonical frame + snapshot hash:   {snapshot_cpu:.3f} s CPU")
    print(f"allocate + draw:                   {draw_cpu:.3f} s CPU")
    print(
        f"stratified draw total:             {total:.3f} s CPU "
        f"(ratio to floor {total / floor:.2f}; target <= 1 s)"
    )
    print(
        f"verify (recompute from snapshot):  {verify_cpu:.3f} s CPU "
        f"(ratio to floor {verify_cpu / floor:.2f})"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
