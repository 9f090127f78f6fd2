"""Workbooks are read in a process whose memory is capped: whatever gets past the checks ends
as a refusal naming the file, never as a dead server."""

from __future__ import annotations

import dataclasses
import os
import zipfile

import pytest
from tortoise import Tortoise

from inspection.evidence import extent, files
from inspection.evidence.bundle import import_files
from inspection.evidence.load import EvidenceFile, import_file
from inspection.evidence.staged import EvidenceFileError
from tests.evidence.helpers import make_inspection
from tests.evidence.test_load import L1
from tests.evidence.workbooks import write_workbook
from tests.security import hostile_workbooks


async def _every_table() -> dict[str, int]:
    return {
        model._meta.db_table: await model.all().count()
        for model in Tortoise.apps["models"].values()
    }


async def test_a_workbook_that_gets_past_the_checks_is_stopped_by_the_memory_cap(
    db, tmp_path, monkeypatch
):
    """As if the next trick were one the checks do not know: the reader asks for 17 billion
    cells, its process is stopped at the cap, and the file is refused; this process lives on."""
    monkeypatch.setattr(files, "check_extents", lambda archive, name: None)
    sheet, _, _ = hostile_workbooks.WORKBOOKS["quoted_in_apostrophes"]
    path = hostile_workbooks.workbook(tmp_path / "a.xlsx", sheet)
    inspection = await make_inspection()
    before = await _every_table()
    with pytest.raises(EvidenceFileError) as refused:
        await import_file(inspection.id, path, "annex-a", None, db)
    assert str(refused.value) == (
        "a.xlsx could not be read: reading it needed more than the 4.0 GB of memory allowed "
        "for one file, so it was stopped. If it is a genuine workbook, delete any stray cells "
        "far from the data, or save each list as its own file, and upload it again."
    )
    assert await _every_table() == before
    assert os.getpid() and not (db.uploads_dir / str(inspection.id)).exists()


async def test_the_cap_is_the_setting(db, tmp_path, monkeypatch):
    monkeypatch.setattr(files, "check_extents", lambda archive, name: None)
    sheet, _, _ = hostile_workbooks.WORKBOOKS["spaces_around_equals"]
    path = hostile_workbooks.workbook(tmp_path / "a.xlsx", sheet)
    inspection = await make_inspection()
    capped = dataclasses.replace(db, read_memory_bytes=1 << 30)
    with pytest.raises(EvidenceFileError, match=r"more than the 1\.0 GB of memory allowed"):
        await import_file(inspection.id, path, "annex-a", None, capped)


async def test_a_loader_process_is_capped_too_and_the_batch_goes_on(db, tmp_path):
    """A genuine but wide workbook (1,048,576 rows x 3 columns) needs more than 256 MB to
    read: its loader is stopped at the cap and the file refused; the next file loads."""
    inspection = await make_inspection()
    wide = hostile_workbooks.workbook(
        tmp_path / "wide.xlsx",
        hostile_workbooks.HEADER + '<row r="1048576"><c r="C1048576"><v>1</v></c></row>',
    )
    small = write_workbook(tmp_path / "small.xlsx", {1: L1})
    capped = dataclasses.replace(db, read_memory_bytes=256 << 20)
    wide_outcome, small_outcome = await import_files(
        inspection.id, [EvidenceFile(wide, "annex-a"), EvidenceFile(small, "annex-a")], capped
    )
    assert isinstance(wide_outcome, EvidenceFileError)
    assert str(wide_outcome).startswith(
        "wide.xlsx could not be read: reading it needed more than the 256.0 MB of memory allowed"
    )
    assert not isinstance(small_outcome, EvidenceFileError)
    assert (small_outcome.status, small_outcome.children) == ("loaded", 2)  # one row has no id


def test_a_cell_far_away_that_is_only_formatted_costs_nothing(tmp_path):
    """Only cells that hold a value take room in the grid: a cell far away that is only
    formatted (as Excel leaves behind) does not make a workbook refused."""
    path = hostile_workbooks.workbook(
        tmp_path / "a.xlsx",
        hostile_workbooks.HEADER + '<row r="1048576"><c r="XFD1048576" s="1"/></row>',
    )
    files.check_spreadsheet(path, 1 << 20)
    with zipfile.ZipFile(path) as archive:
        (found,) = extent.workbook_extents(archive, "a.xlsx")
    assert (found.sheet, found.last_row, found.last_column, found.values) == ("List_1", 1, 2, 2)
