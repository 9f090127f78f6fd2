"""What the CLI and the web both call: preview a population, draw, replace, verify.

A sample, once drawn, is locked. Nothing here edits or deletes a sample or a member; the only
change is ``replace_member``, which appends the replacement as a new member and marks the
replaced one (who, when, why). The record keeps everything ``verify`` needs to recompute the
draw: seed, method, params, population definition, population snapshot and its hash, result hash.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from tortoise.transactions import in_transaction

from inspection.audit.status import AuditStatus
from inspection.journey import profile
from inspection.learning.reaudit import allowed_in_draws
from inspection.models import Audit, Child, Inspection, Sample, SampleMember, User
from inspection.sampling import draw as drawing
from inspection.sampling import population as pop
from inspection.sampling.status import IN_SAMPLE, MemberStatus, SampleMethod
from inspection.sampling.verify import (
    StoredMember,
    Verification,
    method_name,
    verify_purposive,
    verify_record,
)
from inspection.uk_time import uk_datetime

DEFAULT_EXCLUDE_MONTHS = 12


class SamplingError(ValueError):
    """A request that cannot be met; the message says why in plain English."""


@dataclass(frozen=True)
class Preview:
    size: int
    excluded: int
    stratify_by: str | None
    strata: list[tuple[str, int]]
    characteristics: dict[str, list[tuple[str, int]]]
    definition: dict[str, Any]


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (clamped to the month's last day); a window reaching
    back past the first day of the calendar starts there, so it covers everything before."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    if year < date.min.year:
        return date.min
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


async def recently_audited(inspection: Inspection, months: int) -> set[str]:
    """``la_child_id`` of children with a submitted audit in another inspection of the same
    local authority, submitted in the ``months`` before the reference date."""
    if months <= 0:
        return set()
    start = datetime.combine(months_before(inspection.reference_date, months), time.min, UTC)
    end = datetime.combine(inspection.reference_date, time.max, UTC)
    audits = Audit.filter(
        inspection__la_id=inspection.la_id,  # type: ignore[attr-defined]
        status=AuditStatus.SUBMITTED,
        submitted_at__gte=start,
        submitted_at__lte=end,
    ).exclude(inspection_id=inspection.id)
    direct = await audits.filter(child_id__isnull=False).values_list(
        "child__la_child_id", flat=True
    )
    via_member = await audits.filter(child_id__isnull=True, member_id__isnull=False).values_list(
        "member__child__la_child_id", flat=True
    )
    return {str(v) for v in [*direct, *via_member] if v}


async def _inspection(inspection_id: int) -> Inspection:
    inspection = await Inspection.get_or_none(id=inspection_id)
    if inspection is None:
        raise SamplingError(f"There is no inspection {inspection_id}.")
    return inspection


async def _frame_members(
    inspection: Inspection, definition: Mapping[str, Any], months: int
) -> tuple[list[pop.Member], list[str]]:
    try:
        members = await pop.build(inspection.id, inspection.reference_date, definition)
    except pop.PopulationError as exc:
        raise SamplingError(str(exc)) from exc
    # A child recorded for a re-audit in this round (with its reason) is not left out.
    audited = await recently_audited(inspection, months) - await allowed_in_draws(inspection.id)
    kept = [m for m in members if not (m.la_child_id and m.la_child_id in audited)]
    excluded = [m.key for m in members if m.la_child_id and m.la_child_id in audited]
    return kept, excluded


def _check_stratify(stratify_by: str | None) -> str | None:
    if stratify_by in (None, "", "none"):
        return None
    if stratify_by not in pop.STRATIFY_FIELDS:
        raise SamplingError(
            f"Cannot stratify by '{stratify_by}'. Use one of {', '.join(pop.STRATIFY_FIELDS)}."
        )
    return stratify_by


async def preview(
    inspection_id: int,
    definition: Mapping[str, Any],
    stratify_by: str | None = None,
    exclude_audited_months: int = DEFAULT_EXCLUDE_MONTHS,
) -> Preview:
    """The population's size and its breakdown, as the sampling frame would hold it."""
    inspection = await _inspection(inspection_id)
    field = _check_stratify(stratify_by)
    members, excluded = await _frame_members(inspection, definition, exclude_audited_months)
    return Preview(
        size=len(members),
        excluded=len(excluded),
        stratify_by=field,
        strata=pop.breakdown(members, field) if field else [],
        characteristics={f: pop.breakdown(members, f) for f in pop.STRATIFY_FIELDS},
        definition=pop.normalise(definition),
    )


async def draw_sample(
    inspection_id: int,
    definition: Mapping[str, Any],
    *,
    size: int = 0,
    stratify_by: str | None = None,
    allocation: str | None = None,
    minimum: int = 0,
    quotas: Mapping[str, int] | None = None,
    reserve: int = 0,
    seed: str | None = None,
    exclude_audited_months: int = DEFAULT_EXCLUDE_MONTHS,
    purpose: str = "",
    drawn_by: User | None = None,
) -> Sample:
    """Draw and store a locked sample; the seed is ``secrets.token_hex(32)`` unless given."""
    inspection = await _inspection(inspection_id)
    field = _check_stratify(stratify_by)
    allocation = allocation or ("proportional" if field else "simple")
    if allocation == "quota" and field is None:
        field = "team"
    if field is None and allocation != "simple":
        raise SamplingError(f"'{allocation}' allocation needs strata: choose what to stratify by.")
    if field is not None and allocation == "simple":
        raise SamplingError("A simple random sample has no strata: choose an allocation.")
    if reserve < 0 or exclude_audited_months < 0:
        raise SamplingError("The reserve and the exclusion window cannot be negative.")
    seed = (seed or secrets.token_hex(32)).strip().lower()
    if len(seed) > 128:
        raise SamplingError("The seed can be at most 128 hexadecimal digits.")
    members, excluded = await _frame_members(inspection, definition, exclude_audited_months)
    frame = drawing.canonical_frame({m.key: m.stratum(field) for m in members})
    params = drawing.make_params(size, allocation, field, minimum, quotas, reserve)
    try:
        result = drawing.run(frame, seed, params)
    except drawing.DrawError as exc:
        raise SamplingError(str(exc)) from exc
    if allocation == "quota":
        params["size"] = len(result.selected)
    params.update(
        {
            "exclude_audited_months": exclude_audited_months,
            "excluded": sorted(excluded),
            "reference_date": inspection.reference_date.isoformat(),
        }
    )
    child_ids = {m.key: m.child_id for m in members}
    async with in_transaction() as conn:
        sample = await Sample.create(
            inspection_id=inspection.id,
            purpose=purpose.strip(),
            method=method_name(params),
            seed=seed,
            population_definition=pop.normalise(definition),
            population_ids=frame.pairs(),
            population_hash=drawing.snapshot_hash(frame),
            population_size=len(frame),
            params=params,
            result_hash=drawing.result_hash(result),
            drawn_by=drawn_by,
            locked=True,
            using_db=conn,
        )
        await SampleMember.bulk_create(
            [
                SampleMember(
                    inspection_id=inspection.id,
                    sample_id=sample.id,
                    child_id=child_ids[m.key],
                    population_key=m.key,
                    stratum=m.stratum,
                    inclusion_probability=m.probability,
                    weight=m.weight,
                    order=m.order,
                    status=m.role,
                )
                for m in result.members
            ],
            using_db=conn,
        )
    return sample


async def sample_exists(inspection_id: int, sample_id: int) -> bool:
    return await Sample.filter(id=sample_id, inspection_id=inspection_id).exists()


async def _sample(inspection_id: int, sample_id: int) -> Sample:
    sample = await Sample.get_or_none(id=sample_id, inspection_id=inspection_id)
    if sample is None:
        raise SamplingError(f"There is no sample {sample_id} in inspection {inspection_id}.")
    return sample


async def replace_member(
    inspection_id: int, sample_id: int, member_id: int, reason: str, user: User | None = None
) -> SampleMember:
    """Replace a member with the next unused reserve of its stratum, recording who, when, why."""
    reason = reason.strip()
    if not reason:
        raise SamplingError("A replacement needs a reason.")
    async with in_transaction() as conn:
        sample = (
            await Sample.filter(id=sample_id, inspection_id=inspection_id)
            .using_db(conn)
            .select_for_update()
            .only("id")
            .first()
        )
        if sample is None:
            raise SamplingError(f"There is no sample {sample_id} in inspection {inspection_id}.")
        member = await SampleMember.filter(id=member_id, sample_id=sample.id).using_db(conn).first()
        if member is None:
            raise SamplingError(f"There is no member {member_id} in sample {sample_id}.")
        if member.status not in IN_SAMPLE:
            raise SamplingError(
                f"Member {member_id} is {member.status}: only a selected member "
                "or a replacement can be replaced."
            )
        rows = (
            await SampleMember.filter(sample_id=sample.id, stratum=member.stratum)
            .using_db(conn)
            .order_by("order", "id")
        )
        replacement_ids = {r.replaced_by_id for r in rows}
        used = {(r.population_key, r.order) for r in rows if r.id in replacement_ids}
        reserve = next(
            (
                r
                for r in rows
                if r.status == MemberStatus.RESERVE and (r.population_key, r.order) not in used
            ),
            None,
        )
        if reserve is None:
            label = f"stratum '{member.stratum}'" if member.stratum else "the sample"
            raise SamplingError(
                f"No reserve is left in {label}: nobody can replace member {member_id}."
            )
        now = datetime.now(UTC)
        replacement = await SampleMember.create(
            inspection_id=inspection_id,
            sample_id=sample.id,
            child_id=reserve.child_id,
            population_key=reserve.population_key,
            stratum=reserve.stratum,
            inclusion_probability=reserve.inclusion_probability,
            weight=reserve.weight,
            order=reserve.order,
            status=MemberStatus.REPLACEMENT,
            reason=reason,
            changed_by=user,
            changed_at=now,
            using_db=conn,
        )
        await (
            SampleMember.filter(id=member.id)
            .using_db(conn)
            .update(
                status=MemberStatus.REPLACED,
                replaced_by_id=replacement.id,
                reason=reason,
                changed_by_id=user.id if user else None,
                changed_at=now,
            )
        )
    return replacement


def _stored(r: SampleMember, **tracked: Any) -> StoredMember:
    """A stored member as verification reads it; ``tracked``: a tracked case's own record."""
    return StoredMember(
        r.id,
        r.population_key,
        r.stratum,
        r.order,
        r.status,
        r.inclusion_probability,
        r.weight,
        r.replaced_by_id,
        r.reason,
        **tracked,
    )


async def verify(inspection_id: int, sample_id: int) -> Verification:
    """Recompute the stored draw and check every stored input against it; of the tracked
    cases (chosen on purpose, nothing to draw again), say who chose each child, when and why."""
    sample = await _sample(inspection_id, sample_id)
    rows = await SampleMember.filter(sample_id=sample.id).order_by("id")
    if sample.method == SampleMethod.PURPOSIVE:
        users = dict(
            await User.filter(
                id__in=sorted({r.changed_by_id for r in rows if r.changed_by_id})
            ).values_list("id", "name")
        )
        return verify_purposive(
            seed=sample.seed,
            population_ids=sample.population_ids,
            members=[
                _stored(
                    r,
                    chosen_by=str(users.get(r.changed_by_id or 0, "")),
                    chosen_at=r.changed_at,
                    line_of_enquiry=r.line_of_enquiry,
                    untracked_reason=r.untracked_reason,
                    untracked_at=r.untracked_at,
                )
                for r in rows
            ],
        )
    members = [_stored(r) for r in rows]
    return verify_record(
        seed=sample.seed,
        method=sample.method,
        params=sample.params,
        population_ids=sample.population_ids,
        population_hash=sample.population_hash,
        population_size=sample.population_size,
        stored_result_hash=sample.result_hash,
        members=members,
    )


def verify_command(inspection_id: int, sample_id: int) -> str:
    return f"inspection sample verify --inspection {inspection_id} --sample {sample_id}"


def sample_name(purpose: str, drawn_at: datetime) -> str:
    """A sample as pages name it: its purpose, else when it was drawn."""
    return purpose.strip() or f"Sample drawn on {uk_datetime(drawn_at, '%d/%m/%Y at %H:%M')}"


def _child_name(child: profile.Profile | None, population_key: str) -> str:
    """A sampled child as pages name them (see ``profile.display_name``)."""
    if child is None:
        return f"Record {population_key} (removed)"
    return child.name


async def sample_document(inspection_id: int, sample_id: int) -> dict[str, Any]:
    """Everything about one sample, as the page, the CLI's JSON and exports show it.

    ``groups`` is the page's view: the strata in natural order, each with its members as an
    inspector reads them. A reserve that replaced someone appears once, as the replacement;
    the replaced child appears once, naming who replaced them and why.
    """
    sample = await _sample(inspection_id, sample_id)
    inspection = await _inspection(inspection_id)
    drawn_by = await User.get_or_none(id=sample.drawn_by_id) if sample.drawn_by_id else None
    rows = await SampleMember.filter(sample_id=sample.id).order_by("stratum", "order", "id")
    child_ids = {r.child_id for r in rows if r.child_id}
    children = await profile.profiles(inspection_id, inspection.reference_date, child_ids)
    la_ids = dict(
        await Child.filter(id__in=sorted(child_ids)).values_list("id", "la_child_id")
        if child_ids
        else []
    )
    users = {
        u.id: u.email
        for u in await User.filter(
            id__in=sorted({r.changed_by_id for r in rows if r.changed_by_id})
        )
    }
    sizes = drawing.stratum_sizes(drawing.frame_from_pairs(sample.population_ids))
    replacement_ids = {r.replaced_by_id for r in rows if r.replaced_by_id}
    chosen: dict[str, int] = {}
    for r in rows:
        if (
            r.status in (MemberStatus.SELECTED, MemberStatus.REPLACED)
            and r.id not in replacement_ids
        ):
            chosen[r.stratum] = chosen.get(r.stratum, 0) + 1
    members: list[dict[str, Any]] = [
        {
            "id": r.id,
            "child_id": r.child_id,
            "la_child_id": la_ids.get(r.child_id),
            "name": _child_name(children.get(r.child_id) if r.child_id else None, r.population_key),
            "age": children[r.child_id].age if r.child_id in children else "Not known",
            "died": children[r.child_id].died if r.child_id in children else None,
            "legal_status": (
                children[r.child_id].legal_status if r.child_id in children else "Not known"
            ),
            "team": children[r.child_id].team if r.child_id in children else "Not known",
            "population_key": r.population_key,
            "stratum": r.stratum,
            "order": r.order,
            "status": r.status,
            "inclusion_probability": r.inclusion_probability,
            "weight": r.weight,
            "replaced_by": r.replaced_by_id,
            "reason": r.reason,
            "changed_by": users.get(r.changed_by_id) if r.changed_by_id else None,
            "changed_at": r.changed_at,
        }
        for r in rows
    ]
    by_id = {m["id"]: m for m in members}
    # a reserve that became a replacement is the same child at the same place in the draw
    used = {(by_id[i]["population_key"], by_id[i]["order"]) for i in replacement_ids if i in by_id}
    field = sample.params.get("stratify_by")
    groups = []
    for stratum in sorted(sizes, key=lambda s: pop.stratum_sort_key(field, s)):
        in_stratum = [m for m in members if m["stratum"] == stratum]
        shown = []
        for m in in_stratum:
            if m["status"] == MemberStatus.RESERVE and (m["population_key"], m["order"]) in used:
                continue
            replaced_by = by_id.get(m["replaced_by"]) if m["replaced_by"] else None
            shown.append({**m, "replaced_by_name": replaced_by["name"] if replaced_by else None})
        rank = {
            MemberStatus.SELECTED: 0,
            MemberStatus.REPLACEMENT: 0,
            MemberStatus.REPLACED: 0,
            MemberStatus.RESERVE: 1,
        }
        shown.sort(key=lambda m: (rank.get(m["status"], 2), m["name"].casefold()))
        weights = sorted(
            {round(m["weight"], 3) for m in in_stratum if m["status"] != MemberStatus.RESERVE}
        )
        groups.append(
            {
                "stratum": stratum,
                "label": pop.stratum_label(field, stratum),
                "population": sizes[stratum],
                "selected": chosen.get(stratum, 0),
                "weights": weights,
                "members": shown,
            }
        )
    return {
        "id": sample.id,
        "inspection_id": inspection_id,
        "purpose": sample.purpose,
        "name": sample_name(sample.purpose, sample.drawn_at),
        "method": sample.method,
        "algorithm": sample.params.get("algorithm"),
        "seed": sample.seed,
        "params": sample.params,
        "stratify_by": field,
        "stratify_label": pop.STRATIFY_LABELS.get(field or "", ""),
        "size": sum(chosen.values()),
        "population": {
            "definition": sample.population_definition,
            "description": pop.describe(sample.population_definition),
            "size": sample.population_size,
            "hash": sample.population_hash,
        },
        "result_hash": sample.result_hash,
        "locked": sample.locked,
        "drawn_by": drawn_by.email if drawn_by else None,
        "drawn_at": sample.drawn_at,
        "strata": [
            {"stratum": s, "population": n, "selected": chosen.get(s, 0)} for s, n in sizes.items()
        ],
        "groups": groups,
        "members": members,
        "verify_command": verify_command(inspection_id, sample.id),
    }


async def member_document(inspection_id: int, sample_id: int, member_id: int) -> dict[str, Any]:
    """One member of a sample, with the sample it belongs to, as the member's page shows it."""
    document = await sample_document(inspection_id, sample_id)
    member = next((m for m in document["members"] if m["id"] == member_id), None)
    if member is None:
        raise SamplingError(f"There is no member {member_id} in sample {sample_id}.")
    by_id = {m["id"]: m for m in document["members"]}
    replaced_by = by_id.get(member["replaced_by"]) if member["replaced_by"] else None
    replaces = next((m for m in document["members"] if m["replaced_by"] == member_id), None)
    field = document["stratify_by"]
    return {
        "sample": document,
        "member": {
            **member,
            "stratum_label": pop.stratum_label(field, member["stratum"]),
            "replaced_by_member": replaced_by,
            "replaces": replaces,
            "replaceable": member["status"] in IN_SAMPLE,
        },
    }


# What lists and pages read of a sample: all but its sampling frame (``population_ids``, a
# pair for every child of the population: tens of thousands in a large authority), which only
# the sample's own page and its verification read. A list of samples costs the same however
# large the authority.
LISTED = (
    "id",
    "inspection_id",
    "purpose",
    "method",
    "seed",
    "population_hash",
    "population_size",
    "params",
    "result_hash",
    "drawn_by_id",
    "drawn_at",
    "locked",
)


async def samples_of(inspection_id: int, *, random_only: bool = False) -> list[Sample]:
    """The inspection's samples, oldest first, without their sampling frames; ``random_only``
    leaves out the tracked cases (chosen on purpose)."""
    query = Sample.filter(inspection_id=inspection_id)
    if random_only:
        query = query.exclude(method=SampleMethod.PURPOSIVE)
    return list(await query.order_by("id").only(*LISTED))


async def list_samples(inspection_id: int) -> list[dict[str, Any]]:
    """The random samples drawn (the tracked cases, chosen on purpose, have a page of their
    own: ``inspection.sampling.tracking``)."""
    rows = list(reversed(await samples_of(inspection_id, random_only=True)))
    return [
        {
            "id": s.id,
            "purpose": s.purpose,
            "name": sample_name(s.purpose, s.drawn_at),
            "method": s.method,
            "population_size": s.population_size,
            "size": s.params.get("size"),
            "drawn_at": s.drawn_at,
        }
        for s in rows
    ]
