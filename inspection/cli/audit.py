"""``inspection rubric list`` and ``inspection findings``."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from inspection.audit.findings import findings
from inspection.audit.rubric import RubricError, rubric_list
from inspection.audit.visibility import COMMAND_LINE, NotAMember, viewer_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.models import Inspection, Sample, User


def register(sub: argparse._SubParsersAction) -> None:
    rubric = sub.add_parser("rubric", help="audit instruments")
    rsub = rubric.add_subparsers(dest="rubric_command", metavar="ACTION", required=True)
    rlist = rsub.add_parser("list", help="list the registered audit instruments")
    add_json_flag(rlist)
    rlist.set_defaults(handler=_rubric_list)

    find = sub.add_parser("findings", help="audit findings for an inspection")
    find.add_argument("--inspection", required=True, type=int)
    find.add_argument("--sample", type=int, help="only this sample's audits")
    find.add_argument(
        "--by",
        choices=["instrument", "area", "outcome"],
        default="instrument",
        help="read the domains by instrument (the default), by ILACS judgement area or by "
        "national framework outcome",
    )
    find.add_argument(
        "--user",
        help="e-mail of a member: the findings as they see them (without it, from the audits "
        "every member may see)",
    )
    add_json_flag(find)
    find.set_defaults(handler=_findings)


def _rubric_list(args: argparse.Namespace) -> int:
    async def work() -> list[dict[str, Any]]:
        try:
            return await rubric_list()
        except RubricError as exc:
            raise BadInput(str(exc)) from exc

    rows = run_with_db(work)
    emit(
        args,
        rows,
        lambda: "\n".join(
            f"{r['code']} v{r['version']}{' (default)' if r['default'] else ''}"
            f"{'' if r['current'] else ' (earlier version, kept for its audits)'}: {r['title']}"
            + (f"\n  informs: {'; '.join(r['areas'])}" if r["areas"] else "")
            for r in rows
        ),
    )
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _share_line(title: str, g: dict[str, Any], tracked: dict[str, Any], few: int) -> str:
    return (
        f"  {title}: good or better {g['good']}/{g['n']} "
        f"{_pct(g['share'])} (95% CI {_pct(g['low'])} to {_pct(g['high'])})"
        + (f" (too few to say much: fewer than {few})" if g["few"] else "")
        + (f"; tracked cases {tracked['good']}/{tracked['n']}" if tracked["n"] else "")
    )


def _framework_lines(doc: dict[str, Any], by: str) -> list[str]:
    """The domains under each ILACS area (``by`` "area") or framework outcome ("outcome")."""
    lines = []
    groups = doc["by_framework"]["areas" if by == "area" else "outcomes"]
    for group in groups:
        lines.append(f"{group['label']}:")
        for d in group["domains"]:
            lines.append(
                _share_line(
                    f"{d['title']} ({d['rubric_title']})",
                    d["good_or_better"],
                    d["tracked"],
                    doc["few_audits"],
                )
            )
    untagged = doc["by_framework"]["untagged"]
    if untagged:
        lines.append(
            f"{len(untagged)} domain(s) of an earlier instrument version name no area or outcome."
        )
    return lines


def _text(doc: dict[str, Any], by: str = "instrument") -> str:
    lines = [f"Inspection {doc['inspection_id']}: {doc['audits']} submitted audits."]
    if doc["tracked_audits"]:
        lines.append(
            f"And {doc['tracked_audits']} of tracked cases (chosen on purpose), shown beside "
            "each domain and in no estimate."
        )
    written = doc["judgement"]
    if written:
        at = written["written_at"]
        when = datetime.fromisoformat(at).strftime("%d/%m/%Y") if at else ""
        lines += [f"The inspectors' judgement ({written['written_by']}, {when}):", written["text"]]
    if by != "instrument":
        return "\n".join(lines + _framework_lines(doc, by))
    for r in doc["rubrics"]:
        lines.append(f"{r['rubric']}:")
        for d in r["domains"]:
            lines.append(
                _share_line(d["title"], d["good_or_better"], d["tracked"], doc["few_audits"])
            )
    return "\n".join(lines)


def _findings(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        if not await Inspection.filter(id=args.inspection).exists():
            raise BadInput(f"There is no inspection {args.inspection}.")
        if (
            args.sample is not None
            and not await Sample.filter(id=args.sample, inspection_id=args.inspection).exists()
        ):
            raise BadInput(f"Inspection {args.inspection} has no sample {args.sample}.")
        viewer = COMMAND_LINE
        if args.user:
            user = await User.get_or_none(email=args.user.strip().lower())
            if user is None:
                raise BadInput(f"There is no user with e-mail {args.user}.")
            try:
                viewer = await viewer_for(user, args.inspection)
            except NotAMember as exc:
                raise BadInput(str(exc)) from exc
        return await findings(args.inspection, viewer, args.sample)

    doc = run_with_db(work)
    emit(args, doc, lambda: _text(doc, args.by))
    return 0
