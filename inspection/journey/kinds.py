"""The one vocabulary of events: what each kind is, in plain English, and what it means for
the child's journey (a signal of need, a step in the authority's response, help, its end,
or an outcome of care)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# In the order the journey tools use, for events on the same day.
LABELS: dict[str, str] = {
    "expected_birth": "Expected to be born",
    "contact": "Contact to children's social care",
    "referral": "Referral to children's social care",
    "early_help_start": "Early help started",
    "early_help_end": "Early help ended",
    "early_help_assessment_completed": "Early help assessment completed",
    "assessment_start": "Assessment started",
    "assessment_internal_review": "Assessment reviewed within the authority",
    "assessment_authorised": "Assessment authorised",
    "strategy_discussion": "Strategy discussion (section 47 enquiry)",
    "icpc_due": "Initial child protection conference due",
    "icpc": "Initial child protection conference",
    "cin_plan_start": "Child in need plan started",
    "cin_plan_end": "Child in need plan ended",
    "cp_plan_start": "Child protection plan started",
    "cp_plan_end": "Child protection plan ended",
    "looked_after_start": "Started to be looked after",
    "looked_after_end": "Stopped being looked after",
    "legal_status_start": "Current legal status started",
    "placement_change": "Placement changed",
    "care_episode": "Care episode started",
    "missing_episode": "Missing episode",
    "away_from_placement": "Away from placement without authorisation",
    "care_leaver": "Became a care leaver",
    "care_leaver_status": "Care leaver's contact, accommodation and activity recorded",
    "uasc_ceased": "Stopped being an unaccompanied asylum-seeking child",
    "previous_permanence": "Previous permanence order (before this care)",
    "adoption_decision": "Decision that the child should be adopted",
    "placement_order": "Placement order",
    "adoption_match": "Matched with adopters",
    "placed_for_adoption": "Placed for adoption",
    "adoption_order": "Adoption order",
    "fostering_for_adoption": "Placed for fostering for adoption or concurrent planning",
    "adoption_decision_reversed": "Decision that the child should no longer be adopted",
    "police_domestic_abuse": "Police domestic abuse notification",
    "police_exploitation_concern": "Police child exploitation concern",
    "police_protection": "Police protection",
    "police_concern": "Police child concern notification",
    "ed_attendance": "Emergency department attendance",
    "health_concern": "Health concern",
    "school_concern": "School safeguarding concern",
    "attendance_concern": "School attendance concern",
    "exclusion": "Exclusion from school",
    "elective_home_education": "Elective home education",
    "child_missing_education": "Child missing education",
    "cp_review": "Child protection review conference",
    "looked_after_review": "Looked after review",
    "child_seen": "Child seen",
    "statutory_visit": "Statutory visit",
    "social_work_visit": "Social work visit",
    "iro_contact": "Independent reviewing officer visit or contact",
    "health_assessment": "Health assessment",
    "dental_check": "Dental check",
    "pathway_plan_review": "Pathway plan review",
    "care_leaver_contact": "Contact with the care leaver",
    "social_worker_allocated": "Social worker allocated",
    "own_child_born": "Their own child was born",
    "death": "Died",
}
ORDER = {kind: i for i, kind in enumerate(LABELS)}

HELP_KINDS = frozenset(
    {"early_help_start", "cin_plan_start", "cp_plan_start", "looked_after_start"}
)
END_KINDS = frozenset({"early_help_end", "cin_plan_end", "cp_plan_end", "looked_after_end"})
OUTCOME_KINDS = frozenset(
    {
        "placement_change",
        "care_leaver",
        "adoption_decision",
        "placement_order",
        "adoption_match",
        "placed_for_adoption",
        "adoption_order",
        "fostering_for_adoption",
        "adoption_decision_reversed",
        "legal_status_start",
        "care_episode",
        "uasc_ceased",
        "previous_permanence",
    }
)
# Steps in the authority's own response: they count for first need (they show need was seen)
# but are not signals, and their dates never change an indicator other than a duration.
PROCESS_KINDS = frozenset(
    {
        "assessment_start",
        "assessment_internal_review",
        "assessment_authorised",
        "early_help_assessment_completed",
        "strategy_discussion",
        "icpc_due",
        "icpc",
        "cp_review",
    }
)
# The authority's work with a child it already helps: visits, the child being seen, reviews
# and checks. Neither signs of need nor help; they never open an episode or move first need.
PRACTICE_KINDS = frozenset(
    {
        "looked_after_review",
        "child_seen",
        "statutory_visit",
        "social_work_visit",
        "iro_contact",
        "health_assessment",
        "dental_check",
        "pathway_plan_review",
        "care_leaver_contact",
        "care_leaver_status",
        "social_worker_allocated",
    }
)
# The events that can make a child a child in need (``child_in_need`` says which do).
CHILD_IN_NEED_KINDS = ("cin_plan_start", "referral")


def child_in_need(kind: str, details: Mapping[str, Any]) -> bool:
    """Whether an event makes its child a child in need: a child-in-need plan (CIN census), or
    the referral that opened a child-in-need episode (Annex A List 6 and the CIN census record
    an episode by its referral date; their loaders mark it ``episode_start``). Sampling's
    children-in-need cohort and the findings' breakdown by help both ask this."""
    return kind == "cin_plan_start" or (kind == "referral" and bool(details.get("episode_start")))


# First need: the earliest event that is not help, the end of help, or an outcome of care.
# A life's own dates: an unborn child's expected birth (the CIN census), a death.
# A looked-after child's own child being born (the SSDA903's MC_DOB) is a date of their life.
LIFE_KINDS = frozenset({"expected_birth", "death", "own_child_born"})
NEED_EXCLUDED = HELP_KINDS | END_KINDS | OUTCOME_KINDS | PRACTICE_KINDS | LIFE_KINDS

AGENCY_LABELS = {
    "social_care": "Children's social care",
    "care": "Care",  # the children looked after return (SSDA903): the journey's care history
    "police": "Police",
    "health": "Health",
    "education": "Education",
    "early_help": "Early help",
}
AGENCY_ORDER = list(AGENCY_LABELS)


def is_need(kind: str) -> bool:
    return kind not in NEED_EXCLUDED


def is_signal(kind: str) -> bool:
    """A sign that the child needed help, from any agency (not the authority's process steps)."""
    return kind not in NEED_EXCLUDED and kind not in PROCESS_KINDS


def label(kind: str) -> str:
    return LABELS.get(kind, kind.replace("_", " ").capitalize())


def agency_label(agency: str) -> str:
    return AGENCY_LABELS.get(agency, agency.replace("_", " ").capitalize())


def agency_code(name: str) -> str:
    """The agency an extract comes from, as typed: a known agency's label gives its code."""
    typed = name.strip()
    for code, label in AGENCY_LABELS.items():
        if typed.casefold() in (label.casefold(), code.replace("_", " ")):
            return code
    return typed
