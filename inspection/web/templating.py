"""Jinja2 templates and rendering of a full page or, for htmx, just its fragment."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

TEMPLATES_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))


def _date(value: date | datetime | None, fmt: str = "%d/%m/%Y") -> str:
    if value is None:
        return ""
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


templates.env.filters["uk_date"] = _date
templates.env.filters["grade_class"] = _grade_class


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
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    if fragment:
        response.headers["Vary"] = "HX-Request"
    return response
