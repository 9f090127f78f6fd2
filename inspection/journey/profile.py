"""A child as pages list them: a name (or how to tell the child apart without one), age,
legal status and team at the inspection's reference date.

One definition, used by the children list, the sample page and anything else that names a
child in a table.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from inspection.evidence import codes
from inspection.models import Child, Event

# The kinds of event that put a child in a legal status, most significant first, with the
# status in words. An episode counts while it is open at the reference date.
STATUS_KINDS: tuple[tuple[str, str], ...] = (
    ("looked_after_start", "Looked after"),
    ("cp_plan_start", "Child protection plan"),
    ("cin_plan_start", "Child in need"),
    ("care_leaver", "Care leaver"),
    ("early_help_start", "Early help"),
)
NO_STATUS = "No plan open"
STATUS_RANK = {kind: i for i, (kind, _label) in enumerate(STATUS_KINDS)}
STATUS_LABELS = dict(STATUS_KINDS)


@dataclass(frozen=True)
class Profile:
    child_id: int
    name: str
    age: str
    legal_status: str
    team: str
    died: date | None = None  # an inspector never audits a child without knowing


def display_name(
    given_name: str | None, family_name: str | None, la_child_id: str | None, dob: date | None
) -> str:
    """The child's name; without one, the authority's id and the date of birth."""
    name = f"{given_name or ''} {family_name or ''}".strip()
    if name:
        return name
    born = f", born {dob.strftime('%d/%m/%Y')}" if dob else ""
    if la_child_id:
        return f"Child {la_child_id}{born}"
    return f"Unnamed child known to partner agencies{born}"


def age_in_years(dob: date | None, reference_date: date) -> int | None:
    if dob is None or dob > reference_date:
        return None
    return (
        reference_date.year
        - dob.year
        - ((reference_date.month, reference_date.day) < (dob.month, dob.day))
    )


def age_label(dob: date | None, reference_date: date) -> str:
    years = age_in_years(dob, reference_date)
    if years is None:
        return "Not known"
    if years == 0:
        return "Under 1"
    return f"{years}"


def _age(
    dob: date | None, died: date | None, attributes: Mapping[str, Any] | None, reference: date
) -> str:
    """The child's age (at death, for a child who died); an unborn child's expected birth."""
    expected = (attributes or {}).get("expected_birth") if dob is None else None
    if expected:
        return f"Unborn (expected {date.fromisoformat(str(expected)):%d/%m/%Y})"
    return age_label(dob, min(reference, died or reference))


def legal_status(
    episodes: list[tuple[str, date, date | None]],
    reference_date: date,
    attributes: Mapping[str, Any] | None = None,
) -> str:
    """The most significant episode open at the reference date, in words; a looked-after
    child's legal status from list 8 follows in brackets, named by its code list, when the
    authority gave one."""
    open_kinds = [
        kind
        for kind, start, end in episodes
        if kind in STATUS_RANK
        and start <= reference_date
        and (end is None or end >= reference_date)
    ]
    if not open_kinds:
        return NO_STATUS
    kind = min(open_kinds, key=STATUS_RANK.__getitem__)
    label = STATUS_LABELS[kind]
    code = str((attributes or {}).get("legal_status") or "").strip()
    if kind == "looked_after_start" and code:
        return f"{label} ({codes.label('legal_status', code)})"
    return label


async def latest_teams(inspection_id: int, child_ids: list[int] | None = None) -> dict[int, str]:
    """Each child's team on its latest event that names one (latest start, then highest id):
    of the children asked for, or of every child of the inspection."""
    query = Event.filter(inspection_id=inspection_id).exclude(team="")
    query = (
        query.filter(child_id__isnull=False)
        if child_ids is None
        else query.filter(child_id__in=child_ids)
    )
    rows = await query.values_list("child_id", "start", "id", "team")
    best: dict[int, tuple[date, int, str]] = {}
    for child_id, start, event_id, team in rows:
        current = best.get(child_id)
        if current is None or (start, event_id) > current[:2]:
            best[child_id] = (start, event_id, " ".join(team.split()))
    return {child_id: value[2] for child_id, value in best.items()}


async def profiles(
    inspection_id: int, reference_date: date, child_ids: Collection[int]
) -> dict[int, Profile]:
    """Each child's profile; the cost grows with the children asked for, not the authority."""
    ids = sorted(set(child_ids))
    if not ids:
        return {}
    children = await Child.filter(inspection_id=inspection_id, id__in=ids).values(
        "id", "la_child_id", "given_name", "family_name", "dob", "death_date", "team", "attributes"
    )
    episodes: dict[int, list[tuple[str, date, date | None]]] = {i: [] for i in ids}
    for child_id, kind, start, end in await Event.filter(
        inspection_id=inspection_id, child_id__in=ids, kind__in=list(STATUS_RANK)
    ).values_list("child_id", "kind", "start", "end"):
        episodes[child_id].append((kind, start, end))
    teams = await latest_teams(inspection_id, ids)
    return {
        c["id"]: Profile(
            child_id=c["id"],
            name=display_name(c["given_name"], c["family_name"], c["la_child_id"], c["dob"]),
            age=_age(c["dob"], c["death_date"], c["attributes"], reference_date),
            legal_status=legal_status(episodes[c["id"]], reference_date, c["attributes"]),
            team=" ".join((c["team"] or "").split()) or teams.get(c["id"], "") or "Not recorded",
            died=c["death_date"],
        )
        for c in children
    }
