"""Server-side sessions: the cookie carries a random id, the database holds the rest.

Sessions end after ``session_idle_minutes`` without a request, after ``session_max_hours``
in all, and on logout; a new id is issued at every sign-in.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from tortoise.expressions import F

from inspection.db import DATABASE_DOWN, UNAVAILABLE_MESSAGE, database_down
from inspection.models import Session, User
from inspection.settings import Settings

COOKIE_NAME = "inspection_session"
PUBLIC_PATHS = ("/login", "/health", "/static/", "/invitations/")
# Refresh last_seen_at at most this often, to spare the database a write per request.
_TOUCH_INTERVAL = timedelta(seconds=30)


def client_ip(scope: Scope) -> str:
    """The client's address: the connecting peer's, or the one a trusted proxy forwarded
    (``inspection.web.app.middleware``), cut to the length the tables keep."""
    client = scope.get("client")
    return str(client[0])[:64] if client else ""


async def start_session(request: Request, user: User) -> str:
    """A new session for ``user``; any session the browser held before is ended."""
    old = request.cookies.get(COOKIE_NAME)
    if old:
        await Session.filter(id=old).delete()
    now = datetime.now(UTC)
    session = await Session.create(
        id=secrets.token_urlsafe(32),
        user=user,
        created_at=now,
        last_seen_at=now,
        ip=client_ip(request.scope),
    )
    return session.id


async def end_session(request: Request) -> None:
    sid = request.cookies.get(COOKIE_NAME)
    if sid:
        await Session.filter(id=sid).delete()


def set_session_cookie(response: Response, session_id: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE_NAME,
        session_id,
        httponly=True,
        secure=settings.https,
        samesite="lax",
        path="/",
        max_age=settings.session_max_hours * 3600,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", httponly=True, secure=settings.https, samesite="lax"
    )


async def user_for_session(session_id: str, settings: Settings) -> User | None:
    # One query: the user with their session's times (a join, not a second round trip).
    user = (
        await User.filter(sessions__id=session_id)
        .annotate(
            session_seen=F("sessions__last_seen_at"), session_started=F("sessions__created_at")
        )
        .first()
    )
    if user is None:
        return None
    now = datetime.now(UTC)
    idle = now - _aware(getattr(user, "session_seen"))  # noqa: B009 (an annotation)
    age = now - _aware(getattr(user, "session_started"))  # noqa: B009
    if (
        idle > timedelta(minutes=settings.session_idle_minutes)
        or age > timedelta(hours=settings.session_max_hours)
        or not user.active
    ):
        await Session.filter(id=session_id).delete()
        return None
    if idle > _TOUCH_INTERVAL:
        await Session.filter(id=session_id).update(last_seen_at=now)
    return user


def _aware(moment: datetime | str) -> datetime:
    """A session time as the database gave it back, in UTC."""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SessionMiddleware:
    """Puts the signed-in user on ``request.state.user``; refuses anonymous requests."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        user = None
        cookie = Request(scope).cookies.get(COOKIE_NAME)
        if cookie:
            try:
                user = await user_for_session(cookie, self.settings)
            except DATABASE_DOWN as exc:
                if not database_down(exc):
                    raise
                unavailable = Response(UNAVAILABLE_MESSAGE, status_code=503)
                await unavailable(scope, receive, send)
                return
        scope.setdefault("state", {})["user"] = user
        if user is None and not path.startswith(PUBLIC_PATHS):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        response: Response
        if scope["method"] == "GET" and "text/html" in headers.get("accept", ""):
            response = RedirectResponse("/login", status_code=303)
        elif headers.get("hx-request") == "true":
            response = Response(
                "Your session has ended. Sign in again.",
                status_code=401,
                headers={"HX-Redirect": "/login"},
            )
        else:
            response = Response("Sign in first.", status_code=401)
        await response(scope, receive, send)
