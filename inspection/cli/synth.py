"""``inspection synth``: write a synthetic local authority's files (no database needed)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from inspection.cli.base import BadInput, add_json_flag, emit
from inspection.synthetic.noise import NOISE


def register(sub: argparse._SubParsersAction) -> None:
    synth = sub.add_parser("synth", help="generate a synthetic local authority's files")
    synth.add_argument("--children", required=True, type=int, help="how many children")
    synth.add_argument("--seed", required=True, type=int, help="same seed, same files")
    synth.add_argument("--out", required=True, type=Path, help="directory to write into")
    synth.add_argument(
        "--reference-date",
        type=_iso_date,
        default=date(2026, 11, 2),
        help="the inspection's reference date (YYYY-MM-DD)",
    )
    synth.add_argument(
        "--messy", action="store_true", help="give the Annex A workbook real-world mess"
    )
    synth.add_argument(
        "--noise",
        choices=sorted(NOISE),
        default="basic",
        help="how untidy the partner agencies' records are (docs/synthetic.md)",
    )
    add_json_flag(synth)
    synth.set_defaults(handler=_synth)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def _synth(args: argparse.Namespace) -> int:
    from inspection.synthetic import generate

    if args.children < 1:
        raise BadInput(f"--children must be at least 1 (got {args.children}).")
    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise BadInput(f"--out {out} is a file, not a directory.")
    if not out.exists() and out.parent.exists() and not out.parent.is_dir():
        raise BadInput(f"--out {out} cannot be created: {out.parent} is a file.")
    try:
        summary = generate(
            args.children,
            args.seed,
            out,
            args.reference_date,
            messy=args.messy,
            noise=args.noise,
        )
    except OSError as exc:
        raise BadInput(f"Could not write to {out}: {exc.strerror or exc}.") from exc
    emit(
        args,
        summary,
        lambda: (
            f"Wrote {summary['children']} synthetic children ({summary['la_children']} known to "
            f"social care) to {out}{' (messy Annex A)' if args.messy else ''}."
        ),
    )
    return 0
