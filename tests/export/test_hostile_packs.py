"""A completed offline pack is checked as any workbook of evidence is, and read in a reader
process whose memory is capped, never on the event loop."""

from __future__ import annotations

import io
import zipfile

import openpyxl

from inspection.export.offline import import_offline_pack
from inspection.models import Audit, Score
from inspection.models.core import Role
from tests.export.factory import build_world
from tests.export.test_offline import draft_world, make_pack, to_bytes
from tests.security import hostile_workbooks


async def _counts() -> tuple[int, int]:
    return await Audit.all().count(), await Score.all().count()


async def test_a_pack_whose_hidden_sheet_names_no_inspection_is_refused_plainly(db):
    world = await build_world()
    wb = await make_pack(world)
    meta = wb["_pack"]
    for row in meta.iter_rows():
        if row[0].value == "inspection_id":
            row[1].value = "abc"
    before = await _counts()
    result = await import_offline_pack(
        world.inspection.id, to_bytes(wb), world.auditor, Role.INSPECTOR
    )
    assert [str(p) for p in result.problems] == [
        "This workbook is not an offline audit pack made by this service (its pack sheet is "
        "damaged: it does not say which inspection and sample it is for)."
    ]
    assert not result.saved and await _counts() == before


async def test_a_sparse_workbook_loaded_as_a_pack_is_refused_unread(db, tmp_path):
    world = await build_world()
    sheet, _, _ = hostile_workbooks.WORKBOOKS["quoted_in_apostrophes"]
    data = hostile_workbooks.workbook(tmp_path / "pack.xlsx", sheet).read_bytes()
    result = await import_offline_pack(
        world.inspection.id, data, world.auditor, Role.INSPECTOR, filename="pack.xlsx"
    )
    assert [str(p) for p in result.problems] == [
        "pack.xlsx has a sheet ('List_1') spanning 1,048,576 rows and 16,384 columns "
        "(17,179,869,184 cells, more than the 20,000,000 allowed), so it was not opened. Delete "
        "the stray cells far from the data and upload it again. Load the offline audit pack as "
        "it was saved."
    ]


async def test_a_pack_that_is_a_decompression_bomb_is_refused_unread(db):
    world = await build_world()
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 50_000_000)
    result = await import_offline_pack(
        world.inspection.id, bomb.getvalue(), world.auditor, Role.INSPECTOR, filename="big.xlsx"
    )
    assert len(result.problems) == 1
    assert str(result.problems[0]).startswith("big.xlsx looks like a decompression bomb")


async def test_a_pack_larger_than_an_upload_may_be_is_refused_unread(db):
    world = await build_world()
    wb = await make_pack(world)
    data = to_bytes(wb)
    result = await import_offline_pack(
        world.inspection.id, data, world.auditor, Role.INSPECTOR, max_bytes=len(data) - 1
    )
    assert [str(p) for p in result.problems] == [
        f"The pack is {len(data) / 1024:.1f} KB, more than the {(len(data) - 1) / 1024:.1f} KB "
        "allowed. Load the offline audit pack as it was saved."
    ]


async def test_a_pack_is_never_parsed_in_the_server_process(db, monkeypatch):
    """openpyxl may not open a workbook here: the pack still loads, so it was read elsewhere."""
    world, _ = await draft_world()
    wb = await make_pack(world)
    ws = wb["mini v1"]
    ws["L4"] = "Voice recorded"
    data = to_bytes(wb)

    def refuse(*args, **kwargs):
        raise AssertionError("a pack was parsed in the server process")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    monkeypatch.setattr(openpyxl.reader.excel, "load_workbook", refuse)
    result = await import_offline_pack(
        world.inspection.id, data, world.auditor, Role.INSPECTOR, sample_id=world.sample.id
    )
    assert result.problems == [] and result.saved
    assert (result.created, result.updated) == (0, 1)
