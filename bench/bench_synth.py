"""Time ``inspection.synthetic.generate`` for 50,000 children, against a floor: writing the same
number of rows with plain ``csv.writer``. Prints figures; asserts nothing about time."""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

from inspection.synthetic import generate

CHILDREN = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000


def floor(rows: int, out: Path) -> float:
    start = time.perf_counter()
    with open(out / "floor.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        for i in range(rows):
            writer.writerow(
                (
                    i,
                    "PP12345678",
                    "9434765919",
                    "",
                    "",
                    "Jayden",
                    "Smith",
                    "03/04/2015",
                    "M",
                    "XS1 2AB",
                    "12 Elm Road",
                    "01/02/2026",
                    "",
                    "domestic_abuse_notification",
                    "Standard risk DASH",
                    "",
                )
            )
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        start = time.perf_counter()
        summary = generate(CHILDREN, 1, out / "la")
        seconds = time.perf_counter() - start
        rows = sum(summary["files"].values()) + sum(summary["annex_a"].values())
        floor_seconds = floor(rows, out)
    print(
        f"generate: {CHILDREN} children in {seconds:.2f} s "
        f"({CHILDREN / seconds:,.0f} children/s; {rows:,} rows written, "
        f"{summary['events']:,} truth events)"
    )
    print(
        f"floor (csv.writer, {rows:,} rows): {floor_seconds:.2f} s; "
        f"ratio {seconds / floor_seconds:.1f}x"
    )


if __name__ == "__main__":
    main()
