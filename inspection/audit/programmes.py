"""Audit programmes: an authority's themed and monthly audits and practice weeks, each a round
(an inspection) with its theme, its instrument and its sample, and the trend across the rounds
domain by domain.

A round is an inspection like any other: its evidence is loaded, its sample drawn and its
audits made and moderated as in an inspection, with the round's instrument
(``Inspection.rubric``). The programme groups the rounds and reads them together.

The trend, for each instrument and each of its domains (and the overall judgement), gives each
round's share good or better among the sampled children, with the counts and the Wilson 95%
interval ``findings.share_good`` computes: the same grade counts as in the findings (the
moderator's agreed grade where recorded, else the first marker's; Not applicable left out;
tracked cases in no share). Each round is read as the viewer sees it (``audit.visibility``): only
the rounds they may open, and in each only the audits they may see. Domains are compared only
within one instrument version, where the question asked was the same.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from inspection.audit.definition import OVERALL, RubricDefinition
from inspection.audit.findings import audit_rows, first_markings, is_tracked, share_good
from inspection.audit.moderation import chosen_for_second_marking
from inspection.audit.rubric import RubricError, default_definition, find_instrument
from inspection.audit.visibility import COMMAND_LINE, Viewer, marking_of, visible_among
from inspection.inspections import InspectionError, create_inspection
from inspection.models import (
    AuditProgramme,
    Inspection,
    LocalAuthority,
    Moderation,
    Rubric,
    Sample,
    SampleMember,
    Score,
    User,
)
from inspection.models.columns import fits, max_length
from inspection.models.core import PROGRAMME_ROUND_KINDS, InspectionKind, Role
from inspection.sampling.status import IN_SAMPLE

# Who may start a programme and add rounds to it (as who may create an inspection).
PROGRAMME_MAKERS = frozenset({Role.ADMIN, Role.LEAD_INSPECTOR})


class ProgrammeError(ValueError):
    """Bad input, said in words; ``field`` names the input it is about."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class ProgrammeNotFound(ProgrammeError):
    """No such programme for this person (also when they may see none of it)."""


async def create_programme(
    la_code: str, title: str, purpose: str = "", created_by: User | None = None
) -> AuditProgramme:
    code = la_code.strip().upper()
    la = await LocalAuthority.get_or_none(code=code) if fits(LocalAuthority, "code", code) else None
    if la is None:
        raise ProgrammeError(f"There is no local authority with code {la_code}.", "la")
    if not title.strip():
        raise ProgrammeError("An audit programme needs a title.", "title")
    if not fits(AuditProgramme, "title", title.strip()):
        limit = max_length(AuditProgramme, "title")
        raise ProgrammeError(f"The title must be {limit} characters or fewer.", "title")
    return await AuditProgramme.create(
        la=la, title=title.strip(), purpose=purpose.strip(), created_by=created_by
    )


async def add_round(
    programme: AuditProgramme,
    kind: str,
    title: str,
    reference_date: date,
    theme: str,
    instrument: str,
    created_by: User | None = None,
) -> Inspection:
    """A new round of the programme: a themed or monthly audit or a practice week of the
    programme's authority, with its theme and instrument; its maker joins its team as lead
    (as for any inspection)."""
    if kind not in {k.value for k in PROGRAMME_ROUND_KINDS}:
        kinds = ", ".join(k.value for k in PROGRAMME_ROUND_KINDS)
        raise ProgrammeError(f"A round is one of: {kinds} (not '{kind}').", "kind")
    await programme.fetch_related("la")
    try:
        return await create_inspection(
            programme.la.code,
            kind,
            title,
            reference_date,
            created_by,
            instrument=instrument,
            theme=theme,
            programme_id=programme.id,
        )
    except InspectionError as exc:
        raise ProgrammeError(str(exc), exc.field) from None


async def set_round_instrument(inspection_id: int, code: str, version: str | None = None) -> Rubric:
    """Audit the round's new audits with this instrument (its current version unless
    ``version``); audits already started keep theirs."""
    try:
        rubric = await find_instrument(code, version)
    except RubricError as exc:
        raise ProgrammeError(str(exc), "instrument") from None
    await Inspection.filter(id=inspection_id).update(rubric_id=rubric.id)
    return rubric


async def visible_programmes(user: User | None) -> list[dict[str, Any]]:
    """The programmes a person may open, newest first: an administrator (or the command line,
    ``None``) every one; anyone else those they started and those with a round whose team they
    are in."""
    query = AuditProgramme.all()
    if user is not None and user.role != Role.ADMIN:
        mine = set(
            await Inspection.filter(
                programme_id__isnull=False, memberships__user_id=user.id
            ).values_list("programme_id", flat=True)
        )
        started = set(
            await AuditProgramme.filter(created_by_id=user.id).values_list("id", flat=True)
        )
        query = query.filter(id__in=sorted(mine | started))
    rows = await query.order_by("-created_at", "-id").values(
        "id", "title", "purpose", "la__name", "la__code", "created_at"
    )
    counts: dict[int, int] = {}
    for row in await Inspection.filter(programme_id__in=[r["id"] for r in rows]).values(
        "programme_id"
    ):
        counts[row["programme_id"]] = counts.get(row["programme_id"], 0) + 1
    return [{**r, "rounds": counts.get(r["id"], 0)} for r in rows]


async def open_programme(programme_id: int, user: User | None) -> AuditProgramme:
    """The programme, if ``user`` may open it (``visible_programmes``); else ProgrammeNotFound."""
    if not any(p["id"] == programme_id for p in await visible_programmes(user)):
        raise ProgrammeNotFound(f"There is no audit programme {programme_id}.")
    programme = await AuditProgramme.get(id=programme_id)
    await programme.fetch_related("la")
    return programme


_ROUND_FIELDS = (
    "id",
    "title",
    "kind",
    "theme",
    "reference_date",
    "rubric_id",
    "rubric__title",
)


async def _rounds(programme_id: int, user: User | None) -> tuple[list[dict[str, Any]], dict]:
    """The programme's rounds the person may open, oldest first, with the viewer each is
    read as (their role in that round)."""
    query = Inspection.filter(programme_id=programme_id).order_by("reference_date", "id")
    if user is None or user.role == Role.ADMIN:
        rows = list(await query.values(*_ROUND_FIELDS))
        viewer = COMMAND_LINE if user is None else Viewer(user, Role.ADMIN)
        return rows, {int(r["id"]): viewer for r in rows}
    rows = list(
        await query.filter(memberships__user_id=user.id).values(
            *_ROUND_FIELDS, role="memberships__role"
        )
    )
    return rows, {int(r["id"]): Viewer(user, Role(r["role"])) for r in rows}


async def _samples(round_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each round's samples, with the number of children in each (two queries)."""
    sizes: dict[int, int] = {}
    for row in await SampleMember.filter(inspection_id__in=round_ids, status__in=IN_SAMPLE).values(
        "sample_id"
    ):
        sizes[row["sample_id"]] = sizes.get(row["sample_id"], 0) + 1
    found: dict[int, list[dict[str, Any]]] = {}
    for s in (
        await Sample.filter(inspection_id__in=round_ids)
        .order_by("drawn_at", "id")
        .values("id", "inspection_id", "purpose", "method", "drawn_at")
    ):
        if s["id"] in sizes:  # the tracked cases are no sample drawn at random
            found.setdefault(int(s["inspection_id"]), []).append({**s, "size": sizes[s["id"]]})
    return found


async def _grades(rows: list[dict[str, Any]]) -> dict[int, dict[str, str]]:
    """The grades that count for these first markings, by audit: the domain grades and the
    overall, with the moderators' agreed grades over them (two queries)."""
    scores: dict[int, dict[str, str]] = {}
    agreed: dict[int, dict[str, str]] = {}
    ids = [row["id"] for row in rows]
    if ids:
        for audit_id, domain, grade in await Score.filter(audit_id__in=ids).values_list(
            "audit_id", "domain", "grade"
        ):
            scores.setdefault(audit_id, {})[domain] = grade
        for audit_id, domain, grade in await Moderation.filter(first_audit_id__in=ids).values_list(
            "first_audit_id", "domain", "agreed_grade"
        ):
            agreed.setdefault(audit_id, {})[domain] = grade
    return {
        row["id"]: {
            **scores.get(row["id"], {}),
            OVERALL: row["overall"],
            **agreed.get(row["id"], {}),
        }
        for row in rows
    }


def _domain_trend(
    definition: RubricDefinition,
    rounds: list[dict[str, Any]],
    judged: dict[int, list[tuple[dict[str, Any], dict[str, str]]]],
) -> list[dict[str, Any]]:
    good = definition.good_or_better
    rows = []
    for d in definition.domains_and_overall:
        per_round = []
        for r in rounds:
            graded = [
                (row["id"], grades[d.key] in good, row["weight"] or 1.0)
                for row, grades in judged.get(r["id"], [])
                if grades.get(d.key) in definition.ranks
            ]
            per_round.append(
                {
                    "inspection_id": r["id"],
                    "title": r["title"],
                    "reference_date": r["reference_date"],
                    **asdict(share_good(graded)),
                }
            )
        rows.append(
            {
                "domain": d.key,
                "title": d.title,
                "area_label": d.area.label if d.area else None,
                "outcome_label": d.outcome.label if d.outcome else None,
                "rounds": per_round,
            }
        )
    return rows


async def programme_trend(programme: AuditProgramme, user: User | None) -> dict[str, Any]:
    """What the programme's page, its CSV and ``inspection programme trend`` show: the rounds
    (kind, theme, instrument, samples, audits counted) and, per instrument, each domain's share
    good or better round by round. Seven queries whatever the number of rounds and audits."""
    rounds, viewers = await _rounds(programme.id, user)
    ids = [int(r["id"]) for r in rounds]
    rows = await audit_rows(ids)
    chosen = await chosen_for_second_marking(ids, rows)
    by_round: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in rows:
        by_round[row["inspection_id"]].append(row)
    firsts = {
        i: [
            row
            for row in first_markings(
                by_round[i],
                visible_among(viewers[i], [marking_of(x) for x in by_round[i]], chosen),
            )
            if not is_tracked(row)
        ]
        for i in ids
    }
    grades = await _grades([row for rs in firsts.values() for row in rs])
    samples = await _samples(ids)
    instruments: dict[str, dict[str, Any]] = {}
    for r in rounds:
        for row in firsts[r["id"]]:
            definition = row["definition"]
            entry = instruments.setdefault(
                definition.name, {"definition": definition, "judged": {}, "round_ids": set()}
            )
            entry["judged"].setdefault(r["id"], []).append((row, grades[row["id"]]))
            entry["round_ids"].add(r["id"])
    round_rows = [
        {
            "inspection_id": r["id"],
            "title": r["title"],
            "kind": r["kind"],
            "kind_label": _kind_label(r["kind"]),
            "theme": r["theme"],
            "instrument": r["rubric__title"] or default_definition().title,
            "reference_date": _iso(r["reference_date"]),
            "samples": [
                {
                    "purpose": s["purpose"],
                    "drawn_at": s["drawn_at"],
                    "size": s["size"],
                }
                for s in samples.get(r["id"], [])
            ],
            "audits": len(firsts[r["id"]]),
        }
        for r in rounds
    ]
    trend = []
    for name in sorted(instruments):
        entry = instruments[name]
        used = [
            {**r, "reference_date": _iso(r["reference_date"])}
            for r in rounds
            if r["id"] in entry["round_ids"]
        ]
        trend.append(
            {
                "rubric": name,
                "title": entry["definition"].title,
                "domains": _domain_trend(entry["definition"], used, entry["judged"]),
            }
        )
    return {
        "programme_id": programme.id,
        "title": programme.title,
        "purpose": programme.purpose,
        "authority": programme.la.name,
        "rounds": round_rows,
        "instruments": trend,
    }


def _kind_label(kind: Any) -> str:
    return InspectionKind(str(kind)).label


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]
