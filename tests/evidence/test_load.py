import dataclasses
import re
import zipfile
from datetime import date

import openpyxl
import pytest

from inspection.evidence import load
from inspection.evidence.bulk import Bulk
from inspection.evidence.load import import_file
from inspection.evidence.staged import EvidenceFileError
from inspection.models import Child, Event, SourceRecord, Upload, ValidationIssue
from tests.evidence.helpers import every_table_count, make_inspection
from tests.evidence.workbooks import write_workbook

L1 = [
    ["C1", "M", "WBRI", "01/01/2015", 11, "01/10/2026", "6"],
    ["C2", "F", "WBRI", "01/01/2016", 10, "02/10/2026", "Police"],
    ["", "F", "WBRI", "01/01/2016", 10, "02/10/2026", "Police"],
]


async def test_annex_a_loads_children_records_events_and_issues(db, tmp_path):
    inspection = await make_inspection()
    path = write_workbook(tmp_path / "a.xlsx", {1: L1})
    summary = await import_file(inspection.id, path, "annex-a", None, db)
    assert summary.status == "loaded"
    assert summary.tables[0] | {} == {
        "name": "List 1",
        "sheet": "List_1",
        "header_row": 2,
        "rows": 3,
        "accepted": 2,
        "rejected": 1,
        "issues": {"error": 1, "warning": 0, "info": 0},
    }
    assert summary.issues == {"error": 1, "warning": 0, "info": 0}
    children = await Child.filter(inspection_id=inspection.id).order_by("la_child_id")
    assert [(c.la_child_id, c.sex, c.dob) for c in children] == [
        ("C1", "M", date(2015, 1, 1)),
        ("C2", "F", date(2016, 1, 1)),
    ]
    events = await Event.filter(inspection_id=inspection.id).order_by("source_row")
    assert [(e.kind, e.start, e.source_sheet, e.source_row, e.child_id) for e in events] == [
        ("contact", date(2026, 10, 1), "List_1", 3, children[0].id),
        ("contact", date(2026, 10, 2), "List_1", 4, children[1].id),
    ]
    records = await SourceRecord.filter(inspection_id=inspection.id).order_by("person_id")
    assert [(r.agency, r.person_id, r.child_id, r.link_method) for r in records] == [
        ("social_care", "C1", children[0].id, "la_child_id"),
        ("social_care", "C2", children[1].id, "la_child_id"),
    ]
    upload = await Upload.get(id=summary.upload_id)
    assert upload.sha256 == load.sha256_of(path)
    stored = db.uploads_dir / str(inspection.id) / f"{upload.sha256}.xlsx"
    assert upload.stored_path == str(stored) and stored.read_bytes() == path.read_bytes()
    (issue,) = await ValidationIssue.filter(upload_id=upload.id)
    assert (issue.sheet, issue.cell, issue.source_row, issue.rule, issue.row_rejected) == (
        "List_1",
        "A5",
        5,
        "missing_identifier",
        True,
    )


async def test_same_file_twice_is_recognised_and_not_loaded_again(db, tmp_path):
    inspection = await make_inspection()
    path = write_workbook(tmp_path / "a.xlsx", {1: L1})
    first = await import_file(inspection.id, path, "annex-a", None, db)
    before = await every_table_count()
    copy = tmp_path / "renamed.xlsx"
    copy.write_bytes(path.read_bytes())
    again = await import_file(inspection.id, copy, "annex-a", None, db)
    assert (again.status, again.upload_id, again.events) == ("already_loaded", first.upload_id, 2)
    assert await every_table_count() == before


async def test_newer_file_supersedes_the_older_which_is_kept(db, tmp_path):
    inspection = await make_inspection()
    old = await import_file(
        inspection.id, write_workbook(tmp_path / "old.xlsx", {1: L1}), "annex-a", None, db
    )
    new_rows = [["C1", "M", "WIRI", "01/01/2015", 11, "05/10/2026", "6"]]
    new = await import_file(
        inspection.id, write_workbook(tmp_path / "new.xlsx", {1: new_rows}), "annex-a", None, db
    )
    assert new.superseded == [old.upload_id]
    older = await Upload.get(id=old.upload_id)
    assert (older.status, older.superseded_by_id) == ("superseded", new.upload_id)
    assert await ValidationIssue.filter(upload_id=old.upload_id).count() == 1  # kept
    assert await Event.filter(upload_id=old.upload_id).count() == 0
    assert await SourceRecord.filter(upload_id=old.upload_id).count() == 0
    events = await Event.filter(inspection_id=inspection.id)
    assert [(e.kind, e.start) for e in events] == [("contact", date(2026, 10, 5))]
    assert await Child.filter(inspection_id=inspection.id).count() == 2  # children are kept
    child = await Child.get(inspection_id=inspection.id, la_child_id="C1")
    assert child.ethnicity == "WIRI"  # the latest upload wins
    assert (db.uploads_dir / str(inspection.id) / f"{older.sha256}.xlsx").exists()
    # A partner agency's file does not supersede Annex A, nor another agency's extract.
    csv = tmp_path / "police.csv"
    csv.write_text("person_id,event_date,event_type\nP1,01/10/2026,missing_episode\n")
    police = await import_file(inspection.id, csv, "agency", "police", db)
    assert police.superseded == []


async def test_a_failure_mid_load_leaves_the_database_exactly_as_before(db, tmp_path, monkeypatch):
    inspection = await make_inspection()
    await import_file(
        inspection.id, write_workbook(tmp_path / "first.xlsx", {1: L1[:1]}), "annex-a", None, db
    )
    before = await every_table_count()
    original = Bulk.execute

    async def failing_execute(self, statement, params=()):
        changed = await original(self, statement, params)
        if statement.startswith('INSERT INTO "event"'):
            raise RuntimeError("disk full")  # the events written, then it fails
        return changed

    monkeypatch.setattr(Bulk, "execute", failing_execute)
    path = write_workbook(tmp_path / "second.xlsx", {1: L1})
    with pytest.raises(RuntimeError, match="disk full"):
        await import_file(inspection.id, path, "annex-a", None, db)
    assert await every_table_count() == before
    assert (await Upload.get(inspection_id=inspection.id)).status == "loaded"  # not superseded
    stored = db.uploads_dir / str(inspection.id) / f"{load.sha256_of(path)}.xlsx"
    assert not stored.exists()


def _text(path, text):
    path.write_text(text)
    return path


def _bytes(path, data):
    path.write_bytes(data)
    return path


def _zip_bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return path


def _empty_workbook(path):
    openpyxl.Workbook().save(path)
    return path


def _corrupt(path, tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", {1: L1})
    path.write_bytes(good.read_bytes()[:2000])
    return path


def _encrypted(path):
    # The start of an OLE compound file holding an EncryptionInfo stream: how Excel saves a
    # password-protected xlsx (building a real one needs a tool we do not ship).
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    path.write_bytes(header + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512)
    return path


def _no_list(path):
    book = openpyxl.Workbook()
    book.active.append(["Name", "Favourite colour"])
    book.active.append(["Ann", "red"])
    book.save(path)
    return path


BAD_FILES = {
    "not_a_spreadsheet": (
        "annex-a",
        "a.xlsx",
        lambda p, t: _text(p, "name,dob\nA,1\n"),
        "is not a spreadsheet",
    ),
    "zero_bytes": ("annex-a", "a.xlsx", lambda p, t: _bytes(p, b""), "is empty (0 bytes)"),
    "empty_workbook": (
        "annex-a",
        "a.xlsx",
        lambda p, t: _empty_workbook(p),
        "is empty: none of its sheets",
    ),
    "corrupt": ("annex-a", "a.xlsx", _corrupt, "is damaged"),
    "encrypted": ("annex-a", "a.xlsx", lambda p, t: _encrypted(p), "password-protected"),
    "no_list": ("annex-a", "a.xlsx", lambda p, t: _no_list(p), "No Annex A list was found"),
    "oversized": (
        "annex-a",
        "a.xlsx",
        lambda p, t: write_workbook(p, {1: L1 * 400}),
        "more than the 20.0 KB allowed",
    ),
    "zip_bomb": ("annex-a", "a.xlsx", lambda p, t: _zip_bomb(p), "decompression bomb"),
    "xml_dtd": (
        "cin-census",
        "c.xml",
        lambda p, t: _text(
            p, '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x "boom">]><Message>&x;</Message>'
        ),
        "declares a DTD or entities",
    ),
    "xml_broken": (
        "cin-census",
        "c.xml",
        lambda p, t: _text(p, "<Message><Child>"),
        "is not well-formed XML",
    ),
    "xml_no_children": (
        "cin-census",
        "c.xml",
        lambda p, t: _text(p, "<Message/>"),
        "has no <Child> elements",
    ),
    "agency_no_person_id": (
        "agency",
        "p.csv",
        lambda p, t: _text(p, "record_id,event_date,event_type\nR1,01/10/2026,missing_episode\n"),
        "has no person_id column",
    ),
    "agency_header_only": (
        "agency",
        "p.csv",
        lambda p, t: _text(p, "person_id,event_date,event_type\n"),
        "has a header row but no rows",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
async def test_bad_files_are_refused_with_a_specific_message_and_nothing_written(
    db, tmp_path, case
):
    kind, name, build, message = BAD_FILES[case]
    inspection = await make_inspection()
    path = build(tmp_path / name, tmp_path)
    settings = dataclasses.replace(db, max_upload_bytes=20 * 1024) if case == "oversized" else db
    before = await every_table_count()
    with pytest.raises(EvidenceFileError, match=re.escape(message)):
        await import_file(
            inspection.id, path, kind, "police" if kind == "agency" else None, settings
        )
    assert await every_table_count() == before
    assert not (db.uploads_dir / str(inspection.id)).exists()


async def test_ids_that_differ_only_beyond_their_column_are_one_record_with_every_event(
    db, tmp_path
):
    """person_id is kept to 100 characters: two ids alike in those are one source record, and
    each of their events is written once, with it."""
    inspection = await make_inspection()
    alike = "P" * 100
    csv = tmp_path / "police.csv"
    csv.write_text(
        "record_id,person_id,event_date,event_type\n"
        f"r1,{alike}A,01/10/2026,missing_episode\n"
        f"r2,{alike}B,02/10/2026,missing_episode\n"
    )
    summary = await import_file(inspection.id, csv, "agency", "police", db)
    (record,) = await SourceRecord.filter(inspection_id=inspection.id)
    events = await Event.filter(inspection_id=inspection.id).order_by("start")
    assert (record.person_id, summary.events) == (alike, 2)
    assert [(e.start, e.record_id) for e in events] == [
        (date(2026, 10, 1), record.id),
        (date(2026, 10, 2), record.id),
    ]
