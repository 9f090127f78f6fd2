"""``inspection export xlsx|csv|offline-pack`` and ``inspection import offline-pack``.

Exports are pseudonymised unless ``--identifiable`` is given (``--pseudonymise`` is still
accepted and changes nothing). What they hold of the audit work follows
``inspection.audit.visibility``: with ``--user EMAIL`` exactly what that person sees in the
browser (they must be a member of the inspection); without it what every member may see, and
no concerns.

The import sub-command lives in the ``import`` group (inspection/cli/importing.py), which calls
``register_import_pack`` to add it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspection import settings as settings_module
from inspection.audit.visibility import NotAMember
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.export.csv import build_csv, write_csv_dir
from inspection.export.offline import PackError, build_offline_pack, import_offline_pack
from inspection.export.workbook import build_workbook
from inspection.inspections import membership_role
from inspection.models import Inspection, User
from inspection.models.core import Role


def register(sub: argparse._SubParsersAction) -> None:
    exp = sub.add_parser("export", help="spreadsheets: the QA workbook, CSV, offline packs")
    expsub = exp.add_subparsers(dest="export_command", metavar="FORMAT", required=True)

    xlsx = expsub.add_parser("xlsx", help="the full QA workbook of an inspection")
    xlsx.add_argument("--inspection", required=True, type=int)
    xlsx.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    _common(xlsx)
    xlsx.set_defaults(handler=_xlsx)

    csv = expsub.add_parser("csv", help="each table as a UTF-8 CSV file")
    csv.add_argument("--inspection", required=True, type=int)
    csv.add_argument("--out", required=True, type=Path, help="the directory to write into")
    _common(csv)
    csv.set_defaults(handler=_csv)

    pack = expsub.add_parser("offline-pack", help="an offline audit pack for a sample")
    pack.add_argument("--inspection", required=True, type=int)
    pack.add_argument("--sample", required=True, type=int)
    pack.add_argument("--out", required=True, type=Path, help="the .xlsx file to write")
    pack.add_argument(
        "--user",
        help="e-mail of the auditor taking the pack (logged; it holds what they may see)",
    )
    add_json_flag(pack)
    pack.set_defaults(handler=_pack)


def register_import_pack(impsub: argparse._SubParsersAction) -> None:
    """``inspection import offline-pack FILE --inspection ID --user EMAIL [--overwrite]``."""
    imp = impsub.add_parser("offline-pack", help="load a completed offline audit pack")
    imp.add_argument("file", type=Path)
    imp.add_argument("--inspection", required=True, type=int)
    imp.add_argument("--user", required=True, help="e-mail of the auditor loading the pack")
    imp.add_argument("--sample", type=int, help="refuse the pack unless it is for this sample")
    imp.add_argument(
        "--overwrite",
        action="store_true",
        help="replace audits that were saved online after the pack was made",
    )
    add_json_flag(imp)
    imp.set_defaults(handler=_import_pack)


def _common(parser: argparse.ArgumentParser) -> None:
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--identifiable",
        dest="pseudonymise",
        action="store_false",
        help="names, dates of birth and the authority's child ids (a deliberate choice)",
    )
    choice.add_argument(
        "--pseudonymise",
        dest="pseudonymise",
        action="store_true",
        help="keyed-hash child ids, no names, month of birth, postcode district (the default)",
    )
    parser.set_defaults(pseudonymise=True)
    parser.add_argument(
        "--user",
        help="e-mail of the person taking the export (logged; it holds what they may see; "
        "without it, what every member may see and no concerns)",
    )
    add_json_flag(parser)


async def _user(email: str | None) -> User | None:
    if not email:
        return None
    user = await User.get_or_none(email=email.strip().lower())
    if user is None:
        raise BadInput(f"There is no user with e-mail {email}.")
    return user


async def _inspection(inspection_id: int) -> None:
    if not await Inspection.filter(id=inspection_id).exists():
        raise BadInput(f"There is no inspection {inspection_id}.")


def _xlsx(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        await _inspection(args.inspection)
        try:
            export = await build_workbook(
                args.inspection, await _user(args.user), pseudonymise=args.pseudonymise
            )
        except NotAMember as exc:
            raise BadInput(str(exc)) from exc
        args.out.write_bytes(export.data)
        return {
            "file": str(args.out),
            "export_id": export.export_id,
            "pseudonymised": export.pseudonymised,
            "bytes": len(export.data),
            "rows": export.rows,
        }

    doc = run_with_db(work)
    emit(
        args,
        doc,
        lambda: (
            f"Wrote {doc['file']} ({doc['bytes']} bytes"
            f"{', pseudonymised' if doc['pseudonymised'] else ''})."
        ),
    )
    return 0


def _csv(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        await _inspection(args.inspection)
        try:
            export = await build_csv(
                args.inspection, await _user(args.user), pseudonymise=args.pseudonymise
            )
        except NotAMember as exc:
            raise BadInput(str(exc)) from exc
        paths = write_csv_dir(export, args.out)
        return {
            "directory": str(args.out),
            "files": [p.name for p in paths],
            "export_id": export.export_id,
            "pseudonymised": export.pseudonymised,
            "rows": {name: text.count("\n") - 1 for name, text in export.files.items()},
        }

    doc = run_with_db(work)
    emit(args, doc, lambda: f"Wrote {', '.join(doc['files'])} in {doc['directory']}.")
    return 0


def _pack(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        await _inspection(args.inspection)
        try:
            pack = await build_offline_pack(args.inspection, args.sample, await _user(args.user))
        except PackError as exc:
            raise BadInput(str(exc)) from exc
        args.out.write_bytes(pack.data)
        return {"file": str(args.out), "pack_id": pack.pack_id, "members": pack.members}

    doc = run_with_db(work)
    emit(
        args,
        doc,
        lambda: (
            f"Wrote offline audit pack {doc['pack_id']} to {doc['file']} "
            f"({doc['members']} children)."
        ),
    )
    return 0


def _import_pack(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise BadInput(f"Cannot read {args.file}: {exc.strerror}.") from exc

    config = settings_module.load()

    async def work() -> dict[str, Any]:
        await _inspection(args.inspection)
        user = await _user(args.user)
        assert user is not None
        role = await membership_role(user, args.inspection)
        if role is None and user.role == Role.ADMIN:
            role = Role.ADMIN
        if role is None:
            raise BadInput(f"{user.email} is not a member of inspection {args.inspection}.")
        result = await import_offline_pack(
            args.inspection,
            data,
            user,
            role,
            overwrite=args.overwrite,
            sample_id=args.sample,
            filename=args.file.name,
            max_bytes=config.max_upload_bytes,
            memory_bytes=config.read_memory_bytes,
        )
        return result.as_dict()

    doc = run_with_db(work)
    if doc["saved"]:
        emit(
            args,
            doc,
            lambda: (
                f"Loaded pack {doc['pack_id']}: {doc['created']} audits "
                f"started, {doc['updated']} updated, {doc['unchanged']} rows "
                "unchanged."
            ),
        )
        return 0
    if args.json:
        emit(args, doc, "")
    lines = ["Nothing was loaded."] + [p["text"] for p in doc["problems"]]
    lines += [c["text"] for c in doc["conflicts"]]
    if doc["conflicts"] and not doc["problems"]:
        lines.append("Run again with --overwrite to replace those audits with the pack's values.")
    sys.stderr.write("\n".join(lines) + "\n")
    return 1
