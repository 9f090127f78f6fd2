"""``inspection import annex-a|cin-census|ssda903|agency FILE --inspection ID`` and
``inspection import bundle KIND=FILE … --inspection ID`` (an authority's evidence in one go).

Each file is an import job (``inspection.jobs``), enqueued held by this process and run here,
with its progress on stderr; the evidence page lists it with the browser's uploads."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from inspection import settings as settings_module
from inspection.cli.base import BadInput, add_json_flag, emit, run_with_db
from inspection.cli.progress import ProgressPrinter
from inspection.db import database_down
from inspection.evidence.bundle import BatchStopped, LoaderGone
from inspection.evidence.load import EvidenceFile, ImportSummary
from inspection.evidence.staged import EvidenceFileError
from inspection.jobs.runner import Ended, import_work
from inspection.jobs.worker import start_here
from inspection.models import Inspection, JobKind, JobStatus


def register(sub: argparse._SubParsersAction) -> None:
    imp = sub.add_parser("import", help="import evidence files into an inspection")
    impsub = imp.add_subparsers(dest="import_command", metavar="KIND", required=True)
    for kind, text in (
        ("annex-a", "an Annex A workbook (xlsx, xlsm, xls, ods)"),
        ("cin-census", "a DfE CIN census XML return"),
        ("ssda903", "a DfE children looked after return (SSDA903): a zip of its CSVs, or one CSV"),
        ("agency", "a partner-agency extract (CSV or XLSX)"),
    ):
        parser = impsub.add_parser(kind, help=f"import {text}")
        parser.add_argument("file", type=Path)
        parser.add_argument("--inspection", required=True, type=int)
        if kind == "agency":
            parser.add_argument(
                "--agency",
                required=True,
                help="police, health, education, early_help, social_care or any other agency name",
            )
        add_json_flag(parser)
        parser.set_defaults(handler=_import, source_kind=kind)
    bundle = impsub.add_parser(
        "bundle",
        help="import several files in one go (each its own upload, all or nothing)",
        description=(
            "Import an authority's evidence files in the order given, each exactly as its own "
            "import command would (one upload, one transaction), reading the next files while "
            "one is written. Name each file's kind: annex-a=FILE, cin-census=FILE, "
            "ssda903=FILE, or the agency of an extract (police=FILE, health=FILE, "
            "education=FILE, early_help=FILE, social_care=FILE or any other agency's name). "
            "A file that cannot be used is reported and the others still load; the command "
            "then exits 1."
        ),
    )
    bundle.add_argument("files", nargs="+", metavar="KIND=FILE", type=_bundle_file)
    bundle.add_argument("--inspection", required=True, type=int)
    add_json_flag(bundle)
    bundle.set_defaults(handler=_import_bundle)
    from inspection.cli.export import register_import_pack  # offline packs: export area

    register_import_pack(impsub)


def _import(args: argparse.Namespace) -> int:
    config = settings_module.load()
    path = Path(args.file).absolute()

    async def work() -> ImportSummary:
        await _require_inspection(args.inspection)
        work = import_work(path, args.source_kind, getattr(args, "agency", None))
        worker, jobs = await start_here(
            config, "inspection import", args.inspection, JobKind.IMPORT, [(path.name, work)]
        )
        printer = ProgressPrinter()
        try:
            ended = await worker.run(jobs[0], echo=printer)
        finally:
            printer.close()
        return _summary(ended)

    summary = run_with_db(work)
    emit(args, summary.as_dict(), lambda: describe(summary))
    return 0


async def _require_inspection(inspection_id: int) -> None:
    if not await Inspection.exists(id=inspection_id):
        raise BadInput(f"Nothing was loaded: There is no inspection {inspection_id}.")


def _summary(ended: Ended) -> ImportSummary:
    """The import's summary, or the reason it failed said as the command line says it."""
    if ended.status == JobStatus.DONE:
        return ImportSummary(**ended.outcome)
    if ended.cause is not None and database_down(ended.cause):
        raise ended.cause  # said in plain words by run_with_db
    raise BadInput(ended.message)


def _bundle_file(text: str) -> EvidenceFile:
    kind, equals, path = text.partition("=")
    kind = kind.strip().lower()
    if not equals or not kind or not path:
        raise argparse.ArgumentTypeError(
            f"'{text}' does not say what the file is: write KIND=FILE, for example "
            "annex-a=annex_a.xlsx or police=police.csv"
        )
    if kind in ("annex-a", "cin-census", "ssda903"):
        return EvidenceFile(Path(path), kind)
    return EvidenceFile(Path(path), "agency", kind)


def _import_bundle(args: argparse.Namespace) -> int:
    config = settings_module.load()

    async def work() -> list[ImportSummary | EvidenceFileError]:
        await _require_inspection(args.inspection)
        files = [
            (f.name, import_work(f.path.absolute(), f.source_kind, f.agency)) for f in args.files
        ]
        worker, jobs = await start_here(
            config, "inspection import bundle", args.inspection, JobKind.IMPORT, files
        )
        printer = ProgressPrinter()
        try:
            ended = await worker.run_batch(jobs, echo=printer)
        except BatchStopped as stopped:
            printer.close()
            # Say what became of the files before it, then why it stopped (the cause: the
            # database going away is said in plain words by run_with_db).
            # The jobs' files stand for the ones given, in the same order.
            here = args.files[len(stopped.answered)]
            _report(args, args.files, stopped.answered, stopped=here)
            if isinstance(stopped.__cause__, LoaderGone):
                raise BadInput(str(stopped.__cause__)) from stopped
            raise stopped.__cause__ or stopped from None
        except EvidenceFileError as exc:  # the inspection was purged
            printer.close()
            raise BadInput(f"Nothing was loaded: {exc}") from exc
        printer.close()
        return [_outcome(end) for end in ended]

    outcomes = run_with_db(work)
    refused = _report(args, args.files, outcomes)
    return 1 if refused else 0


def _outcome(ended: Ended) -> ImportSummary | EvidenceFileError:
    if ended.status == JobStatus.DONE:
        return ImportSummary(**ended.outcome)
    if isinstance(ended.cause, EvidenceFileError):
        return ended.cause
    return EvidenceFileError(ended.message)


def _report(
    args: argparse.Namespace,
    files: list[EvidenceFile],
    outcomes: list[ImportSummary | EvidenceFileError],
    stopped: EvidenceFile | None = None,
) -> int:
    """Print what became of each file (and, when the batch stopped, of the rest); the number
    refused."""
    documents: list[dict[str, Any]] = []
    lines: list[str] = []
    for file, outcome in zip(files, outcomes, strict=False):
        if isinstance(outcome, EvidenceFileError):
            documents.append({"filename": file.name, "status": "refused", "error": str(outcome)})
            lines.append(f"{file.name} was not loaded: {outcome}")
        else:
            documents.append(outcome.as_dict())
            lines.append(describe(outcome))
    for file in files[len(outcomes) :] if stopped else ():
        status = "failed" if file is stopped else "not_loaded"
        documents.append({"filename": file.name, "status": status})
        lines.append(
            f"{file.name} was not loaded: loading stopped here."
            if file is stopped
            else f"{file.name} was not loaded: loading had stopped before it."
        )
    refused = sum(1 for d in documents if d["status"] == "refused")
    emit(args, {"files": documents, "refused": refused}, lambda: "\n".join(lines))
    if refused and not args.json and not stopped:
        sys.stderr.write(f"{refused} of {len(documents)} files were not loaded.\n")
    return refused


def describe(summary: ImportSummary) -> str:
    """The summary as lines of plain text."""
    if summary.status == "already_loaded":
        return (
            f"{summary.filename} was already loaded as upload {summary.upload_id} "
            f"(sha256 {summary.sha256[:12]}…); nothing was changed."
        )
    lines = [
        f"Loaded {summary.filename} as upload {summary.upload_id} (sha256 {summary.sha256[:12]}…)."
    ]
    for table in summary.tables:
        lines.append(_table_line(table))
    issues = summary.issues
    lines.append(
        f"Issues: {issues.get('error', 0)} errors, {issues.get('warning', 0)} warnings, "
        f"{issues.get('info', 0)} notes. Events: {summary.events}."
    )
    if summary.superseded:
        lines.append("Superseded upload(s): " + ", ".join(str(i) for i in summary.superseded))
    return "\n".join(lines)


def _table_line(table: dict[str, Any]) -> str:
    sheet = table.get("sheet") or ""
    # an SSDA903 table is a CSV file of the return
    where = f" ({'file' if sheet.lower().endswith('.csv') else 'sheet'} {sheet})" if sheet else ""
    return (
        f"  {table['name']}{where}: {table['rows']} rows read, {table['accepted']} accepted, "
        f"{table['rejected']} rejected"
    )
