"""The app as an import string for uvicorn's workers: ``inspection.web.asgi:app`` (a factory).

Each worker process imports this module and calls ``app()``, which reads the settings from the
environment (``INSPECTION_DATABASE_URL``, ``INSPECTION_DATA_DIR``, ...) exactly as
``inspection serve`` does.
"""

from __future__ import annotations

from starlette.applications import Starlette

from inspection import settings
from inspection.web.app import create_app


def app() -> Starlette:
    return create_app(settings.load())
