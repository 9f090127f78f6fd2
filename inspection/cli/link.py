"""``inspection link --inspection ID``: link every source record to a child (a linkage job,
run here, with its progress on stderr)."""

from __future__ import annotations

import argparse

from inspection import settings as settings_module
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.cli.progress import ProgressPrinter
from inspection.db import database_down
from inspection.jobs.worker import start_here
from inspection.models import Inspection, JobKind, JobStatus


def register(sub: argparse._SubParsersAction) -> None:
    link = sub.add_parser("link", help="link each child's records across agencies")
    link.add_argument("--inspection", required=True, type=int)
    add_json_flag(link)
    link.set_defaults(handler=_link)


def _link(args: argparse.Namespace) -> int:
    config = settings_module.load()

    async def work() -> dict[str, object]:
        if not await Inspection.exists(id=args.inspection):
            raise BadInput(f"There is no inspection {args.inspection}.")
        worker, jobs = await start_here(config, "inspection link", args.inspection, JobKind.LINKAGE)
        printer = ProgressPrinter()
        try:
            ended = await worker.run(jobs[0], echo=printer)
        finally:
            printer.close()
        if ended.status != JobStatus.DONE:
            if ended.cause is not None and database_down(ended.cause):
                raise ended.cause  # said in plain words by run_with_db
            raise BadInput(ended.message)
        return ended.outcome

    doc = run_with_db(work)

    def text() -> str:
        per = ", ".join(f"{k} source(s): {v}" for k, v in doc["sources_per_child"].items())  # type: ignore[attr-defined]
        return (
            f"Linked {doc['records']} records into {doc['children']} children: "
            f"{doc['deterministic_links']} by shared identifiers, {doc['auto_linked']} "
            f"automatically by match probability, {doc['manual']} by people's decisions; "
            f"{doc['for_review']} pairs wait for review. Children by number of agencies: "
            f"{per}."
        )

    emit(args, doc, text)
    return 0
