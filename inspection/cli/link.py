"""``inspection link --inspection ID``: link every source record to a child."""

from __future__ import annotations

import argparse

from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.models import Inspection


def register(sub: argparse._SubParsersAction) -> None:
    link = sub.add_parser("link", help="link each child's records across agencies")
    link.add_argument("--inspection", required=True, type=int)
    add_json_flag(link)
    link.set_defaults(handler=_link)


def _link(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        from inspection.journey.linkage import link_inspection

        if not await Inspection.exists(id=args.inspection):
            raise BadInput(f"There is no inspection {args.inspection}.")
        result = await link_inspection(args.inspection)
        return result.as_dict()

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
