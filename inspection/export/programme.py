"""An audit programme's trend as a table: one row per instrument, domain and round, the rows
the programme's page shows (``audit.programmes.programme_trend``), written by the one CSV
writer (``export.cells``)."""

from __future__ import annotations

from typing import Any

from inspection.export.cells import csv_text

HEADER = [
    "Instrument",
    "Domain",
    "ILACS judgement area",
    "National framework outcome",
    "Round",
    "Reference date",
    "Graded",
    "Good or better",
    "Share good or better",
    "95% interval from",
    "95% interval to",
    "Too few to say much",
]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


def trend_rows(doc: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = [HEADER]
    for instrument in doc["instruments"]:
        for d in instrument["domains"]:
            for r in d["rounds"]:
                rows.append(
                    [
                        instrument["title"],
                        d["title"],
                        d["area_label"] or "",
                        d["outcome_label"] or "",
                        r["title"],
                        r["reference_date"],
                        r["n"],
                        r["good"],
                        _pct(r["share"]),
                        _pct(r["low"]),
                        _pct(r["high"]),
                        "Yes" if r["few"] else "No",
                    ]
                )
    return rows


def trend_csv(doc: dict[str, Any]) -> str:
    return csv_text(trend_rows(doc))
