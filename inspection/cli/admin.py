"""``inspection la add``, ``inspection user add|invite|link|deactivate|reactivate``,
``inspection inspection create|add-member|remove-member``: the same functions the admin pages
call."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime

from inspection.accounts import AccountError, create_user, email_fits
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.cli.programme import register_instrument
from inspection.inspections import (
    InspectionError,
    add_local_authority,
    add_member,
    create_inspection,
    remove_member,
)
from inspection.invitations import Link, deactivate, invite_user, new_link, reactivate
from inspection.models import Inspection, User
from inspection.models.core import InspectionKind, Role
from inspection.uk_time import uk_datetime


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

    invite = usersub.add_parser(
        "invite", help="add a user without a password and print their set-password link"
    )
    invite.add_argument("email")
    invite.add_argument("--name", required=True)
    invite.add_argument("--role", required=True, choices=[r.value for r in Role])
    invite.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the service's address")
    add_json_flag(invite)
    invite.set_defaults(handler=_user_invite)

    link = usersub.add_parser("link", help="a new set-password link (ends any earlier one)")
    link.add_argument("email")
    link.add_argument("--base-url", default=DEFAULT_BASE_URL, help="the service's address")
    add_json_flag(link)
    link.set_defaults(handler=_user_link)

    for name, help_text, handler in (
        ("deactivate", "stop a user signing in (their sessions end)", _user_deactivate),
        ("reactivate", "let a deactivated user sign in again", _user_reactivate),
    ):
        action = usersub.add_parser(name, help=help_text)
        action.add_argument("email")
        add_json_flag(action)
        action.set_defaults(handler=handler)

    insp = sub.add_parser("inspection", help="inspections and audits")
    inspsub = insp.add_subparsers(dest="inspection_command", metavar="ACTION", required=True)
    create = inspsub.add_parser("create", help="create an inspection")
    create.add_argument("--la", required=True, help="local authority code")
    create.add_argument("--kind", required=True, choices=[k.value for k in InspectionKind])
    create.add_argument("--title", required=True)
    create.add_argument("--reference-date", required=True, type=_iso_date)
    create.add_argument(
        "--created-by",
        help="e-mail of the user who owns it (joins the team, unless an administrator)",
    )
    create.add_argument(
        "--instrument",
        default="",
        help="the code of the instrument its audits are made with (default: child_help; "
        "inspection rubric list names them)",
    )
    create.add_argument("--theme", default="", help="what the round looks at")
    add_json_flag(create)
    create.set_defaults(handler=_inspection_create)
    register_instrument(inspsub)

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

    leave = inspsub.add_parser("remove-member", help="take a user off an inspection's team")
    leave.add_argument("--inspection", required=True, type=int)
    leave.add_argument("--user", required=True, help="e-mail")
    add_json_flag(leave)
    leave.set_defaults(handler=_remove_member)


DEFAULT_BASE_URL = "http://127.0.0.1:8000"


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


def _link_document(link: Link, base_url: str) -> dict[str, object]:
    return {
        "email": link.user.email,
        "name": link.user.name,
        "role": str(link.user.role),
        "link": base_url.rstrip("/") + link.path,
        "expires_at": link.expires_at,
    }


def _link_text(doc: dict[str, object], what: str) -> str:
    expires = doc["expires_at"]
    when = uk_datetime(expires) + " (UK time)" if isinstance(expires, datetime) else ""
    return (
        f"{what} Give {doc['name']} this link to set their password "
        f"(it works once, until {when}):\n{doc['link']}"
    )


async def _user(email: str) -> User:
    user = await User.get_or_none(email=email.strip().lower()) if email_fits(email) else None
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


def _user_invite(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        try:
            link = await invite_user(args.email, args.name, args.role, None)
        except AccountError as exc:
            raise BadInput(str(exc)) from exc
        return _link_document(link, args.base_url)

    doc = run_with_db(work)
    emit(args, doc, _link_text(doc, f"Added user {doc['email']} ({doc['role']})."))
    return 0


def _user_link(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        try:
            link = await new_link(await _user(args.email), None)
        except AccountError as exc:
            raise BadInput(str(exc)) from exc
        return _link_document(link, args.base_url)

    doc = run_with_db(work)
    emit(args, doc, _link_text(doc, "Any earlier link for this user no longer works."))
    return 0


def _user_deactivate(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        user = await _user(args.email)
        await deactivate(user, None)
        return {"email": user.email, "active": user.active}

    doc = run_with_db(work)
    emit(args, doc, f"{doc['email']} is deactivated: they cannot sign in, their sessions ended.")
    return 0


def _user_reactivate(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        user = await _user(args.email)
        await reactivate(user)
        return {"email": user.email, "active": user.active}

    doc = run_with_db(work)
    emit(args, doc, f"{doc['email']} may sign in again.")
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
                args.la,
                args.kind,
                args.title,
                args.reference_date,
                owner,
                instrument=args.instrument,
                theme=args.theme,
            )
        except InspectionError as exc:
            raise BadInput(str(exc)) from exc
        await inspection.fetch_related("rubric")
        return {
            "id": inspection.id,
            "la": args.la.upper(),
            "kind": str(inspection.kind),
            "title": inspection.title,
            "reference_date": inspection.reference_date,
            "instrument": inspection.rubric.code if inspection.rubric else "",
            "theme": inspection.theme,
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


def _remove_member(args: argparse.Namespace) -> int:
    async def work() -> dict[str, object]:
        inspection = await Inspection.get_or_none(id=args.inspection)
        if inspection is None:
            raise BadInput(f"There is no inspection {args.inspection}.")
        user = await _user(args.user)
        try:
            await remove_member(inspection, user.id)
        except InspectionError as exc:
            raise BadInput(str(exc)) from exc
        return {"inspection": inspection.id, "user": user.email}

    doc = run_with_db(work)
    emit(args, doc, f"{doc['user']} is no longer on inspection {doc['inspection']}.")
    return 0
