"""The one set of functions that compute each exported table.

The workbook, the CSV files and the web pages all render these ``Table`` values, so they can
never disagree. Every query is scoped by the inspection, and every table of audit work holds
only what the person exporting may see (``inspection.audit.visibility``: the audits, pairs,
findings and concerns of ``ExportContext.seen`` and ``ExportContext.viewer``). With a
``Pseudonymiser`` in the context,
child identifiers become keyed hashes, names are dropped, dates of birth become month and year,
postcodes become districts and free text has every name and identifier of any person of the
inspection and every child's date of birth replaced (``ExportContext.scrubbed``: each table's
text is read first, and only what it could hold is asked of the database).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import Q, Subquery

from inspection.audit.agency import agency_label
from inspection.audit.concerns import visible_concerns
from inspection.audit.definition import definition_of
from inspection.audit.findings import FEW_AUDITS, findings
from inspection.audit.moderation import agreement_report, submitted_pairs
from inspection.audit.visibility import Viewer, shown_to, visible_audits
from inspection.export.identities import hidden_in
from inspection.export.pseudonymise import (
    Pseudonymiser,
    Scrubber,
    month_of_birth,
    postcode_district,
)
from inspection.export.voices import cited_by, cited_label, exported_conversations
from inspection.journey.build import Journey, journeys_for_inspection
from inspection.journey.chronology import chronology_rows
from inspection.journey.indicators import KEYS as INDICATOR_KEYS
from inspection.journey.indicators import SHORT_LABELS as INDICATOR_HEADERS
from inspection.journey.indicators import for_journey
from inspection.journey.review import link_accuracy
from inspection.models import (
    Audit,
    Child,
    Concern,
    Inspection,
    Rubric,
    Sample,
    SampleMember,
    Score,
    Upload,
    User,
    ValidationIssue,
)
from inspection.sampling.status import AUDITED, MemberStatus
from inspection.uk_time import in_uk


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | date | datetime | int | float | percent | grade


@dataclass
class Table:
    name: str  # CSV file stem
    sheet: str  # worksheet title
    description: str  # what the sheet holds (About sheet)
    columns: list[Column]
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]


# How the Sample sheet marks a tracked case.
TRACKED_MARK = "Tracked case"


def local(value: datetime | None) -> datetime | None:
    """A stored (UTC) time as UK local time without zone, as Excel wants it."""
    if value is None:
        return None
    return in_uk(value).replace(tzinfo=None, microsecond=0)


@dataclass
class ExportContext:
    """What every table needs: the inspection, its children, who is exporting and the audits
    they may see, and pseudonymisation if asked."""

    inspection: Inspection
    children: dict[int, dict[str, Any]]
    users: dict[int, str]
    rubrics: dict[int, Rubric]
    viewer: Viewer
    seen: frozenset[int]  # the audits whose content the viewer may see
    pseudonymiser: Pseudonymiser | None = None
    journeys: dict[int, Journey] | None = None
    sampled: list[int] | None = None
    _hidden: dict[str, str] = field(default_factory=dict)  # what text found so far holds
    _findings: dict[str, Any] | None = None

    async def findings(self) -> dict[str, Any]:
        """The findings the viewer may see (``inspection.audit.findings``), computed once per
        export, however many tables are drawn from them."""
        if self._findings is None:
            self._findings = await findings(self.inspection.id, self.viewer, with_indicators=False)
        return self._findings

    @property
    def pseudonymised(self) -> bool:
        return self.pseudonymiser is not None

    def child(self, child_id: int | None) -> str:
        """How a child is named in the export: the LA's id, or the pseudonym."""
        if child_id is None:
            return ""
        if self.pseudonymiser is not None:
            return self.pseudonymiser.child(child_id)
        info = self.children.get(child_id)
        return (info or {}).get("la_child_id") or f"child {child_id}"

    def grade(self, rubric_id: int, value: str | None) -> str:
        """A stored grade value as its label on the rubric's scale."""
        if not value:
            return ""
        rubric = self.rubrics.get(rubric_id)
        return definition_of(rubric).grade_labels.get(value, value) if rubric else value

    def user(self, user_id: int | None) -> str:
        return "" if user_id is None else self.users.get(user_id, f"user {user_id}")

    def text(self, value: str | None) -> Any:
        """Free text; pseudonymised, every name and identifier of any person of the inspection
        and every child's date of birth in it hidden: then a ``FreeText`` until the table is
        passed through ``scrubbed``, which hides them in all of its text at once."""
        value = value or ""
        if self.pseudonymiser is None or not value:
            return value
        return FreeText(value)

    async def scrubbed(self, table: Table) -> Table:
        """``table`` with each ``FreeText`` of its rows replaced by the text with every name,
        identifier and date of birth it holds hidden (``inspection.export.identities``: only
        what the text could hold is asked of the database, so the cost grows with the text,
        not with the authority)."""
        texts = [v.text for row in table.rows for v in row if isinstance(v, FreeText)]
        if not texts:
            return table
        self._hidden.update(await hidden_in(self.inspection.id, texts))
        scrub = Scrubber(self._hidden)
        table.rows = [
            tuple(scrub(v.text) if isinstance(v, FreeText) else v for v in row)
            for row in table.rows
        ]
        return table


class FreeText:
    """Free text of a pseudonymised table not yet scrubbed (``ExportContext.scrubbed``). It is
    no string, so a table that was not scrubbed cannot be written: a workbook refuses it and a
    CSV file raises."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        raise TypeError("free text of a pseudonymised export was not scrubbed")

    def __repr__(self) -> str:
        return "FreeText(…)"


async def named_children(inspection_id: int) -> dict[int, dict[str, Any]]:
    """The identities of the children an export can name: those in a sample, audited, or the
    subject of a concern (one query; not every child of the authority)."""

    def of(model: Any) -> Subquery:
        return Subquery(
            model.filter(inspection_id=inspection_id, child_id__isnull=False).values("child_id")
        )

    rows = await Child.filter(
        Q(id__in=of(SampleMember)) | Q(id__in=of(Audit)) | Q(id__in=of(Concern)),
        inspection_id=inspection_id,
    ).values("id", "la_child_id", "given_name", "family_name", "dob", "death_date", "postcode")
    return {row["id"]: row for row in rows}


async def load_context(
    inspection_id: int,
    viewer: Viewer,
    pseudonymiser: Pseudonymiser | None = None,
    *,
    children: bool = True,
) -> ExportContext:
    """What the tables of one export need. ``children=False`` leaves out the children's
    identities, for a table that names no child (``feedback_table``) and must not cost in
    proportion to the authority."""
    inspection = await Inspection.get(id=inspection_id).prefetch_related("la")
    identities = await named_children(inspection_id) if children else {}
    users = {row["id"]: row["name"] for row in await User.all().values("id", "name")}
    rubric_ids = (
        await Audit.filter(inspection_id=inspection_id)
        .distinct()
        .values_list("rubric_id", flat=True)
    )
    rubrics = {r.id: r for r in await Rubric.filter(id__in=list(rubric_ids))}
    seen = await visible_audits(inspection_id, viewer)
    return ExportContext(inspection, identities, users, rubrics, viewer, seen, pseudonymiser)


def _ordered_rubrics(ctx: ExportContext) -> list[Rubric]:
    return sorted(ctx.rubrics.values(), key=lambda r: (r.code, r.version, r.id))


async def samples_table(ctx: ExportContext) -> Table:
    names = (
        []
        if ctx.pseudonymised
        else [Column("given_name", "Given name"), Column("family_name", "Family name")]
    )
    columns = [
        Column("sample_id", "Sample", "int"),
        Column("purpose", "Purpose"),
        Column("method", "Method"),
        Column("member_id", "Member", "int"),
        Column("child", "Child"),
        *names,
        Column("dob", "Month of birth" if ctx.pseudonymised else "Date of birth", "date"),
        Column("died", "Month of death" if ctx.pseudonymised else "Date of death", "date"),
        Column("postcode", "Postcode district" if ctx.pseudonymised else "Postcode"),
        Column("stratum", "Stratum"),
        Column("order", "Order drawn", "int"),
        Column("inclusion_probability", "Inclusion probability", "float"),
        Column("weight", "Weight", "float"),
        Column("status", "Status"),
        Column("replaced_by", "Replaced by member", "int"),
        Column("replaced_by_child", "Replaced by child"),
        Column("reason", "Reason"),
        Column("changed_by", "Changed by"),
        Column("changed_at", "Changed at", "datetime"),
        Column("tracked", "Tracked case"),
        Column("line_of_enquiry", "Line of enquiry"),
    ]
    table = Table(
        "sample",
        "Sample",
        "Every sample member: stratum, weight, status, replacements with reasons; and the "
        "tracked cases (chosen on purpose, weight 0, in no estimate) with why each child was "
        "chosen and the line of enquiry.",
        columns,
    )
    # Not the population snapshot (one id per child of the population): only what is shown.
    samples = {
        s.id: s
        for s in await Sample.filter(inspection_id=ctx.inspection.id).only(
            "id", "purpose", "method"
        )
    }
    members = (
        await SampleMember.filter(inspection_id=ctx.inspection.id)
        .order_by("sample_id", "stratum", "order", "id")
        .values()
    )
    child_of = {m["id"]: m["child_id"] for m in members}
    for m in members:
        sample = samples[m["sample_id"]]
        info = ctx.children.get(m["child_id"]) or {}
        dob: Any = info.get("dob")
        died: Any = info.get("death_date")
        postcode = info.get("postcode") or ""
        if ctx.pseudonymised:
            dob = month_of_birth(dob)
            died = month_of_birth(died)
            postcode = postcode_district(postcode)
            name_cells: tuple[Any, ...] = ()
        else:
            name_cells = (info.get("given_name", ""), info.get("family_name", ""))
        table.rows.append(
            (
                sample.id,
                ctx.text(sample.purpose),
                sample.method,
                m["id"],
                ctx.child(m["child_id"]),
                *name_cells,
                dob,
                died,
                postcode,
                m["stratum"],
                m["order"],
                m["inclusion_probability"],
                m["weight"],
                m["status"],
                m["replaced_by_id"],
                ctx.child(child_of.get(m["replaced_by_id"])) if m["replaced_by_id"] else "",
                ctx.text(m["reason"]),
                ctx.user(m["changed_by_id"]),
                local(m["changed_at"]),
                TRACKED_MARK if m["status"] == MemberStatus.TRACKED else None,
                ctx.text(m["line_of_enquiry"]),
            )
        )
    return await ctx.scrubbed(table)


async def _audits(ctx: ExportContext) -> list[dict[str, Any]]:
    """The audits the viewer may see, oldest first, each with its sample."""
    audits = (
        await Audit.filter(inspection_id=ctx.inspection.id, id__in=sorted(ctx.seen))
        .order_by("id")
        .values()
    )
    member_sample = dict(
        await SampleMember.filter(inspection_id=ctx.inspection.id).values_list("id", "sample_id")
    )
    for a in audits:
        a["sample_id"] = member_sample.get(a["member_id"])
    return audits


def marking_cell(a: dict[str, Any]) -> str:
    """Which audit of the child a row is: its marking, with the agency of an agency's part."""
    return a["marking"] + (f" ({agency_label(a['agency'])})" if a.get("agency") else "")


def _audit_lead(ctx: ExportContext, a: dict[str, Any]) -> tuple[Any, ...]:
    rubric = ctx.rubrics[a["rubric_id"]]
    return (
        a["id"],
        a["sample_id"],
        a["member_id"],
        ctx.child(a["child_id"]),
        rubric.code,
        rubric.version,
        marking_cell(a),
        ctx.user(a["auditor_id"]),
        a["status"],
    )


_AUDIT_LEAD = [
    Column("audit_id", "Audit", "int"),
    Column("sample_id", "Sample", "int"),
    Column("member_id", "Member", "int"),
    Column("child", "Child"),
    Column("rubric", "Rubric"),
    Column("rubric_version", "Rubric version"),
    Column("marking", "Marking"),
    Column("auditor", "Auditor"),
    Column("status", "Status"),
]


def _domain_order(ctx: ExportContext) -> dict[tuple[int, str], tuple[int, str]]:
    """(rubric id, domain key) → (position, title)."""
    order = {}
    for rubric in ctx.rubrics.values():
        for i, d in enumerate(definition_of(rubric).domains):
            order[(rubric.id, d.key)] = (i, d.title)
    return order


async def scores_table(ctx: ExportContext) -> Table:
    """Audits, long: one row per audit and domain."""
    columns = [
        *_AUDIT_LEAD,
        Column("domain", "Domain"),
        Column("domain_title", "Domain title"),
        Column("grade", "Grade", "grade"),
        Column("evidence", "Evidence"),
        Column("cited_events", "Cited events"),
        Column("cited_conversations", "Cited conversations"),
    ]
    table = Table(
        "scores",
        "Audits",
        "One row per audit and domain: grade, evidence, the events and conversations cited.",
        columns,
    )
    audits = await _audits(ctx)
    heard = {c.id: c for c in await exported_conversations(ctx)}
    by_audit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for s in await Score.filter(
        inspection_id=ctx.inspection.id, audit_id__in=sorted(ctx.seen)
    ).values():
        by_audit[s["audit_id"]].append(s)
    order = _domain_order(ctx)
    for a in audits:
        lead = _audit_lead(ctx, a)
        scores = sorted(
            by_audit.get(a["id"], []),
            key=lambda s: (order.get((a["rubric_id"], s["domain"]), (999, ""))[0], s["domain"]),
        )
        for s in scores:
            title = order.get((a["rubric_id"], s["domain"]), (0, s["domain"]))[1]
            cited = ", ".join(str(e) for e in (s["cited_events"] or []))
            voices = "; ".join(
                cited_label(heard[c]) for c in (s["cited_conversations"] or []) if c in heard
            )
            table.rows.append(
                (
                    *lead,
                    s["domain"],
                    title,
                    ctx.grade(a["rubric_id"], s["grade"]),
                    ctx.text(s["evidence"]),
                    cited,
                    ctx.text(voices),
                )
            )
    return await ctx.scrubbed(table)


async def audits_table(ctx: ExportContext) -> Table:
    """Audits, wide: one row per audit, a grade column per domain."""
    domains: list[tuple[str, str]] = []
    for rubric in _ordered_rubrics(ctx):
        for d in definition_of(rubric).domains:
            if d.key not in [k for k, _ in domains]:
                domains.append((d.key, d.title))
    columns = [
        *_AUDIT_LEAD,
        Column("overall", "Overall grade", "grade"),
        Column("proposed_overall", "Proposed overall grade", "grade"),
        Column("overall_reason", "Reason for overall grade"),
        Column("strengths", "Strengths"),
        Column("improvements", "Improvements"),
        Column("themes", "Themes"),
        Column("practitioner_reflection", "The practitioner's reflection"),
        Column("learning_conversation", "The learning conversation"),
        Column("submitted_at", "Submitted at", "datetime"),
        Column("updated_at", "Last changed", "datetime"),
        *[Column(f"grade:{k}", title, "grade") for k, title in domains],
    ]
    table = Table(
        "audits",
        "Audits (wide)",
        "One row per audit: overall grade, reasons, and a grade column per domain.",
        columns,
    )
    grades: dict[int, dict[str, str]] = defaultdict(dict)
    for audit_id, domain, grade in await Score.filter(
        inspection_id=ctx.inspection.id, audit_id__in=sorted(ctx.seen)
    ).values_list("audit_id", "domain", "grade"):
        grades[audit_id][domain] = grade
    for a in await _audits(ctx):
        themes = "; ".join(str(t) for t in (a["themes"] or []))
        table.rows.append(
            (
                *_audit_lead(ctx, a),
                ctx.grade(a["rubric_id"], a["overall"]),
                ctx.grade(a["rubric_id"], a["proposed_overall"]),
                ctx.text(a["overall_reason"]),
                ctx.text(a["strengths"]),
                ctx.text(a["improvements"]),
                ctx.text(themes),
                ctx.text(a["practitioner_reflection"]),
                ctx.text(a["learning_conversation"]),
                local(a["submitted_at"]),
                local(a["updated_at"]),
                *[ctx.grade(a["rubric_id"], grades[a["id"]].get(k, "")) for k, _ in domains],
            )
        )
    return await ctx.scrubbed(table)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def moderation_table(ctx: ExportContext) -> Table:
    """Paired grades: first and second marking of each moderated child, domain by domain."""
    columns = [
        Column("member_id", "Member", "int"),
        Column("child", "Child"),
        Column("rubric", "Rubric"),
        Column("domain", "Domain"),
        Column("first_audit", "First audit", "int"),
        Column("first_auditor", "First marker"),
        Column("first_grade", "First grade", "grade"),
        Column("second_audit", "Second audit", "int"),
        Column("second_auditor", "Second marker"),
        Column("second_grade", "Second grade", "grade"),
        Column("same", "Same grade"),
        Column("agreed_grade", "Agreed grade", "grade"),
        Column("reason", "Reason"),
        Column("moderator", "Moderator"),
        Column("at", "Moderated at", "datetime"),
    ]
    table = Table(
        "moderation",
        "Moderation",
        "Paired grades of every child marked twice (both "
        "markings submitted), the agreed grade, and agreement statistics.",
        columns,
    )
    for pair in await submitted_pairs(ctx.inspection.id, audit_ids=ctx.seen):
        rubric = pair.first.rubric
        for d in definition_of(rubric).domains_and_overall:
            g1 = pair.first_grades.get(d.key, "")
            g2 = pair.second_grades.get(d.key, "")
            agreed = pair.agreed.get(d.key)
            table.rows.append(
                (
                    pair.member_id,
                    ctx.child(pair.first.child_id),
                    f"{rubric.code} v{rubric.version}",
                    d.title,
                    pair.first.id,
                    ctx.user(pair.first.auditor_id),
                    ctx.grade(rubric.id, g1),
                    pair.second.id,
                    ctx.user(pair.second.auditor_id),
                    ctx.grade(rubric.id, g2),
                    "yes" if g1 and g1 == g2 else "no",
                    ctx.grade(rubric.id, agreed.agreed_grade) if agreed else "",
                    ctx.text(agreed.reason) if agreed else "",
                    ctx.user(agreed.moderator_id) if agreed else "",
                    local(agreed.at) if agreed else None,
                )
            )
    return await ctx.scrubbed(table)


async def agreement_table(ctx: ExportContext) -> Table:
    """Agreement between first and second markers (from ``inspection.audit.moderation``)."""
    columns = [
        Column("rubric", "Rubric"),
        Column("domain", "Domain"),
        Column("pairs", "Pairs", "int"),
        Column("agreed", "Same grade", "int"),
        Column("percent_agreement", "Share with the same grade", "percent"),
        Column("kappa_quadratic", "Cohen's kappa (quadratic weights)", "float"),
        Column("gwet_ac1", "Gwet's AC1", "float"),
        Column("left_out", "Pairs left out (not graded)", "int"),
    ]
    table = Table(
        "agreement",
        "Moderation",
        "Agreement statistics per domain, the overall judgement and pooled over domains.",
        columns,
    )
    report = await agreement_report(ctx.inspection.id, audit_ids=ctx.seen)
    for r in report["rubrics"]:
        for d in [*r["domains"], {"title": "All domains pooled", "left_out": None, **r["pooled"]}]:
            table.rows.append(
                (
                    r["rubric"],
                    d["title"],
                    d["pairs"],
                    d["agreed"],
                    _pct(d["percent_agreement"]),
                    _pct(d["kappa_quadratic"]),
                    _pct(d["gwet_ac1"]),
                    d["left_out"],
                )
            )
    return await ctx.scrubbed(table)


async def sampled_child_ids(ctx: ExportContext) -> list[int]:
    """The children audited (in a sample, or tracked cases), in the order of their ids; asked
    once per export."""
    if ctx.sampled is None:
        ids = (
            await SampleMember.filter(
                inspection_id=ctx.inspection.id, status__in=AUDITED, child_id__isnull=False
            )
            .distinct()
            .values_list("child_id", flat=True)
        )
        ctx.sampled = sorted(int(str(i)) for i in ids)
    return ctx.sampled


async def _journeys(ctx: ExportContext) -> dict[int, Journey]:
    """The sampled children's journeys (``inspection.journey.build``), computed once per
    export: only the children the export holds, so its cost grows with the sample, not with
    the authority."""
    if ctx.journeys is None:
        ctx.journeys = await journeys_for_inspection(
            ctx.inspection.id, await sampled_child_ids(ctx)
        )
    return ctx.journeys


async def journeys_table(ctx: ExportContext) -> Table:
    """The multi-agency chronology (``inspection.journey.chronology``) of every sampled child,
    one row per event, oldest first."""
    columns = [
        Column("child", "Child"),
        Column("date", "Date", "date"),
        Column("end_date", "End date", "date"),
        Column("agency", "Agency"),
        Column("what_happened", "What happened"),
        Column("source", "Source"),
        Column("details", "Details"),
    ]
    table = Table(
        "journeys",
        "Journeys",
        "The chronology of every sampled child across agencies, one row per event, oldest "
        "first, marking the first sign of need and when help started.",
        columns,
    )
    journeys = await _journeys(ctx)
    for child_id in await sampled_child_ids(ctx):
        journey = journeys.get(child_id)
        if journey is None:
            continue
        label = ctx.child(child_id)
        for row in chronology_rows(journey):
            table.rows.append(
                (
                    label,
                    row["date"],
                    row["end_date"],
                    row["agency"],
                    row["what_happened"],
                    ctx.text(row["source"]),
                    ctx.text(row["details"]),
                )
            )
    return await ctx.scrubbed(table)


def _indicator_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


async def indicators_table(ctx: ExportContext) -> Table:
    """Per sampled child: the journey indicators of ``inspection.journey.indicators``."""
    columns = [
        Column("child", "Child"),
        Column("first_need", "First sign of need", "date"),
        Column("first_help", "Help started", "date"),
        *[
            Column(k, INDICATOR_HEADERS.get(k, k.replace("_", " ").capitalize()), "int")
            for k in INDICATOR_KEYS
        ],
    ]
    table = Table(
        "indicators",
        "Indicators",
        "Per sampled child: the child's wait for help, signals before help and what happened "
        "next (never whether a statutory timescale was met); the columns marked Recorded show "
        "what the record says, not what the child experienced.",
        columns,
    )
    journeys = await _journeys(ctx)
    for child_id in await sampled_child_ids(ctx):
        journey = journeys.get(child_id)
        if journey is None:
            continue
        values = for_journey(journey)
        table.rows.append(
            (
                ctx.child(child_id),
                journey.first_need,
                journey.first_help,
                *[_indicator_cell(values.get(k)) for k in INDICATOR_KEYS],
            )
        )
    return await ctx.scrubbed(table)


async def conversations_table(ctx: ExportContext) -> Table:
    """The conversations with the sampled and audited children, their families and the
    practitioners (``inspection.audit.conversations``), with the audits citing each."""
    columns = [
        Column("child", "Child"),
        Column("held_on", "Date", "date"),
        Column("who", "Who"),
        Column("how", "How"),
        Column("said", "What they said"),
        Column("tells_us", "What it tells us"),
        Column("recorded_by", "Recorded by"),
        Column("recorded_at", "Recorded at", "datetime"),
        Column("cited_in", "Cited in"),
    ]
    table = Table(
        "conversations",
        "Conversations",
        "What the child, the family and the practitioner said, in their own words, what it "
        "tells us (hidden where it belongs to a marking the person exporting may not see), and "
        "the audits citing each.",
        columns,
    )
    order = _domain_order(ctx)
    rubric_of = dict(
        await Audit.filter(inspection_id=ctx.inspection.id, id__in=sorted(ctx.seen)).values_list(
            "id", "rubric_id"
        )
    )
    citing = await cited_by(ctx)
    for c in await exported_conversations(ctx):
        cited_in = "; ".join(
            f"audit {audit_id}: {order.get((rubric_of.get(audit_id, 0), domain), (0, domain))[1]}"
            for audit_id, domain in sorted(citing.get(c.id, []))
        )
        table.rows.append(
            (
                ctx.child(c.child_id),
                c.held_on,
                ctx.text(c.who),
                c.how,
                ctx.text(c.said),
                ctx.text(c.reading),
                c.recorded_by,
                local(c.recorded_at),
                cited_in,
            )
        )
    return await ctx.scrubbed(table)


async def issues_table(ctx: ExportContext) -> Table:
    columns = [
        Column("upload", "Upload"),
        Column("sheet", "Sheet"),
        Column("list", "List"),
        Column("source_row", "Row", "int"),
        Column("cell", "Cell"),
        Column("column", "Column"),
        Column("value", "Value"),
        Column("rule", "Rule"),
        Column("severity", "Severity"),
        Column("message", "Message"),
        Column("row_rejected", "Row rejected"),
    ]
    table = Table(
        "issues",
        "Validation issues",
        "Every problem found in the uploaded evidence, by file, sheet, row and column.",
        columns,
    )
    uploads = dict(
        await Upload.filter(inspection_id=ctx.inspection.id).values_list("id", "filename")
    )
    for i in (
        await ValidationIssue.filter(inspection_id=ctx.inspection.id)
        .order_by("upload_id", "sheet", "source_row", "id")
        .values()
    ):
        table.rows.append(
            (
                uploads.get(i["upload_id"], ""),
                i["sheet"],
                i["list_name"],
                i["source_row"],
                i["cell"],
                i["column"],
                ctx.text(i["value"]),
                i["rule"],
                i["severity"],
                ctx.text(i["message"]),
                "yes" if i["row_rejected"] else "no",
            )
        )
    return await ctx.scrubbed(table)


async def concerns_table(ctx: ExportContext) -> Table:
    columns = [
        Column("concern_id", "Concern", "int"),
        Column("child", "Child"),
        Column("audit_id", "Audit", "int"),
        Column("raised_by", "Raised by"),
        Column("raised_at", "Raised at", "datetime"),
        Column("status", "Status"),
        Column("text", "Concern"),
        Column("response", "Response"),
        Column("responded_by", "Responded by"),
        Column("responded_at", "Responded at", "datetime"),
        Column("actions", "Actions"),
    ]
    table = Table(
        "concerns",
        "Concerns",
        "Concerns about children at risk raised during the work, and the authority's response.",
        columns,
    )
    for c in sorted(await visible_concerns(ctx.inspection.id, ctx.viewer), key=lambda c: c.id):
        actions = "; ".join(
            str(a.get("text", a)) if isinstance(a, dict) else str(a) for a in c.actions or []
        )
        table.rows.append(
            (
                c.id,
                ctx.child(c.child_id),
                c.audit_id,
                ctx.user(c.raised_by_id),
                local(c.raised_at),
                c.status,
                ctx.text(c.text),
                ctx.text(c.response),
                ctx.user(c.responded_by.id if c.responded_by else None),
                local(c.responded_at),
                ctx.text(actions),
            )
        )
    return await ctx.scrubbed(table)


NO_JUDGEMENT = "The lead inspector has not written the judgement yet."
FEW_NOTE = "Too few to say much"


async def findings_tables(ctx: ExportContext) -> tuple[Table, Table, Table]:
    """The inspectors' judgement, the summary of the findings and the findings by area and
    outcome, from one computation of the findings (``inspection.audit.findings``): what the
    findings page shows."""
    doc = await ctx.findings()
    return (
        await ctx.scrubbed(judgement_table(ctx, doc)),
        summary_table(ctx, doc),
        framework_table(doc),
    )


def framework_table(doc: dict[str, Any]) -> Table:
    """The findings read by ILACS judgement area, then by national framework outcome
    (``doc["by_framework"]``): each domain that informs one, with its share good or better."""
    table = Table(
        "by_framework",
        "By area and outcome",
        "Every audited domain under the ILACS judgement area it informs, then under the "
        "national framework outcome or enabler it informs, with its share good or better "
        "among the sampled children (95% Wilson interval) and the tracked cases beside it. "
        "Domains are not added together.",
        [
            Column("reading", "Read by"),
            Column("heading", "Area or outcome"),
            Column("instrument", "Instrument"),
            Column("domain", "Domain"),
            Column("graded", "Graded", "int"),
            Column("good", "Good or better", "int"),
            Column("share", "Share good or better", "percent"),
            Column("low", "95% interval from", "percent"),
            Column("high", "95% interval to", "percent"),
            Column("tracked", "Tracked cases graded (in no estimate)", "int"),
            Column("tracked_good", "Tracked cases good or better", "int"),
            Column("few", f"Fewer than {FEW_AUDITS} graded audits"),
        ],
    )
    read = doc["by_framework"]
    for reading, groups in (
        ("ILACS judgement area", read["areas"]),
        ("National framework outcome", read["outcomes"]),
    ):
        for group in groups:
            for d in group["domains"]:
                share = d["good_or_better"]
                table.rows.append(
                    (
                        reading,
                        group["label"],
                        d["rubric_title"],
                        d["title"],
                        share["n"],
                        share["good"],
                        _pct(share["share"]),
                        _pct(share["low"]),
                        _pct(share["high"]),
                        d["tracked"]["n"],
                        d["tracked"]["good"],
                        FEW_NOTE if share["few"] else "",
                    )
                )
    return table


def judgement_table(ctx: ExportContext, doc: dict[str, Any]) -> Table:
    """The judgement the inspectors wrote (``doc["judgement"]``), who wrote it and when."""
    table = Table(
        "judgement",
        "Judgement",
        "The inspectors' summary judgement of this round, as the findings page opens with it.",
        [
            Column("judgement", "Judgement"),
            Column("written_by", "Written by"),
            Column("written_at", "Written at", "datetime"),
        ],
    )
    written = doc["judgement"]
    if written is None:
        table.rows.append((NO_JUDGEMENT, None, None))
    else:
        at = written["written_at"]
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        table.rows.append((ctx.text(written["text"]), written["written_by"] or None, local(at)))
    return table


def summary_table(ctx: ExportContext, doc: dict[str, Any]) -> Table:
    """The audit findings (``doc``, from ``inspection.audit.findings``): grade counts per domain
    and the share good or better with its 95% Wilson interval, raw and design-weighted, and
    whether it rests on too few graded audits to say much."""
    labels: list[str] = []
    for rubric in _ordered_rubrics(ctx):
        labels.extend(g for g in definition_of(rubric).grade_labels.values() if g not in labels)
    for r in doc["rubrics"]:
        for d in r["domains"]:
            labels.extend(g["label"] for g in d["distribution"] if g["label"] not in labels)
    columns = [
        Column("rubric", "Rubric"),
        Column("domain", "Domain"),
        *[Column(f"n:{g}", g, "int") for g in labels],
        Column("graded", "Graded", "int"),
        Column("good", "Good or better", "int"),
        Column("share", "Share good or better", "percent"),
        Column("low", "95% interval from", "percent"),
        Column("high", "95% interval to", "percent"),
        Column("weighted_share", "Weighted estimate (population)", "percent"),
        Column("weighted_low", "Weighted 95% from", "percent"),
        Column("weighted_high", "Weighted 95% to", "percent"),
        Column("effective_n", "Effective sample size", "float"),
        Column("sampled", "Sampled children graded", "int"),
        Column("tracked", "Tracked cases graded (in no estimate)", "int"),
        Column("tracked_good", "Tracked cases good or better", "int"),
        Column("few", f"Fewer than {FEW_AUDITS} graded audits"),
    ]
    table = Table(
        "summary",
        "Summary",
        "The findings: grade distributions of submitted first "
        "markings (agreed grades where moderated), share good or better with 95% "
        "Wilson intervals, and design-weighted estimates, all from the sampled children; the "
        "tracked cases' grades beside them, in no estimate; a share from fewer than "
        f"{FEW_AUDITS} graded audits is marked too few to say much.",
        columns,
    )
    for r in doc["rubrics"]:
        for d in r["domains"]:
            counts = {g["label"]: g["count"] for g in d["distribution"]}
            share = d["good_or_better"]
            table.rows.append(
                (
                    r["rubric"],
                    d["title"],
                    *[counts.get(g, 0) for g in labels],
                    share["n"],
                    share["good"],
                    _pct(share["share"]),
                    _pct(share["low"]),
                    _pct(share["high"]),
                    _pct(share["weighted_share"]),
                    _pct(share["weighted_low"]),
                    _pct(share["weighted_high"]),
                    None if share["effective_n"] is None else round(share["effective_n"], 2),
                    share["sampled"],
                    d["tracked"]["n"],
                    d["tracked"]["good"],
                    FEW_NOTE if share["few"] else "",
                )
            )
    return table


async def all_tables(ctx: ExportContext) -> list[Table]:
    """Every table, in sheet order (after About)."""
    # A module of its own, built on this one's Table and ExportContext.
    from inspection.export.authority_tables import authority_agreement_table, multi_agency_table

    judgement, summary, by_framework = await findings_tables(ctx)
    return [
        judgement,
        summary,
        by_framework,
        await samples_table(ctx),
        await scores_table(ctx),
        await audits_table(ctx),
        await moderation_table(ctx),
        await agreement_table(ctx),
        await authority_agreement_table(ctx),
        await multi_agency_table(ctx),
        await journeys_table(ctx),
        await indicators_table(ctx),
        await conversations_table(ctx),
        await issues_table(ctx),
        await concerns_table(ctx),
    ]


CSV_TABLES = (
    "sample",
    "audits",
    "scores",
    "journeys",
    "indicators",
    "conversations",
    "issues",
)


async def feedback_table(ctx: ExportContext) -> Table:
    """The feedback to practitioners and teams (``feedback.csv``): one row per audit the viewer
    may see, with the child's team and worker, the overall grade and the two feedback fields."""
    columns = [
        Column("audit_id", "Audit", "int"),
        Column("marking", "Marking"),
        Column("status", "Status"),
        Column("team", "Team"),
        Column("worker", "Worker"),
        Column("overall", "Overall grade", "grade"),
        Column("strengths", "Strengths"),
        Column("what_would_make_it_better", "What would make it better"),
    ]
    table = Table(
        "feedback",
        "Feedback",
        "Strengths and what would make it better, per audit, for practitioners and teams.",
        columns,
    )
    audits = await _audits(ctx)
    teams = {
        row["id"]: row
        for row in await Child.filter(
            inspection_id=ctx.inspection.id,
            id__in=sorted({a["child_id"] for a in audits if a["child_id"] is not None}),
        ).values("id", "team", "worker")
    }
    for a in audits:
        child = teams.get(a["child_id"]) or {}
        table.rows.append(
            (
                a["id"],
                marking_cell(a),
                a["status"],
                child.get("team") or "",
                child.get("worker") or "",
                ctx.grade(a["rubric_id"], a["overall"]),
                ctx.text(a["strengths"]),
                ctx.text(a["improvements"]),
            )
        )
    return await ctx.scrubbed(table)


async def about_rows(
    ctx: ExportContext, exported_by: str, exported_at: datetime, tables: list[Table]
) -> list[tuple[str, Any]]:
    """The About sheet: provenance of everything in the export, as (label, value) pairs."""
    insp = ctx.inspection
    rows: list[tuple[str, Any]] = [
        ("Inspection", f"{insp.title} (inspection {insp.id})"),
        ("Local authority", f"{insp.la.name} ({insp.la.code})"),
        ("Kind", str(insp.kind.value if hasattr(insp.kind, "value") else insp.kind)),
        ("Reference date", insp.reference_date),
        ("Inspection created", local(insp.created_at)),
        ("Exported by", exported_by),
        ("Exported at", local(exported_at)),
        (
            "Pseudonymised",
            "yes: child ids are keyed hashes that hold only within this export, "
            "names removed, dates of birth as month and year, postcodes as "
            "district"
            if ctx.pseudonymised
            else "no: contains personal data",
        ),
        ("Audit work shown", shown_to(ctx.viewer)),
        ("", ""),
        ("Data uploads this rests on", ""),
    ]
    for u in (
        await Upload.filter(inspection_id=insp.id)
        .order_by("uploaded_at", "id")
        .values("filename", "sha256", "uploaded_at", "source_kind", "agency", "status")
    ):
        what = u["source_kind"] + (f" ({u['agency']})" if u["agency"] else "")
        rows.append(
            (
                f"Upload: {u['filename']}",
                f"{what}; sha256 {u['sha256']}; loaded "
                f"{local(u['uploaded_at']):%d/%m/%Y %H:%M}; {u['status']}",
            )
        )
    rows += [("", ""), ("Samples", "")]
    for s in (
        await Sample.filter(inspection_id=insp.id)
        .order_by("id")
        .only("id", "purpose", "method", "seed", "population_size", "drawn_at")
    ):
        rows.append(
            (
                f"Sample {s.id}: {s.purpose or s.method}",
                f"method {s.method}; seed {s.seed}; population {s.population_size}; "
                f"drawn {local(s.drawn_at):%d/%m/%Y %H:%M}; verify with: "
                f"inspection sample verify --inspection {insp.id} --sample {s.id}",
            )
        )
    rows += [("", ""), ("Rubrics", "")]
    for r in _ordered_rubrics(ctx):
        rows.append(
            (
                f"Rubric {r.code}",
                f"version {r.version}"
                + (f"; sha256 {r.sha256}" if r.sha256 else "")
                + (f"; {r.title}" if r.title else ""),
            )
        )
    # Linkage's precision and recall as people's settled decisions estimate them.
    rows += [("", ""), ("Linkage accuracy", (await link_accuracy(insp.id)).summary())]
    rows += [("", ""), ("Sheets", "")]
    for t in tables:
        rows.append((t.sheet, f"{t.description} ({len(t.rows)} rows)"))
    rows.append(("", ""))
    rows.append(
        (
            "Note",
            "Text that began with =, +, -, @, a tab or a carriage return is shown "
            "with a leading ' so that it can never run as a formula.",
        )
    )
    return rows
