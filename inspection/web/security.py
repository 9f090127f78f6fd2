"""Cross-origin protection and security headers, as one pure ASGI middleware."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


def is_cross_origin(scope: Scope) -> bool:
    """True when a state-changing request did not come from this site's own pages.

    Browsers send ``Sec-Fetch-Site``; older ones send ``Origin``. A request with neither
    (a script, curl) is not a browser's cross-site request and is allowed.
    """
    headers = Headers(scope=scope)
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site not in {"same-origin", "none"}
    origin = headers.get("origin")
    if origin is None:
        return False
    host = headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") != host


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = scope["path"].startswith("/static/")
        if scope["method"] not in SAFE_METHODS and is_cross_origin(scope):
            response = PlainTextResponse("Cross-origin request refused.", status_code=403)
            await response(scope, receive, self._with_headers(send, cacheable))
            return
        await self.app(scope, receive, self._with_headers(send, cacheable))

    def _with_headers(self, send: Send, cacheable: bool) -> Send:
        https = self.https

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name not in present:
                        headers.append((name, value))
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if not cacheable and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        return send_wrapper
