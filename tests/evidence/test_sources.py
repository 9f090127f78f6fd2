from datetime import date

import openpyxl
import pytest

from inspection.evidence.load import import_file
from inspection.models import Child, Event, SourceRecord, ValidationIssue
from tests.evidence.helpers import make_inspection

CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message><Header><CollectionDetails><Collection>CIN</Collection></CollectionDetails></Header>
<Children>
<Child>
<ChildIdentifiers><LAchildID>100001</LAchildID><UPN>E990123456789</UPN>
<PersonBirthDate>2015-03-04</PersonBirthDate>{sex}</ChildIdentifiers>
<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
<CINdetails><CINreferralDate>2024-01-10</CINreferralDate><ReferralSource>6</ReferralSource>
<PrimaryNeedCode>N1</PrimaryNeedCode><CINclosureDate>2025-02-01</CINclosureDate>
<ReasonForClosure>RC8</ReasonForClosure><ReferralNFA>false</ReferralNFA>
<Assessments><AssessmentActualStartDate>2024-01-11</AssessmentActualStartDate>
<AssessmentAuthorisationDate>2024-02-20</AssessmentAuthorisationDate>
<FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors>
<AssessmentFactors>21</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>
<CINPlanDates><CINPlanStartDate>2024-02-21</CINPlanStartDate><CINPlanEndDate>2024-06-01</CINPlanEndDate></CINPlanDates>
<Section47><S47ActualStartDate>2024-06-02</S47ActualStartDate><InitialCPCtarget>2024-06-20</InitialCPCtarget>
<DateOfInitialCPC>2024-06-18</DateOfInitialCPC><ICPCnotRequired>false</ICPCnotRequired></Section47>
<ChildProtectionPlans><CPPstartDate>2024-06-18</CPPstartDate><CPPendDate>2025-01-30</CPPendDate>
<InitialCategoryOfAbuse>NEG</InitialCategoryOfAbuse><LatestCategoryOfAbuse>EMO</LatestCategoryOfAbuse>
<NumberOfPreviousCPP>0</NumberOfPreviousCPP>
<Reviews><CPPreviewDate>2024-09-01</CPPreviewDate><CPPreviewDate>2024-12-01</CPPreviewDate></Reviews>
</ChildProtectionPlans></CINdetails>
</Child>
<Child><ChildIdentifiers><UPN>B990123456789</UPN></ChildIdentifiers></Child>
</Children></Message>
"""


@pytest.mark.parametrize(
    ("sex_element", "sex"),
    [
        ("<GenderCurrent>2</GenderCurrent>", "F"),
        ("<Sex>F</Sex>", "F"),
        ("<GenderCurrent>1</GenderCurrent>", "M"),
        ("<Sex>U</Sex>", "U"),
        ("<GenderCurrent>9</GenderCurrent>", "U"),
    ],
)
async def test_cin_census_with_gender_current_or_sex(db, tmp_path, sex_element, sex):
    inspection = await make_inspection()
    path = tmp_path / "cin.xml"
    path.write_text(CENSUS.replace("{sex}", sex_element))
    summary = await import_file(inspection.id, path, "cin-census", None, db)
    assert summary.tables == [
        {
            "name": "Children",
            "sheet": "Child",
            "header_row": None,
            "rows": 2,
            "accepted": 1,
            "rejected": 1,
            "issues": {"error": 1, "warning": 0, "info": 0},
        }
    ]
    child = await Child.get(inspection_id=inspection.id, la_child_id="100001")
    assert (child.sex, child.dob, child.ethnicity) == (sex, date(2015, 3, 4), "WBRI")
    events = await Event.filter(child_id=child.id).order_by("start", "id")
    assert [(e.kind, e.start, e.end) for e in events] == [
        ("referral", date(2024, 1, 10), date(2025, 2, 1)),
        ("assessment_start", date(2024, 1, 11), date(2024, 2, 20)),
        ("assessment_authorised", date(2024, 2, 20), None),
        ("cin_plan_start", date(2024, 2, 21), date(2024, 6, 1)),
        ("cin_plan_end", date(2024, 6, 1), None),
        ("strategy_discussion", date(2024, 6, 2), None),
        ("icpc", date(2024, 6, 18), None),
        ("cp_plan_start", date(2024, 6, 18), date(2025, 1, 30)),
        ("icpc_due", date(2024, 6, 20), None),
        ("cp_review", date(2024, 9, 1), None),
        ("cp_review", date(2024, 12, 1), None),
        ("cp_plan_end", date(2025, 1, 30), None),
    ]
    assert events[0].attributes["closure_reason"] == "RC8"
    assert events[2].attributes["factors"] == ["3A", "21"]
    assert events[7].attributes["initial_category"] == "NEG"
    record = await SourceRecord.get(inspection_id=inspection.id)
    assert (record.upn, record.child_id, record.link_method) == (
        "E990123456789",
        child.id,
        "la_child_id",
    )
    (issue,) = await ValidationIssue.filter(upload_id=summary.upload_id)
    assert (issue.rule, issue.source_row, issue.row_rejected) == ("missing_identifier", 2, True)


POLICE = (
    "record_id,person_id,nhs_number,upn,la_child_id,given_name,family_name,date_of_birth,sex,"
    "postcode,address,event_date,event_end_date,event_type,details,lead_professional\n"
    "OCC1,PP1,,,100001,Jayden,Smith,03/04/2015,M,XS1 1AA,1 High St,12/12/2025,,"
    "domestic_abuse_notification,Child present,\n"
    "OCC2,PP1,,,,Jaden,Smith,04/04/2015,M,,,2026-01-05,2026-01-06,missing_episode,,\n"
    "OCC3,PP2,943 476 5919,,,Amy,Jones,01/01/2012,Female,,,05/02/2026,,Graffiti,,\n"
    "OCC4,,,,,Amy,Jones,01/01/2012,F,,,05/02/2026,,exploitation_concern,,\n"
    "OCC5,PP3,,,,Bo,Lee,01/01/2012,F,,,,,child_concern_notification,,\n"
)


async def test_police_csv_records_as_given_events_mapped_and_known_children_linked(db, tmp_path):
    inspection = await make_inspection()
    known = await Child.create(inspection=inspection, la_child_id="100001")
    path = tmp_path / "police.csv"
    path.write_text(POLICE)
    summary = await import_file(inspection.id, path, "agency", "Police", db)
    assert summary.agency == "police"
    assert summary.tables[0]["rows"] == 5
    assert (summary.tables[0]["accepted"], summary.tables[0]["rejected"]) == (3, 2)
    records = await SourceRecord.filter(inspection_id=inspection.id).order_by("person_id")
    assert [
        (r.person_id, r.given_name, r.dob, r.nhs_number, r.sex, r.child_id, r.link_method)
        for r in records
    ] == [
        ("PP1", "Jayden", date(2015, 4, 3), "", "M", known.id, "la_child_id"),
        ("PP2", "Amy", date(2012, 1, 1), "943 476 5919", "F", None, ""),
    ]
    events = await Event.filter(inspection_id=inspection.id).order_by("start")
    assert [(e.kind, e.agency, e.start, e.end, e.source_row, e.child_id) for e in events] == [
        ("police_domestic_abuse", "police", date(2025, 12, 12), None, 2, known.id),
        ("missing_episode", "police", date(2026, 1, 5), date(2026, 1, 6), 3, known.id),
        ("graffiti", "police", date(2026, 2, 5), None, 4, None),
    ]
    issues = await ValidationIssue.filter(upload_id=summary.upload_id).order_by("id")
    assert [(i.severity, i.rule, i.sheet, i.cell, i.value) for i in issues] == [
        ("info", "conflicting_identity", "police", "H3", "04/04/2015"),
        ("info", "conflicting_identity", "police", "F3", "Jaden"),
        ("warning", "unknown_code", "police", "N4", "Graffiti"),
        ("error", "missing_identifier", "police", "B5", ""),
        ("error", "missing_date", "police", "L6", ""),
    ]


async def test_xlsx_extracts_and_the_social_care_person_list(db, tmp_path):
    inspection = await make_inspection()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "People"
    sheet.append(
        [
            "Record ID",
            "Person ID",
            "LA Child ID",
            "Given Name",
            "Family Name",
            "Date of Birth",
            "Sex",
            "Event Date",
            "Event Type",
        ]
    )
    sheet.append(["SC1", "100007", "100007", "Ann", "Bell", date(2014, 5, 6), "F", None, None])
    book.save(tmp_path / "people.xlsx")
    summary = await import_file(
        inspection.id, tmp_path / "people.xlsx", "agency", "social_care", db
    )
    assert (summary.tables[0]["sheet"], summary.tables[0]["accepted"]) == ("People", 1)
    child = await Child.get(inspection_id=inspection.id, la_child_id="100007")
    assert (child.given_name, child.family_name, child.dob, child.sex) == (
        "Ann",
        "Bell",
        date(2014, 5, 6),
        "F",
    )
    record = await SourceRecord.get(inspection_id=inspection.id)
    assert (record.child_id, record.link_method) == (child.id, "la_child_id")
    assert await Event.filter(inspection_id=inspection.id).count() == 0

    book = openpyxl.Workbook()
    book.active.append(
        [
            "record_id",
            "person_id",
            "event_date",
            "event_end_date",
            "event_type",
            "lead_professional",
        ]
    )
    book.active.append(
        ["EH1", "EH9", date(2026, 1, 2), date(2026, 3, 4), "early_help_episode", "Family Hub"]
    )
    book.active.append(["EH2", "EH9", "10/04/2026", None, "early_help_contact", None])
    book.save(tmp_path / "eh.xlsx")
    await import_file(inspection.id, tmp_path / "eh.xlsx", "agency", "early_help", db)
    events = await Event.filter(agency="early_help").order_by("start")
    assert [(e.kind, e.start, e.end, e.worker) for e in events] == [
        ("early_help_start", date(2026, 1, 2), date(2026, 3, 4), "Family Hub"),
        ("early_help_end", date(2026, 3, 4), None, "Family Hub"),
        ("contact", date(2026, 4, 10), None, ""),
    ]
