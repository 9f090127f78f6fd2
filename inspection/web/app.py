"""``create_app(settings)``: everything configured through the Starlette constructor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from tortoise.contrib.starlette import RegisterTortoise
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from inspection.db import DATABASE_DOWN, UNAVAILABLE_MESSAGE, database_down
from inspection.jobs.worker import InProcessWorker
from inspection.settings import Settings
from inspection.upkeep import upkeep
from inspection.web.routes import all_routes
from inspection.web.security import SecurityMiddleware
from inspection.web.sessions import SessionMiddleware
from inspection.web.templating import is_htmx, templates

STATIC_DIR = Path(__file__).parent / "static"
UPKEEP_INTERVAL_SECONDS = 600
log = logging.getLogger(__name__)

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


async def _keep_up(settings: Settings) -> None:
    """Upkeep at start and every ``UPKEEP_INTERVAL_SECONDS``; a failed round is logged and
    the next one runs on time."""
    while True:
        try:
            report = await upkeep(settings)
            if report.incoming_files or report.purged_files or report.exports:
                log.info("upkeep removed %s", report)
        except Exception:
            log.exception("upkeep failed; trying again in %s s", UPKEEP_INTERVAL_SECONDS)
        await asyncio.sleep(UPKEEP_INTERVAL_SECONDS)


def middleware(settings: Settings) -> list[Middleware]:
    """Outermost first. The forwarded client address is taken only from a request that comes
    from a trusted proxy, before anything reads the address (the throttle, the access log);
    with no trusted proxy the forwarding headers are never read. The security headers wrap
    everything, the refusal of an unknown host included."""
    stack = []
    if settings.trusted_proxies:
        stack.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
        )
    return [
        *stack,
        Middleware(SecurityMiddleware, https=settings.https),
        Middleware(
            TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts), www_redirect=False
        ),
        Middleware(SessionMiddleware, settings=settings),
    ]


def create_app(settings: Settings, manage_database: bool = True) -> Starlette:
    """The app. ``manage_database=False`` leaves the ORM to the caller (tests)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if not manage_database:
            yield
            return
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        async with RegisterTortoise(app, config=settings.tortoise_config()):
            task = asyncio.create_task(_keep_up(settings))
            stop = asyncio.Event()
            worker = app.state.jobs
            working = asyncio.create_task(worker.serve(stop)) if worker else None
            try:
                yield
            finally:
                stop.set()
                if working is not None:
                    # A job running now is left to end with its lease (and be said so).
                    working.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await working
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app = Starlette(
        routes=[*all_routes(), Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")],
        middleware=middleware(settings),
        exception_handlers={
            HTTPException: http_error,
            **dict.fromkeys(DATABASE_DOWN, database_error),
        },
        lifespan=lifespan,
        max_body_size=settings.max_upload_bytes,
    )
    app.state.settings = settings
    # The job worker inside this process (``serve --no-worker`` leaves jobs to
    # ``inspection worker``): woken by the jobs enqueued here and, once the app has started,
    # looking for others every second.
    app.state.jobs = InProcessWorker(settings) if settings.in_process_worker else None
    return app
