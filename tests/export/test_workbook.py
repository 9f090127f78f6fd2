import io
from datetime import date, datetime

from openpyxl import load_workbook

from inspection.export.workbook import build_workbook
from inspection.models import AccessLog
from tests.export.factory import EXPORTED_AT, HYPERLINK, build_world

SHEETS = [
    "About",
    "Judgement",
    "Summary",
    "By area and outcome",
    "Sample",
    "Audits",
    "Audits (wide)",
    "Moderation",
    "Authority and inspectors",
    "Multi-agency audits",
    "Journeys",
    "Indicators",
    "Conversations",
    "Validation issues",
    "Concerns",
    "Actions",
    "Self-evaluation",
]


def rows(ws):
    return [tuple(r) for r in ws.iter_rows(values_only=True)]


async def test_workbook_sheets_and_exact_cells(db):
    world = await build_world()
    export = await build_workbook(
        world.inspection.id, world.lead, pseudonymise=False, now=EXPORTED_AT
    )
    wb = load_workbook(io.BytesIO(export.data))
    assert wb.sheetnames == SHEETS
    sample = rows(wb["Sample"])
    assert sample[0] == (
        "Sample",
        "Purpose",
        "Method",
        "Member",
        "Child",
        "Given name",
        "Family name",
        "Date of birth",
        "Date of death",
        "Postcode",
        "Stratum",
        "Order drawn",
        "Inclusion probability",
        "Weight",
        "Status",
        "Replaced by member",
        "Replaced by child",
        "Reason",
        "Changed by",
        "Changed at",
        "Tracked case",
        "Line of enquiry",
    )
    m = [m.id for m in world.members]
    assert sample[1:] == [
        (
            world.sample.id,
            "JTAI tracked cases",
            "srs",
            m[0],
            "LA001",
            "Jayden",
            "Smith",
            datetime(2015, 4, 3),
            None,
            "LS6 2AB",
            "cin",
            1,
            0.5,
            2,
            "selected",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        (
            world.sample.id,
            "JTAI tracked cases",
            "srs",
            m[1],
            "LA002",
            "'" + HYPERLINK,
            "Khan",
            datetime(2012, 9, 30),
            None,
            "BD1 1AA",
            "cin",
            2,
            0.5,
            2,
            "selected",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        (
            world.sample.id,
            "JTAI tracked cases",
            "srs",
            m[2],
            "LA003",
            "Maya",
            "O'Neill",
            datetime(2019, 1, 15),
            None,
            "HX1 4QT",
            "cin",
            3,
            0.5,
            2,
            "selected",
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ),
    ]
    # The LA's formula is text, not a formula, and dates are real dates shown DD/MM/YYYY.
    ws = wb["Sample"]
    assert ws["F3"].data_type == "s"
    assert ws["H2"].number_format == "DD/MM/YYYY"
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:V4"
    assert ws.print_title_rows == "$1:$1"
    a = [x.id for x in world.audits]
    assert rows(wb["Audits"])[1:] == [
        (
            a[0],
            world.sample.id,
            m[0],
            "LA001",
            "mini",
            "1",
            "first",
            "Ann Auditor",
            "submitted",
            "child_seen",
            "Child seen",
            "Good",
            "Evidence for child_seen: -note",
            None,
            None,
        ),
        (
            a[0],
            world.sample.id,
            m[0],
            "LA001",
            "mini",
            "1",
            "first",
            "Ann Auditor",
            "submitted",
            "impact",
            "Impact",
            "Good",
            "Evidence for impact: -note",
            None,
            None,
        ),
        (
            a[1],
            world.sample.id,
            m[1],
            "LA002",
            "mini",
            "1",
            "first",
            "Ann Auditor",
            "submitted",
            "child_seen",
            "Child seen",
            "Requires improvement to be good",
            "Evidence for child_seen: -note",
            None,
            None,
        ),
        (
            a[1],
            world.sample.id,
            m[1],
            "LA002",
            "mini",
            "1",
            "first",
            "Ann Auditor",
            "submitted",
            "impact",
            "Impact",
            "Inadequate",
            "Evidence for impact: -note",
            None,
            None,
        ),
        (
            a[2],
            world.sample.id,
            m[0],
            "LA001",
            "mini",
            "1",
            "second",
            "Sam Second",
            "submitted",
            "child_seen",
            "Child seen",
            "Good",
            "second look",
            None,
            None,
        ),
        (
            a[2],
            world.sample.id,
            m[0],
            "LA001",
            "mini",
            "1",
            "second",
            "Sam Second",
            "submitted",
            "impact",
            "Impact",
            "Requires improvement to be good",
            "second look",
            None,
            None,
        ),
    ]
    grades = wb["Audits"].data_validations.dataValidation
    assert [(str(d.sqref), d.formula1) for d in grades] == [
        ("L2:L7", '"Outstanding,Good,Requires improvement to be good,Inadequate,Not applicable"')
    ]
    assert len(wb["Audits"].conditional_formatting) == 1
    summary = rows(wb["Summary"])
    assert summary[0][:9] == (
        "Rubric",
        "Domain",
        "Outstanding",
        "Good",
        "Requires improvement to be good",
        "Inadequate",
        "Not applicable",
        "Graded",
        "Good or better",
    )
    assert summary[1][:10] == ("mini v1", "Child seen", 0, 1, 1, 0, 0, 2, 1, 0.5)
    # Impact of the first audit was moderated to Good (it was Good anyway); overall Good, Inadequate
    assert summary[2][:10] == ("mini v1", "Impact", 0, 1, 0, 1, 0, 2, 1, 0.5)
    assert summary[3][:10] == ("mini v1", "Overall judgement", 0, 1, 0, 1, 0, 2, 1, 0.5)
    assert summary[1][10:12] == (0.0945, 0.9055)
    assert len(wb["Summary"]._charts) == 1
    journeys = rows(wb["Journeys"])
    assert journeys[1:4] == [
        (
            "LA001",
            datetime(2026, 3, 1),
            None,
            "Police",
            "Police domestic abuse notification (first sign of need)",
            "annex_a.xlsx, police.csv, row 2",
            None,
        ),
        (
            "LA001",
            datetime(2026, 4, 10),
            None,
            "Children's social care",
            "Contact to children's social care",
            "annex_a.xlsx, List_1, row 3",
            "Team: Front door; Worker: W. Jones",
        ),
        (
            "LA001",
            datetime(2026, 5, 20),
            datetime(2026, 9, 1),
            "Children's social care",
            "Child in need plan started (help started)",
            "annex_a.xlsx, List_6, row 4",
            None,
        ),
    ]
    assert len(journeys) == 10
    indicators = rows(wb["Indicators"])
    assert indicators[0][:5] == (
        "Child",
        "First sign of need",
        "Help started",
        "Days from first need to help",
        "Signals before help",
    )
    assert indicators[1] == (
        "LA001",
        datetime(2026, 3, 1),
        datetime(2026, 5, 20),
        80,
        2,
        2,
        1,
        0,
        "no",
        0,
        0,
        0,
        0,
        None,
        None,
        None,
    )
    moderation = rows(wb["Moderation"])
    assert moderation[2][:13] == (
        m[0],
        "LA001",
        "mini v1",
        "Impact",
        a[0],
        "Ann Auditor",
        "Good",
        a[2],
        "Sam Second",
        "Requires improvement to be good",
        "no",
        "Good",
        "Agreed after discussion",
    )
    assert moderation[8][:7] == ("mini v1", "Impact", 1, 0, 0, 0, -0.2)
    issues = rows(wb["Validation issues"])
    assert issues[1] == (
        "annex_a.xlsx",
        "List_1",
        "List 1",
        7,
        "F7",
        "Contact source",
        "'@SUM(A1)",
        "unknown-code",
        "warning",
        "Unknown contact source '@SUM(A1)'",
        "no",
    )
    about = dict(r for r in rows(wb["About"])[1:] if r[0])
    assert about["Local authority"] == "Northbury (E09000099)"
    assert about["Reference date"] == datetime(2026, 11, 2)
    assert about["Exported by"] == "Lena Lead <lead@example.org>"
    assert about["Exported at"] == datetime(2026, 11, 25, 10, 30)
    assert about["Upload: annex_a.xlsx"] == (
        "annex-a; sha256 " + "ab" * 32 + "; loaded 02/11/2026 09:15; loaded"
    )
    assert about[f"Sample {world.sample.id}: JTAI tracked cases"] == (
        "method srs; seed 5eed; population 3; drawn 03/11/2026 08:00; verify with: "
        f"inspection sample verify --inspection {world.inspection.id} --sample "
        f"{world.sample.id}"
    )
    assert about["Rubric mini"] == "version 1; sha256 " + "cd" * 32 + "; Mini rubric"
    log = await AccessLog.filter(action="export-xlsx").values(
        "user_id", "inspection_id", "object_type", "detail"
    )
    assert len(log) == 1
    assert log[0]["user_id"] == world.lead.id
    assert log[0]["detail"].startswith(f"export {export.export_id}; pseudonymised no; xlsx;")


async def test_same_data_same_bytes(db):
    world = await build_world()
    one = await build_workbook(
        world.inspection.id, world.lead, pseudonymise=False, now=EXPORTED_AT, export_id="x"
    )
    two = await build_workbook(
        world.inspection.id, world.lead, pseudonymise=False, now=EXPORTED_AT, export_id="x"
    )
    assert one.data == two.data


async def test_pseudonymised_workbook_holds_no_identifier_name_or_birth_date(db):
    world = await build_world()
    export = await build_workbook(
        world.inspection.id, world.lead, now=EXPORTED_AT, pseudonymise=True
    )
    wb = load_workbook(io.BytesIO(export.data))
    forbidden = set()
    for child in world.children:
        forbidden |= {
            child.la_child_id,
            child.given_name,
            child.family_name,
            child.dob.strftime("%d/%m/%Y"),
            child.dob.isoformat(),
            child.postcode,
        }
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                value = cell.value
                if isinstance(value, (date, datetime)):
                    assert not any(
                        value == datetime.combine(c.dob, datetime.min.time())
                        for c in world.children
                    ), (ws.title, cell.coordinate)
                    continue
                text = str(value or "").lower()
                found += [(ws.title, cell.coordinate, f) for f in forbidden if f.lower() in text]
    assert found == []
    sample = rows(wb["Sample"])
    assert sample[0][4:8] == ("Child", "Month of birth", "Month of death", "Postcode district")
    assert [r[5:8] for r in sample[1:]] == [
        ("2015-04", None, "LS6"),
        ("2012-09", None, "BD1"),
        ("2019-01", None, "HX1"),
    ]
    pseudonyms = [r[4] for r in sample[1:]]
    assert all(p.startswith("P-") for p in pseudonyms) and len(set(pseudonyms)) == 3
    # stable within the export: the same child has the same pseudonym on every sheet
    assert rows(wb["Journeys"])[1][0] == pseudonyms[0]
    assert rows(wb["Audits"])[1][3] == pseudonyms[0]
    concern = rows(wb["Concerns"])[1]
    assert concern[6] == "[name] family: no visit since [dob]"
    log = await AccessLog.get(action="export-xlsx")
    assert "pseudonymised yes" in log.detail


def test_long_grade_lists_use_a_hidden_range():
    from openpyxl import Workbook

    from inspection.export.workbook import grade_list_validation

    wb = Workbook()
    short = grade_list_validation(["Good", "Inadequate"], wb)
    assert short.formula1 == '"Good,Inadequate"'
    long = grade_list_validation([f"Grade number {i}, described at length" for i in range(12)], wb)
    assert long.formula1 == "'_lists'!$A$1:$A$12"
    assert wb["_lists"].sheet_state == "veryHidden"
    assert wb["_lists"]["A12"].value == "Grade number 11, described at length"


async def test_about_sheet_gives_linkage_accuracy_from_settled_review_decisions(db):
    """36 settled decisions: 27 pairs people confirmed that the model had found, 3 it had found
    that people said were two children, 6 children people joined that it had missed. The
    About sheet says what they estimate, and from how many decisions."""
    from inspection.models import LinkDecision

    world = await build_world()
    for decision, count in (("accept", 27), ("reject", 3), ("merge", 6)):
        for _ in range(count):
            await LinkDecision.create(
                inspection=world.inspection, decision=decision, decided_by=world.lead
            )
    await LinkDecision.create(inspection=world.inspection, decision="pending", probability=0.7)

    export = await build_workbook(
        world.inspection.id, world.lead, pseudonymise=False, now=EXPORTED_AT
    )

    about = dict(r for r in rows(load_workbook(io.BytesIO(export.data))["About"])[1:] if r[0])
    assert about["Linkage accuracy"] == (
        "Precision 0.90, recall 0.82, estimated from 36 settled decisions "
        "(the hard pairs people decided)."
    )


async def test_about_sheet_says_when_too_few_review_decisions_are_settled(db):
    world = await build_world()
    export = await build_workbook(
        world.inspection.id, world.lead, pseudonymise=False, now=EXPORTED_AT
    )
    about = dict(r for r in rows(load_workbook(io.BytesIO(export.data))["About"])[1:] if r[0])
    assert about["Linkage accuracy"] == (
        "Too few settled decisions to estimate the linkage's precision and recall "
        "(0 so far; at least 30 are needed)."
    )
