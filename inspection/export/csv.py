"""Each table as a UTF-8 CSV file with a header row: the same rows as the workbook's sheets.

Files: sample.csv, audits.csv (one row per audit), scores.csv (one row per audit and domain),
journeys.csv, indicators.csv, issues.csv, actions.csv and self_evaluation.csv. They start with a
byte-order mark so that Excel opens accented names correctly (Excel's own "CSV UTF-8"
format); dates are ISO ``YYYY-MM-DD``, times ``YYYY-MM-DD HH:MM`` UK local time. Text is
formula-neutralised exactly as in the workbook (``inspection.export.cells``), and the audit work
is what the person exporting may see.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from inspection.audit.visibility import viewer_for
from inspection.export.cells import csv_text
from inspection.export.learning_tables import LEARNING_TABLES, learning_tables
from inspection.export.log import ExportEntry
from inspection.export.pseudonymise import Pseudonymiser
from inspection.export.tables import (
    CSV_TABLES,
    Table,
    audits_table,
    conversations_table,
    indicators_table,
    issues_table,
    journeys_table,
    load_context,
    samples_table,
    scores_table,
)
from inspection.models import User


@dataclass(frozen=True)
class CsvExport:
    files: dict[str, str]  # file name → text
    export_id: str
    pseudonymised: bool
    entry: ExportEntry


def table_csv(table: Table) -> str:
    """One table as CSV text, the column keys as the header (no byte-order mark; added when
    the file is written)."""
    return csv_text([[c.key for c in table.columns], *table.rows])


async def build_csv(
    inspection_id: int,
    user: User | None,
    *,
    pseudonymise: bool = True,
    key: bytes | None = None,
    ip: str = "",
    export_id: str | None = None,
    logged: bool = True,
) -> CsvExport:
    """Every CSV table of an inspection as ``user`` may see it (``None``: the command line),
    pseudonymised unless ``pseudonymise=False`` is chosen, logged as ``export-csv`` (unless
    ``logged=False``: a job's export, logged when its file is taken).

    Raises ``inspection.audit.visibility.NotAMember`` for a user who is not a member.
    """
    export_id = export_id or uuid.uuid4().hex[:12]
    viewer = await viewer_for(user, inspection_id)
    ctx = await load_context(inspection_id, viewer, Pseudonymiser(key) if pseudonymise else None)
    tables = [
        await samples_table(ctx),
        await audits_table(ctx),
        await scores_table(ctx),
        await journeys_table(ctx),
        await indicators_table(ctx),
        await conversations_table(ctx),
        await issues_table(ctx),
        *await learning_tables(ctx),
    ]
    assert tuple(t.name for t in tables) == (*CSV_TABLES, *LEARNING_TABLES)
    files = {f"{t.name}.csv": table_csv(t) for t in tables}
    entry = ExportEntry(
        "export-csv",
        "inspection",
        str(inspection_id),
        f"export {export_id}; pseudonymised {'yes' if pseudonymise else 'no'}; csv; "
        + ", ".join(f"{t.name} {len(t.rows)}" for t in tables),
    )
    if logged:
        await entry.log(inspection_id, user, ip)
    return CsvExport(files, export_id, pseudonymise, entry)


def write_csv_dir(export: CsvExport, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in export.files.items():
        path = directory / name
        path.write_text(text, encoding="utf-8-sig", newline="")
        paths.append(path)
    return paths


def csv_zip(export: CsvExport, when: datetime | None = None) -> bytes:
    """The CSV files in one zip (the web download)."""
    when = (when or datetime.now(UTC)).astimezone(UTC)
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in export.files.items():
            archive.writestr(
                zipfile.ZipInfo(name, date_time=stamp),
                text.encode("utf-8-sig"),
                zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()
