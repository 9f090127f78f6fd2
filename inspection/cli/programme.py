"""``inspection programme create|add-round|list|trend`` and ``inspection inspection
set-instrument``: audit programmes and the instrument of a round, as on their pages."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from inspection.audit.programmes import (
    ProgrammeError,
    add_round,
    create_programme,
    open_programme,
    programme_trend,
    set_round_instrument,
    visible_programmes,
)
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.export.programme import trend_csv
from inspection.models import Inspection, User
from inspection.models.core import PROGRAMME_ROUND_KINDS


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def register(sub: argparse._SubParsersAction) -> None:
    prog = sub.add_parser("programme", help="audit programmes: rounds and their trend")
    psub = prog.add_subparsers(dest="programme_command", metavar="ACTION", required=True)

    create = psub.add_parser("create", help="start an audit programme for an authority")
    create.add_argument("--la", required=True, help="local authority code")
    create.add_argument("--title", required=True)
    create.add_argument("--purpose", default="")
    create.add_argument("--by", help="e-mail of the user who starts it")
    add_json_flag(create)
    create.set_defaults(handler=_create)

    add = psub.add_parser("add-round", help="add a round (an inspection) to a programme")
    add.add_argument("--programme", required=True, type=int)
    add.add_argument("--kind", required=True, choices=[k.value for k in PROGRAMME_ROUND_KINDS])
    add.add_argument("--title", required=True)
    add.add_argument("--reference-date", required=True, type=_iso_date)
    add.add_argument("--theme", default="")
    add.add_argument("--instrument", default="", help="instrument code (default: child_help)")
    add.add_argument("--by", help="e-mail of the user who adds it (joins its team as lead)")
    add_json_flag(add)
    add.set_defaults(handler=_add_round)

    listing = psub.add_parser("list", help="list the audit programmes")
    add_json_flag(listing)
    listing.set_defaults(handler=_list)

    trend = psub.add_parser("trend", help="each domain's share good or better, round by round")
    trend.add_argument("--programme", required=True, type=int)
    trend.add_argument("--user", help="e-mail of a member: the trend as they see it")
    trend.add_argument("--csv", type=Path, help="also write the trend as CSV to this file")
    add_json_flag(trend)
    trend.set_defaults(handler=_trend)


def register_instrument(inspsub: argparse._SubParsersAction) -> None:
    """``inspection inspection set-instrument`` (registered by the inspection commands)."""
    choose = inspsub.add_parser(
        "set-instrument", help="the instrument a round's new audits are made with"
    )
    choose.add_argument("--inspection", required=True, type=int)
    choose.add_argument("--instrument", required=True, help="instrument code")
    choose.add_argument("--version", help="a version other than the current one")
    add_json_flag(choose)
    choose.set_defaults(handler=_set_instrument)


async def _user(email: str | None) -> User | None:
    if not email:
        return None
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


def _create(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        try:
            programme = await create_programme(
                args.la, args.title, args.purpose, await _user(args.by)
            )
        except ProgrammeError as exc:
            raise BadInput(str(exc)) from exc
        return {"id": programme.id, "title": programme.title, "la": args.la.strip().upper()}

    doc = run_with_db(work)
    emit(args, doc, f"Created audit programme {doc['id']}: {doc['title']}.")
    return 0


def _add_round(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        try:
            programme = await open_programme(args.programme, None)
            inspection = await add_round(
                programme,
                args.kind,
                args.title,
                args.reference_date,
                args.theme,
                args.instrument,
                await _user(args.by),
            )
        except ProgrammeError as exc:
            raise BadInput(str(exc)) from exc
        await inspection.fetch_related("rubric")
        return {
            "id": inspection.id,
            "programme": programme.id,
            "kind": str(inspection.kind),
            "title": inspection.title,
            "theme": inspection.theme,
            "instrument": inspection.rubric.code if inspection.rubric else "",
            "reference_date": inspection.reference_date,
        }

    doc = run_with_db(work)
    emit(args, doc, f"Added round {doc['id']} to audit programme {doc['programme']}.")
    return 0


def _list(args: argparse.Namespace) -> int:
    rows = run_with_db(lambda: visible_programmes(None))
    emit(
        args,
        rows,
        lambda: (
            "\n".join(
                f"{r['id']}: {r['title']} ({r['la__name']}), {r['rounds']} "
                f"round{'' if r['rounds'] == 1 else 's'}"
                for r in rows
            )
            or "No audit programmes."
        ),
    )
    return 0


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def trend_text(doc: dict[str, Any]) -> str:
    lines = [f"{doc['title']} ({doc['authority']}): {len(doc['rounds'])} rounds."]
    for r in doc["rounds"]:
        when = date.fromisoformat(r["reference_date"]).strftime("%d/%m/%Y")
        theme = f", theme: {r['theme']}" if r["theme"] else ""
        lines.append(
            f"  {when} {r['kind_label']}: {r['title']}{theme}; {r['instrument']}; "
            f"{r['audits']} audit{'' if r['audits'] == 1 else 's'} of sampled children"
        )
    for instrument in doc["instruments"]:
        lines.append(f"{instrument['title']}:")
        for d in instrument["domains"]:
            lines.append(f"  {d['title']}:")
            for r in d["rounds"]:
                lines.append(
                    f"    {r['title']}: good or better {r['good']}/{r['n']} {_pct(r['share'])} "
                    f"(95% CI {_pct(r['low'])} to {_pct(r['high'])})"
                )
    return "\n".join(lines)


def _trend(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        user = await _user(args.user)
        try:
            programme = await open_programme(args.programme, user)
        except ProgrammeError as exc:
            raise BadInput(str(exc)) from exc
        return await programme_trend(programme, user)

    doc = run_with_db(work)
    if args.csv:
        args.csv.write_text(trend_csv(doc), encoding="utf-8-sig")
        sys.stderr.write(f"Wrote {args.csv}.\n")
    emit(args, doc, lambda: trend_text(doc))
    return 0


def _set_instrument(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        if not await Inspection.filter(id=args.inspection).exists():
            raise BadInput(f"There is no inspection {args.inspection}.")
        try:
            rubric = await set_round_instrument(args.inspection, args.instrument, args.version)
        except ProgrammeError as exc:
            raise BadInput(str(exc)) from exc
        return {
            "inspection": args.inspection,
            "instrument": rubric.code,
            "version": rubric.version,
            "title": rubric.title,
        }

    doc = run_with_db(work)
    emit(
        args,
        doc,
        f"Inspection {doc['inspection']}: new audits are made with {doc['title']} "
        f"(version {doc['version']}).",
    )
    return 0
