"""``inspection la add``, ``inspection user add``, ``inspection inspection create|add-member``."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from inspection.accounts import AccountError, create_user
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.inspections import (
    InspectionError,
    add_local_authority,
    add_member,
    create_inspection,
)
from inspection.models import Inspection, User
from inspection.models.core import InspectionKind, Role


def register(sub: argparse._SubParsersAction) -> None:
    la = sub.add_parser("la", help="local authorities")
    lasub = la.add_subparsers(dest="la_command", metavar="ACTION", required=True)
    la_add = lasub.add_parser("add", help="add a local authority")
    la_add.add_argument("code")
    la_add.add_argument("name")
    add_json_flag(la_add)
    la_add.set_defaults(handler=_la_add)

    user = sub.add_parser("user", help="users")
    usersub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    user_add = usersub.add_parser("add", help="add a user (password read from stdin)")
    user_add.add_argument("email")
    user_add.add_argument("--name", required=True)
    user_add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add_json_flag(user_add)
    user_add.set_defaults(handler=_user_add)

    insp = sub.add_parser("inspection", help="inspections and audits")
    inspsub = insp.add_subparsers(dest="inspection_command", metavar="ACTION", required=True)
    create = inspsub.add_parser("create", help="create an inspection")
    create.add_argument("--la", required=True, help="local authority code")
    create.add_argument("--kind", required=True, choices=[k.value for k in InspectionKind])
    create.add_argument("--title", required=True)
    create.add_argument("--reference-date", required=True, type=_iso_date)
    create.add_argument("--created-by", help="e-mail of the user who owns it (becomes a member)")
    add_json_flag(create)
    create.set_defaults(handler=_inspection_create)

    member = inspsub.add_parser("add-member", help="give a user access to an inspection")
    member.add_argument("--inspection", required=True, type=int)
    member.add_argument("--user", required=True, help="e-mail")
    member.add_argument("--role", required=True, choices=[r.value for r in Role])
    member.add_argument(
        "--la-contact",
        action="store_true",
        default=None,
        help="the authority's named contact for concerns",
    )
    add_json_flag(member)
    member.set_defaults(handler=_add_member)


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date in YYYY-MM-DD form") from None


def _la_add(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        try:
            la = await add_local_authority(args.code, args.name)
        except InspectionError as exc:
            raise BadInput(str(exc)) from exc
        return {"id": la.id, "code": la.code, "name": la.name}

    doc = run_with_db(work)
    emit(args, doc, f"Added local authority {doc['code']} {doc['name']}.")
    return 0


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise BadInput(
            "No password on standard input: pipe it in, "
            "e.g. `echo PASSWORD | inspection user add …`."
        )
    return password


def _user_add(args: argparse.Namespace) -> int:
    password = _read_password()

    async def work() -> dict[str, object]:
        try:
            user = await create_user(args.email, args.name, args.role, password)
        except AccountError as exc:
            raise BadInput(str(exc)) from exc
        return {"id": user.id, "email": user.email, "name": user.name, "role": str(user.role)}

    doc = run_with_db(work)
    emit(args, doc, f"Added user {doc['email']} ({doc['role']}).")
    return 0


def _inspection_create(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        owner = None
        if args.created_by:
            owner = await User.get_or_none(email=args.created_by.strip().lower())
            if owner is None:
                raise BadInput(f"There is no user with e-mail {args.created_by}.")
        try:
            inspection = await create_inspection(
                args.la, args.kind, args.title, args.reference_date, owner
            )
        except InspectionError as exc:
            raise BadInput(str(exc)) from exc
        return {
            "id": inspection.id,
            "la": args.la.upper(),
            "kind": str(inspection.kind),
            "title": inspection.title,
            "reference_date": inspection.reference_date,
        }

    doc = run_with_db(work)
    emit(args, doc, f"Created inspection {doc['id']}: {doc['title']}.")
    return 0


def _add_member(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        inspection = await Inspection.get_or_none(id=args.inspection)
        if inspection is None:
            raise BadInput(f"There is no inspection {args.inspection}.")
        user = await User.get_or_none(email=args.user.strip().lower())
        if user is None:
            raise BadInput(f"There is no user with e-mail {args.user}.")
        await add_member(inspection, user, args.role, args.la_contact)
        return {"inspection": inspection.id, "user": user.email, "role": args.role}

    doc = run_with_db(work)
    emit(args, doc, f"{doc['user']} is now {doc['role']} on inspection {doc['inspection']}.")
    return 0
