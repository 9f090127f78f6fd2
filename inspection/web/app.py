"""``create_app(settings)``: everything configured through the Starlette constructor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise

from inspection.db import DATABASE_DOWN, UNAVAILABLE_MESSAGE, database_down
from inspection.settings import Settings
from inspection.web.routes import all_routes
from inspection.web.security import SecurityMiddleware
from inspection.web.sessions import SessionMiddleware
from inspection.web.templating import is_htmx, templates

STATIC_DIR = Path(__file__).parent / "static"

_MESSAGES = {
    401: "Sign in to continue.",
    403: "You cannot do that.",
    404: "Page not found.",
    405: "That action is not allowed here.",
    413: "The file is too large.",
}


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = _MESSAGES.get(exc.status_code, exc.detail)
    if is_htmx(request) or "text/html" not in request.headers.get("accept", ""):
        return PlainTextResponse(message, status_code=exc.status_code)
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "user": getattr(request.state, "user", None),
            "status": exc.status_code,
            "message": message,
        },
        status_code=exc.status_code,
    )


async def database_error(request: Request, exc: Exception) -> Response:
    """503 only when the database is not answering; any other database error is a defect and
    goes on to the server's error handling (500, logged with its traceback)."""
    if not database_down(exc):
        raise exc
    return PlainTextResponse(UNAVAILABLE_MESSAGE, status_code=503)


def create_app(settings: Settings, manage_database: bool = True) -> Starlette:
    """The app. ``manage_database=False`` leaves the ORM to the caller (tests)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        async with RegisterTortoise(app, config=settings.tortoise_config()):
            yield

    app = Starlette(
        routes=[*all_routes(), Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")],
        middleware=[
            Middleware(SecurityMiddleware, https=settings.https),
            Middleware(SessionMiddleware, settings=settings),
        ],
        exception_handlers={
            HTTPException: http_error,
            **dict.fromkeys(DATABASE_DOWN, database_error),
        },
        lifespan=lifespan,
        max_body_size=settings.max_upload_bytes,
    )
    app.state.settings = settings
    return app
