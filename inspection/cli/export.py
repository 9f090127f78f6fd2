"""``inspection export xlsx|csv|offline-pack`` and ``inspection import offline-pack``.

An export runs as the same job as the Spreadsheets page's (``inspection.export.stored``), here,
printing its progress on stderr; its file is then written out (logged as the page's download
is) and the kept copy removed.

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
import asyncio
import io
import sys
import zipfile
from pathlib import Path
from typing import Any

from inspection import settings as settings_module
from inspection.audit.visibility import NotAMember, viewer_for
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.cli.progress import run_to_the_end
from inspection.export import stored
from inspection.export.offline import import_offline_pack
from inspection.export.stored import ExportFormat
from inspection.inspections import membership_role
from inspection.jobs.worker import start_here
from inspection.models import Inspection, JobKind, Sample, User
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


async def _run_export(
    args: argparse.Namespace,
    export_format: ExportFormat,
    sample_id: int | None = None,
    pseudonymise: bool = True,
) -> tuple[stored.Taken, dict[str, Any]]:
    """Run the export as a job here, printing its progress; its file (logged as taken) and the
    job's outcome."""
    config = settings_module.load()
    await _inspection(args.inspection)
    if (
        sample_id is not None
        and not await Sample.filter(id=sample_id, inspection_id=args.inspection).exists()
    ):
        raise BadInput(f"There is no sample {sample_id} in inspection {args.inspection}.")
    user = await _user(args.user)
    try:
        viewer = await viewer_for(user, args.inspection)
    except NotAMember as exc:
        raise BadInput(str(exc)) from exc
    work, partial = stored.export_work(
        config.data_dir,
        args.inspection,
        export_format,
        pseudonymise=pseudonymise,
        sample_id=sample_id,
        role=str(viewer.role or ""),
    )
    worker, jobs = await start_here(
        config,
        "inspection export",
        args.inspection,
        JobKind.EXPORT,
        [("", work)],
        started_by=user,
        raw_path=partial,
    )
    job = jobs[0]
    ended = await run_to_the_end(worker, job)
    await job.refresh_from_db()
    taken = await stored.take(job, user)
    await asyncio.to_thread(stored.remove, job)
    if taken is None:  # removed by a purge meanwhile
        raise BadInput("The export was removed before it could be written out.")
    return taken, ended.outcome


def _xlsx(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        taken, outcome = await _run_export(
            args, ExportFormat.WORKBOOK, pseudonymise=args.pseudonymise
        )
        args.out.write_bytes(taken.data)
        return {
            "file": str(args.out),
            "export_id": outcome["export_id"],
            "pseudonymised": outcome["pseudonymised"],
            "bytes": len(taken.data),
            "rows": outcome["rows"],
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
        taken, outcome = await _run_export(
            args, ExportFormat.TABLES, pseudonymise=args.pseudonymise
        )
        names = await asyncio.to_thread(_unzip, taken.data, args.out)
        return {
            "directory": str(args.out),
            "files": names,
            "export_id": outcome["export_id"],
            "pseudonymised": outcome["pseudonymised"],
            "rows": outcome["rows"],
        }

    doc = run_with_db(work)
    emit(args, doc, lambda: f"Wrote {', '.join(doc['files'])} in {doc['directory']}.")
    return 0


def _unzip(data: bytes, directory: Path) -> list[str]:
    """The CSV files of the tables' zip written into ``directory``; their names."""
    directory.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        for name in names:
            (directory / Path(name).name).write_bytes(archive.read(name))
    return [Path(name).name for name in names]


def _pack(args: argparse.Namespace) -> int:
    async def work() -> dict[str, Any]:
        taken, outcome = await _run_export(args, ExportFormat.OFFLINE_PACK, args.sample)
        args.out.write_bytes(taken.data)
        return {"file": str(args.out), "pack_id": outcome["pack_id"], "members": outcome["members"]}

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
