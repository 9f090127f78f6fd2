"""``python -m tests.reliability.cli_fault ARGS``: the ``inspection`` command, with the database
cut off at the moment an import starts writing its events (children and source records are
already written in the same transaction by then)."""

from __future__ import annotations

import sys
from typing import Any

from inspection.cli import main
from inspection.evidence.bulk import Bulk, Stage
from inspection.evidence.rows import STAGE_EVENT
from inspection.settings import load as load_settings
from tests.reliability.faults import SqliteDisk, terminate_backends


def install() -> None:
    config = load_settings()
    disk = None
    if config.dialect == "sqlite":
        disk = SqliteDisk()
        disk.install(setattr)
    original = Bulk.stage
    pending = [True]

    async def stage(bulk: Bulk, table: Stage, *args: Any, **kwargs: Any) -> int:
        if table is STAGE_EVENT and pending:
            pending.clear()
            if disk is not None:
                disk.armed = True
            else:
                assert await terminate_backends(config.database_url) > 0
            sys.stderr.write("(test: database cut off)\n")
        return await original(bulk, table, *args, **kwargs)

    Bulk.stage = stage  # type: ignore[method-assign]


if __name__ == "__main__":
    install()
    raise SystemExit(main(sys.argv[1:]))
