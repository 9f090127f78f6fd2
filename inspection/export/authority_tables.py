"""The QA workbook's sheets on the authority's own audits: how far its judgements agree with
the inspectors' (``inspection.audit.authority_agreement``), and each multi-agency audit with
its parts and its joint discussion (``inspection.audit.multi_agency``). Both hold only what the
person exporting may see (``ExportContext.seen``)."""

from __future__ import annotations

from inspection.audit.agency import Agency
from inspection.audit.authority_agreement import authority_agreement
from inspection.audit.status import AuditStatus, Marking
from inspection.export.tables import Column, ExportContext, Table
from inspection.models import Audit, JointAudit


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def authority_agreement_table(ctx: ExportContext) -> Table:
    """Per rubric and domain (and overall): the authority's grades against the inspectors'."""
    columns = [
        Column("rubric", "Rubric"),
        Column("domain", "Domain"),
        Column("children", "Children compared", "int"),
        Column("agreed", "Same grade", "int"),
        Column("exact", "Share with the same grade", "percent"),
        Column("within_one", "Within one grade", "int"),
        Column("within_one_share", "Share within one grade", "percent"),
        Column("kappa", "Cohen's kappa (quadratic weights)", "float"),
        Column("authority_better", "Authority graded better", "int"),
        Column("authority_worse", "Authority graded worse", "int"),
        Column("left_out", "Children left out (not applicable)", "int"),
    ]
    table = Table(
        "authority_agreement",
        "Authority and inspectors",
        "How well the authority knows its practice: its own audits of children against the "
        "inspectors' audits of the same children, per domain and overall.",
        columns,
    )
    doc = await authority_agreement(ctx.inspection.id, ctx.viewer, ctx.seen)
    for r in doc["rubrics"]:
        for d in r["domains"]:
            table.rows.append(
                (
                    r["rubric"],
                    d["title"],
                    d["pairs"],
                    d["agreed"],
                    _share(d["exact"]),
                    d["within_one"],
                    _share(d["within_one_share"]),
                    _share(d["kappa"]),
                    d["authority_better"],
                    d["authority_worse"],
                    d["left_out"],
                )
            )
    return table


async def multi_agency_table(ctx: ExportContext) -> Table:
    """One row per agency's part of each multi-agency audit: its auditor and status, its overall
    grade where the viewer may see the part, and the joint discussion where they may see it."""
    columns = [
        Column("child", "Child"),
        Column("agency", "Agency"),
        Column("auditor", "Auditor"),
        Column("status", "Status"),
        Column("overall", "Agency's overall grade", "grade"),
        Column("discussed_on", "Joint discussion", "date"),
        Column("agreed_overall", "Agreed overall grade", "grade"),
        Column("disagreements", "Where they disagreed"),
    ]
    table = Table(
        "multi_agency",
        "Multi-agency audits",
        "Each agency's part of each multi-agency audit, and what the joint discussion agreed.",
        columns,
    )
    joints = (
        await JointAudit.filter(inspection_id=ctx.inspection.id)
        .order_by("id")
        .select_related("member")
    )
    audits = await Audit.filter(
        inspection_id=ctx.inspection.id,
        member_id__in=[j.member_id for j in joints],
        marking__in=[Marking.PART, Marking.AUTHORITY],
    ).values("id", "member_id", "marking", "agency", "auditor_id", "status", "overall", "child_id")
    for j in joints:
        mine = [a for a in audits if a["member_id"] == j.member_id]
        concluded = next((a for a in mine if a["marking"] == Marking.AUTHORITY), None)
        shown = concluded is not None and concluded["id"] in ctx.seen
        rubric_id = j.rubric_id  # type: ignore[attr-defined]
        child_id = j.member.child_id
        for value in j.agencies:
            part = next((a for a in mine if a["agency"] == value), None)
            seen = part is not None and part["id"] in ctx.seen
            table.rows.append(
                (
                    ctx.child(child_id),
                    Agency(value).label,
                    ctx.user(part["auditor_id"]) if part else "",
                    AuditStatus(part["status"]).label if part else "Not started",
                    ctx.grade(rubric_id, part["overall"]) if part and seen else "",
                    j.discussed_on if shown else None,
                    ctx.grade(rubric_id, concluded["overall"]) if shown and concluded else "",
                    ctx.text(j.disagreements) if shown else "",
                )
            )
    return await ctx.scrubbed(table)
