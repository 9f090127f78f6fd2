"""The findings: the inspectors' judgement first, then every domain's grades in one chart, then
the detail; the page where a lead writes the judgement; the audits behind a figure."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.audit.definition import OVERALL, definition_of
from inspection.audit.findings import findings
from inspection.audit.judgement import MAX_LENGTH, JudgementError, write_judgement
from inspection.audit.status import AuditStatus, Marking
from inspection.audit.visibility import Viewer, visible_audits
from inspection.export.workbook import CHART_COLOURS
from inspection.learning.reaudit import before_after
from inspection.models import Audit
from inspection.sampling.service import samples_of
from inspection.web.access import EDITORS, LEADS, READERS, current_user, log_children_shown
from inspection.web.access import require_inspection as require
from inspection.web.params import form_text, query_id, query_ids, query_text
from inspection.web.templating import render

# A segment narrower than this share of its bar has no number written inside it (the table
# under the chart has every number).
LABELLED_FROM = 0.07
SAVED = "The inspectors’ judgement has been saved"


def ink_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour`` (hex, WCAG relative luminance)."""

    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (0, 2, 4))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#0b0c0c" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def grade_key(scale: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rubric's grades, best first, each with its colour (the workbook chart's colours)."""
    return [
        {
            "value": g["value"],
            "label": g["label"],
            "fill": "#" + CHART_COLOURS[i % len(CHART_COLOURS)],
            "ink": ink_on(CHART_COLOURS[i % len(CHART_COLOURS)]),
        }
        for i, g in enumerate(scale)
    ]


def headline(rubric: dict[str, Any]) -> dict[str, Any]:
    """One stacked bar per domain (the overall grade left out): each grade's share of the
    domain's graded audits, in the grade's colour, with the numbers for the table."""
    key = grade_key(rubric["scale"])
    na = rubric["not_applicable"]
    bars = []
    for d in rubric["domains"]:
        if d["domain"] == OVERALL:
            continue
        counts = {g["grade"]: g for g in d["distribution"]}
        graded = sum(counts[k["value"]]["count"] for k in key if k["value"] in counts)
        start = 0.0
        segments = []
        for k in key:
            found = counts.get(k["value"], {"count": 0, "audit_ids": []})
            share = found["count"] / graded if graded else 0.0
            segments.append(
                {
                    **k,
                    "count": found["count"],
                    "audit_ids": found["audit_ids"],
                    "x": round(start * 100, 2),
                    "width": round(share * 100, 2),
                    "middle": round((start + share / 2) * 100, 2),
                    "labelled": share >= LABELLED_FROM,
                }
            )
            start += share
        not_applicable = counts.get(na, {"count": 0, "audit_ids": []}) if na else None
        bars.append(
            {
                "domain": d["domain"],
                "title": d["title"],
                "segments": segments,
                "graded": graded,
                "not_applicable": not_applicable,
                "good_or_better": d["good_or_better"],
            }
        )
    return {"key": key, "bars": bars, "has_not_applicable": na is not None}


def _trace(inspection_id: int, ids: list[int]) -> str:
    return f"/inspections/{inspection_id}/findings/audits?ids={','.join(map(str, ids))}"


async def findings_page(request: Request) -> Response:
    inspection, role = await require(request, READERS)
    user = current_user(request)
    sample_id = query_id(request, "sample")
    doc = await findings(inspection.id, Viewer(user, role), sample_id)
    rubrics = []
    for r in doc["rubrics"]:
        rubrics.append(
            {
                **r,
                "headline": headline(r),
                "domain_shares": [d for d in r["domains"] if d["domain"] != OVERALL],
                "overall": next((d for d in r["domains"] if d["domain"] == OVERALL), None),
            }
        )
    samples = await samples_of(inspection.id)
    reaudits = await before_after(inspection.id, Viewer(user, role))
    await log_children_shown(
        request, "view-reaudits", inspection.id, [r.child_id for r in reaudits]
    )
    return render(
        request,
        "findings.html",
        {
            "inspection": inspection,
            "role": role,
            "doc": doc,
            "rubrics": rubrics,
            "samples": samples,
            "sample_id": sample_id,
            "trace": _trace,
            "may_write": role in LEADS,
            "reaudits": reaudits,
            "banner": SAVED if query_text(request, "saved") == "judgement" else "",
        },
    )


async def judgement_page(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    return render(
        request,
        "findings_judgement.html",
        {
            "inspection": inspection,
            "role": role,
            "text": inspection.judgement,
            "errors": {},
            "max_length": MAX_LENGTH,
        },
    )


async def save_judgement(request: Request) -> Response:
    inspection, role = await require(request, LEADS)
    form = await request.form()
    text = form_text(form, "judgement")
    try:
        await write_judgement(inspection.id, text, current_user(request))
    except JudgementError as exc:
        return render(
            request,
            "findings_judgement.html",
            {
                "inspection": inspection,
                "role": role,
                "text": text,
                "errors": {"judgement": str(exc)},
                "max_length": MAX_LENGTH,
            },
            status_code=400,
        )
    return RedirectResponse(f"/inspections/{inspection.id}/findings?saved=judgement", 303)


async def findings_audits(request: Request) -> Response:
    """The audits one figure came from, of those the user may see."""
    inspection, role = await require(request, READERS)
    ids = query_ids(request, "ids")
    seen = await visible_audits(inspection.id, Viewer(current_user(request), role))
    audits = list(
        await Audit.filter(
            inspection_id=inspection.id,
            id__in=sorted(seen.intersection(ids)),
            marking=Marking.FIRST,
            status=AuditStatus.SUBMITTED,
        )
        .prefetch_related("member", "rubric")
        .order_by("id")
    )
    rows = [
        {
            "audit": a,
            "overall": definition_of(a.rubric).grade_labels.get(a.overall, a.overall),
            "stratum": a.member.stratum if a.member else "",
        }
        for a in audits
    ]
    return render(
        request,
        "findings_audits.html",
        {"inspection": inspection, "role": role, "rows": rows, "can_open": role in EDITORS},
    )


_P = "/inspections/{inspection_id:id}"
routes = [
    Route(f"{_P}/findings", findings_page, methods=["GET"]),
    Route(f"{_P}/findings/judgement", judgement_page, methods=["GET"]),
    Route(f"{_P}/findings/judgement", save_judgement, methods=["POST"]),
    Route(f"{_P}/findings/audits", findings_audits, methods=["GET"]),
]
