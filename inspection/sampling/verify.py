"""Recompute a stored draw and say exactly which check, if any, fails.

Pure: it takes the stored record (seed, method, params, population snapshot and hashes) and the
stored member rows, and returns a list of named checks. ``service.verify`` loads them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from inspection.sampling.draw import (
    ALGORITHM,
    ALLOCATIONS,
    DrawError,
    Frame,
    frame_from_pairs,
    is_canonical,
    result_hash,
    run,
    seed_bytes,
    snapshot_hash,
)
from inspection.sampling.status import MemberStatus, SampleMethod


def method_name(params: Mapping[str, Any]) -> str:
    allocation = params.get("allocation")
    name = "simple-random" if allocation == "simple" else f"stratified-{allocation}"
    return SampleMethod(name) if name in tuple(SampleMethod) else name


def method_label(method: str) -> str:
    """A sampling method as pages name it."""
    if method in tuple(SampleMethod):
        return SampleMethod(method).label
    allocation = method.removeprefix("stratified-")
    return f"Stratified sample, {allocation} allocation"


@dataclass(frozen=True)
class StoredMember:
    id: int
    key: str
    stratum: str
    order: int
    status: str  # a MemberStatus
    probability: float
    weight: float
    replaced_by_id: int | None = None
    reason: str = ""
    # A tracked case's record (``inspection.sampling.tracking``): who chose the child (their
    # name), when, the line of enquiry, and if no longer tracked, when and why.
    chosen_by: str = ""
    chosen_at: datetime | None = None
    line_of_enquiry: str = ""
    untracked_reason: str = ""
    untracked_at: datetime | None = None


# Each check as pages and the command line name it.
CHECK_LABELS = {
    "seed": "Seed",
    "params": "Method and settings",
    "population_snapshot": "Population snapshot",
    "population_order": "Order of the population",
    "population_size": "Size of the population",
    "population_hash": "Fingerprint of the population",
    "draw": "The draw, recomputed",
    "result_hash": "Fingerprint of the result",
    "members": "The children chosen",
    "replacements": "Replacements",
    "chosen_on_purpose": "Chosen on purpose",
    "tracked_cases": "The tracked cases",
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    @property
    def label(self) -> str:
        return CHECK_LABELS.get(self.name, self.name.replace("_", " ").capitalize())


@dataclass
class Verification:
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def purposive(self) -> bool:
        """A check of tracked cases (chosen on purpose), not of a draw."""
        return any(c.name == "chosen_on_purpose" for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def as_dict(self) -> dict[str, Any]:
        """The checks as a job's outcome keeps them."""
        return {
            "identical": self.ok,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> Verification:
        return cls([Check(str(c["name"]), bool(c["ok"]), str(c["detail"])) for c in doc["checks"]])


def _frame(population_ids: Sequence[Any]) -> Frame | None:
    try:
        return frame_from_pairs(population_ids)
    except (TypeError, ValueError):
        return None


def verify_record(
    *,
    seed: str,
    method: str,
    params: Mapping[str, Any],
    population_ids: Sequence[Any],
    population_hash: str,
    population_size: int,
    stored_result_hash: str,
    members: Sequence[StoredMember],
) -> Verification:
    """Every check on a stored sample; ``.ok`` only when the draw is reproduced identically."""
    report = Verification()
    try:
        seed_bytes(seed)
        report.add("seed", True, "The seed is a hexadecimal string.")
    except DrawError as exc:
        report.add("seed", False, str(exc))
    if params.get("algorithm") != ALGORITHM or params.get("allocation") not in ALLOCATIONS:
        report.add(
            "params",
            False,
            f"Unknown algorithm or allocation in the parameters: "
            f"{params.get('algorithm')!r}, {params.get('allocation')!r}.",
        )
    elif method != method_name(params):
        report.add(
            "params",
            False,
            f"The method '{method}' does not match the parameters "
            f"(allocation {params.get('allocation')!r} means '{method_name(params)}').",
        )
    else:
        report.add("params", True, f"Algorithm {ALGORITHM}, method {method}.")
    frame = _frame(population_ids)
    if frame is None:
        report.add(
            "population_snapshot",
            False,
            "The population snapshot is not a list of [key, stratum] pairs.",
        )
        return report
    actual = snapshot_hash(frame)
    report.add(
        "population_hash",
        actual == population_hash,
        "The population snapshot matches its hash."
        if actual == population_hash
        else f"The population snapshot hashes to {actual}, not the stored {population_hash}.",
    )
    canonical = is_canonical(frame)
    report.add(
        "population_order",
        canonical,
        "Keys are unique and in canonical order."
        if canonical
        else "The population snapshot is not in canonical order or repeats a key.",
    )
    report.add(
        "population_size",
        len(frame) == population_size,
        f"{len(frame)} members."
        if len(frame) == population_size
        else f"The snapshot has {len(frame)} members but the stored size is {population_size}.",
    )
    if not report.checks[0].ok:
        return report
    try:
        result = run(frame, seed, params)
    except (DrawError, KeyError, TypeError, ValueError) as exc:
        report.add("draw", False, f"The draw cannot be recomputed: {exc}")
        return report
    report.add(
        "draw",
        True,
        f"Recomputed {len(result.selected)} selected and {len(result.reserves)} reserve members.",
    )
    recomputed_hash = result_hash(result)
    report.add(
        "result_hash",
        recomputed_hash == stored_result_hash,
        "The recomputed draw matches the stored result hash."
        if recomputed_hash == stored_result_hash
        else f"The recomputed draw hashes to {recomputed_hash}, not the stored "
        f"{stored_result_hash}.",
    )
    _check_members(report, result.members, members)
    _check_replacements(report, members)
    return report


def _drawn_role(member: StoredMember) -> str:
    return MemberStatus.RESERVE if member.status == MemberStatus.RESERVE else MemberStatus.SELECTED


def _check_members(
    report: Verification, expected: Sequence[Any], members: Sequence[StoredMember]
) -> None:
    replacement_ids = {m.replaced_by_id for m in members if m.replaced_by_id is not None}
    drawn = [
        m for m in members if m.id not in replacement_ids and m.status != MemberStatus.REPLACEMENT
    ]
    want = {(m.stratum, m.order): m for m in expected}
    have: dict[tuple[str, int], StoredMember] = {}
    problems: list[str] = []
    for member in drawn:
        slot = (member.stratum, member.order)
        if slot in have:
            problems.append(
                f"two stored members at position {member.order} of stratum '{member.stratum}'"
            )
        have[slot] = member
    for slot, exp in want.items():
        got = have.get(slot)
        label = f"position {slot[1]} of stratum '{slot[0]}'"
        if got is None:
            problems.append(f"{label}: key {exp.key} was drawn but is not stored")
            continue
        if got.key != exp.key:
            problems.append(f"{label}: stored key {got.key}, drawn key {exp.key}")
        if _drawn_role(got) != exp.role:
            problems.append(f"{label}: stored as {got.status}, drawn as {exp.role}")
        if not (
            math.isclose(got.probability, exp.probability, rel_tol=1e-12)
            and math.isclose(got.weight, exp.weight, rel_tol=1e-12)
        ):
            problems.append(
                f"{label}: stored probability {got.probability} and weight "
                f"{got.weight}, drawn {exp.probability} and {exp.weight}"
            )
    for slot, got in have.items():
        if slot not in want:
            problems.append(
                f"position {slot[1]} of stratum '{slot[0]}': key {got.key} is "
                "stored but was not drawn"
            )
    report.add(
        "members",
        not problems,
        f"All {len(want)} drawn members are stored exactly."
        if not problems
        else "; ".join(problems[:20])
        + (f"; and {len(problems) - 20} more" if len(problems) > 20 else ""),
    )


def _check_replacements(report: Verification, members: Sequence[StoredMember]) -> None:
    by_id = {m.id: m for m in members}
    replacement_ids = {m.replaced_by_id for m in members if m.replaced_by_id is not None}
    reserves: dict[str, list[StoredMember]] = {}
    for member in sorted(members, key=lambda m: m.order):
        if member.status == MemberStatus.RESERVE:
            reserves.setdefault(member.stratum, []).append(member)
    problems: list[str] = []
    for member in members:
        if member.status == MemberStatus.REPLACED:
            if member.replaced_by_id not in by_id:
                problems.append(f"member {member.id} is replaced but its replacement is missing")
            if not member.reason.strip():
                problems.append(f"member {member.id} was replaced without a reason")
        elif member.replaced_by_id is not None:
            problems.append(f"member {member.id} points to a replacement but is not 'replaced'")
    used: dict[str, list[StoredMember]] = {}
    for member_id in sorted(i for i in replacement_ids if i in by_id):
        used.setdefault(by_id[member_id].stratum, []).append(by_id[member_id])
    for member in members:
        if member.status == MemberStatus.REPLACEMENT and member.id not in replacement_ids:
            problems.append(f"member {member.id} is a replacement for nobody")
    for member in members:
        if member.replaced_by_id in by_id and (
            by_id[member.replaced_by_id].stratum != member.stratum
        ):
            problems.append(f"member {member.id} was replaced from another stratum")
    for stratum, replacements in used.items():
        pool = reserves.get(stratum, [])
        for index, replacement in enumerate(replacements):
            if index >= len(pool):
                problems.append(f"stratum '{stratum}' has more replacements than reserves")
                break
            if (replacement.key, replacement.order) != (pool[index].key, pool[index].order):
                problems.append(
                    f"replacement {replacement.id} in stratum '{stratum}' is key "
                    f"{replacement.key}, but the next reserve was {pool[index].key}"
                )
    count = len(replacement_ids)
    report.add(
        "replacements",
        not problems,
        f"{count} replacement(s), each the next reserve of its stratum, each with a reason."
        if not problems
        else "; ".join(problems),
    )


def verify_purposive(
    *, seed: str, population_ids: Sequence[Any], members: Sequence[StoredMember]
) -> Verification:
    """What verification says of a purposive sample (the tracked cases): there is no draw to
    repeat, since inspectors chose each child on purpose; and each tracked case records who
    chose the child, when and why, and counts in no design-weighted estimate (weight 0)."""
    report = Verification()
    drawn = bool(seed) or bool(population_ids)
    report.add(
        "chosen_on_purpose",
        not drawn,
        "A purposive sample should have no seed and no population snapshot."
        if drawn
        else "Chosen on purpose by inspectors, not drawn at random: there is no seed and no "
        "draw to repeat.",
    )
    problems: list[str] = []
    accounts: list[str] = []
    for m in members:
        who = f"child record {m.key}"
        if m.status not in (MemberStatus.TRACKED, MemberStatus.UNTRACKED):
            problems.append(f"{who} is {m.status}, not a tracked case")
            continue
        if not m.reason.strip():
            problems.append(f"{who} was tracked without a reason")
        if not m.chosen_by or m.chosen_at is None:
            problems.append(f"{who} does not say who chose them or when")
        if m.weight != 0:
            problems.append(f"{who} has design weight {m.weight:g}, not 0")
        if m.status == MemberStatus.UNTRACKED and not m.untracked_reason.strip():
            problems.append(f"{who} stopped being tracked without a reason")
        on = m.chosen_at.strftime("%d/%m/%Y") if m.chosen_at else "a day not recorded"
        line = f"; line of enquiry: {m.line_of_enquiry}" if m.line_of_enquiry else ""
        ended = ""
        if m.status == MemberStatus.UNTRACKED:
            until = m.untracked_at.strftime("%d/%m/%Y") if m.untracked_at else "a day not recorded"
            ended = f" No longer tracked since {until}: {m.untracked_reason}"
        accounts.append(
            f"{who.capitalize()}: chosen by {m.chosen_by or 'someone not recorded'} on {on}, "
            f"because {m.reason}{line}.{ended}"
        )
    report.add(
        "tracked_cases",
        not problems,
        " ".join(
            [
                f"{len(members)} tracked case(s), each recording who chose them, when and why, "
                "with design weight 0.",
                *accounts,
            ]
        )
        if not problems
        else "; ".join(problems),
    )
    return report
