"""``inspection conversation list`` and ``inspection conversation import``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from inspection.audit.conversation_file import ConversationFileError, load_conversations
from inspection.audit.conversations import conversations_seen
from inspection.audit.visibility import COMMAND_LINE, NotAMember, viewer_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.models import AccessLog, Child, Inspection, User
from inspection.models.core import EDITORS


def register(sub: argparse._SubParsersAction) -> None:
    conv = sub.add_parser(
        "conversation", help="conversations with the child, the family and the practitioner"
    )
    csub = conv.add_subparsers(dest="conversation_command", metavar="ACTION", required=True)
    listing = csub.add_parser("list", help="the conversations recorded, child by child")
    listing.add_argument("--inspection", required=True, type=int)
    listing.add_argument("--child", help="only this child (the authority's child id)")
    listing.add_argument(
        "--user",
        help="e-mail of a member: the conversations as they see them (without it, the readings "
        "every member may see)",
    )
    add_json_flag(listing)
    listing.set_defaults(handler=_list)
    load = csub.add_parser("import", help="record the conversations of a CSV file")
    load.add_argument("file", type=Path)
    load.add_argument("--inspection", required=True, type=int)
    load.add_argument("--by", required=True, help="e-mail of the member who recorded them")
    add_json_flag(load)
    load.set_defaults(handler=_import)


async def _inspection(inspection_id: int) -> None:
    if not await Inspection.filter(id=inspection_id).exists():
        raise BadInput(f"There is no inspection {inspection_id}.")


async def _user(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


def _list(args: argparse.Namespace) -> int:
    async def work() -> list[dict[str, Any]]:
        await _inspection(args.inspection)
        viewer = COMMAND_LINE
        user = await _user(args.user) if args.user else None
        if user is not None:
            try:
                viewer = await viewer_for(user, args.inspection)
            except NotAMember as exc:
                raise BadInput(str(exc)) from exc
        children = dict(
            await Child.filter(inspection_id=args.inspection).values_list("id", "la_child_id")
        )
        wanted = None
        if args.child:
            wanted = [cid for cid, la_id in children.items() if la_id == args.child]
            if not wanted:
                raise BadInput(f"Inspection {args.inspection} has no child {args.child}.")
        shown = await conversations_seen(args.inspection, viewer, wanted)
        await AccessLog.bulk_create(
            [
                AccessLog(
                    user=user,
                    user_email=user.email if user else "",
                    inspection_id=args.inspection,
                    action="view-conversations",
                    object_type="child",
                    object_id=str(child_id),
                    detail="command line",
                )
                for child_id in sorted({c.child_id for c in shown})
            ]
        )
        return [
            {
                "child": children.get(c.child_id) or "",
                "date": c.held_on,
                "who": c.who,
                "how": c.how,
                "said": c.said,
                "tells_us": c.reading,
                "recorded_by": c.recorded_by,
            }
            for c in shown
        ]

    rows = run_with_db(work)
    emit(
        args,
        rows,
        lambda: (
            "\n".join(
                f"{r['child']} {r['date']:%d/%m/%Y} {r['who']}, {r['how'].lower()}: "
                f"\u201c{r['said']}\u201d What it tells us: {r['tells_us']}"
                for r in rows
            )
            or "No conversation is recorded."
        ),
    )
    return 0


def _import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the file ({exc.strerror}).") from exc

    async def work() -> int:
        await _inspection(args.inspection)
        user = await _user(args.by)
        try:
            viewer = await viewer_for(user, args.inspection)
        except NotAMember as exc:
            raise BadInput(str(exc)) from exc
        if viewer.role not in EDITORS:
            raise BadInput(
                f"{user.email} reads inspection {args.inspection} but does not audit it: only "
                "auditors record conversations."
            )
        try:
            count = await load_conversations(args.inspection, data, path.name, user)
        except ConversationFileError as exc:
            raise BadInput(str(exc)) from exc
        await AccessLog.create(
            user=user,
            user_email=user.email,
            inspection_id=args.inspection,
            action="import-conversations",
            object_type="inspection",
            object_id=str(args.inspection),
            detail=f"{path.name}: {count} conversations",
        )
        return count

    count = run_with_db(work)
    emit(
        args,
        {"recorded": count},
        f"Recorded {count} conversation{'' if count == 1 else 's'} from {path.name}.",
    )
    return 0
