"""How long a capped reader process takes to start and read a small workbook, by start method.

    python bench/bench_reader_start.py [--reads 30] [--file fixtures/demo/annex_a.xlsx]

Every upload is read in a process of its own whose memory is capped
(``inspection.evidence.reading``), and every file of a batch is loaded by one
(``inspection.evidence.bundle``). This compares the ways such a process can start, each in a
fresh Python process of its own so that none inherits another's server:

    forkserver+preload  the product's way: a server process that has imported the reading
                        code forks each reader;
    forkserver          a server process that has imported nothing first;
    spawn               a fresh interpreter for each reader, importing everything itself.

For each, the first read (which starts the server, for forkserver) and the median and p95 of
the next ``--reads`` reads of every sheet of the same workbook are printed, with each median's
ratio to the floor: reading the same sheet in place, with no process started, in the same run.
Asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METHODS = ("in place", "forkserver+preload", "forkserver", "spawn")


def measure(method: str, path: Path, reads: int) -> dict[str, float | list[float]]:
    from inspection.evidence import reading

    if method == "in place":
        reading.cap_this_process(reading.DEFAULT_READ_MEMORY * 4)
    elif method == "forkserver":
        reading.PRELOAD = ()
    elif method == "spawn":
        reading.START_METHOD = "spawn"
    times = []
    for _ in range(reads + 1):
        started = time.perf_counter()
        with reading.sheets(path, path.name) as workbook:
            rows = sum(len(sheet_rows) for _, sheet_rows in workbook)
        times.append(time.perf_counter() - started)
    assert rows > 0
    return {"first": times[0], "times": times[1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=30)
    parser.add_argument("--file", type=Path, default=ROOT / "fixtures/demo/annex_a.xlsx")
    parser.add_argument("--method", choices=METHODS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.method:
        print(json.dumps(measure(args.method, args.file, args.reads)))
        return
    results = {}
    for method in METHODS:
        answer = subprocess.run(
            [
                sys.executable,
                __file__,
                "--method",
                method,
                "--reads",
                str(args.reads),
                "--file",
                str(args.file),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[method] = json.loads(answer.stdout)
    floor = statistics.median(results["in place"]["times"])
    print(f"{args.file.name}: every sheet, {args.reads} reads after the first")
    print(f"{'method':<20} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'median/floor':>13}")
    for method, result in results.items():
        times = sorted(result["times"])
        median = statistics.median(times)
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        print(
            f"{method:<20} {result['first'] * 1000:>9.1f} {median * 1000:>10.1f} "
            f"{p95 * 1000:>8.1f} {median / floor:>13.2f}"
        )


if __name__ == "__main__":
    main()
