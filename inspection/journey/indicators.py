"""Child-centred indicators: the child's wait, the signals before help, what happened next.

None of them measures whether a statutory timescale was met: the dates of the authority's own
process steps (assessment authorised, conferences, reviews) enter no indicator except the
plain elapsed duration, and only through first need.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from statistics import median
from typing import Any

from inspection.journey import kinds, recorded
from inspection.journey.build import Journey, JourneyEvent, journeys_for_inspection

Indicators = dict[str, int | float | bool | None]

KEYS = (
    "days_to_help",
    "signals_before_help",
    "agencies_before_help",
    "contacts_nfa",
    "re_referrals_12m",
    "step_down_up",
    "returns_after_help_12m",
    "repeat_cp_plans",
    "placement_moves_12m",
    "missing_episodes",
    "seen",
    "seen_alone",
    "voice_recorded",
)
# Plain elapsed durations: the only indicators that may move when process dates move.
DURATIONS = ("days_to_help",)

# What each indicator means, in plain English: for pages (LABELS) and column headers.
LABELS: dict[str, str] = {
    "days_to_help": "Days from first sign of need to help starting (the child's wait)",
    "signals_before_help": "Signs of need before help started",
    "agencies_before_help": "Agencies that saw those signs",
    "contacts_nfa": "Contacts that ended in no further action",
    "re_referrals_12m": "Referrals within 12 months of the previous one",
    "step_down_up": "Stepped down to early help and then stepped up again",
    "returns_after_help_12m": "Times help ended and the child came back within 12 months",
    "repeat_cp_plans": "Repeat child protection plans",
    "placement_moves_12m": "Placement moves in the last 12 months",
    "missing_episodes": "Missing episodes",
    "seen": "Recorded: child seen (a visit date)",
    "seen_alone": "Recorded: child seen alone",
    "voice_recorded": "Recorded: child's voice (a field filled in)",
}

# The indicators that read what the record holds (a date or a field filled in), not what the
# child experienced: shown with ``RECORD_HINT`` wherever they appear.
RECORD_ONLY = frozenset({"seen", "seen_alone", "voice_recorded"})
RECORD_HINT = "This shows what the record says, not what the child experienced."


def hint(key: str) -> str:
    """What a reader must know of an indicator to read it (blank for most)."""
    return RECORD_HINT if key in RECORD_ONLY else ""


SHORT_LABELS: dict[str, str] = {
    "days_to_help": "Days from first need to help",
    "signals_before_help": "Signals before help",
    "agencies_before_help": "Agencies that saw need before help",
    "contacts_nfa": "Contacts with no further action",
    "re_referrals_12m": "Re-referrals within 12 months",
    "step_down_up": "Stepped down and back up",
    "returns_after_help_12m": "Came back within 12 months of help ending",
    "repeat_cp_plans": "Repeat child protection plans",
    "placement_moves_12m": "Placement moves in 12 months",
    "missing_episodes": "Missing episodes",
    "seen": "Recorded: seen",
    "seen_alone": "Recorded: seen alone",
    "voice_recorded": "Recorded: voice",
}


YEAR = timedelta(days=365)
CONTACT_FOLLOW_UP = timedelta(days=28)
STEP_DOWN_WINDOW = timedelta(days=90)
_FOLLOW_UP_KINDS = frozenset(
    {
        "referral",
        "early_help_start",
        "assessment_start",
        "strategy_discussion",
        "cin_plan_start",
        "cp_plan_start",
        "looked_after_start",
    }
)
_YES = {"y", "yes", "true", "1"}
_NO = {"n", "no", "false", "0"}


def _yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    text = str(value).strip().lower()
    if text[:2] in ("a)", "b)"):
        text = text[2:].strip()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def _flag(events: list[JourneyEvent], match: Any) -> bool | None:
    """True if any event's details say yes (or give a date), False if they only say no."""
    answer: bool | None = None
    for ev in events:
        for key, value in ev.details.items():
            if not match(key.lower()):
                continue
            said = _yes_no(value)
            if said is None and value not in (None, "") and str(value)[:2].isdigit():
                said = True  # a date: the child was seen then
            if said:
                return True
            if said is False:
                answer = False
    return answer


def _is_seen(key: str) -> bool:
    return ("seen" in key and "alone" not in key) or key == "last_visit"


def _is_seen_alone(key: str) -> bool:
    return "seen" in key and "alone" in key


def _is_voice(key: str) -> bool:
    return "voice" in key or "wishes" in key


def _contact_nfa(contact: JourneyEvent, later: list[JourneyEvent]) -> bool:
    for key, value in contact.details.items():
        k = key.lower()
        if "nfa" in k or "further action" in k:
            return bool(_yes_no(value))
        if "outcome" in k and value:
            text = str(value).lower()
            return "nfa" in text or "no further action" in text
    limit = contact.start + CONTACT_FOLLOW_UP
    return not any(
        ev.kind in _FOLLOW_UP_KINDS and contact.start <= ev.start <= limit for ev in later
    )


def for_journey(journey: Journey) -> Indicators:
    events = journey.events
    first_help = journey.first_help
    signals = [e for e in events if kinds.is_signal(e.kind)]
    before = signals if first_help is None else [e for e in signals if e.start <= first_help]
    days = None
    if journey.first_need is not None and first_help is not None:
        days = max(0, (first_help - journey.first_need).days)

    contacts = [e for e in events if e.kind == "contact"]
    nfa = sum(1 for i, c in enumerate(contacts) if _contact_nfa(c, events))

    referrals = sorted(e.start for e in events if e.kind == "referral")
    re_referrals = sum(1 for a, b in zip(referrals, referrals[1:], strict=False) if b - a <= YEAR)

    returns = 0
    for prev, nxt in zip(journey.episodes, journey.episodes[1:], strict=False):
        if (
            prev.help_end is not None
            and nxt.need_start is not None
            and nxt.need_start - prev.help_end <= YEAR
        ):
            returns += 1

    reference = journey.reference_date or max((e.start for e in events), default=date.today())
    moves = sum(
        1
        for e in events
        if e.kind == "placement_change" and reference - YEAR < e.start <= reference
    )
    return {
        "days_to_help": days,
        "signals_before_help": len(before),
        "agencies_before_help": len({e.agency for e in before}),
        "contacts_nfa": nfa,
        "re_referrals_12m": re_referrals,
        "step_down_up": _step_down_up(events),
        "returns_after_help_12m": returns,
        "repeat_cp_plans": recorded.repeat_plans(events),
        "placement_moves_12m": moves,
        "missing_episodes": sum(1 for e in events if e.kind == "missing_episode"),
        "seen": _flag(events, _is_seen),
        "seen_alone": _flag(events, _is_seen_alone),
        "voice_recorded": _flag(events, _is_voice),
    }


def _step_down_up(events: list[JourneyEvent]) -> bool:
    """Stepped down from statutory help to early help, then stepped up again."""
    statutory_ends = [e.start for e in events if e.kind in ("cin_plan_end", "cp_plan_end")]
    statutory_ends += [
        e.end for e in events if e.kind in ("cin_plan_start", "cp_plan_start") and e.end is not None
    ]
    for eh in (e for e in events if e.kind == "early_help_start"):
        if not any(end <= eh.start <= end + STEP_DOWN_WINDOW for end in statutory_ends):
            continue
        if any(
            e.start > eh.start
            and e.kind in ("referral", "cin_plan_start", "cp_plan_start", "looked_after_start")
            for e in events
        ):
            return True
    return False


async def indicators_by_child(
    inspection_id: int, child_ids: Collection[int] | None = None
) -> dict[int, Indicators]:
    """Every child's indicators (or only ``child_ids``'), keyed by ``Child.id``."""
    journeys = await journeys_for_inspection(inspection_id, child_ids)
    return {child_id: for_journey(j) for child_id, j in journeys.items()}


def aggregate(indicators: dict[int, Indicators]) -> dict[str, Any]:
    """Counts and medians for the findings page: per indicator, how many children have a value,
    how many are non-zero (or true), the median and the total."""
    out: dict[str, Any] = {"children": len(indicators)}
    for key in KEYS:
        values = [v for v in (ind.get(key) for ind in indicators.values()) if v is not None]
        if key in ("step_down_up", "seen", "seen_alone", "voice_recorded"):
            out[key] = {"known": len(values), "yes": sum(1 for v in values if v)}
            continue
        numbers = [float(v) for v in values]
        out[key] = {
            "known": len(numbers),
            "non_zero": sum(1 for v in numbers if v),
            "median": median(numbers) if numbers else None,
            "total": sum(numbers),
        }
    return out
