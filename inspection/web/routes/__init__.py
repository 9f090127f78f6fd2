"""Every route of the app, gathered from one module per area."""

from __future__ import annotations

import importlib

from starlette.routing import BaseRoute

import inspection.web.params  # noqa: F401  (registers the {name:id} path convertor first)

AREA_MODULES = [
    "inspection.web.routes.health",
    "inspection.web.routes.account",
    "inspection.web.routes.inspections",
    "inspection.web.routes.evidence",
    "inspection.web.routes.journeys",
    "inspection.web.routes.sampling",
    "inspection.web.routes.tracking",
    "inspection.web.routes.audits",
    "inspection.web.routes.conversations",
    "inspection.web.routes.multi_agency",
    "inspection.web.routes.findings",
    "inspection.web.routes.instruments",
    "inspection.web.routes.programmes",
    "inspection.web.routes.learning",
    "inspection.web.routes.admin",
    "inspection.web.routes.people",
    "inspection.web.routes.exports",
]


def all_routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in AREA_MODULES:
        routes.extend(importlib.import_module(name).routes)
    return routes
