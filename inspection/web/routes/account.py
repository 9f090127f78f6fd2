"""Signing in and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from inspection.accounts import authenticate, email_fits, email_too_long
from inspection.web.access import log_access
from inspection.web.params import form_text
from inspection.web.sessions import (
    clear_session_cookie,
    client_ip,
    end_session,
    set_session_cookie,
    start_session,
)
from inspection.web.templating import render

SIGN_IN_FAILED = "Enter a correct e-mail address and password."


async def login_page(request: Request) -> Response:
    if request.state.user is not None:
        return RedirectResponse("/inspections", status_code=303)
    password_set = request.query_params.get("password") == "set"
    return render(request, "login.html", {"error": None, "email": "", "password_set": password_set})


async def login(request: Request) -> Response:
    settings = request.app.state.settings
    form = await request.form()
    email = form_text(form, "email")
    password = form_text(form, "password")
    if not email_fits(email):  # nobody's address: refused before the database, not an attempt
        return render(
            request, "login.html", {"error": email_too_long(), "email": email}, status_code=400
        )
    user = await authenticate(
        email,
        password,
        client_ip(request.scope),
        settings.sign_in_throttle(),
    )
    if user is None:
        return render(
            request, "login.html", {"error": SIGN_IN_FAILED, "email": email}, status_code=401
        )
    session_id = await start_session(request, user)
    response = RedirectResponse("/inspections", status_code=303)
    set_session_cookie(response, session_id, settings)
    return response


async def logout(request: Request) -> Response:
    if request.state.user is not None:
        await log_access(request, "sign-out")
    await end_session(request)
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, request.app.state.settings)
    return response


routes = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
