"""Each census rule of the plausibility catalogue, with a census that breaks it and one that
does not; and every rule of the catalogue is tested here or on the journey."""

from datetime import date

import pytest

from inspection.evidence.load import import_file
from inspection.evidence.plausibility import rules
from inspection.models import ValidationIssue
from tests.evidence.helpers import make_inspection
from tests.journey.test_consistency import CASES as JOURNEY_CASES

HEADER = (
    "<Header><CollectionDetails><Collection>CIN</Collection><Year>2027</Year>"
    "<ReferenceDate>{census}</ReferenceDate></CollectionDetails></Header>"
)
CHILD = (
    "<Child><ChildIdentifiers><LAchildID>{la_id}</LAchildID>"
    "{born}{died}<Sex>{sex}</Sex></ChildIdentifiers>"
    "<CINdetails><CINreferralDate>2024-01-10</CINreferralDate>{closure}{inside}</CINdetails>"
    "</Child>"
)


BORN = "<PersonBirthDate>2015-03-04</PersonBirthDate>"
UNBORN = "<ExpectedPersonBirthDate>2026-05-01</ExpectedPersonBirthDate>"


def census(
    inside="", died="", closure="", reference="2026-03-31", la_id="100001", born=BORN, sex="F"
):
    return (
        '<?xml version="1.0" encoding="utf-8"?><Message>'
        + HEADER.format(census=reference)
        + "<Children>"
        + CHILD.format(inside=inside, died=died, closure=closure, la_id=la_id, born=born, sex=sex)
        + "</Children></Message>"
    )


CENSUS_CASES = [
    (
        "1103",
        census(
            "<Assessments><AssessmentActualStartDate>2024-01-09</AssessmentActualStartDate>"
            "</Assessments>"
        ),
        census(
            "<Assessments><AssessmentActualStartDate>2024-01-10</AssessmentActualStartDate>"
            "</Assessments>"
        ),
        "AssessmentActualStartDate",
        "The assessment start date 09/01/2024 cannot be before the referral date 10/01/2024 "
        "(CIN census rule 1103).",
    ),
    (
        "4015",
        census("<CINPlanDates><CINPlanStartDate>2023-12-01</CINPlanStartDate></CINPlanDates>"),
        census("<CINPlanDates><CINPlanStartDate>2024-02-01</CINPlanStartDate></CINPlanDates>"),
        "CINPlanStartDate",
        "The CIN plan start date 01/12/2023 cannot be before the referral date 10/01/2024 (CIN "
        "census rule 4015).",
    ),
    (
        "2889",
        census("<Section47><S47ActualStartDate>2024-01-01</S47ActualStartDate></Section47>"),
        census("<Section47><S47ActualStartDate>2024-01-11</S47ActualStartDate></Section47>"),
        "S47ActualStartDate",
        "The section 47 enquiry start date 01/01/2024 cannot be before the referral date "
        "10/01/2024 (CIN census rule 2889).",
    ),
    (
        "1104",
        census("<Section47><DateOfInitialCPC>2024-01-05</DateOfInitialCPC></Section47>"),
        census("<Section47><DateOfInitialCPC>2024-01-25</DateOfInitialCPC></Section47>"),
        "DateOfInitialCPC",
        "The date of the initial child protection conference 05/01/2024 cannot be before the "
        "referral date 10/01/2024 (CIN census rule 1104).",
    ),
    (
        "1105",
        census(
            "<ChildProtectionPlans><CPPstartDate>2024-01-05</CPPstartDate></ChildProtectionPlans>"
        ),
        census(
            "<ChildProtectionPlans><CPPstartDate>2024-01-25</CPPstartDate></ChildProtectionPlans>"
        ),
        "CPPstartDate",
        "The child protection plan start date 05/01/2024 cannot be before the referral date "
        "10/01/2024 (CIN census rule 1105).",
    ),
    (
        "8535Q",
        census(died="<PersonDeathDate>2014-01-01</PersonDeathDate>"),
        census(died="<PersonDeathDate>2024-06-01</PersonDeathDate>"),
        "PersonDeathDate",
        "The child's date of death 01/01/2014 is before their date of birth 04/03/2015 (CIN "
        "census rule 8535Q); both were loaded as given.",
    ),
    (
        "8585Q",
        census(
            closure="<CINclosureDate>2024-06-01</CINclosureDate>"
            "<ReasonForClosure>RC2</ReasonForClosure>"
        ),
        census(
            closure="<CINclosureDate>2024-06-01</CINclosureDate>"
            "<ReasonForClosure>RC2</ReasonForClosure>",
            died="<PersonDeathDate>2024-05-30</PersonDeathDate>",
        ),
        "ReasonForClosure",
        "An episode was closed because the child died (RC2), but the child has no date of "
        "death (CIN census rule 8585Q).",
    ),
    (
        "1570",
        census(la_id="A" * 21),
        census(la_id="A" * 20),
        "LAchildID",
        f"The child's identifier {'A' * 21} is longer than 20 characters (CIN census rule 1570).",
    ),
    (
        "1580",
        census(la_id="CH-1001"),
        census(la_id="CH1001"),
        "LAchildID",
        "The child's identifier CH-1001 holds characters other than letters and digits (CIN "
        "census rule 1580).",
    ),
    (
        "8750",
        census(born=UNBORN, sex="F"),
        census(born=UNBORN, sex="U"),
        "Sex",
        "The child is unborn (an expected date of birth and no date of birth), so their sex "
        "should be U, not F (CIN census rule 8750).",
    ),
    (
        "8945Q",
        census(
            "<Assessments><AssessmentActualStartDate>2024-01-12</AssessmentActualStartDate>"
            "<FactorsIdentifiedAtAssessment><AssessmentFactors>18A</AssessmentFactors>"
            "</FactorsIdentifiedAtAssessment></Assessments>"
        ),
        census(
            "<Assessments><AssessmentActualStartDate>2024-01-12</AssessmentActualStartDate>"
            "<FactorsIdentifiedAtAssessment><AssessmentFactors>18B</AssessmentFactors>"
            "</FactorsIdentifiedAtAssessment></Assessments>"
        ),
        "AssessmentFactors",
        "Assessment factor 18A (physical abuse) is no longer used: 18B (by another child) or "
        "18C (by an adult) says who (CIN census rule 8945Q).",
    ),
    (
        "8950Q",
        census(
            "<Assessments><AssessmentActualStartDate>2024-01-12</AssessmentActualStartDate>"
            "<FactorsIdentifiedAtAssessment><AssessmentFactors>19a</AssessmentFactors>"
            "</FactorsIdentifiedAtAssessment></Assessments>"
        ),
        census(
            "<Assessments><AssessmentActualStartDate>2024-01-12</AssessmentActualStartDate>"
            "<FactorsIdentifiedAtAssessment><AssessmentFactors>19C</AssessmentFactors>"
            "</FactorsIdentifiedAtAssessment></Assessments>"
        ),
        "AssessmentFactors",
        "Assessment factor 19A (sexual abuse) is no longer used: 19B (by another child) or "
        "19C (by an adult) says who (CIN census rule 8950Q).",
    ),
    (
        "8770Q",
        census("<ReferralNFA>false</ReferralNFA>"),
        census("<ReferralNFA>false</ReferralNFA>", born=BORN + "<UPNunknown>UN2</UPNunknown>"),
        "UPN",
        "The child, born on 04/03/2015, is of school age by 31/08/2026 and their referral led to "
        "further action, but they have no UPN and no reason for it (CIN census rule 8770Q).",
    ),
    (
        "PL06",
        census(reference="2027-03-31"),
        census(reference="2026-03-31"),
        "ReferenceDate",
        "The census's reference date 31/03/2027 is after the inspection's reference date "
        "02/11/2026: it may be another year's return.",
    ),
]


async def _issues(db, tmp_path, xml, code):
    inspection = await make_inspection(code, reference=date(2026, 11, 2))
    path = tmp_path / f"cin-{code}.xml"
    path.write_text(xml)
    summary = await import_file(inspection.id, path, "cin-census", None, db)
    rule_ids = {r.issue_rule for r in rules().values()}
    return [
        (i.rule, i.column, i.message)
        for i in await ValidationIssue.filter(upload_id=summary.upload_id).order_by("id")
        if i.rule in rule_ids
    ]


@pytest.mark.parametrize(
    ("rule", "broken", "kept", "column", "message"), CENSUS_CASES, ids=[c[0] for c in CENSUS_CASES]
)
async def test_each_census_rule_fires_on_a_census_that_breaks_it_only(
    db, tmp_path, rule, broken, kept, column, message
):
    expected_rule = rule if rule.startswith("PL") else f"cin_{rule}"
    assert await _issues(db, tmp_path, broken, "E01") == [(expected_rule, column, message)]
    assert await _issues(db, tmp_path, kept, "E02") == []


async def test_a_school_age_child_without_a_upn_is_queried_only_when_the_rule_says(db, tmp_path):
    """8770Q: UN1 says the child is too young for a UPN, which a child of school age is not; a
    child not yet four by the 31 August after the census day, a referral that led to no further
    action, or a UPN given, and the rule has nothing to ask."""
    nfa = "<ReferralNFA>false</ReferralNFA>"
    un1 = await _issues(db, tmp_path, census(nfa, born=BORN + "<UPNunknown>UN1</UPNunknown>"), "E1")
    assert un1 == [
        (
            "cin_8770Q",
            "UPN",
            "The child, born on 04/03/2015, is of school age by 31/08/2026 and their referral led "
            "to further action, but they have no UPN and UN1 (aged under 6) as the reason (CIN "
            "census rule 8770Q).",
        )
    ]
    for code, xml in (
        ("E2", census(nfa, born="<PersonBirthDate>2022-09-01</PersonBirthDate>")),
        ("E3", census(nfa, born="<PersonBirthDate>2022-08-31</PersonBirthDate>")),
        ("E4", census("<ReferralNFA>true</ReferralNFA>")),
        ("E5", census(nfa, born=BORN + "<UPN>A123456789012</UPN>")),
    ):
        fired = [i for i in await _issues(db, tmp_path, xml, code) if i[0] == "cin_8770Q"]
        # born 31/08/2022: four on the 31 August after the census day, so of school age
        assert len(fired) == (1 if code == "E3" else 0), code


def test_every_rule_of_the_catalogue_is_tested_with_a_breaking_and_a_kept_record():
    tested = {c[0] for c in CENSUS_CASES} | {c[0] for c in JOURNEY_CASES}
    assert tested == set(rules())
    assert {r.applies_to for r in rules().values()} == {"census", "journey"}


def test_a_report_names_every_rule_in_words():
    from inspection.evidence.labels import rule_label

    assert rule_label("cin_1103").name == "Assessment before the referral"
    assert rule_label("PL06").name == "Another year's census"
    assert rule_label("invalid_identifier").describe("nhs_number") == (
        "nhs_number fails its check (mistyped?)"
    )
    for found in rules().values():
        assert rule_label(found.issue_rule).name == found.name
        assert found.id not in found.name
