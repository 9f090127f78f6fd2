"""What the sources record about a child's history beyond the events we were given.

A child protection plan's row (Annex A List 7, the CIN census's ``NumberOfPreviousCPP``) says
how many plans the child had before it, some of them perhaps before any file we hold. That
recorded count feeds the "Repeat child protection plans" indicator, and where it differs from
the plans the journey shows, the journey says so: an inspector must not read "0 repeat plans"
beside a row that says "previous plans: 10".
"""

from __future__ import annotations

from collections.abc import Sequence

from inspection.journey.build import JourneyEvent


def _count(value: object) -> int | None:
    """A whole, non-negative count as a source gave it ("10", 10, 10.0), else None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() and number >= 0 else None


def previous_plans(events: Sequence[JourneyEvent]) -> int | None:
    """The most previous child protection plans any plan's source records (None: none says).

    Each source's recording of a plan counts, so a plan Annex A and the census both record
    gives the larger of what they say."""
    counts = [
        number
        for e in events
        if e.kind == "cp_plan_start"
        for r in (e.recordings or [])
        if (number := _count(r.details.get("previous_plans"))) is not None
    ]
    counts += [
        number
        for e in events
        if e.kind == "cp_plan_start" and not e.recordings
        if (number := _count(e.details.get("previous_plans"))) is not None
    ]
    return max(counts, default=None)


def repeat_plans(events: Sequence[JourneyEvent]) -> int:
    """Repeat child protection plans: the plans after the child's first, as the journey shows
    them or as a plan's source records them, whichever is more."""
    shown = max(0, sum(1 for e in events if e.kind == "cp_plan_start") - 1)
    recorded = previous_plans(events)
    return max(shown, recorded or 0)


def differences(events: Sequence[JourneyEvent]) -> list[str]:
    """Where the sources' recorded counts and the journey's own disagree, in words."""
    recorded = previous_plans(events)
    plans = sum(1 for e in events if e.kind == "cp_plan_start")
    shown = max(0, plans - 1)
    if recorded is None or recorded == shown:
        return []
    earlier = "earlier plan" if shown == 1 else "earlier plans"
    them = "plan" if recorded == 1 else "plans"
    said = (
        f"A child protection plan's record says the child had {recorded} previous {them}; the "
        f"journey shows {shown} {earlier}."
    )
    if recorded > shown:
        why = (
            f" The indicator counts {recorded}: the earlier plans may be from before the files "
            "loaded here, or from another authority."
        )
    else:
        why = f" The indicator counts {shown}, the plans the journey shows."
    return [said + why]
