"""A batch of files loaded by loader processes: in order, each its own upload, all or nothing."""

import multiprocessing
import os
import signal
from datetime import date

import pytest
from tortoise import Tortoise

from inspection.demo import DEMO_FILES, FIXTURE_DIR
from inspection.evidence import bundle
from inspection.evidence.load import EvidenceFile, import_file
from inspection.evidence.staged import EvidenceFileError
from inspection.models import Child, Event, SourceRecord, Upload, ValidationIssue
from tests.conftest import is_postgres
from tests.evidence.helpers import make_inspection
from tests.evidence.test_load import L1
from tests.evidence.workbooks import write_workbook

POLICE = "person_id,event_date,event_type\nP1,01/10/2026,x\n"


async def test_a_batch_loads_each_file_as_its_own_upload_in_order(db, tmp_path):
    """Loaders read ahead, but each file is its own upload, written in the order given: the
    same file twice is recognised, a later file supersedes an earlier one of its kind, and an
    unusable file is answered in its place while the others load."""
    inspection = await make_inspection()
    annex = write_workbook(tmp_path / "a.xlsx", {1: L1})
    police = _text(tmp_path / "p1.csv", POLICE)
    newer = _text(tmp_path / "p2.csv", "person_id,event_date,event_type\nP2,03/10/2026,x\n")
    copy = tmp_path / "a-copy.xlsx"
    copy.write_bytes(annex.read_bytes())
    broken = _text(tmp_path / "broken.xlsx", "not a workbook")
    files = [
        EvidenceFile(annex, "annex-a"),
        EvidenceFile(police, "agency", "Police"),
        EvidenceFile(broken, "annex-a"),
        EvidenceFile(copy, "annex-a"),
        EvidenceFile(newer, "agency", "police"),
    ]
    first, p1, refused, again, p2 = await bundle.import_files(inspection.id, files, db)
    assert (first.status, first.events, first.filename) == ("loaded", 2, "a.xlsx")
    assert (p1.status, p1.agency, p1.events) == ("loaded", "police", 1)
    assert isinstance(refused, EvidenceFileError)
    assert str(refused) == (
        "broken.xlsx is not a spreadsheet (expected an Excel .xlsx, .xlsm or .xls file, "
        "or an OpenDocument .ods file)."
    )
    assert (again.status, again.upload_id) == ("already_loaded", first.upload_id)
    assert (p2.status, p2.superseded) == ("loaded", [p1.upload_id])
    uploads = await Upload.filter(inspection_id=inspection.id).order_by("id")
    assert [(u.filename, u.status) for u in uploads] == [
        ("a.xlsx", "loaded"),
        ("p1.csv", "superseded"),
        ("p2.csv", "loaded"),
    ]
    events = await Event.filter(inspection_id=inspection.id).order_by("start")
    assert [(e.agency, e.kind, e.start) for e in events] == [
        ("social_care", "contact", date(2026, 10, 1)),
        ("social_care", "contact", date(2026, 10, 2)),
        ("police", "x", date(2026, 10, 3)),
    ]
    assert multiprocessing.active_children() == []  # every loader has finished


async def test_a_batch_loads_what_the_files_loaded_one_by_one_would(db):
    """The demo authority's seven files, as a batch into one inspection and one file at a time
    into another: the same children, records, events and issues, value for value."""
    by_batch = await make_inspection("B01")
    one_by_one = await make_inspection("O01")
    files = [EvidenceFile(FIXTURE_DIR / name, kind, agency) for name, kind, agency in DEMO_FILES]
    batch = await bundle.import_files(by_batch.id, files, db)
    single = [await import_file(one_by_one.id, f.path, f.source_kind, f.agency, db) for f in files]
    assert [s.as_dict() | {"upload_id": 0} for s in batch] == [
        s.as_dict() | {"upload_id": 0} for s in single
    ]
    assert await _content(by_batch.id) == await _content(one_by_one.id)
    assert len((await _content(by_batch.id))["event"]) == sum(s.events for s in single) > 1000


async def _content(inspection_id):
    """Every row an import wrote, without the ids the database chose (children by their
    la_child_id, records by agency and person)."""
    children = await Child.filter(inspection_id=inspection_id).values()
    child_key = {c["id"]: c["la_child_id"] for c in children}
    records = await SourceRecord.filter(inspection_id=inspection_id).values()
    record_key = {r["id"]: (r["agency"], r["person_id"]) for r in records}
    events = await Event.filter(inspection_id=inspection_id).values()
    issues = await ValidationIssue.filter(inspection_id=inspection_id).values()
    ids = {"id", "inspection_id", "upload_id", "child_id", "record_id"}

    def plain(rows, **keys):
        return sorted(
            repr(sorted({k: v for k, v in row.items() if k not in ids}.items()))
            + repr([key.get(row[field]) for field, key in keys.items()])
            for row in rows
        )

    return {
        "child": plain(children),
        "source_record": plain(records, child_id=child_key),
        "event": plain(events, child_id=child_key, record_id=record_key),
        "validation_issue": plain(issues),
    }


async def test_progress_reports_each_file_from_reading_to_done(db, tmp_path):
    inspection = await make_inspection()
    files = [
        EvidenceFile(write_workbook(tmp_path / "a.xlsx", {1: L1}), "annex-a"),
        EvidenceFile(_text(tmp_path / "p.csv", POLICE), "agency", "police"),
    ]
    stages: dict[str, list[str]] = {"a.xlsx": [], "p.csv": []}
    await bundle.import_files(
        inspection.id, files, db, progress=lambda file, stage, _: stages[file.name].append(stage)
    )
    assert stages["a.xlsx"][0] == "Reading the file"
    assert "Reading List_1 (List 1)" in stages["a.xlsx"]
    assert stages["a.xlsx"][-2:] == ["Writing to the database", "Done"]
    assert stages["p.csv"] == ["Reading the file", "Writing to the database", "Done"]


async def test_a_batch_stops_at_a_database_failure_with_the_files_before_it_loaded(db, tmp_path):
    inspection = await make_inspection()
    files = [
        EvidenceFile(write_workbook(tmp_path / "a.xlsx", {1: L1}), "annex-a"),
        EvidenceFile(_text(tmp_path / "p.csv", POLICE), "agency", "police"),
        EvidenceFile(_text(tmp_path / "h.csv", POLICE.replace("P1", "H1")), "agency", "health"),
    ]
    connection = Tortoise.get_connection("default")
    await connection.execute_script(REFUSE_POLICE_EVENTS[is_postgres()])
    try:
        with pytest.raises(bundle.BatchStopped) as raised:
            await bundle.import_files(inspection.id, files, db)
    finally:
        await connection.execute_script(DROP_TRIGGER[is_postgres()])
    assert str(raised.value) == (
        "Loading stopped at p.csv; the 1 file(s) before it were answered and the rest were not "
        "loaded."
    )
    assert "no police events here" in str(raised.value.__cause__)
    assert [(s.filename, s.status) for s in raised.value.answered] == [("a.xlsx", "loaded")]
    uploads = await Upload.filter(inspection_id=inspection.id)
    assert [u.filename for u in uploads] == ["a.xlsx"]  # police rolled back, health not begun
    assert await Event.filter(inspection_id=inspection.id).count() == 2
    assert await SourceRecord.filter(inspection_id=inspection.id).count() == 2
    assert multiprocessing.active_children() == []


async def test_a_loader_that_dies_stops_the_batch_with_the_files_before_it_loaded(db, tmp_path):
    inspection = await make_inspection()
    files = [
        EvidenceFile(write_workbook(tmp_path / "a.xlsx", {1: L1}), "annex-a"),
        EvidenceFile(_text(tmp_path / "p.csv", POLICE), "agency", "police"),
    ]

    def kill_second_loader(file, stage, _):
        # The first file is committed; the second loader has not been told to write.
        if file.name == "a.xlsx" and stage == "Done":
            for process in multiprocessing.active_children():
                if process.name == "inspection-loader-2":
                    os.kill(process.pid, signal.SIGKILL)

    with pytest.raises(bundle.BatchStopped) as raised:
        await bundle.import_files(inspection.id, files, db, progress=kill_second_loader)
    assert isinstance(raised.value.__cause__, bundle.LoaderGone)
    assert str(raised.value.__cause__) == (
        "The process loading p.csv stopped unexpectedly (exit code -9)."
    )
    uploads = await Upload.filter(inspection_id=inspection.id)
    assert [u.filename for u in uploads] == ["a.xlsx"]
    assert multiprocessing.active_children() == []


async def test_an_in_memory_database_cannot_be_shared_with_loaders(db, tmp_path):
    inspection = await make_inspection()
    memory = type(db)(data_dir=tmp_path, database_url="sqlite://:memory:", secret_key="k" * 40)
    files = [EvidenceFile(_text(tmp_path / "p.csv", POLICE), "agency", "police")]
    with pytest.raises(ValueError, match="cannot share an in-memory SQLite database"):
        await bundle.import_files(inspection.id, files, memory)


REFUSE_POLICE_EVENTS = {
    False: "CREATE TRIGGER refuse_police BEFORE INSERT ON event WHEN NEW.agency = 'police' "
    "BEGIN SELECT RAISE(ABORT, 'no police events here'); END;",
    True: "CREATE FUNCTION refuse_police() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF NEW.agency = 'police' THEN RAISE EXCEPTION 'no police events here'; END IF; "
    "RETURN NEW; END $$; CREATE TRIGGER refuse_police BEFORE INSERT ON event "
    "FOR EACH ROW EXECUTE FUNCTION refuse_police();",
}
DROP_TRIGGER = {
    False: "DROP TRIGGER refuse_police;",
    True: "DROP TRIGGER refuse_police ON event; DROP FUNCTION refuse_police();",
}


def _text(path, text):
    path.write_text(text)
    return path
