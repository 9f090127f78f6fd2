"""The self-evaluation: what an authority tells Ofsted at its annual engagement, in the three
questions it answers, drawn from this round's evidence.

1. What do you know about the quality and impact of practice? The inspectors' judgement where
   written; each domain's share of sampled children whose help was good or better, with its 95%
   interval and how many children stand behind it (``inspection.audit.findings``); and what the
   re-audits found after the actions.
2. How do you know it? How many children were audited, how they were chosen (a random sample,
   tracked cases), on which instrument, and how many were audited again.
3. What are your plans? The actions (``inspection.learning.actions``): each open one with its
   owner and due date, overdue ones said so, and those done with their evidence.

Each source of evidence is one function of ``SOURCES`` that turns the round's evidence into
statements under the three questions; a new kind of evidence (conversations with children,
families and practitioners, say) is one more source appended to ``SOURCES``, and the page, the
workbook sheet, the CSV file and the command line show its statements with no other change.
Everything is computed from what the viewer may see, and no statement names a child.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from inspection.audit.findings import findings
from inspection.audit.visibility import Viewer
from inspection.learning.actions import ActionView, actions_of, uk_today
from inspection.learning.reaudit import BeforeAfter, before_after
from inspection.learning.status import ActionStatus

KNOW = "know"
HOW = "how"
PLANS = "plans"
QUESTIONS = {
    KNOW: "What do you know about the quality and impact of practice?",
    HOW: "How do you know it?",
    PLANS: "What are your plans?",
}


@dataclass(frozen=True)
class Statement:
    """One thing the self-evaluation says, under one question, from one source; a figure
    carries its share, 95% interval and the number of graded children behind it."""

    question: str  # KNOW, HOW or PLANS
    source: str
    topic: str
    text: str
    share: float | None = None
    low: float | None = None
    high: float | None = None
    graded: int | None = None


@dataclass
class Evidence:
    """The round's evidence as the viewer may see it, read once for every source."""

    inspection_id: int
    viewer: Viewer
    today: date
    findings: dict[str, Any]
    actions: list[ActionView]
    reaudits: list[BeforeAfter]
    extra: dict[str, Any] = field(default_factory=dict)  # what a later source reads for itself


Source = Callable[[Evidence], Awaitable[list[Statement]]]


def _pct(value: float | None) -> str:
    return "" if value is None else f"{round(value * 100)}%"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


async def judgement_statements(ev: Evidence) -> list[Statement]:
    written = ev.findings["judgement"]
    if written is None:
        return []
    return [Statement(KNOW, "Inspectors' judgement", "The round as a whole", written["text"])]


async def findings_statements(ev: Evidence) -> list[Statement]:
    out = []
    for rubric in ev.findings["rubrics"]:
        for d in rubric["domains"]:
            share = d["good_or_better"]
            if not share["n"]:
                text = "No sampled child's help has been graded in this domain yet."
            else:
                text = (
                    f"{share['good']} of {share['n']} sampled children's help was good or better "
                    f"({_pct(share['share'])}; 95% interval {_pct(share['low'])} to "
                    f"{_pct(share['high'])})."
                )
                if share["few"]:
                    text += " Too few children to say much."
            out.append(
                Statement(
                    KNOW,
                    "Audit findings",
                    f"{rubric['title']}: {d['title']}",
                    text,
                    share["share"],
                    share["low"],
                    share["high"],
                    share["n"],
                )
            )
    return out


async def method_statements(ev: Evidence) -> list[Statement]:
    doc = ev.findings
    sampled, tracked = doc["children"]["sampled"], doc["children"]["tracked"]
    instruments = ", ".join(r["title"] for r in doc["rubrics"]) or "no instrument yet"
    return [
        Statement(
            HOW,
            "Case audits",
            "Children audited",
            f"{sampled} children drawn at random from a recorded seed were audited, and "
            f"{tracked} tracked cases chosen on purpose (in no estimate), on: {instruments}.",
        )
    ]


async def reaudit_statements(ev: Evidence) -> list[Statement]:
    if not ev.reaudits:
        return []
    compared = [r for r in ev.reaudits if r.later is not None and r.later.visible]
    changes = [next((d.change for d in r.domains if d.key == "overall"), "") for r in compared]
    counts = {c: changes.count(c) for c in ("Better", "The same", "Worse")}
    return [
        Statement(
            HOW,
            "Re-audits",
            "Children audited again",
            f"{_count(len(ev.reaudits), 'child', 'children')} to be audited again after the "
            f"actions, each for a recorded reason; {len(compared)} audited again so far.",
        ),
        Statement(
            KNOW,
            "Re-audits",
            "After the actions",
            f"Of {_count(len(compared), 'child', 'children')} audited again, the overall grade "
            f"was better for {counts['Better']}, the same for {counts['The same']} and worse "
            f"for {counts['Worse']}.",
        ),
    ]


def _topic(a: ActionView) -> str:
    return a.domain_title or a.origin_label


async def action_statements(ev: Evidence) -> list[Statement]:
    actions = ev.actions
    open_ = [a for a in actions if a.status == ActionStatus.OPEN]
    done = [a for a in actions if a.status == ActionStatus.DONE]
    dropped = [a for a in actions if a.status == ActionStatus.DROPPED]
    overdue = [a for a in open_ if a.overdue]
    out = [
        Statement(
            PLANS,
            "Actions",
            "All actions",
            f"{_count(len(open_), 'action', 'actions')} open ({len(overdue)} overdue), "
            f"{len(done)} done, {len(dropped)} dropped.",
        )
    ]
    for a in open_:
        late = " Overdue." if a.overdue else ""
        out.append(
            Statement(
                PLANS, "Actions", _topic(a), f"{a.what} Owner: {a.owner}; due {_day(a.due)}.{late}"
            )
        )
    for a in done:
        when = _day(a.done_on) if a.done_on else ""
        out.append(
            Statement(
                PLANS,
                "Actions",
                _topic(a),
                f"Done: {a.what} Evidence: {a.evidence} ({when}, confirmed by {a.closed_by}).",
            )
        )
    return out


SOURCES: list[Source] = [
    judgement_statements,
    findings_statements,
    method_statements,
    reaudit_statements,
    action_statements,
]


async def self_evaluation(
    inspection_id: int,
    viewer: Viewer,
    *,
    today: date | None = None,
    found: dict[str, Any] | None = None,
) -> list[Statement]:
    """Every statement of the self-evaluation, question by question (know, how, plans), each
    question's statements in the order of ``SOURCES``; ``found``: the viewer's findings where
    the caller has them already (an export drawing other tables from them)."""
    today = today or uk_today()
    evidence = Evidence(
        inspection_id,
        viewer,
        today,
        found
        if found is not None
        else await findings(inspection_id, viewer, with_indicators=False),
        await actions_of(inspection_id, viewer, today=today, child_name=lambda _: ""),
        await before_after(inspection_id, viewer),
    )
    statements = [s for source in SOURCES for s in await source(evidence)]
    order = list(QUESTIONS)
    return sorted(statements, key=lambda s: order.index(s.question))
