"""The ``inspection`` command.

Exit codes: 0 done, 1 bad input (a plain-English reason on stderr, nothing written),
2 usage error. Data-producing commands take ``--json`` and then print one JSON document.
Each area registers its sub-commands from its own module (see ``COMMAND_MODULES``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from inspection.cli.base import BadInput, UsageError
from inspection.settings import SettingsError

COMMAND_MODULES = [
    "inspection.cli.db",
    "inspection.cli.admin",
    "inspection.cli.synth",
    "inspection.cli.serve",
    "inspection.cli.worker",
    "inspection.cli.importing",
    "inspection.cli.link",
    "inspection.cli.journey",
    "inspection.cli.sample",
    "inspection.cli.audit",
    "inspection.cli.conversation",
    "inspection.cli.programme",
    "inspection.cli.multi_agency",
    "inspection.cli.learning",
    "inspection.cli.export",
]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="inspection", description="Inspection evidence and audit platform.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.handler(args)
    except (BadInput, SettingsError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        sys.stderr.write(f"inspection: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


def run() -> None:
    raise SystemExit(main())
