"""Jinja2 templates and rendering of a full page or, for htmx, just its fragment."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from inspection.access_log import action_label
from inspection.audit.agency import marking_title
from inspection.audit.status import AuditStatus, ConcernStatus, Marking
from inspection.evidence.codes import sex_label
from inspection.evidence.labels import (
    list_label,
    rule_label,
    source_kind_label,
    upload_status_label,
)
from inspection.journey import kinds
from inspection.journey.profile import display_name
from inspection.models.core import Role
from inspection.overview import NAVIGATION_PARENT, SECTION_TITLES, Section, sections_for
from inspection.sampling.service import sample_name
from inspection.sampling.verify import method_label
from inspection.uk_time import uk_datetime

TEMPLATES_DIR = Path(__file__).parent / "templates"

# The templates are part of the installed code: read once per process, not checked on disk at
# every page (Jinja's ``auto_reload``); a changed template takes effect when the server restarts.
templates = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=jinja2.select_autoescape(),
        auto_reload=False,
    )
)


def _date(value: date | datetime | str | None, fmt: str = "%d/%m/%Y") -> str:
    """A date (or a stored ISO timestamp) as dd/mm/yyyy, or ``fmt``; a time in UK time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return uk_datetime(value, fmt)
    return value.strftime(fmt)


def _grade_class(grade: str | None) -> str:
    if not grade:
        return ""
    key = grade.lower()
    if key.startswith("outstanding"):
        return "app-grade--outstanding"
    if key.startswith("good"):
        return "app-grade--good"
    if key.startswith("requires"):
        return "app-grade--requires-improvement"
    if key.startswith("inadequate"):
        return "app-grade--inadequate"
    return ""


def _table_name(name: str | None) -> str:
    """A table read from a file: an Annex A list by its title, an agency extract's table by
    its agency."""
    return kinds.AGENCY_LABELS.get(name or "", list_label(name or ""))


def _sheet_name(name: str | None) -> str:
    """A sheet as the file names it; an agency extract's table by its agency."""
    return kinds.AGENCY_LABELS.get(name or "", name or "")


def _rule_name(rule: str) -> str:
    return rule_label(rule).name


def _short_hash(value: str | None) -> str:
    """The first 8 characters of a hash: enough to compare by eye, the whole is in the exports."""
    return f"{value[:8]}…" if value else ""


def _sample_name(sample: Any) -> str:
    """A sample (a model or a dict with ``purpose`` and ``drawn_at``) by its name."""
    if isinstance(sample, dict):
        return sample_name(sample.get("purpose") or "", sample["drawn_at"])
    return sample_name(sample.purpose or "", sample.drawn_at)


def _child_name(child: Any) -> str:
    """A child (a model or a dict) by name, else by the authority's id and date of birth."""
    if child is None:
        return "A child no longer in the records"
    get = child.get if isinstance(child, dict) else lambda k: getattr(child, k, None)
    return display_name(get("given_name"), get("family_name"), get("la_child_id"), get("dob"))


templates.env.filters["uk_date"] = _date
templates.env.filters["marking_label"] = lambda marking: Marking(marking).label
templates.env.filters["audit_status_label"] = lambda status: AuditStatus(status).label
templates.env.filters["concern_status_label"] = lambda status: ConcernStatus(status).label
templates.env.filters["sample_name"] = _sample_name
templates.env.filters["child_name"] = _child_name
templates.env.filters["short_hash"] = _short_hash
templates.env.filters["agency_label"] = kinds.agency_label
templates.env.filters["kind_label"] = kinds.label
templates.env.filters["action_label"] = action_label
templates.env.filters["source_kind_label"] = source_kind_label
templates.env.filters["upload_status_label"] = upload_status_label
templates.env.filters["sex_label"] = sex_label
templates.env.filters["method_label"] = method_label
templates.env.filters["table_name"] = _table_name
templates.env.filters["sheet_name"] = _sheet_name
templates.env.filters["rule_name"] = _rule_name
templates.env.filters["grade_class"] = _grade_class
templates.env.filters["marking_title"] = lambda audit: marking_title(audit.marking, audit.agency)


def inspection_navigation(request: Request, role: Role) -> dict[str, Any]:
    """The service navigation inside an inspection (the sections ``role`` may open, the current
    one marked) and the breadcrumbs of the page at ``request``'s path."""
    parts = request.url.path.strip("/").split("/")
    base = "/" + "/".join(parts[:2])
    try:
        current = Section(parts[2] if len(parts) > 2 else "")
    except ValueError:
        current = Section.OVERVIEW
    deeper = len(parts) > 3 and current is not Section.OVERVIEW
    return {
        "links": [
            {
                "title": SECTION_TITLES[s],
                "href": f"{base}/{s.value}" if s.value else base,
                "current": s is NAVIGATION_PARENT.get(current, current),
            }
            for s in sections_for(role)
        ],
        "section": {"title": SECTION_TITLES[current], "href": f"{base}/{current.value}"},
        "at_overview": current is Section.OVERVIEW and len(parts) == 2,
        "deeper": deeper,
        "base": base,
    }


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    fragment: str | None = None,
    status_code: int = 200,
) -> Response:
    """The full ``page``, or ``fragment`` alone when htmx asks; one URL, so ``Vary: HX-Request``."""
    name = fragment if fragment and is_htmx(request) else page
    context = {"user": getattr(request.state, "user", None), **context}
    role = getattr(request.state, "role", None)
    if role is not None and "inspection" in context and "inspection_nav" not in context:
        context["inspection_nav"] = inspection_navigation(request, role)
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if fragment:
        response.headers["Vary"] = "HX-Request"
    return response
