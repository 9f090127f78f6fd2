"""The learning loop's tables: the actions and the self-evaluation, as the workbook's sheets and
the CSV files hold them (``inspection.learning``: the same functions the pages and the command
line show)."""

from __future__ import annotations

from inspection.export.tables import Column, ExportContext, Table, local
from inspection.learning.actions import actions_of
from inspection.learning.self_evaluation import QUESTIONS, self_evaluation


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def actions_table(ctx: ExportContext) -> Table:
    """Every action the person exporting may see, overdue first."""
    table = Table(
        "actions",
        "Actions",
        "Actions from the audits and the findings: what, who owns it, by when, where it "
        "stands, and the evidence that it was done.",
        [
            Column("action_id", "Action", "int"),
            Column("origin", "From"),
            Column("what", "What must be done"),
            Column("owner", "Owner"),
            Column("due", "Due by", "date"),
            Column("status", "Status"),
            Column("overdue", "Overdue"),
            Column("child", "Child"),
            Column("audit_id", "Audit", "int"),
            Column("domain", "Domain"),
            Column("evidence", "Evidence that it was done"),
            Column("done_on", "Done on", "date"),
            Column("closed_by", "Confirmed or dropped by"),
            Column("closed_at", "Closed at", "datetime"),
            Column("drop_reason", "Why it was dropped"),
            Column("created_by", "Recorded by"),
            Column("created_at", "Recorded at", "datetime"),
        ],
    )
    for a in await actions_of(ctx.inspection.id, ctx.viewer, child_name=ctx.child):
        table.rows.append(
            (
                a.id,
                a.origin_label,
                ctx.text(a.what),
                a.owner,
                a.due,
                a.status_label,
                "yes" if a.overdue else "no",
                a.child,
                a.audit_id,
                a.domain_title,
                ctx.text(a.evidence),
                a.done_on,
                a.closed_by,
                local(a.closed_at),
                ctx.text(a.drop_reason),
                a.created_by,
                local(a.created_at),
            )
        )
    return await ctx.scrubbed(table)


async def self_evaluation_table(ctx: ExportContext) -> Table:
    """The self-evaluation: each statement under the question it answers, with its figure."""
    table = Table(
        "self_evaluation",
        "Self-evaluation",
        "What you know about the quality and impact of practice, how you know it, and your "
        "plans: drawn from the findings, the re-audits and the actions.",
        [
            Column("question", "Question"),
            Column("source", "Source"),
            Column("topic", "About"),
            Column("statement", "What the evidence says"),
            Column("share", "Share good or better", "percent"),
            Column("low", "95% interval from", "percent"),
            Column("high", "95% interval to", "percent"),
            Column("graded", "Children graded", "int"),
        ],
    )
    for s in await self_evaluation(ctx.inspection.id, ctx.viewer, found=await ctx.findings()):
        table.rows.append(
            (
                QUESTIONS[s.question],
                s.source,
                s.topic,
                ctx.text(s.text),
                _pct(s.share),
                _pct(s.low),
                _pct(s.high),
                s.graded,
            )
        )
    return await ctx.scrubbed(table)


LEARNING_TABLES = ("actions", "self_evaluation")


async def learning_tables(ctx: ExportContext) -> list[Table]:
    """The learning loop's tables, in sheet order (after the tables of ``all_tables``)."""
    return [await actions_table(ctx), await self_evaluation_table(ctx)]
