"""An event's recorded details as labelled sentences: "Category of abuse: Neglect".

Every source stores what it recorded about an event under its own keys (an Annex A column, a
CIN census element, an agency extract's field). ``detail_lines`` turns them into plain-English
labels with values named from the code tables (``evidence/codes.py``), yes or no for flags and
dates as dd/mm/yyyy. The journey page, the chronology and every export that shows an event's
details call it, so they say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from inspection.evidence import codes
from inspection.evidence.headers import LISTS

# What each stored key is, in words. A key's code list and kind (date, count, yes or no) are
# the Annex A schema's where the key is an Annex A column, and ``_OTHER_KEYS``' otherwise.
LABELS: dict[str, str] = {
    # Annex A
    "contact_date": "Date of contact",
    "source": "Source of referral",
    "eh_start": "Early help assessment started",
    "eh_end": "Early help assessment completed",
    "organisation": "Organisation completing the assessment",
    "referral_date": "Date of referral",
    "nfa": "Referral led to no further action",
    "referrals_12m": "Number of referrals in the last 12 months",
    "assessment_start": "Assessment started",
    "child_seen": "Child seen during the assessment",
    "assessment_authorised": "Assessment authorised",
    "requires_support": "Assessed as needing children's social care support",
    "strategy_date": "Strategy discussion (start of the section 47 enquiry)",
    "icpc_unnecessary": "Initial child protection conference judged unnecessary",
    "icpc_date": "Initial child protection conference",
    "icpc_plan": "Conference led to a child protection plan",
    "s47_12m": "Number of section 47 enquiries in the last 12 months",
    "icpc_12m": "Number of initial child protection conferences in the last 12 months",
    "cin_start": "Child in need episode started",
    "primary_need": "Primary need",
    "last_seen": "Date the child was last seen",
    "cin_closure": "Child in need episode closed",
    "closure_reason": "Reason for closure",
    "case_status": "Case status",
    "cp_start": "Child protection plan started",
    "initial_category": "Initial category of abuse",
    "latest_category": "Latest category of abuse",
    "last_visit": "Date of the last statutory visit",
    "seen_alone": "Child seen alone",
    "latest_review": "Date of the latest review",
    "cp_end": "Child protection plan ended",
    "epo": "Emergency protection order or police protection in the last six months",
    "previous_plans": "Number of previous child protection plans",
    "uasc": "Unaccompanied asylum-seeking child in the last 12 months",
    "lac_start": "Started to be looked after",
    "category_of_need": "Category of need",
    "second_period": "Second or later period of care in the last 12 months",
    "legal_status_start": "Current legal status since",
    "legal_status": "Legal status",
    "permanence_plan": "Permanence plan",
    "last_iro": "Date of the last visit or contact by the independent reviewing officer",
    "last_health": "Date of the last health assessment",
    "last_dental": "Date of the last dental check",
    "placements_12m": "Number of placements in the last 12 months",
    "lac_end": "Stopped being looked after",
    "reason_ceased": "Reason for no longer being looked after",
    "placement_start": "Most recent placement started",
    "placement_type": "Placement type",
    "placement_provider": "Placement provider",
    "placement_postcode": "Placement postcode",
    "placement_urn": "Ofsted URN of the placement",
    "placement_location": "Placement inside or outside the authority",
    "placement_la": "Local authority of the placement",
    "missing_12m": "Times missing from placement in the last 12 months",
    "absent_12m": "Times absent from placement in the last 12 months",
    "return_offered": "Offered a return interview after the last missing episode",
    "return_accepted": "Accepted a return interview after the last missing episode",
    "eligibility": "Eligibility category",
    "in_touch": "Authority in touch with the young person",
    "accommodation": "Type of accommodation",
    "suitability": "Suitability of accommodation",
    "activity": "Activity",
    "personal_advisor": "Personal adviser",
    "pathway_review": "Latest pathway plan review",
    "latest_contact": "Latest contact",
    "family_id": "Adoptive family reference",
    "entered_care": "Entered care",
    "adoption_decision": "Decision that the child should be placed for adoption",
    "placement_order": "Placement order",
    "adoption_match": "Matched with prospective adopters",
    "placed_for_adoption": "Placed for adoption",
    "adoption_order": "Adoption order",
    "no_longer_decision": "Decision that the child should no longer be placed for adoption",
    "no_longer_reason": "Reason the child is no longer to be placed for adoption",
    "ffa_date": "Placed in fostering for adoption or concurrent planning",
    "start_basis": "Start date taken from",
    # CIN census
    "referral_source": "Source of referral",
    "referral_nfa": "Referral led to no further action",
    "factors": "Factors identified at the end of the assessment",
    "initial_cpc_target": "Target date for the initial child protection conference",
    "icpc_not_required": "Initial child protection conference judged unnecessary",
    # the SSDA903 return (its legal status, placement and care leaver keys are Annex A's)
    "reason_new_episode": "Reason for the new episode",
    "reason_place_change": "Reason for the change of placement",
    "home_postcode": "Postcode of the child's home",
    "review_participation": "The child's participation in the review",
    "adopted_by_foster_carer": "Adopted by their foster carer",
    "adopters": "Number of adopters",
    "adopters_sex": "Adopters",
    "previous_permanence": "Previous permanence order",
    "date_known": "How much of the date is known",
    # partner-agency extracts
    "record_id": "The agency's record reference",
    "details": "What the agency recorded",
    "lead_professional": "Lead professional",
}
# Labels that depend on the event: a contact's source is the source of the contact.
_KIND_LABELS = {("contact", "source"): "Source of contact"}

# Keys a source keeps for itself: the file's own spelling of codes, the loader's flags, and an
# agency's own name for the event (its kind's label says the same in words).
HIDDEN = frozenset({"original", "raw", "episode_start", "plan", "event_type"})


@dataclass(frozen=True)
class _Kind:
    kind: str  # date | count | number | yes_no | code | text
    code_list: str = ""


def _annex_a_kinds() -> dict[str, _Kind]:
    found: dict[str, _Kind] = {}
    for schema in LISTS.values():
        for column in schema.columns:
            found.setdefault(column.key, _Kind(column.kind, column.code_list))
    return found


_OTHER_KEYS = {
    "referral_source": _Kind("code", "source"),
    "referral_nfa": _Kind("yes_no", "yes_no"),
    "factors": _Kind("code", "assessment_factor"),
    "initial_cpc_target": _Kind("date"),
    "icpc_not_required": _Kind("yes_no", "yes_no"),
    # Annex A's column is free text, but a placement outside England is given by its code.
    "placement_la": _Kind("code", "la_of_placement"),
    "reason_new_episode": _Kind("code", "reason_new_episode"),
    "reason_place_change": _Kind("code", "reason_place_change"),
    "review_participation": _Kind("code", "review_participation"),
    "adopters_sex": _Kind("code", "adopters_sex"),
    "previous_permanence": _Kind("code", "previous_permanence"),
    "adopters": _Kind("count"),
}
KINDS: dict[str, _Kind] = {**_annex_a_kinds(), **_OTHER_KEYS}

# The key that holds the event's own date, per kind: not repeated beside the event's date.
OWN_DATE: dict[str, frozenset[str]] = {
    "contact": frozenset({"contact_date"}),
    "referral": frozenset({"referral_date", "cin_start"}),
    "early_help_start": frozenset({"eh_start"}),
    "early_help_end": frozenset({"eh_end"}),
    "assessment_start": frozenset({"assessment_start"}),
    "assessment_authorised": frozenset({"assessment_authorised"}),
    "strategy_discussion": frozenset({"strategy_date"}),
    "icpc": frozenset({"icpc_date"}),
    "cp_plan_start": frozenset({"cp_start"}),
    "cp_plan_end": frozenset({"cp_end"}),
    "cp_review": frozenset({"latest_review"}),
    "looked_after_start": frozenset({"lac_start", "entered_care"}),
    "looked_after_end": frozenset({"lac_end"}),
    "placement_change": frozenset({"placement_start"}),
    **{
        kind: frozenset({kind})
        for kind in (
            "adoption_decision",
            "placement_order",
            "adoption_match",
            "placed_for_adoption",
            "adoption_order",
        )
    },
}
# Every other Annex A event: the column its date comes from (the census target likewise).
for _schema in LISTS.values():
    for _listed in _schema.events:
        OWN_DATE.setdefault(_listed.kind, frozenset({_listed.date}))
OWN_DATE.setdefault("icpc_due", frozenset({"initial_cpc_target"}))
_START_BASIS = {
    "18th birthday": "the 18th birthday",
    "reference date": "the reference date",
    "birthday": "the young person's latest birthday",
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")
_WORDS = re.compile(r"[_\s]+")
# Several codes in one cell: "2A,3B", "2A; 3B", "2A 3B".
_CODE_SEPARATORS = re.compile(r"\s*[,;/]\s*|\s+")
_BOOLEAN_WORDS = {"true": "Yes", "false": "No"}


def _date_text(value: Any) -> str | None:
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    iso = _ISO_DATE.match(str(value))
    return f"{iso.group(3)}/{iso.group(2)}/{iso.group(1)}" if iso else None


def _yes_no(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    code = codes.canonical("yes_no", str(value))
    return codes.label("yes_no", code) if code else str(value)


def _code(code_list: str, value: Any) -> str:
    """A code by its label; a cell of several codes ("2A,3B") by each one's label; a value the
    list does not know as the source recorded it."""
    text = str(value)
    code = codes.canonical(code_list, text)
    if code:
        return codes.label(code_list, code)
    parts = [p for p in _CODE_SEPARATORS.split(text.strip()) if p]
    found = [codes.canonical(code_list, p) for p in parts]
    if len(parts) > 1 and all(found):
        return ", ".join(codes.label(code_list, c) for c in found if c)
    return text


def _count(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def value_text(key: str, value: Any) -> str:
    """One stored value in words: its code list's label, Yes or No, a dd/mm/yyyy date."""
    if isinstance(value, list):
        return ", ".join(value_text(key, v) for v in value if v not in (None, ""))
    if isinstance(value, dict):
        return "; ".join(f"{_fallback_label(k)}: {value_text(k, v)}" for k, v in value.items())
    known = KINDS.get(key)
    if key == "start_basis":
        return _START_BASIS.get(str(value), str(value))
    if known is None or known.kind in ("text", "id", "number"):
        if isinstance(value, bool):
            return "Yes" if value else "No"
        said = _BOOLEAN_WORDS.get(str(value).strip().casefold())
        return said or _date_text(value) or _count(value)
    if known.kind == "date":
        return _date_text(value) or str(value)
    if known.kind == "yes_no":
        return _yes_no(value)
    if known.kind == "code":
        return _code(known.code_list, value)
    return _count(value)


def _fallback_label(key: str) -> str:
    words = _WORDS.sub(" ", key).strip()
    return words[:1].upper() + words[1:]


def label_of(kind: str, key: str) -> str:
    """What a stored key is called beside an event of ``kind``."""
    return _KIND_LABELS.get((kind, key)) or LABELS.get(key) or _fallback_label(key)


def lines_of(kind: str, start: date, details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """One source's details of an event as (label, words), in the order the source gave them.

    Blank values, the source's own keys and the event's own date are left out; an initial and
    a latest category of abuse that agree are one line, "Category of abuse"."""
    own = OWN_DATE.get(kind, frozenset())
    shown: dict[str, Any] = {
        key: value
        for key, value in details.items()
        if key not in HIDDEN
        and value not in (None, "", [], {})
        and not (key in own and _date_text(value) == start.strftime("%d/%m/%Y"))
    }
    initial, latest = shown.get("initial_category"), shown.get("latest_category")
    same_category = initial is not None and value_text("initial_category", initial) == (
        value_text("latest_category", latest) if latest is not None else None
    )
    lines: list[tuple[str, str]] = []
    for key, value in shown.items():
        if same_category and key == "latest_category":
            continue
        label = label_of(kind, key)
        if same_category and key == "initial_category":
            label = "Category of abuse"
        lines.append((label, value_text(key, value)))
    return lines


def merged(line_sets: Iterable[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """Several sources' lines of one event as one list: each (label, words) once, in order."""
    out: list[tuple[str, str]] = []
    for lines in line_sets:
        for line in lines:
            if line not in out:
                out.append(line)
    return out


def agree(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> bool:
    """True when no label that both sets of lines give has different words in each."""
    said = {label: text for label, text in a}
    return all(said.get(label, text) == text for label, text in b)


def sentence(lines: list[tuple[str, str]]) -> str:
    """Lines as one text: "Label: words; Label: words" (for a chronology cell)."""
    return "; ".join(f"{label}: {text}" for label, text in lines)
