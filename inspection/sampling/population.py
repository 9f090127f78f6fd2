"""Populations: which children a sample is drawn from, defined as a plain JSON-able dict.

A definition looks like::

    {"cohort": "contacts", "from": "2026-05-01", "to": "2026-11-24",
     "age_bands": ["5-9"], "disability": ["Y"], "ethnicity_groups": ["Black"],
     "teams": ["Assessment Team 1"],
     "indicators": [{"name": "contacts_nfa", "op": ">=", "value": 3}]}

Every key is optional. A child is in the population when it has at least one event of the
cohort's kinds (and agencies, if given) whose start date lies in the window, and it passes every
characteristic and indicator filter. Without a cohort every child the authority's records name
(an authority child id) is in it.
Population members are children; their key is ``str(Child.id)``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from inspection.journey import indicators as journey_indicators
from inspection.journey import kinds
from inspection.journey.indicators import KEYS as INDICATOR_KEYS
from inspection.journey.profile import latest_teams
from inspection.models import Child, Event

# Annex A list or cohort → the event kinds that put a child in it.
COHORTS: dict[str, dict[str, Any]] = {
    "contacts": {"label": "Contacts (list 1)", "kinds": ["contact"]},
    "early_help": {"label": "Early help (list 2)", "kinds": ["early_help_start"]},
    "referrals": {"label": "Referrals (list 3)", "kinds": ["referral"]},
    "assessments": {"label": "Assessments (list 4)", "kinds": ["assessment_start"]},
    "s47": {"label": "Section 47 enquiries (list 5)", "kinds": ["strategy_discussion"]},
    # Children in need by the journey's one definition (a CIN plan, or an episode's referral).
    "children_in_need": {
        "label": "Children in need (list 6)",
        "kinds": list(kinds.CHILD_IN_NEED_KINDS),
        "counts": kinds.child_in_need,
    },
    "child_protection": {"label": "Child protection (list 7)", "kinds": ["cp_plan_start"]},
    "in_care": {"label": "Children in care (list 8)", "kinds": ["looked_after_start"]},
    "care_leavers": {"label": "Care leavers (list 9)", "kinds": ["care_leaver"]},
}

# Age bands at the inspection's reference date (the CIN census groupings).
AGE_BANDS = ("under 1", "1-4", "5-9", "10-15", "16+", "unknown")

# First letter of an Annex A ethnicity code → group. The one place this mapping lives.
# Chinese (CHNE) sits with "Other", as in DfE's children-looked-after statistics.
ETHNICITY_GROUPS: dict[str, str] = {
    "W": "White",
    "M": "Mixed",
    "A": "Asian",
    "B": "Black",
    "C": "Other",
    "O": "Other",
}
UNKNOWN_ETHNICITY_CODES = frozenset({"REFU", "NOBT"})
ETHNICITY_GROUP_NAMES = ("White", "Mixed", "Asian", "Black", "Other", "Unknown")

DISABILITY_VALUES = ("Y", "N", "unknown")

# Journey indicators a population may be filtered on: every one the journey package computes.
INDICATORS = INDICATOR_KEYS
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}

# Each comparison in words, for pages.
OPERATOR_LABELS: dict[str, str] = {
    ">=": "at least",
    ">": "more than",
    "<=": "at most",
    "<": "less than",
    "==": "exactly",
    "!=": "anything but",
}
assert set(OPERATOR_LABELS) == set(OPERATORS)

# Without a cohort, a population is every child the authority's own records name: people known
# only to partner agencies (police, health, schools) are not the authority's cases to audit.
DEFAULT_POPULATION = (
    "Every child known to the authority's children's social care "
    "(not people known only to partner agencies)"
)

# Characteristics a sample may be stratified by.
STRATIFY_FIELDS = ("age_band", "disability", "ethnicity_group", "team")


class PopulationError(ValueError):
    """A population definition that cannot be used; the message says why in plain English."""


@dataclass(frozen=True)
class Member:
    """One child in a population, with the characteristics used to filter and stratify."""

    key: str
    child_id: int
    la_child_id: str
    age_band: str
    disability: str
    ethnicity_group: str
    team: str

    def stratum(self, field: str | None) -> str:
        return "" if not field else str(getattr(self, field))


def age_band(dob: date | None, reference_date: date) -> str:
    if dob is None or dob > reference_date:
        return "unknown"
    years = (
        reference_date.year
        - dob.year
        - ((reference_date.month, reference_date.day) < (dob.month, dob.day))
    )
    if years < 1:
        return "under 1"
    if years <= 4:
        return "1-4"
    if years <= 9:
        return "5-9"
    if years <= 15:
        return "10-15"
    return "16+"


def ethnicity_group(code: str) -> str:
    """``a) WBRI``, ``WBRI`` or ``wbri`` → ``White``; refused, not obtained or blank → Unknown."""
    text = (code or "").strip()
    if ")" in text[:4]:
        text = text.split(")", 1)[1].strip()
    text = text.upper()
    if not text or text[:4] in UNKNOWN_ETHNICITY_CODES:
        return "Unknown"
    return ETHNICITY_GROUPS.get(text[0], "Unknown")


def disability_value(value: str) -> str:
    text = (value or "").strip().upper()
    return text if text in ("Y", "N") else "unknown"


def _parse_date(definition: Mapping[str, Any], name: str) -> date | None:
    value = definition.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise PopulationError(f"'{value}' is not a date in YYYY-MM-DD form ({name}).") from None


def _string_list(
    definition: Mapping[str, Any], name: str, allowed: tuple[str, ...] | None
) -> list[str]:
    value = definition.get(name) or []
    if isinstance(value, str):
        value = [value]
    items = [str(v).strip() for v in value if str(v).strip()]
    if allowed is not None:
        for item in items:
            if item not in allowed:
                raise PopulationError(f"'{item}' is not one of {', '.join(allowed)} ({name}).")
    return sorted(set(items))


def normalise(definition: Mapping[str, Any]) -> dict[str, Any]:
    """A checked, canonical copy of ``definition`` (sorted lists, no empty keys)."""
    known = {
        "cohort",
        "agencies",
        "from",
        "to",
        "age_bands",
        "disability",
        "ethnicity_groups",
        "teams",
        "indicators",
    }
    unknown = sorted(set(definition) - known)
    if unknown:
        raise PopulationError(f"Unknown population setting(s): {', '.join(unknown)}.")
    out: dict[str, Any] = {}
    cohort = str(definition.get("cohort") or "").strip()
    if cohort:
        if cohort not in COHORTS:
            raise PopulationError(f"Unknown cohort '{cohort}'. Cohorts are: {', '.join(COHORTS)}.")
        out["cohort"] = cohort
    agencies = _string_list(definition, "agencies", None)
    if agencies:
        out["agencies"] = agencies
    start, end = _parse_date(definition, "from"), _parse_date(definition, "to")
    if start and end and start > end:
        raise PopulationError("The window starts after it ends.")
    if (start or end) and not cohort:
        raise PopulationError("A date window needs a cohort: the window applies to its events.")
    if start:
        out["from"] = start.isoformat()
    if end:
        out["to"] = end.isoformat()
    for name, allowed in (
        ("age_bands", AGE_BANDS),
        ("disability", DISABILITY_VALUES),
        ("ethnicity_groups", ETHNICITY_GROUP_NAMES),
        ("teams", None),
    ):
        items = _string_list(definition, name, allowed)
        if items:
            out[name] = items
    indicators = []
    for rule in definition.get("indicators") or []:
        name, op, value = rule.get("name"), rule.get("op", ">="), rule.get("value")
        if name not in INDICATORS:
            raise PopulationError(f"Unknown journey indicator '{name}'.")
        if op not in OPERATORS:
            raise PopulationError(f"Unknown comparison '{op}'. Use one of {', '.join(OPERATORS)}.")
        if isinstance(value, bool):
            value = int(value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PopulationError(f"The value for {name} must be a number.") from None
        indicators.append(
            {"name": name, "op": op, "value": int(number) if number.is_integer() else number}
        )
    if indicators:
        out["indicators"] = sorted(indicators, key=lambda r: (r["name"], r["op"], r["value"]))
    return out


def _uk(day: str) -> str:
    return date.fromisoformat(day).strftime("%d/%m/%Y")


def describe(definition: Mapping[str, Any]) -> str:
    """A stored population definition in words, as pages show it."""
    d = normalise(definition)
    parts = [COHORTS[d["cohort"]]["label"] if "cohort" in d else DEFAULT_POPULATION]
    if "from" in d or "to" in d:
        start = f"from {_uk(d['from'])}" if "from" in d else ""
        end = f"to {_uk(d['to'])}" if "to" in d else ""
        parts.append(f"{start} {end}".strip())
    if "agencies" in d:
        parts.append("known to " + ", ".join(kinds.agency_label(a) for a in d["agencies"]))
    if "age_bands" in d:
        parts.append("aged " + ", ".join(d["age_bands"]))
    if "disability" in d:
        parts.append("disability recorded as " + ", ".join(d["disability"]))
    if "ethnicity_groups" in d:
        parts.append("ethnicity " + ", ".join(d["ethnicity_groups"]))
    if "teams" in d:
        parts.append("in team " + ", ".join(d["teams"]))
    for rule in d.get("indicators", []):
        label = journey_indicators.LABELS[rule["name"]].lower()
        parts.append(f"{label}: {OPERATOR_LABELS[rule['op']]} {rule['value']}")
    return "; ".join(parts)


def passes_indicators(values: Mapping[str, Any] | None, rules: list[dict[str, Any]]) -> bool:
    """Whether one child's indicators meet every rule; a missing value never passes."""
    for rule in rules:
        value = (values or {}).get(rule["name"])
        if value is None:
            return False
        if isinstance(value, bool):
            value = int(value)
        if not OPERATORS[rule["op"]](float(value), float(rule["value"])):
            return False
    return True


async def _indicators(inspection_id: int) -> Mapping[int, Mapping[str, Any]]:
    return await journey_indicators.indicators_by_child(inspection_id)


def _cohort_events(inspection_id: int, spec: Mapping[str, Any], kinds: list[str]) -> Any:
    events = Event.filter(inspection_id=inspection_id, child_id__isnull=False, kind__in=kinds)
    if "agencies" in spec:
        events = events.filter(agency__in=spec["agencies"])
    if "from" in spec:
        events = events.filter(start__gte=date.fromisoformat(spec["from"]))
    if "to" in spec:
        events = events.filter(start__lte=date.fromisoformat(spec["to"]))
    return events


async def build(
    inspection_id: int, reference_date: date, definition: Mapping[str, Any]
) -> list[Member]:
    """The children of an inspection in the population ``definition``, in canonical key order."""
    spec = normalise(definition)
    children = Child.filter(inspection_id=inspection_id)
    if "cohort" in spec:
        cohort = COHORTS[spec["cohort"]]
        events = _cohort_events(inspection_id, spec, cohort["kinds"])
        counts = cohort.get("counts")
        if counts is None:
            ids = {int(i) for i in await events.distinct().values_list("child_id", flat=True)}
        else:
            ids = {
                int(r["child_id"])
                for r in await events.values("child_id", "kind", "attributes")
                if counts(r["kind"], r["attributes"] or {})
            }
        children = children.filter(id__in=sorted(ids)) if ids else children.filter(id=-1)
    else:
        children = children.filter(la_child_id__isnull=False)
    rows = await children.values("id", "la_child_id", "dob", "ethnicity", "disability", "team")
    latest_team = await latest_teams(inspection_id)
    indicator_rules = spec.get("indicators", [])
    indicators = await _indicators(inspection_id) if indicator_rules else {}
    members = []
    for row in rows:
        member = Member(
            key=str(row["id"]),
            child_id=row["id"],
            la_child_id=row["la_child_id"] or "",
            age_band=age_band(row["dob"], reference_date),
            disability=disability_value(row["disability"]),
            ethnicity_group=ethnicity_group(row["ethnicity"]),
            team=" ".join((row["team"] or "").split())
            or latest_team.get(row["id"], "")
            or "unknown",
        )
        if "age_bands" in spec and member.age_band not in spec["age_bands"]:
            continue
        if "disability" in spec and member.disability not in spec["disability"]:
            continue
        if "ethnicity_groups" in spec and member.ethnicity_group not in spec["ethnicity_groups"]:
            continue
        if "teams" in spec and member.team not in spec["teams"]:
            continue
        if indicator_rules and not passes_indicators(
            indicators.get(member.child_id), indicator_rules
        ):
            continue
        members.append(member)
    members.sort(key=lambda m: m.key)
    return members


def breakdown(members: list[Member], field: str) -> list[tuple[str, int]]:
    """How many members fall in each value of ``field``, the values in natural order (age
    bands youngest first, "unknown" last)."""
    counts: dict[str, int] = {}
    for member in members:
        value = member.stratum(field)
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda item: stratum_sort_key(field, item[0]))


STRATIFY_LABELS: dict[str, str] = {
    "age_band": "age",
    "disability": "disability",
    "ethnicity_group": "ethnicity",
    "team": "team",
}
_DISABILITY_LABELS = {"Y": "Disability recorded", "N": "No disability", "unknown": "Not recorded"}


def stratum_label(field: str | None, value: str) -> str:
    """A stratum as pages name it: ``1-4`` is "Aged 1–4", ``Y`` is "Disability recorded"."""
    if not field:
        return "Every child in the population"
    if field == "age_band":
        if value == "unknown":
            return "Age not known"
        if value == "under 1":
            return "Under 1"
        return f"Aged {value.replace('-', '–')}"
    if field == "disability":
        return _DISABILITY_LABELS.get(value, value)
    if value == "unknown":
        return f"{STRATIFY_LABELS.get(field, field).capitalize()} not recorded"
    return value


def stratum_sort_key(field: str | None, value: str) -> tuple[int, str]:
    """Strata in natural order: age bands youngest first, otherwise alphabetical with
    "unknown" last."""
    if field == "age_band" and value in AGE_BANDS:
        return (AGE_BANDS.index(value), "")
    if value == "unknown":
        return (len(AGE_BANDS), "")
    return (0, value.casefold())
