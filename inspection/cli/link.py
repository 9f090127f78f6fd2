"""``inspection link --inspection ID``: link every source record to a child (a linkage job,
run here, with its progress on stderr)."""

from __future__ import annotations

import argparse

from inspection import settings as settings_module
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.cli.progress import run_to_the_end
from inspection.jobs.worker import start_here
from inspection.models import Inspection, JobKind


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
        ended = await run_to_the_end(worker, jobs[0])
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
