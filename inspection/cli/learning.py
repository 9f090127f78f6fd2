"""``inspection action …``, ``inspection reaudit …`` and ``inspection self-evaluation``: the
learning loop as a QA team scripts it."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from inspection.audit.visibility import COMMAND_LINE, NotAMember, Viewer, viewer_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.learning import actions as acts
from inspection.learning import reaudit
from inspection.learning.self_evaluation import QUESTIONS, self_evaluation
from inspection.models import Child, Inspection, User
from inspection.models.columns import fits


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def register(sub: argparse._SubParsersAction) -> None:
    action = sub.add_parser("action", help="actions from audits and findings")
    asub = action.add_subparsers(dest="action_command", metavar="ACTION", required=True)

    alist = asub.add_parser("list", help="the inspection's actions, overdue first")
    alist.add_argument("--inspection", required=True, type=int)
    alist.add_argument("--user", help="e-mail of a member: the actions as they see them")
    alist.add_argument("--overdue", action="store_true", help="only the overdue actions")
    add_json_flag(alist)
    alist.set_defaults(handler=_list)

    add = asub.add_parser("add", help="record an action")
    add.add_argument("--inspection", required=True, type=int)
    add.add_argument("--what", required=True, help="what must be done")
    add.add_argument("--due", required=True, type=_iso_date, help="due by (YYYY-MM-DD)")
    owner = add.add_mutually_exclusive_group(required=True)
    owner.add_argument("--owner", help="e-mail of the member of the team who owns it")
    owner.add_argument("--owner-name", help="a named person or role who owns it")
    add.add_argument("--audit", type=int, help="the audit it comes from")
    add.add_argument("--domain", default="", help="the rubric domain it is about (its key)")
    add.add_argument("--by", required=True, help="e-mail of the member recording it")
    add_json_flag(add)
    add.set_defaults(handler=_add)

    done = asub.add_parser("complete", help="record that an action was done, with the evidence")
    done.add_argument("--inspection", required=True, type=int)
    done.add_argument("--action", required=True, type=int)
    done.add_argument("--evidence", required=True, help="the evidence that it was done")
    done.add_argument("--done-on", required=True, type=_iso_date, help="YYYY-MM-DD")
    done.add_argument("--by", required=True, help="e-mail of its owner or a lead who confirms it")
    add_json_flag(done)
    done.set_defaults(handler=_complete)

    drop = asub.add_parser("drop", help="drop an open action, with the reason (a lead)")
    drop.add_argument("--inspection", required=True, type=int)
    drop.add_argument("--action", required=True, type=int)
    drop.add_argument("--reason", required=True)
    drop.add_argument("--by", required=True, help="e-mail of a lead inspector")
    add_json_flag(drop)
    drop.set_defaults(handler=_drop)

    again = sub.add_parser("reaudit", help="children audited again after the actions")
    rsub = again.add_subparsers(dest="reaudit_command", metavar="ACTION", required=True)
    allow = rsub.add_parser("allow", help="record why a child is audited again")
    allow.add_argument("--inspection", required=True, type=int)
    allow.add_argument("--child", required=True, help="the child's local authority ID")
    allow.add_argument("--reason", default="", help="why the child is audited again")
    allow.add_argument("--by", required=True, help="e-mail of the member recording it")
    add_json_flag(allow)
    allow.set_defaults(handler=_allow)
    rlist = rsub.add_parser("list", help="each child audited again: before and after")
    rlist.add_argument("--inspection", required=True, type=int)
    rlist.add_argument("--user", help="e-mail of a member: as they see it")
    add_json_flag(rlist)
    rlist.set_defaults(handler=_reaudits)

    selfev = sub.add_parser(
        "self-evaluation", help="what you know, how you know it, your plans (Ofsted's questions)"
    )
    selfev.add_argument("--inspection", required=True, type=int)
    selfev.add_argument("--user", help="e-mail of a member: as they see it")
    add_json_flag(selfev)
    selfev.set_defaults(handler=_self_evaluation)


async def _inspection(inspection_id: int) -> Inspection:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise BadInput(f"There is no inspection {inspection_id}.")
    return inspection


async def _user(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


async def _viewer(inspection_id: int, email: str | None) -> Viewer:
    await _inspection(inspection_id)
    if not email:
        return COMMAND_LINE
    try:
        return await viewer_for(await _user(email), inspection_id)
    except NotAMember as exc:
        raise BadInput(str(exc)) from exc


def _line(a: acts.ActionView) -> str:
    state = "Overdue" if a.overdue else a.status_label
    about = f" [{a.child or a.domain_title}]" if a.child or a.domain_title else ""
    tail = ""
    if a.status == "done":
        tail = f"; done {a.done_on:%d/%m/%Y}: {a.evidence} (confirmed by {a.closed_by})"
    elif a.status == "dropped":
        tail = f"; dropped: {a.drop_reason}"
    return f"{a.id}. {state}: {a.what}{about} Owner {a.owner}; due {a.due:%d/%m/%Y}{tail}"


def _list(args: argparse.Namespace) -> int:
    async def work() -> list[acts.ActionView]:
        viewer = await _viewer(args.inspection, args.user)
        found = await acts.actions_of(args.inspection, viewer)
        return acts.overdue(found) if args.overdue else found

    rows = run_with_db(work)
    emit(
        args,
        [r.as_dict() for r in rows],
        lambda: "\n".join(_line(r) for r in rows) or "No actions.",
    )
    return 0


async def _shown(inspection_id: int, viewer: Viewer, action_id: int) -> acts.ActionView:
    found = await acts.actions_of(inspection_id, viewer)
    return next(a for a in found if a.id == action_id)


def _add(args: argparse.Namespace) -> int:
    async def work() -> acts.ActionView:
        viewer = await _viewer(args.inspection, args.by)
        owner = await _user(args.owner) if args.owner else None
        try:
            action = await acts.add_action(
                args.inspection,
                viewer,
                what=args.what,
                due=args.due,
                owner=owner,
                owner_name=args.owner_name or "",
                audit_id=args.audit,
                domain=args.domain,
            )
        except acts.ActionError as exc:
            raise BadInput(str(exc)) from exc
        return await _shown(args.inspection, viewer, action.id)

    view = run_with_db(work)
    emit(args, view.as_dict(), lambda: f"Action {view.id} recorded: {_line(view)}")
    return 0


def _complete(args: argparse.Namespace) -> int:
    async def work() -> acts.ActionView:
        viewer = await _viewer(args.inspection, args.by)
        try:
            await acts.complete_action(
                args.inspection, args.action, viewer, evidence=args.evidence, done_on=args.done_on
            )
        except acts.ActionError as exc:
            raise BadInput(str(exc)) from exc
        return await _shown(args.inspection, viewer, args.action)

    view = run_with_db(work)
    emit(args, view.as_dict(), lambda: _line(view))
    return 0


def _drop(args: argparse.Namespace) -> int:
    async def work() -> acts.ActionView:
        viewer = await _viewer(args.inspection, args.by)
        try:
            await acts.drop_action(args.inspection, args.action, viewer, reason=args.reason)
        except acts.ActionError as exc:
            raise BadInput(str(exc)) from exc
        return await _shown(args.inspection, viewer, args.action)

    view = run_with_db(work)
    emit(args, view.as_dict(), lambda: _line(view))
    return 0


def _allow(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        viewer = await _viewer(args.inspection, args.by)
        text = args.child.strip()
        child = (
            await Child.get_or_none(inspection_id=args.inspection, la_child_id=text)
            if fits(Child, "la_child_id", text)
            else None
        )
        if child is None:
            raise BadInput(
                f"Inspection {args.inspection} has no child with local authority ID {text}."
            )
        try:
            record = await reaudit.allow_reaudit(args.inspection, child.id, args.reason, viewer)
        except reaudit.ReauditError as exc:
            raise BadInput(str(exc)) from exc
        return {"child": child.la_child_id, "reason": record.reason}

    doc = run_with_db(work)
    emit(args, doc, lambda: f"Child {doc['child']} may be audited again: {doc['reason']}")
    return 0


def _comparison_text(rows: list[reaudit.BeforeAfter]) -> str:
    lines = []
    for r in rows:
        lines.append(f"{r.child}: {r.reason}")
        for d in r.domains:
            change = f" ({d.change})" if d.change else ""
            lines.append(f"  {d.title}: {d.before or '-'} -> {d.after or '-'}{change}")
    return "\n".join(lines) or "No child is to be audited again."


def _reaudits(args: argparse.Namespace) -> int:
    async def work() -> list[reaudit.BeforeAfter]:
        return await reaudit.before_after(
            args.inspection, await _viewer(args.inspection, args.user)
        )

    rows = run_with_db(work)
    doc = [
        {
            "child": r.child,
            "reason": r.reason,
            "domains": [d.__dict__ for d in r.domains],
        }
        for r in rows
    ]
    emit(args, doc, lambda: _comparison_text(rows))
    return 0


def _self_evaluation(args: argparse.Namespace) -> int:
    async def work() -> list[Any]:
        return await self_evaluation(args.inspection, await _viewer(args.inspection, args.user))

    rows = run_with_db(work)

    def text() -> str:
        lines: list[str] = []
        for key, question in QUESTIONS.items():
            lines.append(question)
            lines += [f"  {s.topic}: {s.text}" for s in rows if s.question == key]
        return "\n".join(lines)

    emit(args, [s.__dict__ for s in rows], text)
    return 0
