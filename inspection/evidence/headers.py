"""The Annex A list schemas and tolerant header matching.

The schema is the documentation of the format: for every list, every column's header as the
Ofsted template spells it, the variants seen in real files, what kind of value it holds, its
code list, and whether it is mandatory. ``docs/evidence.md`` is written from this module.

Headers are compared on a key: case-folded, curly quotes made straight, every run of
non-alphanumerics made one space, a trailing ``?`` and a ``(Y/N)`` (or the ``(Y/N))`` typo)
ignored. So ``Referral NFA ?``, ``referral nfa`` and ``Referral NFA?`` are the same header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_YN_SUFFIX = re.compile(r"\s*\(\s*y\s*/\s*n\s*\)+\s*\??\s*$")


def header_key(header: object) -> str:
    text = str(header or "").replace("’", "'").replace("‘", "'").replace("\u00a0", " ")
    text = text.casefold().strip().rstrip("? ").strip()
    text = _YN_SUFFIX.sub("", text)
    text = text.rstrip("? ").strip()
    return _NON_ALNUM.sub(" ", text).strip()


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # id | code | yes_no | date | count | number | text
    code_list: str = ""
    mandatory: bool = False
    variants: tuple[str, ...] = ()
    since: int = 2019

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(header_key(h) for h in (self.header, *self.variants))


@dataclass(frozen=True)
class ListEvent:
    """An event each row of a list records: its kind (``journey.kinds``), the column holding
    its date, and the column holding its end, if it has one (docs/evidence.md)."""

    kind: str
    date: str
    end: str = ""
    note: str = ""  # when the date is not an event of its own (docs/formats.md)


@dataclass(frozen=True)
class ListSchema:
    """One Annex A list: its number, title, sheet names, columns, the events its rows record
    and the pairs of date columns (earlier, later) that cannot be the other way round."""

    number: int
    title: str
    sheet_names: tuple[str, ...]
    columns: tuple[Column, ...]
    primary_date: str = ""  # the column whose date places the row in the journey
    key: tuple[str, ...] = ()  # duplicate key (domain.md §3)
    child_list: bool = True
    events: tuple[ListEvent, ...] = ()
    order: tuple[tuple[str, str], ...] = ()
    # List 9 records no event date of its own: each row is placed as a care leaver anyway.
    placed_without_date: bool = False
    index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for column in self.columns:
            for key in column.keys:
                self.index[key] = column

    def match(self, header: object) -> Column | None:
        return self.index.get(header_key(header))

    @property
    def placing_dates(self) -> tuple[str, ...]:
        """The date columns any one of which places a row in the child's journey (its events'
        dates, main date first); none when every row is placed without one."""
        if self.placed_without_date or not self.child_list:
            return ()
        return tuple(dict.fromkeys(e.date for e in self.events))

    @property
    def name(self) -> str:
        """What the list is called in the app: ``List 6``."""
        return f"List {self.number}"

    @property
    def label(self) -> str:
        """The list by its number and title, as the template's title row has it:
        ``List 6: Children in Need``."""
        return f"{self.name}: {self.title}"


def _child_columns(disability: bool) -> tuple[Column, ...]:
    cols = [
        Column(
            "child_id",
            "Child Unique ID",
            "id",
            mandatory=True,
            variants=(
                "Child ID",
                "Child Unique Identifier",
                "Unique Child ID",
                "Child UID",
                "LA Child ID",
                "Child Unique Ref",
            ),
        ),
        Column("gender", "Gender", "code", "gender", mandatory=True, variants=("Sex",)),
        Column("ethnicity", "Ethnicity", "code", "ethnicity", mandatory=True),
        Column("dob", "Date of Birth", "date", mandatory=True, variants=("DOB", "Birth Date")),
        Column(
            "age",
            "Age of Child (Years)",
            "number",
            variants=("Age", "Age of Child", "Age (Years)", "Age in Years"),
        ),
    ]
    if disability:
        cols.append(
            Column(
                "disability",
                "Does the Child have a Disability",
                "yes_no",
                "yes_no",
                mandatory=True,
                variants=("Disability", "Disabled"),
            )
        )
    return tuple(cols)


_TEAM = (
    Column("team", "Allocated Team", "text", variants=("Team",)),
    Column("worker", "Allocated Worker", "text", variants=("Worker", "Social Worker")),
)
_COMMON = _child_columns(False)
_COMMON_D = _child_columns(True)

LISTS: dict[int, ListSchema] = {
    1: ListSchema(
        1,
        "Contacts",
        ("contacts", "contact"),
        (
            *_COMMON,
            Column(
                "contact_date",
                "Date of Contact",
                "date",
                mandatory=True,
                variants=("Contact Date",),
            ),
            Column(
                "source",
                "Contact Source",
                "code",
                "source",
                mandatory=True,
                variants=("Source of Contact", "Source"),
            ),
        ),
        "contact_date",
        ("child_id", "contact_date", "source"),
        events=(ListEvent("contact", "contact_date"),),
    ),
    2: ListSchema(
        2,
        "Early Help",
        ("early help", "eh", "early help assessments"),
        (
            *_COMMON,
            Column(
                "eh_start",
                "Assessment start date",
                "date",
                mandatory=True,
                variants=("Early Help Assessment Start Date", "EH Assessment Start Date"),
            ),
            Column(
                "eh_end",
                "Assessment completion date",
                "date",
                variants=("Early Help Assessment Completion Date", "Assessment end date"),
            ),
            Column(
                "organisation",
                "Organisation completing assessment",
                "text",
                variants=("Organisation",),
            ),
        ),
        "eh_start",
        ("child_id", "eh_start"),
        events=(
            ListEvent("early_help_start", "eh_start"),
            # the assessment's completion, not the end of early help
            ListEvent("early_help_assessment_completed", "eh_end"),
        ),
        order=(("eh_start", "eh_end"),),
    ),
    3: ListSchema(
        3,
        "Referral",
        ("referral", "referrals"),
        (
            *_COMMON,
            Column(
                "referral_date",
                "Date of referral",
                "date",
                mandatory=True,
                variants=("Referral Date",),
            ),
            Column(
                "source",
                "Referral Source",
                "code",
                "source",
                mandatory=True,
                variants=("Source of Referral", "Source"),
            ),
            Column(
                "nfa",
                "Referral NFA?",
                "yes_no",
                "yes_no",
                mandatory=True,
                variants=("NFA", "Referral NFA", "Referral resulting in NFA"),
            ),
            Column(
                "referrals_12m",
                "Number of Referrals in Last 12 Months",
                "count",
                variants=(
                    "Number of Referrals in the Last 12 Months",
                    "Referrals in last 12 months",
                ),
            ),
            *_TEAM,
        ),
        "referral_date",
        ("child_id", "referral_date", "source"),
        events=(ListEvent("referral", "referral_date"),),
    ),
    4: ListSchema(
        4,
        "Assessments",
        ("assessments", "assessment", "c&f assessments"),
        (
            *_COMMON_D,
            Column(
                "assessment_start",
                "Continuous Assessment Start Date",
                "date",
                mandatory=True,
                variants=("Assessment Start Date",),
            ),
            Column(
                "child_seen",
                "Child Seen During Continuous Assessment",
                "yes_no",
                "yes_no",
                variants=("Child Seen During Assessment", "Child Seen"),
            ),
            Column(
                "assessment_authorised",
                "Continuous Assessment Date of Authorisation",
                "date",
                variants=(
                    "Assessment Date of Authorisation",
                    "Assessment Authorisation Date",
                    "Date of Authorisation",
                ),
            ),
            Column(
                "requires_support",
                "Was the child assessed as requiring LA children's social care support",
                "yes_no",
                "yes_no",
                variants=(
                    "Was the child assessed as being in need at assessment",
                    "Assessed as requiring support",
                ),
            ),
            *_TEAM,
        ),
        "assessment_start",
        ("child_id", "assessment_start"),
        events=(
            ListEvent("assessment_start", "assessment_start", "assessment_authorised"),
            ListEvent("assessment_authorised", "assessment_authorised"),
        ),
        order=(("assessment_start", "assessment_authorised"),),
    ),
    5: ListSchema(
        5,
        "Section 47 enquiries and Initial Child Protection Conferences",
        (
            "sec47 and icpc",
            "section 47",
            "s47",
            "section 47 enquiries",
            "sec47",
            "s47 and icpc",
            "section 47 and icpc",
        ),
        (
            *_COMMON_D,
            Column(
                "strategy_date",
                "Strategy discussion initiating Section 47 Enquiry Start Date",
                "date",
                mandatory=True,
                variants=(
                    "Section 47 Enquiry Start Date",
                    "S47 Start Date",
                    "Strategy Discussion Date",
                ),
            ),
            Column(
                "icpc_unnecessary",
                "Was an Initial Child Protection Conference deemed unnecessary?",
                "yes_no",
                "yes_no",
                variants=("ICPC deemed unnecessary",),
            ),
            Column(
                "icpc_date",
                "Date of Initial Child Protection Conference",
                "date",
                variants=("ICPC Date", "Date of ICPC"),
            ),
            Column(
                "icpc_plan",
                "Did the Initial Child Protection Conference Result in a Child Protection Plan",
                "yes_no",
                "yes_no",
                variants=("ICPC resulted in CP Plan",),
            ),
            Column("s47_12m", "Number of Section 47 Enquiries in the last 12 months", "count"),
            Column("icpc_12m", "Number of ICPCs in the last 12 months", "count"),
            *_TEAM,
        ),
        "strategy_date",
        ("child_id", "strategy_date"),
        events=(
            ListEvent("strategy_discussion", "strategy_date"),
            ListEvent("icpc", "icpc_date"),
        ),
        order=(("strategy_date", "icpc_date"),),
    ),
    6: ListSchema(
        6,
        "Children in Need",
        ("children in need", "cin", "child in need"),
        (
            *_COMMON_D,
            Column(
                "cin_start",
                "CIN Start Date",
                "date",
                mandatory=True,
                variants=("Child in Need Start Date",),
            ),
            Column(
                "primary_need",
                "Primary Need Code",
                "code",
                "need",
                mandatory=True,
                variants=("Primary Need",),
            ),
            Column(
                "last_seen", "Date Child Was Last Seen", "date", variants=("Date Child Last Seen",)
            ),
            Column("cin_closure", "CIN Closure Date", "date", variants=("Closure Date",)),
            Column(
                "closure_reason",
                "Reason for Closure",
                "code",
                "closure_reason",
                variants=("Closure Reason",),
            ),
            Column("case_status", "Case Status", "code", "case_status"),
            *_TEAM,
        ),
        "cin_start",
        ("child_id", "cin_start"),
        # CIN Start Date is the start of the episode of need, i.e. the referral date, not a plan.
        events=(
            ListEvent("referral", "cin_start", "cin_closure"),
            ListEvent("child_seen", "last_seen"),
        ),
        order=(("cin_start", "cin_closure"),),
    ),
    7: ListSchema(
        7,
        "Child protection",
        ("child protection", "cp", "cpp", "cp plans"),
        (
            *_COMMON_D,
            Column(
                "cp_start",
                "Child Protection Plan Start Date",
                "date",
                mandatory=True,
                variants=("CP Plan Start Date",),
            ),
            Column(
                "initial_category",
                "Initial Category of Abuse",
                "code",
                "abuse_category",
                mandatory=True,
            ),
            Column("latest_category", "Latest Category of Abuse", "code", "abuse_category"),
            Column(
                "last_visit",
                "Date of the Last Statutory Visit",
                "date",
                variants=("Date of Last Statutory Visit",),
            ),
            Column(
                "seen_alone",
                "Was the Child Seen Alone?",
                "yes_no",
                "yes_no",
                variants=("Child Seen Alone",),
            ),
            Column(
                "latest_review",
                "Date of latest review conference",
                "date",
                variants=("Latest Review Conference Date", "Date of Latest Review"),
            ),
            Column(
                "cp_end", "Child Protection Plan End Date", "date", variants=("CP Plan End Date",)
            ),
            Column(
                "epo",
                "Subject to Emergency Protection Order or Protected Under Police Powers in "
                "Last Six Months (Y/N)",
                "yes_no",
                "yes_no",
            ),
            Column("previous_plans", "Number of Previous Child Protection Plans", "count"),
            *_TEAM,
        ),
        "cp_start",
        ("child_id", "cp_start"),
        events=(
            ListEvent("cp_plan_start", "cp_start", "cp_end"),
            ListEvent("cp_review", "latest_review"),
            ListEvent("statutory_visit", "last_visit"),
            ListEvent("cp_plan_end", "cp_end"),
        ),
        order=(("cp_start", "cp_end"), ("cp_start", "latest_review")),
    ),
    8: ListSchema(
        8,
        "Children in care",
        ("children in care", "cla", "looked after children", "children looked after", "lac", "cic"),
        (
            *_COMMON[:5],
            Column(
                "uasc",
                "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
                "yes_no",
                "yes_no",
                variants=("UASC",),
            ),
            _COMMON_D[5],
            Column(
                "lac_start",
                "Date Started to be Looked After",
                "date",
                mandatory=True,
                variants=(
                    "Date Started to be Looked After (Current Period)",
                    "Date Became Looked After",
                ),
            ),
            Column(
                "category_of_need",
                "Child's Category of Need",
                "code",
                "need",
                mandatory=True,
                variants=("Category of Need",),
            ),
            Column(
                "second_period",
                "Is this a second or subsequent period of being a Looked After Child within the "
                "last 12 months (Y/N)",
                "yes_no",
                "yes_no",
            ),
            Column("legal_status_start", "Start date of current legal status", "date"),
            Column(
                "legal_status",
                "Child's Legal Status",
                "code",
                "legal_status",
                mandatory=True,
                variants=("Legal Status",),
            ),
            Column("latest_review", "Date of Latest Statutory Review", "date"),
            Column("last_visit", "Date of Last Social Work Visit", "date"),
            Column(
                "permanence_plan",
                "What is the permanence plan for this child?",
                "code",
                "permanence_plan",
                variants=("Permanence Plan",),
            ),
            Column("last_iro", "Date of Last IRO Visit / Contact to the Child", "date"),
            Column("last_health", "Date of Last Health Assessment", "date"),
            Column("last_dental", "Date of Last Dental Check", "date"),
            Column("placements_12m", "Number of Placements in the Last 12 months", "count"),
            Column(
                "lac_end",
                "Date Ceased to be Looked After",
                "date",
                variants=("Date Ceased to be Looked After ",),
            ),
            Column("reason_ceased", "Reason Ceased to be Looked After", "code", "reason_ceased"),
            Column("placement_start", "Start Date of Most Recent Placement", "date"),
            Column("placement_type", "Placement Type", "code", "placement_type"),
            Column("placement_provider", "Placement Provider", "code", "placement_provider"),
            Column("placement_postcode", "Placement postcode", "text"),
            Column("placement_urn", "URN of Placement", "text"),
            Column("placement_location", "Placement Location", "code", "placement_location"),
            Column("placement_la", "LA of Placement", "text"),
            Column(
                "missing_12m",
                "Number of Episodes the Child has been 'Missing' from their Placement in the "
                "last 12 months",
                "count",
            ),
            Column(
                "absent_12m",
                "Number of Episodes the Child has been 'Absent' from their Placement in the "
                "last 12 months",
                "count",
            ),
            Column(
                "return_offered",
                "Was the child offered a Return Interview after their last missing episode (Y/N)?",
                "yes_no",
                "yes_no",
            ),
            Column(
                "return_accepted",
                "Did the child accept a Return Interview after their last missing episode (Y/N)?",
                "yes_no",
                "yes_no",
            ),
            *_TEAM,
        ),
        "lac_start",
        ("child_id", "lac_start"),
        events=(
            ListEvent("looked_after_start", "lac_start", "lac_end"),
            ListEvent("legal_status_start", "legal_status_start"),
            ListEvent(
                "placement_change",
                "placement_start",
                note="unless it is the date started to be looked after, whose event it is then",
            ),
            ListEvent("looked_after_review", "latest_review"),
            ListEvent("social_work_visit", "last_visit"),
            ListEvent("iro_contact", "last_iro"),
            ListEvent("health_assessment", "last_health"),
            ListEvent("dental_check", "last_dental"),
            ListEvent("looked_after_end", "lac_end"),
        ),
        order=(("lac_start", "lac_end"), ("legal_status_start", "lac_end")),
    ),
    9: ListSchema(
        9,
        "Care leavers",
        ("care leavers", "care leaver", "leaving care"),
        (
            *_COMMON_D,
            *_TEAM,
            Column("eligibility", "Eligibility Category", "code", "eligibility", mandatory=True),
            Column("in_touch", "LA in Touch", "code", "in_touch", mandatory=True),
            Column("accommodation", "Type of Accommodation", "code", "accommodation"),
            Column("suitability", "Suitability of Accommodation", "code", "suitability"),
            Column("activity", "Activity Status", "code", "activity"),
            Column(
                "uasc",
                "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
                "yes_no",
                "yes_no",
                since=2023,
            ),
            Column("personal_advisor", "Allocated Personal Advisor", "text", since=2023),
            Column("pathway_review", "Latest Pathway Plan Review Date", "date", since=2023),
            Column("latest_contact", "Latest Date of Contact", "date", since=2023),
        ),
        "",
        ("child_id",),
        # each row is a care leaver (``care_leaver`` on the 18th birthday or reference date)
        events=(
            ListEvent("pathway_plan_review", "pathway_review"),
            ListEvent("care_leaver_contact", "latest_contact"),
        ),
        placed_without_date=True,
    ),
    10: ListSchema(
        10,
        "Adoption",
        ("adoption", "adoptions"),
        (
            _COMMON[0],
            Column("family_id", "Family identifier", "text"),
            *_COMMON_D[1:],
            Column("entered_care", "Date the Child Entered Care", "date"),
            Column(
                "adoption_decision",
                "Date of Decision that Child Should be Placed for Adoption",
                "date",
            ),
            Column("placement_order", "Date of Placement Order", "date"),
            Column("adoption_match", "Date of Matching Child and Prospective Adopters", "date"),
            Column("placed_for_adoption", "Date Placed for Adoption", "date"),
            Column("adoption_order", "Date of Adoption Order", "date"),
            Column(
                "no_longer_decision",
                "Date of Decision that Child Should No Longer be Placed for Adoption",
                "date",
            ),
            Column(
                "no_longer_reason",
                "Reason Why Child No Longer Placed for Adoption",
                "code",
                "adoption_stopped_reason",
            ),
            Column(
                "ffa_date",
                "Date the child was placed for fostering in FFA or concurrent planning placement",
                "date",
            ),
        ),
        "",
        ("child_id",),
        events=(
            ListEvent("looked_after_start", "entered_care"),
            ListEvent("adoption_decision", "adoption_decision"),
            ListEvent("placement_order", "placement_order"),
            ListEvent("adoption_match", "adoption_match"),
            ListEvent("placed_for_adoption", "placed_for_adoption"),
            ListEvent("adoption_order", "adoption_order"),
            ListEvent("fostering_for_adoption", "ffa_date"),
            ListEvent("adoption_decision_reversed", "no_longer_decision"),
        ),
        order=(
            ("adoption_decision", "adoption_order"),
            ("placement_order", "adoption_order"),
            ("placed_for_adoption", "adoption_order"),
        ),
    ),
    11: ListSchema(
        11,
        "Adopters",
        ("adopters", "adopter"),
        (
            Column(
                "adopter_id",
                "Individual adopter identifier",
                "id",
                mandatory=True,
                variants=("Adopter identifier", "Adopter ID"),
            ),
            Column("family_id", "Family identifier", "text"),
            Column("gender", "Gender", "code", "gender"),
            Column("ethnicity", "Ethnicity", "code", "ethnicity"),
            Column("disability", "Disability", "yes_no", "yes_no"),
            Column(
                "ffa", "Is the (prospective) adopter fostering for adoption?", "yes_no", "yes_no"
            ),
            Column("enquiry", "Date enquiry received", "date"),
            Column("stage1_start", "Date Stage 1 started", "date"),
            Column("stage1_end", "Date Stage 1 ended", "date"),
            Column("stage2_start", "Date Stage 2 started", "date"),
            Column("stage2_end", "Date Stage 2 ended", "date"),
            Column("application", "Date application submitted", "date"),
            Column("approved", "Date application approved", "date"),
            Column("matched", "Date adopter matched with child(ren)", "date"),
            Column("placed", "Date child/children placed with adopter(s)", "date"),
            Column("children_placed", "No. of children placed", "count"),
            Column("adoption_order", "Date of Adoption Order", "date"),
            Column("left", "Date of leaving adoption process", "date"),
            Column(
                "left_reason", "Reason for leaving adoption process", "code", "adopter_left_reason"
            ),
        ),
        "",
        ("adopter_id",),
        child_list=False,
        order=(
            ("stage1_start", "stage1_end"),
            ("stage2_start", "stage2_end"),
            ("application", "approved"),
        ),
    ),
}

# Annex A says "Case status" in 2019 and "Case Status" now: the key makes them one header.
LIST9_CURRENT_KEYS = frozenset(c.key for c in LISTS[9].columns if c.since > 2019)


_LIST_SHEET = re.compile(r"^\s*list\s*[_\-\s]?\s*(\d{1,2})\b", re.IGNORECASE)
_SHEET_LISTS: dict[str, int] = {
    header_key(name): schema.number for schema in LISTS.values() for name in schema.sheet_names
}


def list_of_sheet(name: str) -> int | None:
    """The Annex A list a sheet's name says it holds (``List_6``, ``Children in Need``)."""
    match = _LIST_SHEET.match(name)
    if match and int(match.group(1)) in LISTS:
        return int(match.group(1))
    return _SHEET_LISTS.get(header_key(name))
