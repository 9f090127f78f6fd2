"""Encodings: every agency extract and census is decoded strictly, and nothing is stored as
mojibake (docs/evidence.md, "Encodings"). Through the real import path, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import random
import re

import pytest

from inspection.evidence.load import import_file
from inspection.evidence.staged import EvidenceFileError
from inspection.models import Child, SourceRecord, Upload, ValidationIssue
from tests.conftest import run_cli
from tests.evidence.helpers import every_table_count, make_inspection

HEADER = "record_id,person_id,given_name,family_name,date_of_birth,event_date,event_type\n"


def _row(number: int, given: str, family: str) -> str:
    return f"R{number},P{number},{given},{family},03/04/2015,01/02/2026,missing_episode\n"


PLAIN = "".join(_row(n, "Jayden", "Smith") for n in range(1, 4))  # rows 2 to 4


async def _names(upload_id: int) -> dict[str, tuple[str, str]]:
    records = await SourceRecord.filter(upload_id=upload_id)
    return {r.person_id: (r.given_name, r.family_name) for r in records}


async def _issues(upload_id: int) -> list[tuple[str, str, int | None, str, str, str, str]]:
    issues = await ValidationIssue.filter(upload_id=upload_id).order_by("id")
    return [
        (i.severity, i.rule, i.source_row, i.column, i.cell, i.value, i.message) for i in issues
    ]


async def _load(db, tmp_path, data: bytes, name: str = "police.csv"):
    inspection = await make_inspection()
    path = tmp_path / name
    path.write_bytes(data)
    summary = await import_file(inspection.id, path, "agency", "police", db)
    return summary


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no_bom", "bom"])
async def test_utf8_with_or_without_a_byte_order_mark(db, tmp_path, bom):
    data = bom + (HEADER + PLAIN + _row(9, "Zoë", "Øberg-O’Neill")).encode()
    summary = await _load(db, tmp_path, data)
    assert (await _names(summary.upload_id))["P9"] == ("Zoë", "Øberg-O’Neill")
    assert summary.extra["encoding"] == "UTF-8" + (" with a byte-order mark" if bom else "")
    assert await _issues(summary.upload_id) == []


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no_bom", "bom"])
async def test_one_windows_1252_row_in_a_utf8_file_is_repaired_and_reported(db, tmp_path, bom):
    data = (
        bom
        + (HEADER + _row(8, "Renée", "Smith") + PLAIN).encode()
        + _row(9, "Zoë", "Brontë").encode("cp1252")
    )
    summary = await _load(db, tmp_path, data)
    names = await _names(summary.upload_id)
    # The UTF-8 rows are read as UTF-8 (the whole file read as Windows-1252 gave "RenÃ©e"),
    # the stray row as Windows-1252.
    assert names["P8"] == ("Renée", "Smith")
    assert names["P9"] == ("Zoë", "Brontë")
    assert summary.extra["encoding"] == (
        "UTF-8" + (" with a byte-order mark" if bom else "") + ", 1 line read as Windows-1252"
    )
    assert await _issues(summary.upload_id) == [
        (
            "warning",
            "repaired_encoding",
            6,
            "given_name",
            "C6",
            "Zoë",
            "Row 6 is not UTF-8 like the rest of the file: 0xEB read as 'ë' in 'given_name' "
            "'Zoë'; 0xEB read as 'ë' in 'family_name' 'Brontë' (Windows-1252). Check that the "
            "text is right.",
        )
    ]
    assert summary.issues == {"error": 0, "warning": 1, "info": 0}


async def test_utf8_and_windows_1252_in_one_row_are_each_read_right(db, tmp_path):
    data = (
        (HEADER + PLAIN).encode()
        + b"R9,P9,Zo\xc3\xab,Bront\xeb,03/04/2015,01/02/2026,missing_episode\n"
        + b'R10,P10,"Sm\x92ith, Ren\xc3\xa9e",Lee,03/04/2015,01/02/2026,missing_episode\n'
    )
    summary = await _load(db, tmp_path, data)
    names = await _names(summary.upload_id)
    assert names["P9"] == ("Zoë", "Brontë")
    assert names["P10"] == ("Sm’ith, Renée", "Lee")
    assert [(i[2], i[4], i[5]) for i in await _issues(summary.upload_id)] == [
        (5, "D5", "Brontë"),
        (6, "C6", "Sm’ith, Renée"),
    ]


async def test_many_windows_1252_rows_in_a_utf8_file_each_reported(db, tmp_path):
    rows = [_row(n, "Zoë", "Smith").encode() for n in range(1, 11)]
    for n in (3, 5, 8):  # rows 4, 6 and 9 of the file
        rows[n - 1] = _row(n, "Siân", "Smith").encode("cp1252")
    summary = await _load(db, tmp_path, HEADER.encode() + b"".join(rows))
    names = await _names(summary.upload_id)
    assert {names[f"P{n}"] for n in range(1, 11)} == {("Zoë", "Smith"), ("Siân", "Smith")}
    assert [names[f"P{n}"][0] for n in (3, 5, 8)] == ["Siân"] * 3
    issues = await _issues(summary.upload_id)
    assert [(i[1], i[2], i[4], i[5]) for i in issues] == [
        ("repaired_encoding", 4, "C4", "Siân"),
        ("repaired_encoding", 6, "C6", "Siân"),
        ("repaired_encoding", 9, "C9", "Siân"),
    ]
    assert summary.extra["encoding"] == "UTF-8, 3 lines read as Windows-1252"


async def test_a_rejected_row_carries_only_its_reason_even_if_repaired(db, tmp_path):
    data = (HEADER + PLAIN + "R9,,Zoë,Smith,03/04/2015,01/02/2026,missing_episode\n").encode(
        "cp1252"
    ) + _row(10, "Zoë", "Lee").encode()
    summary = await _load(db, tmp_path, data)
    assert [(i[1], i[2]) for i in await _issues(summary.upload_id)] == [("missing_identifier", 5)]


async def test_stray_bytes_that_are_not_windows_1252_refuse_the_file(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "police.csv"
    path.write_bytes(
        (HEADER + _row(1, "Zoë", "Smith")).encode()
        + b"R2,P2,Zo\x81,Smith,03/04/2015,01/02/2026,missing_episode\n"
        + b"R3,P3,A\x8d,Smith,03/04/2015,01/02/2026,missing_episode\n"
    )
    before = await every_table_count()
    with pytest.raises(EvidenceFileError) as refused:
        await import_file(inspection.id, path, "agency", "police", db)
    assert str(refused.value) == (
        "police.csv is UTF-8 except for bytes that are neither UTF-8 nor Windows-1252, on "
        "lines 3, 4: the file may be damaged. Save it from Excel as 'CSV UTF-8 (Comma "
        "delimited)' or as a workbook (.xlsx) and upload it again."
    )
    assert await every_table_count() == before


@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
async def test_a_legacy_export_is_read_as_windows_1252(db, tmp_path, codec):
    family = "Øberg-O’Neill" if codec == "cp1252" else "Øberg-Müller"
    data = (HEADER + PLAIN + _row(9, "Zoë", family)).encode(codec)
    summary = await _load(db, tmp_path, data)
    assert (await _names(summary.upload_id))["P9"] == ("Zoë", family)
    assert summary.extra["encoding"] == "Windows-1252"
    assert await _issues(summary.upload_id) == []


@pytest.mark.parametrize(
    ("codec", "delimiter"),
    [("utf-16-le", "\t"), ("utf-16-be", "\t"), ("utf-16-le", ","), ("utf-16-be", ",")],
)
async def test_utf16_with_a_byte_order_mark_tab_or_comma_separated(db, tmp_path, codec, delimiter):
    text = (HEADER + PLAIN + _row(9, "Zoë", "Øberg, Jr")).replace(",", delimiter)
    if delimiter == ",":
        text = text.replace("Øberg, Jr", '"Øberg, Jr"')
    else:
        text = text.replace("Øberg\t Jr", "Øberg, Jr")
    data = ("\ufeff" + text).encode(codec)
    summary = await _load(db, tmp_path, data, "police.txt")
    assert summary.tables[0]["rows"] == 4 and summary.tables[0]["accepted"] == 4
    assert (await _names(summary.upload_id))["P9"] == ("Zoë", "Øberg, Jr")
    assert summary.extra["encoding"] == "UTF-16 with a byte-order mark"
    assert await _issues(summary.upload_id) == []


BINARY = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    # Random bytes without a NUL: no NUL gives them away, Windows-1252 cannot read them.
    "random": bytes(b for b in random.Random(7).randbytes(4096) if b),
    "utf16_without_its_mark": (HEADER + PLAIN).encode("utf-16-le"),
}


@pytest.mark.parametrize("case", sorted(BINARY))
async def test_a_binary_file_is_refused_plainly(db, tmp_path, case):
    inspection = await make_inspection()
    path = tmp_path / "police.csv"
    path.write_bytes(BINARY[case])
    before = await every_table_count()
    with pytest.raises(EvidenceFileError) as refused:
        await import_file(inspection.id, path, "agency", "police", db)
    assert re.fullmatch(
        r"police\.csv is neither a CSV file nor a spreadsheet: (it holds bytes that are not "
        r"text \(from line \d+\)|it is not text in UTF-8, UTF-16 or Windows-1252 \(0x.. on "
        r"line \d+\))\. Save it from Excel as 'CSV UTF-8 \(Comma delimited\)' or as a "
        r"workbook \(\.xlsx\) and upload it again\.",
        str(refused.value),
    ), str(refused.value)
    assert await every_table_count() == before


async def test_a_damaged_utf16_file_is_refused(db, tmp_path):
    inspection = await make_inspection()
    path = tmp_path / "police.txt"
    data = (HEADER + PLAIN).encode("utf-16") + b"\x00\xd8"  # half a surrogate pair at the end
    path.write_bytes(data)
    with pytest.raises(EvidenceFileError) as refused:
        await import_file(inspection.id, path, "agency", "police", db)
    assert str(refused.value) == (
        f"police.txt starts with the byte-order mark of UTF-16 but is not UTF-16 from byte "
        f"{len(data) - 2} on (0x00 0xD8): it may be damaged or two files joined together. "
        "Save it from Excel as 'CSV UTF-8 (Comma delimited)' or as a workbook (.xlsx) and "
        "upload it again."
    )
    assert await Upload.all().count() == 0


CENSUS = (
    '<?xml version="1.0"{declaration}?><Message><Children><Child><ChildIdentifiers>'
    "<LAchildID>{child}</LAchildID><PersonBirthDate>2015-04-03</PersonBirthDate>"
    "</ChildIdentifiers></Child></Children></Message>"
)


@pytest.mark.parametrize(
    ("declared", "codec", "child"),
    [
        ("", "utf-8", "ZOË-1"),
        ("UTF-8", "utf-8", "ZOË-1"),
        ("ISO-8859-1", "latin-1", "ZOË-1"),
        ("windows-1252", "cp1252", "O’NEILL-1"),
        ("windows-1252", "cp1252", "ZOË’1"),  # its bytes CB 92 are also UTF-8 (˒)
        ("UTF-16", "utf-16", "ZOË-1"),
    ],
)
async def test_the_census_is_read_in_the_encoding_it_declares(db, tmp_path, declared, codec, child):
    inspection = await make_inspection()
    path = tmp_path / "census.xml"
    declaration = f' encoding="{declared}"' if declared else ""
    path.write_bytes(CENSUS.format(declaration=declaration, child=child).encode(codec))
    await import_file(inspection.id, path, "cin-census", None, db)
    assert await Child.filter(inspection_id=inspection.id).values_list(
        "la_child_id", flat=True
    ) == [child]


@pytest.mark.parametrize(
    ("declared", "codec", "child", "message"),
    [
        (
            "",
            "cp1252",
            "ZOË-1",
            "census.xml declares no encoding (so it must be UTF-8), but line 1 holds bytes "
            "that are not UTF-8 (0xCB 0x2D): the declaration is wrong or the file is damaged. "
            "Correct the declaration or save the return as UTF-8.",
        ),
        (
            "UTF-8",
            "cp1252",
            "ZOË-1",
            "census.xml declares its encoding as UTF-8, but line 1 holds bytes that are not "
            "UTF-8 (0xCB 0x2D): the declaration is wrong or the file is damaged. Correct the "
            "declaration or save the return as UTF-8.",
        ),
        (
            "ISO-8859-1",
            "utf-8",
            "O’NEILL-1",
            "census.xml declares its encoding as ISO-8859-1, but its text is UTF-8: line 1 "
            "has '’', which read as ISO-8859-1 would be 'â\x80\x99'. Correct the declaration "
            "to UTF-8 and upload it again.",
        ),
        (
            "windows-1252",
            "utf-8",
            "ZOË-1",
            "census.xml declares its encoding as windows-1252, but its text is UTF-8: line 1 "
            "has 'Ë', which read as windows-1252 would be 'Ã‹'. Correct the declaration to "
            "UTF-8 and upload it again.",
        ),
        (
            "ISO-8859-1",
            "cp1252",
            "O’NEILL-1",
            "census.xml declares its encoding as ISO-8859-1, but line 1 holds 0x92, a control "
            "character in ISO-8859-1 and '’' in Windows-1252: the file is Windows-1252. "
            "Correct the declaration to windows-1252 or save the return as UTF-8.",
        ),
        (
            "klingon",
            "ascii",
            "C-1",
            "census.xml declares its encoding as klingon, which is not an encoding this reader "
            "knows. Save the return as UTF-8 and upload it again.",
        ),
        (
            "UTF-32",
            "ascii",
            "C-1",
            "census.xml cannot be read in the encoding it declares (multi-byte encodings are "
            "not supported). Save the return as UTF-8 and upload it again.",
        ),
    ],
)
async def test_a_census_whose_declaration_is_wrong_is_refused_plainly(
    db, tmp_path, declared, codec, child, message
):
    inspection = await make_inspection()
    path = tmp_path / "census.xml"
    declaration = f' encoding="{declared}"' if declared else ""
    path.write_bytes(CENSUS.format(declaration=declaration, child=child).encode(codec))
    before = await every_table_count()
    with pytest.raises(EvidenceFileError) as refused:
        await import_file(inspection.id, path, "cin-census", None, db)
    assert str(refused.value) == message
    assert await every_table_count() == before


def test_the_command_line_loads_excel_unicode_text_and_reports_a_repaired_row(cli_env, tmp_path):
    assert run_cli(["la", "add", "E77", "Encodings Authority"], cli_env).returncode == 0
    created = run_cli(
        [
            "inspection",
            "create",
            "--la",
            "E77",
            "--kind",
            "jtai",
            "--title",
            "Encodings",
            "--reference-date",
            "2026-11-02",
            "--json",
        ],
        cli_env,
    )
    inspection = str(json.loads(created.stdout)["id"])
    unicode_text = tmp_path / "health.txt"
    unicode_text.write_bytes(
        ("\ufeff" + HEADER + _row(1, "Zoë", "Lee")).replace(",", "\t").encode("utf-16-le")
    )
    loaded = run_cli(
        [
            "import",
            "agency",
            str(unicode_text),
            "--inspection",
            inspection,
            "--agency",
            "health",
            "--json",
        ],
        cli_env,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert json.loads(loaded.stdout)["extra"]["encoding"] == "UTF-16 with a byte-order mark"
    mixed = tmp_path / "police.csv"
    mixed.write_bytes(
        (HEADER + _row(1, "Renée", "Lee")).encode() + _row(2, "Zoë", "Lee").encode("cp1252")
    )
    loaded = run_cli(
        [
            "import",
            "agency",
            str(mixed),
            "--inspection",
            inspection,
            "--agency",
            "police",
            "--json",
        ],
        cli_env,
    )
    assert loaded.returncode == 0, loaded.stderr
    doc = json.loads(loaded.stdout)
    assert doc["issues"] == {"error": 0, "warning": 1, "info": 0}
    assert doc["extra"]["encoding"] == "UTF-8, 1 line read as Windows-1252"
